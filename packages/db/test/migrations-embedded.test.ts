// The real migrations on the embedded PostgreSQL (PGlite): the same up → down
// → up proof, and a migrated embedded database answers the SQL functions.
import { CompanyCreateInput, CompanySearchInput, CompanyUpdateInput, isPleError } from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCompany,
  migrateDown,
  migrateLatest,
  migrationStatus,
  readMigrationFiles,
  searchCompanies,
  updateCompany,
  verifyMigrations,
} from "../src/index.js";
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from "../src/testing.js";

let e: EmbeddedTestDatabase;
beforeAll(async () => {
  e = await createEmbeddedTestDatabase();
});
afterAll(() => e.drop());

const files = readMigrationFiles();

describe("migrations on embedded PGlite", () => {
  it("applies every migration and runs the SQL functions", async () => {
    expect((await migrationStatus(e.db)).applied).toEqual(files.map((f) => f.name));
    const created = await e.db.knex.raw<{
      rows: Array<{ r: { status: string; company_uid: string; slots: unknown[] } }>;
    }>(
      "SELECT marketing.insert_company_with_slots('Embedded Co', 'https://www.embedded.example/', NULL, NULL) AS r",
    );
    expect(created.rows[0]?.r.status).toBe("created");
    expect(created.rows[0]?.r.slots).toHaveLength(3);
    const trgm = await e.db.knex.raw<{ rows: Array<{ s: number }> }>(
      "SELECT public.similarity(company_name, 'embeded co') AS s FROM marketing.company",
    );
    expect(trgm.rows[0]?.s).toBeGreaterThan(0.3);
  });

  it("serves the repositories, errors named by field without SQL text", async () => {
    const a = await createCompany(
      e.db.knex,
      CompanyCreateInput.parse({ company_name: "Emb A", website: "emb-a.example" }),
    );
    const b = await createCompany(
      e.db.knex,
      CompanyCreateInput.parse({ company_name: "Emb B", website: "emb-b.example" }),
    );
    const err = await updateCompany(
      e.db.knex,
      CompanyUpdateInput.parse({
        company_uid: a.company.company_uid,
        patch: { website: b.company.website },
      }),
    ).catch((x: unknown) => x);
    expect(isPleError(err) && { code: err.code, field: err.field }).toEqual({
      code: "ALREADY_EXISTS",
      field: "website",
    });
    expect(isPleError(err) && err.message).not.toMatch(/update|marketing\./i);
    const hits = await searchCompanies(e.db.knex, CompanySearchInput.parse({ query: "emb a" }));
    expect(hits[0]?.company.company_uid).toBe(a.company.company_uid);
  });

  it("goes up, down and up again to an identical schema, migration by migration", async () => {
    const report = await verifyMigrations(e.db);
    expect(report.scratch).toBe("embedded");
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
    expect(report.ok).toBe(true);
  });

  it("keeps company rows through a down/up of the later migrations", async () => {
    const before = await e.db.knex("marketing.company").select("company_uid", "website");
    const later = files.filter((f) => Number(f.version) > 2);
    for (const _ of later) await migrateDown(e.db);
    expect((await migrateLatest(e.db)).migrations).toEqual(later.map((f) => f.name));
    expect(await e.db.knex("marketing.company").select("company_uid", "website")).toEqual(before);
  });
});
