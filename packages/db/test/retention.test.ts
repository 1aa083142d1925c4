/**
 * Retention: every table of the migrated schema is either purged by a rule of RETENTION_RULES
 * or listed in KEPT_TABLES (retention-rules.ts), and the purge honours each rule's default.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import {
  effectivePeriods,
  KEPT_TABLES,
  purgeRetention,
  RETENTION_RULES,
  retentionSettings,
} from "../src/index.js";
import { createTestDatabase, type TestDatabase } from "../src/testing.js";

let t: TestDatabase;
let db: PleDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
});
afterAll(async () => {
  await t?.drop();
});

async function schemaTables(): Promise<string[]> {
  const result = await db.knex.raw<{ rows: Array<{ name: string }> }>(
    `SELECT n.nspname || '.' || c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1`,
  );
  return result.rows.map((r) => r.name);
}

describe("the retention registry", () => {
  it("gives every table of the schema a retention rule or a reason to keep its rows", async () => {
    const ruled = new Set(RETENTION_RULES.map((r) => r.table));
    const unclassified = (await schemaTables()).filter((t) => !ruled.has(t) && !(t in KEPT_TABLES));
    expect(
      unclassified,
      `tables without a retention rule: ${unclassified.join(", ")} — a table that grows with use needs an entry in RETENTION_RULES (packages/db/src/retention-rules.ts: setting, default period, age column); a table of data or reference rows goes in KEPT_TABLES with the reason`,
    ).toEqual([]);
  });

  it("names only tables and columns that exist, once each, with one default per setting", async () => {
    const tables = await schemaTables();
    const names = [...RETENTION_RULES.map((r) => r.table), ...Object.keys(KEPT_TABLES)];
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    expect(names.filter((n) => !tables.includes(n))).toEqual([]);
    for (const rule of RETENTION_RULES) {
      expect(rule.setting).toMatch(/^PLE_RETENTION_[A-Z_]+_DAYS$/);
      expect(rule.why.length).toBeGreaterThan(10);
      const shared = RETENTION_RULES.filter((r) => r.setting === rule.setting);
      expect(new Set(shared.map((r) => r.defaultDays)).size, rule.setting).toBe(1);
      if (rule.age !== "purge_retention" && "purge" in rule.age) {
        const fn = await db.knex.raw<{ rows: Array<{ fn: string | null }> }>(
          "SELECT to_regprocedure(? || '(integer, boolean)')::text AS fn",
          [rule.age.purge],
        );
        expect(fn.rows[0]?.fn, rule.age.purge).not.toBeNull();
      } else if (rule.age !== "purge_retention") {
        const [schema = "", table = ""] = rule.table.split(".");
        const column = await db.knex.raw<{ rows: unknown[] }>(
          "SELECT 1 FROM information_schema.columns WHERE table_schema = ? AND table_name = ? AND column_name = ?",
          [schema, table, rule.age.column],
        );
        expect(column.rows, `${rule.table}.${rule.age.column}`).toHaveLength(1);
      }
    }
  });

  it("refuses a setting it does not know", () => {
    expect(() => effectivePeriods({ PLE_RETENTION_NOPE_DAYS: 3 })).toThrow(
      /PLE_RETENTION_NOPE_DAYS is not a retention setting/,
    );
  });
});

describe("purgeRetention", () => {
  it("purges stored API responses and migration runs past their default periods, keeping recent ones", async () => {
    const hash = "a".repeat(64);
    await db.knex("marketing.idempotency_key").insert([
      {
        key: "old",
        actor: "t",
        procedure: "p",
        request_hash: hash,
        created_at: db.knex.raw("now() - interval '2 days'"),
      },
      { key: "new", actor: "t", procedure: "p", request_hash: hash },
    ]);
    await db.knex("ple_migrations.migration_run_log").insert([
      {
        migration: "x",
        direction: "up",
        started_at: db.knex.raw("now() - interval '400 days'"),
        outcome: "success",
      },
      {
        migration: "y",
        direction: "up",
        started_at: db.knex.raw("now() - interval '400 days'"),
        outcome: "running",
      },
    ]);
    const defaults = Object.fromEntries(retentionSettings().map((s) => [s.setting, s.defaultDays]));
    expect(defaults.PLE_RETENTION_IDEMPOTENCY_DAYS).toBe(1);
    expect(defaults.PLE_RETENTION_RUN_LOG_DAYS).toBe(365);
    expect(defaults.PLE_RETENTION_REJECT_DAYS).toBe(90);

    const dry = await db.knex.transaction((trx) => purgeRetention(trx, {}, { dryRun: true }));
    expect(dry.rows["marketing.idempotency_key"]).toBe(1);
    expect(dry.rows["ple_migrations.migration_run_log"]).toBe(1);
    expect(dry.periods_days.PLE_RETENTION_AUDIT_DAYS).toBeNull();
    const done = await db.knex.transaction((trx) => purgeRetention(trx, {}));
    expect(done.rows).toEqual(dry.rows);
    expect((await db.knex("marketing.idempotency_key").pluck("key")).sort()).toEqual(["new"]);
    // A crashed run's row stays until someone has looked at it.
    expect(
      await db
        .knex("ple_migrations.migration_run_log")
        .whereIn("migration", ["x", "y"])
        .pluck("migration"),
    ).toEqual(["y"]);
    // `forever` (null) keeps everything of that setting.
    await db
      .knex("marketing.idempotency_key")
      .update({ created_at: db.knex.raw("now() - interval '30 days'") });
    const kept = await db.knex.transaction((trx) =>
      purgeRetention(trx, { PLE_RETENTION_IDEMPOTENCY_DAYS: null }),
    );
    expect(kept.rows["marketing.idempotency_key"]).toBe(0);
    expect(kept.cutoffs["marketing.idempotency_key"]).toBeNull();
  });
});
