import { readFileSync } from "node:fs";
import { join } from "node:path";
import { databaseChecksums, listImportRejects } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runImport } from "../src/commands/import.js";
import { databaseImportStores } from "../src/commands/import-store-db.js";
import { companyGet, personGet, slotList } from "../src/commands/lookups.js";
import { tempDir, writeTemp } from "./helpers.js";

let t: TestDatabase;
const actor = "test:import";

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const stores = () => databaseImportStores(t.db, actor);

describe("import companies", () => {
  it("imports the simple format, rejects bad rows with a report, and re-runs idempotently", async () => {
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "companies.csv",
      [
        "\ufeffname,website,apollo_company_id,ein_raw",
        '"Acme, Inc.",https://www.acme-widgets.example/,apollo-1,12-3456789',
        "Acme Again,acme-widgets.example,,",
        "No Site,,,",
        '"Multi\r\nLine Co",multi.example,,07-1234567',
        "Bad Site,not a website,,",
        "",
      ].join("\r\n"),
    );
    const first = await runImport("companies", stores(), { file });
    // Row 2 finds Acme again; the default --on-existing fill has nothing to fill.
    expect(first).toMatchObject({ rows: 5, created: 2, unchanged: 1, rejected: 2, dry_run: false });
    expect(first.rejects.map((r) => [r.row_number, r.error_code, r.field])).toEqual([
      [3, "VALIDATION_FAILED", "website"],
      [5, "VALIDATION_FAILED", "website"],
    ]);
    expect(first.rejects_file).toBe(join(dir, "companies.csv.rejects.csv"));
    const report = readFileSync(join(dir, "companies.csv.rejects.csv"), "utf8").split("\r\n");
    expect(report[0]).toBe("file,row_number,error_code,field,message,raw_row");
    expect(report[1]).toContain(",3,VALIDATION_FAILED,website,");
    expect(report[1]?.endsWith('"No Site,,,"')).toBe(true);

    const acme = await companyGet(t.db, { key: "acme-widgets.example" });
    expect(acme.company).toMatchObject({
      company_name: "Acme, Inc.",
      apollo_company_id: "apollo-1",
      ein_raw: "12-3456789",
    });
    expect(acme.slots.map((s) => s.role)).toEqual(["CEO", "CFO", "HR"]);
    const multi = await companyGet(t.db, { key: "multi.example" });
    expect(multi.company.ein_valid).toBe(false);

    const stored = await listImportRejects(t.db.knex, { source_file: file });
    expect(stored.map((r) => r.row_number)).toEqual([3, 5]);
    expect(stored[0]?.raw_row).toBe("No Site,,,");

    const before = await databaseChecksums(t.db.knex);
    const again = await runImport("companies", stores(), { file, batchSize: 2 });
    expect(again).toMatchObject({ rows: 5, created: 0, unchanged: 3, rejected: 2 });
    expect(await databaseChecksums(t.db.knex)).toEqual(before);
  });

  it("dry run reports would-create, existing and rejected, and writes nothing", async () => {
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "dry.csv",
      "Company,Website,Apollo Account Id,# Employees\nNew Co,new-co.example,,10\nNew Co dup,https://new-co.example,,10\nAcme,acme-widgets.example,,5\nBroken,,,1\n",
    );
    const before = await databaseChecksums(t.db.knex);
    const dry = await runImport("companies", stores(), { file, dryRun: true });
    expect(dry).toMatchObject({ dry_run: true, rows: 4, created: 1, unchanged: 2, rejected: 1 });
    expect(dry.rejects_file).toBeNull();
    expect(await databaseChecksums(t.db.knex)).toEqual(before);
  });

  it("rejects a row holding a NUL byte, keeps it with the NUL shown as ␀, and keeps it once", async () => {
    const file = writeTemp(
      tempDir(),
      "nul.csv",
      'name,website\n"Nul\u0000 Corp",nul-one.example\nFine Corp,nul-fine.example\n',
    );
    const first = await runImport("companies", stores(), { file });
    expect(first).toMatchObject({ created: 1, rejected: 1 });
    expect(first.rejects[0]).toMatchObject({
      row_number: 1,
      error_code: "VALIDATION_FAILED",
      field: "name",
      raw_row: '"Nul\u2400 Corp",nul-one.example',
    });
    const again = await runImport("companies", stores(), { file });
    expect(again).toMatchObject({ created: 0, unchanged: 1, rejected: 1 });
    const stored = await listImportRejects(t.db.knex, { source_file: file });
    expect(stored.map((r) => r.raw_row)).toEqual(['"Nul\u2400 Corp",nul-one.example']);
  });

  it("dry run and real run agree: (w1, A1), (w1, A2), (w3, A2) creates w1 and w3, finds w1 once", async () => {
    const file = writeTemp(
      tempDir(),
      "agree.csv",
      "name,website,apollo_company_id\nOne,agree-w1.example,agree-A1\nOne Again,agree-w1.example,agree-A2\nThree,agree-w3.example,agree-A2\n",
    );
    for (const batchSize of [1, 2, 3]) {
      const dry = await runImport("companies", stores(), { file, dryRun: true, batchSize });
      expect(dry, `batch size ${batchSize}`).toMatchObject({ created: 2, unchanged: 1 });
    }
    const real = await runImport("companies", stores(), { file, batchSize: 2 });
    expect(real).toMatchObject({ created: 2, unchanged: 1, rejected: 0 });
    const w3 = await companyGet(t.db, { key: "agree-w3.example" });
    expect(w3.company.apollo_company_id).toBe("agree-A2");
  });

  it("imports a stray quote inside an unquoted field as text", async () => {
    const file = writeTemp(
      tempDir(),
      "stray.csv",
      'name,website\nFoo 12" Pipes,stray-quote.example\nPlain Co,stray-plain.example\n',
    );
    const summary = await runImport("companies", stores(), { file });
    expect(summary).toMatchObject({ rows: 2, created: 2, rejected: 0 });
    const foo = await companyGet(t.db, { key: "stray-quote.example" });
    expect(foo.company.company_name).toBe('Foo 12" Pipes');
  });

  it("imports every row before a quote never closed and rejects that row on, with its number and raw text", async () => {
    const lines = ["name,website"];
    for (let i = 1; i <= 5; i++) lines.push(`Before ${i},unclosed-${i}.example`);
    lines.push('"Never Closed,unclosed-6.example', "After,unclosed-7.example", "");
    const file = writeTemp(tempDir(), "unclosed.csv", lines.join("\n"));
    const summary = await runImport("companies", stores(), { file, batchSize: 2 });
    expect(summary).toMatchObject({ rows: 6, created: 5, existing: 0, rejected: 1 });
    expect(summary.rejects).toEqual([
      {
        row_number: 6,
        error_code: "VALIDATION_FAILED",
        field: "row",
        message: expect.stringContaining("never closed"),
        raw_row: '"Never Closed,unclosed-6.example\nAfter,unclosed-7.example',
      },
    ]);
    await expect(companyGet(t.db, { key: "unclosed-5.example" })).resolves.toBeDefined();
    const stored = await listImportRejects(t.db.knex, { source_file: file });
    expect(stored.map((r) => r.row_number)).toEqual([6]);
  });

  it("fails with a clear error when a required column is missing", async () => {
    const file = writeTemp(tempDir(), "nocol.csv", "name,url\nA,a.example\n");
    await expect(runImport("companies", stores(), { file })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "header",
      message: expect.stringContaining("no website column"),
    });
  });
});

describe("import people", () => {
  it("imports an Apollo contact export, creates companies, links slots by title and lists unmapped titles", async () => {
    const dir = tempDir();
    const header =
      "First Name,Last Name,Title,Company,Email,Email Status,Seniority,Person Linkedin Url,Website,Apollo Contact Id,Apollo Account Id";
    const file = writeTemp(
      dir,
      "contacts.csv",
      [
        header,
        "Ada,Lovelace,Founder & CEO,Engines Ltd,ADA@engines.example,Verified,c_suite,http://www.linkedin.com/in/ada-lovelace,engines.example,c1,a1",
        "Charles,Babbage,Chief Financial Officer,Engines Ltd,charles@engines.example,Guessed,c_suite,,engines.example,c2,a1",
        "Mary,Somerville,VP Sales,Engines Ltd,mary@engines.example,Unavailable,vp,,engines.example,c3,a1",
        "Second,Ceo,CEO,Engines Ltd,second@engines.example,Verified,c_suite,,engines.example,c4,a1",
        "No,Email,CEO,Engines Ltd,,Verified,c_suite,,engines.example,c5,a1",
        "",
      ].join("\n"),
    );
    const first = await runImport("people", stores(), { file });
    expect(first).toMatchObject({
      rows: 5,
      created: 4,
      existing: 0,
      rejected: 1,
      companies_created: 1,
      linked: 2,
      unmapped_titles: [{ title: "VP Sales", count: 1 }],
    });
    expect(first.slot_conflicts).toHaveLength(1);
    expect(first.slot_conflicts?.[0]).toMatchObject({ row_number: 4, reason: "slot_taken" });
    expect(first.rejects[0]).toMatchObject({ row_number: 5, field: "email" });

    const ada = await personGet(t.db, { key: "ada@engines.example" });
    expect(ada).toMatchObject({
      name: "Ada Lovelace",
      title: "Founder & CEO",
      source: "apollo",
      linkedin_url: "https://www.linkedin.com/in/ada-lovelace",
    });
    const company = await companyGet(t.db, { key: "engines.example" });
    const slots = await slotList(t.db, { companyUid: company.company.company_uid });
    expect(slots.map((s) => [s.role, s.status, s.person_id])).toEqual([
      ["CEO", "filled", ada.person_id],
      ["CFO", "filled", (await personGet(t.db, { key: "charles@engines.example" })).person_id],
      ["HR", "open", null],
    ]);

    const before = await databaseChecksums(t.db.knex);
    const again = await runImport("people", stores(), { file });
    expect(again).toMatchObject({
      created: 0,
      unchanged: 4,
      rejected: 1,
      linked: 0,
      already_linked: 2,
    });
    expect(await databaseChecksums(t.db.knex)).toEqual(before);
  });

  it("rejects only the row that fails in the database; the rest of its batch is imported", async () => {
    const file = writeTemp(
      tempDir(),
      "batch.csv",
      [
        "name,email,company_uid,title",
        "One,one@batch.example,,",
        "Two,two@batch.example,CO-19990101-000001,CEO",
        "Three,three@batch.example,,",
        "",
      ].join("\n"),
    );
    const result = await runImport("people", stores(), { file });
    expect(result).toMatchObject({ created: 2, rejected: 1 });
    expect(result.rejects[0]).toMatchObject({
      row_number: 2,
      error_code: "COMPANY_NOT_FOUND",
      field: "company_uid",
    });
    expect((await personGet(t.db, { key: "three@batch.example" })).name).toBe("Three");
    const stored = await listImportRejects(t.db.knex, { source_file: file });
    expect(stored.map((r) => r.row_number)).toEqual([2]);
  });
});

describe("import people, a batch at a time", () => {
  it("ends as row by row would: a company is found only by rows after the one creating it, repeated emails exist", async () => {
    const file = writeTemp(
      tempDir(),
      "order.csv",
      [
        "name,email,title,company,website",
        "Early Ref,early@order.example,CFO,,order-co.example",
        "Creator,creator@order.example,CEO,Order Co,https://www.order-co.example/",
        "Late Ref,late@order.example,HR Director,,order-co.example",
        "Creator Again,CREATOR@order.example,CEO,Order Co,order-co.example",
        "Nowhere,nowhere@order.example,Engineer,,",
        "",
      ].join("\n"),
    );
    const result = await runImport("people", stores(), { file });
    expect(result).toMatchObject({
      rows: 5,
      created: 4,
      unchanged: 1,
      rejected: 0,
      companies_created: 1,
      linked: 2,
      already_linked: 1,
      without_company: 2,
      unmapped_titles: [{ title: "Engineer", count: 1 }],
    });
    const company = await companyGet(t.db, { key: "order-co.example" });
    const uid = company.company.company_uid;
    expect((await personGet(t.db, { key: "early@order.example" })).company_uid).toBeNull();
    const late = await personGet(t.db, { key: "late@order.example" });
    expect(late.company_uid).toBe(uid);
    const creator = await personGet(t.db, { key: "creator@order.example" });
    const slots = await slotList(t.db, { companyUid: uid });
    expect(slots.map((s) => [s.role, s.status, s.person_id])).toEqual([
      ["CEO", "filled", creator.person_id],
      ["CFO", "open", null],
      ["HR", "filled", late.person_id],
    ]);

    // Batches of one row each end the same way.
    const other = await createTestDatabase();
    try {
      const oneByOne = await runImport("people", databaseImportStores(other.db, actor), {
        file,
        batchSize: 1,
        rejectsFile: join(tempDir(), "r.csv"),
      });
      const counts = (s: typeof result) => ({ ...s, duration_ms: 0, file: "", rejects_file: null });
      expect(counts(oneByOne)).toEqual(counts(result));
    } finally {
      await other.drop();
    }
  });
});
