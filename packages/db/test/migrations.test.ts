// The real migrations (001–00N) on the PostgreSQL server: each goes up, down
// and up again to an identical catalog dump; rows survive a down/up where the
// rollback keeps their table; the linter finds nothing unsafe.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  lintMigrations,
  migrateDown,
  migrateLatest,
  migrationStatus,
  readMigrationFiles,
  rollbackTo,
  verifyMigrations,
} from "../src/index.js";
import { createTestDatabase, type TestDatabase } from "../src/testing.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const files = readMigrationFiles();

describe("migrations on the server", () => {
  it("has every migration applied in the template, checksums matching the files", async () => {
    const status = await migrationStatus(t.db);
    expect(status.applied).toEqual(files.map((f) => f.name));
    expect(status.pending).toEqual([]);
    expect(status.drift).toEqual([]);
    for (const entry of status.entries) expect(entry.appliedChecksum).toBe(entry.fileChecksum);
    expect(files.map((f) => f.version).slice(0, 5)).toEqual(["001", "002", "003", "004", "005"]);
    expect(files.find((f) => f.version === "005")?.transactional).toBe(false);
  });

  it("goes up, down and up again to an identical schema, migration by migration", async () => {
    const report = await verifyMigrations(t.db);
    for (const step of report.migrations) {
      expect({
        migration: step.migration,
        error: step.error,
        differences: step.differences,
      }).toEqual({
        migration: step.migration,
        error: undefined,
        differences: [],
      });
    }
    expect(report.migrations.map((m) => m.migration)).toEqual(files.map((f) => f.name));
    expect(report.ok).toBe(true);
  });

  it("keeps companies and people through a down/up of every later migration", async () => {
    await t.db.knex.raw(
      "SELECT marketing.insert_company_with_slots('Keep Co', 'keep.example', 'keep-1', '12-3456789')",
    );
    await t.db.knex.raw(
      "SELECT marketing.insert_person('Keep Person', 'keep@example.com', NULL, NULL, NULL, 'manual')",
    );
    const snapshot = async () => ({
      companies: await t.db
        .knex("marketing.company")
        .select("company_uid", "company_name", "website")
        .orderBy("company_uid"),
      slots: await t.db.knex("marketing.company_slot").count({ n: "*" }),
    });
    const before = await snapshot();
    expect(before.companies).toHaveLength(1);
    // Roll back everything after 002 (people) one at a time, then re-apply.
    const later = files.filter((f) => Number(f.version) > 2);
    for (const _ of later) await migrateDown(t.db);
    expect(await t.db.knex("marketing.people").pluck("email")).toEqual(["keep@example.com"]);
    const rerun = await migrateLatest(t.db);
    expect(rerun.migrations).toEqual(later.map((f) => f.name));
    expect(await snapshot()).toEqual(before);
    expect(await t.db.knex("marketing.people").pluck("email")).toEqual(["keep@example.com"]);
  });

  it("re-runs 005 (non-transactional) after a crash left one of its indexes INVALID", async () => {
    await rollbackTo(t.db, "004");
    // Two companies created in one transaction share created_at, so a unique
    // build over it fails part-way and leaves an INVALID index of 005's name.
    await t.db.knex.transaction(async (trx) => {
      await trx.raw(
        "SELECT marketing.insert_company_with_slots('Twin A', 'twin-a.example', NULL, NULL)",
      );
      await trx.raw(
        "SELECT marketing.insert_company_with_slots('Twin B', 'twin-b.example', NULL, NULL)",
      );
    });
    await expect(
      t.db.knex.raw(
        "CREATE UNIQUE INDEX CONCURRENTLY company_created_at_uid_idx ON marketing.company (created_at)",
      ),
    ).rejects.toThrow();
    const validity = () =>
      t.db.knex
        .raw<{ rows: Array<{ valid: boolean; def: string }> }>(
          `SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
            WHERE i.indexrelid = to_regclass('marketing.company_created_at_uid_idx')`,
        )
        .then((r) => r.rows[0]);
    expect((await validity())?.valid).toBe(false);
    const run = await migrateLatest(t.db);
    expect(run.migrations[0]).toBe("005_performance_indexes");
    const index = await validity();
    expect(index?.valid).toBe(true);
    expect(index?.def).toContain("(created_at, company_uid)");
    expect(index?.def).not.toContain("UNIQUE");
    expect((await migrationStatus(t.db)).pending).toEqual([]);
  });

  it("lints clean: no unsafe DDL and every forward file has its rollback", () => {
    expect(lintMigrations()).toEqual([]);
  });
});
