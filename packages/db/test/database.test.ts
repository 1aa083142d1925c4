import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, queryPrepared } from "../src/database.js";
import { DEFAULT_TEST_DATABASE_URL, readDbEnv } from "../src/env.js";
import { migrateLatest, migrationStatus } from "../src/index.js";
import { createTestDatabase } from "../src/testing.js";
import { FIXTURE_MIGRATIONS } from "./helpers.js";

describe("readDbEnv", () => {
  it("defaults: embedded database in <cwd>/.ple-data, the local test server", () => {
    expect(readDbEnv({})).toEqual({
      databaseUrl: undefined,
      databaseDirectUrl: undefined,
      dataDir: resolve(".ple-data"),
      testDatabaseUrl: DEFAULT_TEST_DATABASE_URL,
    });
    expect(readDbEnv({ DATABASE_URL: "  ", PLE_DATA_DIR: "/var/lib/ple" }).dataDir).toBe(
      "/var/lib/ple",
    );
  });

  it("rejects a bad URL with one line naming the variable", () => {
    expect(() => readDbEnv({ DATABASE_URL: "mysql://x" })).toThrow(
      /^DATABASE_URL: must be a postgres:\/\//,
    );
    expect(() => readDbEnv({ PLE_TEST_DATABASE_URL: "nonsense" })).toThrow(
      /^PLE_TEST_DATABASE_URL: /,
    );
    expect(() => readDbEnv({ DATABASE_DIRECT_URL: "http://db" })).toThrow(
      /^DATABASE_DIRECT_URL: must be a postgres:\/\//,
    );
  });
});

describe("a database behind a pooler", () => {
  it("migrates over its direct URL and never through the pooled one", async () => {
    const t = await createTestDatabase({ empty: true });
    // Nothing listens on port 1: a statement sent through `url` would fail.
    const pooled = new URL(t.url);
    pooled.port = "1";
    const db = await openDatabase({ url: pooled.toString(), directUrl: t.url });
    try {
      expect(db.directUrl).toBe(t.url);
      const run = await migrateLatest(db, { migrationsDir: FIXTURE_MIGRATIONS });
      expect(run.migrations.length).toBeGreaterThan(0);
      expect((await migrationStatus(t.db, { migrationsDir: FIXTURE_MIGRATIONS })).pending).toEqual(
        [],
      );
    } finally {
      await db.close();
      await t.drop();
    }
  });

  it("sends a prepared statement unnamed once its connection lost it (as under PgBouncer)", async () => {
    const t = await createTestDatabase({ empty: true, poolMax: 1 });
    try {
      const text = "SELECT $1::int + 1 AS n";
      expect(await queryPrepared(t.db.knex, "ple_test_prepared_v1", text, [1])).toEqual([{ n: 2 }]);
      // The one pooled connection forgets it, as another server connection behind a
      // transaction pooler would not have it: the driver still believes it is prepared.
      await t.db.knex.raw("DEALLOCATE ALL");
      expect(await queryPrepared(t.db.knex, "ple_test_prepared_v1", text, [2])).toBeNull();
      // From then on this database's statements go through knex, unnamed.
      expect(await queryPrepared(t.db.knex, "ple_test_prepared_v1", text, [3])).toBeNull();
      const prepared = await t.db.knex.raw<{ rows: unknown[] }>(
        "SELECT name FROM pg_prepared_statements",
      );
      expect(prepared.rows).toEqual([]);
    } finally {
      await t.drop();
    }
  });
});

describe("openDatabase", () => {
  it("keeps an embedded database in its data folder across restarts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ple-data-"));
    try {
      const first = await openDatabase({ dataDir: join(dir, "db") });
      expect(first.kind).toBe("embedded");
      expect(first.dataDir).toBe(join(dir, "db"));
      await migrateLatest(first, { migrationsDir: FIXTURE_MIGRATIONS });
      await first.knex("marketing.widget").insert({ name: "persisted" });
      await first.close();
      const second = await openDatabase({ dataDir: join(dir, "db") });
      expect(await second.knex("marketing.widget").pluck("name")).toEqual(["persisted"]);
      expect(
        (await migrationStatus(second, { migrationsDir: FIXTURE_MIGRATIONS })).pending,
      ).toEqual([]);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs multi-statement scripts with question marks on both kinds", async () => {
    const t = await createTestDatabase({ empty: true });
    const embedded = await openDatabase({ memory: true });
    try {
      for (const db of [t.db, embedded]) {
        await db.execScript(
          "CREATE TABLE script_t (doc jsonb); INSERT INTO script_t VALUES ('{\"a?\": 1}'); INSERT INTO script_t VALUES ('{\"b\": 2}');",
        );
        const r = await db.knex.raw<{ rows: Array<{ n: number }> }>(
          "SELECT count(*)::int AS n FROM script_t WHERE doc \\? 'b'",
        );
        expect(r.rows[0]?.n).toBe(1);
      }
    } finally {
      await embedded.close();
      await t.drop();
    }
  });
});
