import { createApiKey, listApiKeys, revokeApiKey } from "@ple/db";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  postJson,
  setupTestApi,
  startTestServer,
  type TestApi,
  type TestServer,
} from "./helpers.js";

let t: TestApi;
let server: TestServer;

beforeAll(async () => {
  t = await setupTestApi();
  server = await startTestServer(t.db);
});
afterAll(async () => {
  await server?.close();
  await t?.drop();
});

async function whoami(headers: Record<string, string>, on: TestServer = server) {
  const response = await fetch(`${on.url}/trpc/apiKeys.whoami`, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function errorOf(body: unknown): { message: string; data: Record<string, unknown> } {
  const error = (body as { error?: { json?: unknown } }).error?.json;
  return error as { message: string; data: Record<string, unknown> };
}

describe("API keys", () => {
  it("are stored as a SHA-256 hash and a display prefix, never the key", async () => {
    const rows = await t.db.knex("marketing.api_key").select("*");
    const stored = JSON.stringify(rows);
    for (const key of Object.values(t.keys)) {
      expect(key.key).toMatch(/^ple_[A-Za-z0-9_-]{43}$/);
      expect(stored).not.toContain(key.key);
      expect(key.key.startsWith(key.key_prefix)).toBe(true);
    }
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(String(row.key_hash)))).toBe(true);
  });

  it("authenticate with Authorization: Bearer and with X-API-Key", async () => {
    const bearer = await whoami({ Authorization: `Bearer ${t.keys.read.key}` });
    expect(bearer.status).toBe(200);
    expect(JSON.stringify(bearer.body)).toContain(t.keys.read.id);
    const header = await whoami({ "X-API-Key": t.keys.write.key });
    expect(header.status).toBe(200);
    expect(JSON.stringify(header.body)).toContain(t.keys.write.id);
  });

  it("record when they were last used", async () => {
    const [row] = await t.db
      .knex("marketing.api_key")
      .where({ id: t.keys.read.id })
      .select("last_used_at");
    expect(row?.last_used_at).toBeInstanceOf(Date);
  });

  it.each([
    ["no key", {}, "missing_key"],
    [
      "an unknown key",
      { Authorization: "Bearer ple_notarealkeyatall0000000000000000000000000" },
      "invalid_key",
    ],
    ["a key of the wrong format", { "X-API-Key": "hunter2" }, "invalid_key"],
    ["a non-Bearer Authorization", { Authorization: "Basic dXNlcjpwYXNz" }, "malformed"],
  ])("refuse %s with 401 UNAUTHORIZED", async (_label, headers, reason) => {
    const { status, body } = await whoami(headers as Record<string, string>);
    expect(status).toBe(401);
    const error = errorOf(body);
    expect(error.data.code).toBe("UNAUTHORIZED");
    if (reason === "invalid_key") expect(error.message).toMatch(/not valid/);
  });

  it("stop working once revoked (key cache off: at once)", async () => {
    const uncached = await startTestServer(t.db, { apiKeyCacheMs: 0 });
    const key = await createApiKey(t.db.knex, { name: "short-lived", role: "admin" });
    const auth = { Authorization: `Bearer ${key.key}` };
    try {
      expect((await whoami(auth, uncached)).status).toBe(200);
      const revoked = await revokeApiKey(t.db.knex, key.id);
      expect(revoked.revoked_at).toBeInstanceOf(Date);
      const { status, body } = await whoami(auth, uncached);
      expect(status).toBe(401);
      expect(errorOf(body).data.code).toBe("UNAUTHORIZED");
    } finally {
      await uncached.close();
    }
  });

  it("revoked outside the server (CLI, SQL) stop working within the key cache's lifetime", async () => {
    const ttlMs = 300;
    const cached = await startTestServer(t.db, { apiKeyCacheMs: ttlMs });
    const key = await createApiKey(t.db.knex, { name: "cached", role: "read" });
    const auth = { Authorization: `Bearer ${key.key}` };
    try {
      expect((await whoami(auth, cached)).status).toBe(200);
      const revokedAt = performance.now();
      await revokeApiKey(t.db.knex, key.id);
      let status = 200;
      while (status === 200 && performance.now() - revokedAt < 10 * ttlMs) {
        status = (await whoami(auth, cached)).status;
        if (status === 200) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(status).toBe(401);
      // Bounded by the cache's lifetime (plus the polling interval and a slow machine's slack).
      expect(performance.now() - revokedAt).toBeLessThan(ttlMs + 1_000);
      // And it stays refused: a refused key is never cached.
      await new Promise((resolve) => setTimeout(resolve, ttlMs + 50));
      expect((await whoami(auth, cached)).status).toBe(401);
    } finally {
      await cached.close();
    }
  });

  it("stop working at once when revoked through this server, even while cached", async () => {
    const key = await createApiKey(t.db.knex, { name: "revoked over HTTP", role: "read" });
    const auth = { Authorization: `Bearer ${key.key}` };
    // The default server caches accepted keys for 5 s; this call caches the key.
    expect((await whoami(auth)).status).toBe(200);
    const admin = server.client(t.keys.admin.key);
    await admin.apiKeys.revoke.mutate({ id: key.id });
    const { status, body } = await whoami(auth);
    expect(status).toBe(401);
    expect(errorOf(body).data.code).toBe("UNAUTHORIZED");
    expect((await listApiKeys(t.db.knex)).map((k) => k.id)).not.toContain(key.id);
    expect((await listApiKeys(t.db.knex, { includeRevoked: true })).map((k) => k.id)).toContain(
      key.id,
    );
  });

  it("refuse a bad name or role when created", async () => {
    await expect(createApiKey(t.db.knex, { name: "  ", role: "read" })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "name",
    });
    await expect(
      // @ts-expect-error an unknown role, as an untyped caller could send it
      createApiKey(t.db.knex, { name: "x", role: "root" }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "role" });
  });
});

describe("roles nest: admin ⊇ write ⊇ read", () => {
  it("admin procedures refuse read and write keys with FORBIDDEN", async () => {
    for (const role of ["read", "write"] as const) {
      const caller = await t.as(role);
      const error = await caller.apiKeys.list({}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("FORBIDDEN");
      expect((error as TRPCError).message).toContain(`this key has ${role}`);
    }
    const admin = await t.as("admin");
    expect((await admin.apiKeys.list({})).length).toBeGreaterThanOrEqual(3);
  });

  it("an admin key can create and revoke keys over HTTP; the plaintext is shown once", async () => {
    const admin = server.client(t.keys.admin.key);
    const created = await admin.apiKeys.create.mutate({ name: "ci bot", role: "write" });
    expect(created.key).toMatch(/^ple_/);
    expect(created.created_at).toBeInstanceOf(Date);
    const listed = await admin.apiKeys.list.query({});
    const entry = listed.find((k) => k.id === created.id);
    expect(entry).toBeDefined();
    expect(JSON.stringify(entry)).not.toContain(created.key);
    const newClient = server.client(created.key);
    expect((await newClient.apiKeys.whoami.query()).role).toBe("write");
    await admin.apiKeys.revoke.mutate({ id: created.id });
    await expect(newClient.apiKeys.whoami.query()).rejects.toMatchObject({
      data: { code: "UNAUTHORIZED" },
    });
    // Both changes are audited under the admin key, without the hash.
    const audit = await t.db
      .knex("marketing.audit_log")
      .where({ table_name: "api_key", record_key: created.id })
      .orderBy("audit_id")
      .select("operation", "actor", "application", "new_values", "changed_columns");
    expect(audit.map((row) => [row.operation, row.actor])).toEqual([
      ["INSERT", t.keys.admin.id],
      ["UPDATE", t.keys.admin.id],
    ]);
    expect(audit[1]?.changed_columns).toEqual(["revoked_at"]);
    expect(JSON.stringify(audit)).not.toContain("key_hash");
  });

  it("creating a key refuses an Idempotency-Key, so the secret is never stored", async () => {
    const { status, body } = await postJson(
      server.url,
      "apiKeys.create",
      { json: { name: "replayable?", role: "read" } },
      { Authorization: `Bearer ${t.keys.admin.key}`, "Idempotency-Key": "k-1" },
    );
    expect(status).toBe(400);
    expect(errorOf(body).data).toMatchObject({
      code: "VALIDATION_FAILED",
      field: "Idempotency-Key",
    });
  });

  it("an unauthenticated router call is UNAUTHORIZED", async () => {
    const anonymous = await t.anonymous();
    await expect(anonymous.apiKeys.whoami()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
