/**
 * Property: files full of near-repeats (a few websites in several spellings and Apollo ids
 * shared between them in every order, bad rows, exact repeats) give
 * - the same counts in a dry run as in the real run;
 * - the same outcome for every row written one batch at a time and two batches at once;
 * - nothing created by a re-run.
 * Each generated file uses keys of its own, so the runs of one database do not meet.
 */
import type { CompanyCreateInput } from "@ple/core";
import type { CompanyImportOutcome } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ImportSummary, runImport } from "../src/commands/import.js";
import type { ImportStoreFactory } from "../src/commands/import-store.js";
import { databaseImportStores } from "../src/commands/import-store-db.js";
import { tempDir, writeTemp } from "./helpers.js";

let serial: TestDatabase;
let parallel: TestDatabase;

beforeAll(async () => {
  [serial, parallel] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => {
  await Promise.all([serial?.drop(), parallel?.drop()]);
});

const actor = "test:import-property";

/** One generated row: which website (and spelling), which Apollo id, or a bad row. */
const rowArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      site: fc.integer({ min: 0, max: 4 }),
      spelling: fc.integer({ min: 0, max: 3 }),
      apollo: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
      name: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom("no-website", "blank-name", "bad-apollo", "ragged") },
);

function csvOf(prefix: string, rows: readonly unknown[]) {
  const lines = ["name,website,apollo_company_id"];
  for (const row of rows) {
    if (typeof row === "string") {
      if (row === "no-website") lines.push(`No Site ${prefix},,`);
      else if (row === "blank-name") lines.push(`,${prefix}-blank.example,`);
      else if (row === "bad-apollo") lines.push(`Bad ${prefix},${prefix}-bad.example,has space`);
      else lines.push(`Ragged ${prefix},${prefix}-ragged.example,x,y`);
      continue;
    }
    const r = row as { site: number; spelling: number; apollo: number | null; name: number };
    const host = `${prefix}-s${r.site}.example`;
    const website = [
      host,
      `https://www.${host}/`,
      `HTTP://${host.toUpperCase()}/about`,
      `www.${host}`,
    ][r.spelling];
    const apollo = r.apollo === null ? "" : `${prefix}-a${r.apollo}`;
    lines.push(`Company ${r.site} v${r.name},${website},${apollo}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The store factory, recording every row's outcome as website → what the row found or made. */
function recording(stores: ImportStoreFactory, parallelBatches: number) {
  const outcomes: string[] = [];
  const describeOutcome = (row: CompanyCreateInput, o: CompanyImportOutcome) =>
    o.status === "rejected"
      ? `${row.website}|${row.apollo_company_id ?? ""}|rejected|${o.error.code}`
      : `${row.website}|${row.apollo_company_id ?? ""}|${o.status}|${o.matched_by}|${o.company_uid}`;
  const factory: ImportStoreFactory = {
    parallelBatches,
    batch: (dryRun, fn) =>
      stores.batch(dryRun, (store) =>
        fn({
          ...store,
          async importCompanies(rows, onExisting) {
            const out = await store.importCompanies(rows, onExisting);
            out.forEach((o, i) => {
              const row = rows[i];
              if (row !== undefined) outcomes.push(describeOutcome(row, o));
            });
            return out;
          },
        }),
      ),
  };
  return { factory, outcomes };
}

const counts = (s: ImportSummary) => ({
  rows: s.rows,
  created: s.created,
  existing: s.existing,
  updated: s.updated,
  unchanged: s.unchanged,
  rejected: s.rejected,
  rejects: s.rejects.map((r) => [r.row_number, r.error_code, r.field]),
});

/** Company UIDs differ between the databases: compare them by the website they hold. */
async function byWebsite(db: TestDatabase, outcomes: string[]): Promise<string[]> {
  const uids = outcomes.flatMap((o) => (o.split("|")[4] ? [o.split("|")[4] as string] : []));
  const rows = await db.db
    .knex("marketing.company")
    .whereIn("company_uid", uids)
    .select("company_uid", "website");
  const site = new Map(
    rows.map((r: { company_uid: string; website: string }) => [r.company_uid, r.website]),
  );
  return outcomes.map((o) => {
    const parts = o.split("|");
    if (parts[4] !== undefined) parts[4] = site.get(parts[4]) ?? "?";
    return parts.join("|");
  });
}

describe("import planner, property", () => {
  it("dry run = real run, one batch at a time = two at once, a re-run creates nothing", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        async (rows, batchSize) => {
          run++;
          const prefix = `p${run}x${Math.floor(Math.random() * 1e6)}`;
          const file = writeTemp(tempDir(), "near-repeats.csv", csvOf(prefix, rows));

          const dry = await runImport("companies", databaseImportStores(serial.db, actor), {
            file,
            dryRun: true,
            batchSize,
          });
          const one = recording(databaseImportStores(serial.db, actor), 1);
          const two = recording(databaseImportStores(parallel.db, actor), 2);
          const a = await runImport("companies", one.factory, { file, batchSize });
          const b = await runImport("companies", two.factory, { file, batchSize });

          expect(counts(dry)).toEqual(counts(a));
          expect(counts(b)).toEqual(counts(a));
          expect((await byWebsite(parallel, two.outcomes)).sort()).toEqual(
            (await byWebsite(serial, one.outcomes)).sort(),
          );

          const again = await runImport("companies", databaseImportStores(parallel.db, actor), {
            file,
            batchSize,
          });
          expect(again.created).toBe(0);
          // --on-existing fill (the default): every row finds its company again, or is now
          // refused: (w0, A0), (w1, A0), (w1) creates w0 and w1, and on the re-run (w1, A0)
          // names two companies (IDENTITY_CONFLICT).
          expect(again.rejected).toBeGreaterThanOrEqual(a.rejected);
          expect(again.existing + again.updated + again.unchanged + again.rejected).toBe(
            a.created + a.existing + a.updated + a.unchanged + a.rejected,
          );
          const dryAgain = await runImport("companies", databaseImportStores(parallel.db, actor), {
            file,
            dryRun: true,
            batchSize,
          });
          expect(counts(dryAgain)).toEqual(counts(again));
        },
      ),
      { numRuns: 15 },
    );
  }, 240_000);
});
