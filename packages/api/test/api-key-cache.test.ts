import { createApiKey, revokeApiKey } from "@ple/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiKeyCache,
  forgetApiKey,
  forgetApiKeyHere,
  MAX_API_KEY_CACHE_MS,
  onApiKeyForgotten,
} from "../src/api-key-cache.js";
import { setupTestApi, type TestApi } from "./helpers.js";

let t: TestApi;

beforeAll(async () => {
  t = await setupTestApi();
});
afterAll(async () => {
  await t?.drop();
});

/** Counts the statements the cache sends to the database. */
function countingQueries(): { count: () => number; stop: () => void } {
  let n = 0;
  const onQuery = () => {
    n += 1;
  };
  t.db.knex.on("query", onQuery);
  return { count: () => n, stop: () => t.db.knex.off("query", onQuery) };
}

describe("ApiKeyCache", () => {
  it("answers a key it accepted without the database until the entry expires", async () => {
    const cache = new ApiKeyCache({ ttlMs: 200 });
    const queries = countingQueries();
    try {
      const first = await cache.authenticate(t.db.knex, t.keys.read.key);
      expect(first?.id).toBe(t.keys.read.id);
      const afterFirst = queries.count();
      expect(afterFirst).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < 5; i++) {
        expect((await cache.authenticate(t.db.knex, t.keys.read.key))?.role).toBe("read");
      }
      expect(queries.count()).toBe(afterFirst);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect((await cache.authenticate(t.db.knex, t.keys.read.key))?.id).toBe(t.keys.read.id);
      expect(queries.count()).toBeGreaterThan(afterFirst);
    } finally {
      queries.stop();
      cache.close();
    }
  });

  it("never caches an unknown or revoked key", async () => {
    const cache = new ApiKeyCache({ ttlMs: 5_000 });
    try {
      expect(
        await cache.authenticate(t.db.knex, "ple_notarealkeyatall0000000000000000000000000"),
      ).toBeNull();
      expect(cache.size).toBe(0);
      const key = await createApiKey(t.db.knex, { name: "revoked first", role: "read" });
      await revokeApiKey(t.db.knex, key.id);
      expect(await cache.authenticate(t.db.knex, key.key)).toBeNull();
      expect(cache.size).toBe(0);
      await cache.authenticate(t.db.knex, t.keys.write.key);
      expect(cache.size).toBe(1);
    } finally {
      cache.close();
    }
  });

  it("forgetApiKey drops a key from every cache of the process", async () => {
    const a = new ApiKeyCache({ ttlMs: 60_000 });
    const b = new ApiKeyCache({ ttlMs: 60_000 });
    try {
      await a.authenticate(t.db.knex, t.keys.admin.key);
      await b.authenticate(t.db.knex, t.keys.admin.key);
      await b.authenticate(t.db.knex, t.keys.read.key);
      forgetApiKey(t.keys.admin.id);
      expect(a.size).toBe(0);
      expect(b.size).toBe(1);
    } finally {
      a.close();
      b.close();
    }
  });

  it("tells its listeners (the cluster) of forgetApiKey, not of forgetApiKeyHere", async () => {
    const cache = new ApiKeyCache({ ttlMs: 60_000 });
    const told: string[] = [];
    const stop = onApiKeyForgotten((id) => told.push(id));
    try {
      await cache.authenticate(t.db.knex, t.keys.admin.key);
      await cache.authenticate(t.db.knex, t.keys.read.key);
      // A revocation another worker made: dropped here, not passed on again.
      forgetApiKeyHere(t.keys.admin.id);
      expect([cache.size, told]).toEqual([1, []]);
      forgetApiKey(t.keys.read.id);
      expect([cache.size, told]).toEqual([0, [t.keys.read.id]]);
    } finally {
      stop();
      cache.close();
    }
  });

  it("does not cache a look-up that raced a revocation", async () => {
    const cache = new ApiKeyCache({ ttlMs: 60_000 });
    try {
      const pending = cache.authenticate(t.db.knex, t.keys.read.key);
      forgetApiKey(t.keys.read.id);
      expect((await pending)?.id).toBe(t.keys.read.id);
      expect(cache.size).toBe(0);
    } finally {
      cache.close();
    }
  });

  it("holds at most maxEntries keys, evicting the oldest", async () => {
    const cache = new ApiKeyCache({ ttlMs: 60_000, maxEntries: 2 });
    try {
      for (const role of ["read", "write", "admin"] as const) {
        await cache.authenticate(t.db.knex, t.keys[role].key);
      }
      expect(cache.size).toBe(2);
    } finally {
      cache.close();
    }
  });

  it("with ttlMs 0 looks every key up, and refuses a lifetime out of range", async () => {
    const off = new ApiKeyCache({ ttlMs: 0 });
    await off.authenticate(t.db.knex, t.keys.read.key);
    expect(off.size).toBe(0);
    expect(() => new ApiKeyCache({ ttlMs: -1 })).toThrow(/apiKeyCacheMs/);
    expect(() => new ApiKeyCache({ ttlMs: MAX_API_KEY_CACHE_MS + 1 })).toThrow(/apiKeyCacheMs/);
    expect(() => new ApiKeyCache({ ttlMs: 1.5 })).toThrow(/apiKeyCacheMs/);
  });
});
