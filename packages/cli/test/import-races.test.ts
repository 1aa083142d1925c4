/**
 * An import batch that loses a race (deadlock 40P01, serialization failure 40001) is rolled
 * back and retried as a whole: its valid rows are never recorded as rejects. The races are
 * injected into the real database store, on the set-based and on the row-by-row path.
 */
import { PleError } from "@ple/core";
import { listImportRejects } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runImport } from "../src/commands/import.js";
import type { ImportStore, ImportStoreFactory } from "../src/commands/import-store.js";
import { databaseImportStores } from "../src/commands/import-store-db.js";
import { tempDir, writeTemp } from "./helpers.js";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const deadlock = () =>
  new PleError("INTERNAL", "A concurrent change got in the way; retry", {
    details: { sqlstate: "40P01", retryable: true },
  });

/** The database store, with `patch` applied to the store of every batch transaction. */
function patchedStores(patch: (store: ImportStore) => Partial<ImportStore>): ImportStoreFactory {
  const base = databaseImportStores(t.db, "test:import-races");
  return {
    batch: (dryRun, fn) => base.batch(dryRun, (store) => fn({ ...store, ...patch(store) })),
  };
}

async function companyCount(): Promise<number> {
  const rows = await t.db.knex("marketing.company").count<Array<{ count: string }>>("* as count");
  return Number(rows[0]?.count ?? 0);
}

describe("import batches that lose a race", () => {
  it("set-based: the batch is retried after two deadlocks and every row goes in", async () => {
    const file = writeTemp(
      tempDir(),
      "race-bulk.csv",
      "name,website\nRace One,race-one.example\nRace Two,race-two.example\n",
    );
    let deadlocks = 2;
    const stores = patchedStores((store) => ({
      async importCompanies(rows, onExisting) {
        const out = await store.importCompanies(rows, onExisting);
        // After the insert, as a real deadlock would: the batch's work must be undone.
        if (deadlocks-- > 0) throw deadlock();
        return out;
      },
    }));
    const before = await companyCount();
    const summary = await runImport("companies", stores, { file });
    expect(summary).toMatchObject({ rows: 2, created: 2, rejected: 0 });
    expect(deadlocks).toBe(-1);
    expect(await companyCount()).toBe(before + 2);
    expect(await listImportRejects(t.db.knex, { source_file: file })).toEqual([]);
  });

  it("row by row: a row that deadlocks rolls the whole batch back, and only the bad row is rejected", async () => {
    const file = writeTemp(
      tempDir(),
      "race-rows.csv",
      "name,website\nRow One,row-one.example\nRow Two,row-two.example\nNo Site,\n",
    );
    let deadlocks = 1;
    const calls: string[] = [];
    const stores = patchedStores((store) => ({
      // The set-based path refuses the batch, so it goes row by row.
      async importCompanies() {
        throw new PleError("VALIDATION_FAILED", "refused", { field: "website" });
      },
      savepoint: (fn) =>
        store.savepoint((sp) =>
          fn({
            ...sp,
            async createCompany(company) {
              calls.push(company.website);
              const out = await sp.createCompany(company);
              if (company.website === "row-two.example" && deadlocks-- > 0) throw deadlock();
              return out;
            },
          }),
        ),
    }));
    const before = await companyCount();
    const summary = await runImport("companies", stores, { file });
    expect(summary).toMatchObject({ rows: 3, created: 2, rejected: 1 });
    expect(summary.rejects.map((r) => [r.row_number, r.field])).toEqual([[3, "website"]]);
    expect(deadlocks).toBe(-1);
    // The whole batch was redone from its first row, not the deadlocked row alone.
    expect(calls).toEqual([
      "row-one.example",
      "row-two.example",
      "row-one.example",
      "row-two.example",
    ]);
    expect(await companyCount()).toBe(before + 2);
    const stored = await listImportRejects(t.db.knex, { source_file: file });
    expect(stored.map((r) => r.row_number)).toEqual([3]);
  });

  it("a batch that keeps losing fails the import instead of rejecting its rows", async () => {
    const file = writeTemp(tempDir(), "race-lost.csv", "name,website\nLost,lost.example\n");
    const stores = patchedStores(() => ({
      async importCompanies() {
        throw deadlock();
      },
      savepoint: async () => {
        throw deadlock();
      },
    }));
    await expect(runImport("companies", stores, { file })).rejects.toMatchObject({
      code: "INTERNAL",
      details: { retryable: true },
    });
    expect(await listImportRejects(t.db.knex, { source_file: file })).toEqual([]);
  }, 60_000);
});
