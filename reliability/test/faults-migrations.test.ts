/**
 * Faults during migrations: the backend running a migration is terminated
 * (pg_terminate_backend) half-way — in the transactional 004 and at two points of
 * the non-transactional 005 — and `ple db migrate` is run again.
 */
import { catalogDump, migrateUp, migrationStatus } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withClient } from "../support/database.js";
import { waitFor } from "../support/files.js";
import { recordCheck } from "../support/metrics.js";
import { jsonOf, runPle, spawnPle } from "../support/ple-binary.js";

const ALL = [
  "001_initial_schema",
  "002_people",
  "003_ple_relationships",
  "004_history_tracking",
  "005_performance_indexes",
  "006_api_access",
  "007_operations",
  "008_import_speed",
  "012_people_consistency",
];

let reference: TestDatabase;
let cleanDump: string[];

beforeAll(async () => {
  reference = await createTestDatabase();
  cleanDump = await catalogDump(reference.db.knex);
});
afterAll(async () => {
  await reference?.drop();
});

interface Scenario {
  name: string;
  /** Migrations applied before the fault. */
  before: number;
  /** The table an open writer locks, so the migration waits there. */
  blockOn: string;
  /** What the migrating backend is running when it is terminated. */
  waitingQuery: RegExp;
}

const SCENARIOS: Scenario[] = [
  {
    name: "004 (transactional) terminated while creating its company triggers",
    before: 3,
    blockOn: "marketing.company",
    waitingQuery: /history/i,
  },
  {
    name: "005 (non-transactional) terminated in its first CREATE INDEX CONCURRENTLY",
    before: 4,
    blockOn: "marketing.company",
    waitingQuery: /company_name_trgm_idx/,
  },
  {
    name: "005 (non-transactional) terminated in its last indexes, after others were built",
    before: 4,
    blockOn: "marketing.slot_event",
    waitingQuery: /slot_event_slot_uid_idx/,
  },
];

describe("terminating the migrating backend half-way", () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: the re-run succeeds with a schema identical to a clean run`, async () => {
      await recordCheck("faults", `pg_terminate_backend: ${scenario.name}`, async (check) => {
        const target = await createTestDatabase({ empty: true });
        try {
          for (let i = 0; i < scenario.before; i++) await migrateUp(target.db);
          const env = { DATABASE_URL: target.url };
          let terminated = 0;
          const failed = await withClient(target.url, async (blocker) => {
            await blocker.query("BEGIN");
            await blocker.query(`LOCK TABLE ${scenario.blockOn} IN ROW EXCLUSIVE MODE`);
            const run = spawnPle(["db", "migrate", "--json"], env);
            const pid = await waitFor("the migration to wait on the open writer", async () => {
              const r = await target.db.knex.raw<{ rows: Array<{ pid: number; query: string }> }>(
                `SELECT pid, query FROM pg_stat_activity
                  WHERE datname = current_database() AND wait_event_type = 'Lock'`,
              );
              return r.rows.find((row) => scenario.waitingQuery.test(row.query))?.pid;
            });
            const result = await target.db.knex.raw<{ rows: Array<{ ok: boolean }> }>(
              "SELECT pg_terminate_backend(?) AS ok",
              [pid],
            );
            terminated = result.rows.filter((r) => r.ok).length;
            await blocker.query("ROLLBACK");
            return run.done;
          });
          check.add("faults", terminated).add("cases");
          expect(terminated).toBe(1);
          // The interrupted run stops with a clear, typed message.
          expect(failed.stderr).not.toMatch(/unexpected error/);
          if (/unexpected error/.test(failed.stderr)) check.add("unhandledErrors");
          expect(failed.code).toBe(1);
          expect(failed.stderr).toMatch(/^ple: (MIGRATION_FAILED|DATABASE_UNAVAILABLE)/);

          const between = await migrationStatus(target.db);
          expect(between.locked).toBe(false);
          expect(between.applied).toEqual(ALL.slice(0, scenario.before));

          const rerun = await runPle(["db", "migrate", "--json"], env);
          check.add("cases");
          expect([rerun.code, rerun.stderr]).toEqual([0, ""]);
          expect(jsonOf<{ migrations: string[] }>(rerun).migrations).toEqual(
            ALL.slice(scenario.before),
          );
          const dump = await catalogDump(target.db.knex);
          check.add("rowsCompared", cleanDump.length);
          const missing = cleanDump.filter((line) => !dump.includes(line));
          check.add("rowsLost", missing.length);
          expect(dump).toEqual(cleanDump);
          const after = await migrationStatus(target.db);
          expect([after.applied, after.pending, after.drift, after.locked]).toEqual([
            ALL,
            [],
            [],
            false,
          ]);
        } finally {
          await target.drop();
        }
      });
    });
  }
});
