import { databaseChecksums, mergeCompanies, mergePeople } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runImport } from "../src/commands/import.js";
import { databaseImportStores } from "../src/commands/import-store-db.js";
import { companyGet, personGet } from "../src/commands/lookups.js";
import { tempDir, writeTemp } from "./helpers.js";

let t: TestDatabase;
const actor = "test:on-existing";

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const stores = () => databaseImportStores(t.db, actor);

async function versions(table: "company_history" | "people_history", key: string) {
  const column = table === "company_history" ? "company_uid" : "person_id";
  // Every version: the superseded ones stored in the history table and the current one (the row).
  const view = table === "company_history" ? "company_versions" : "people_versions";
  const rows = await t.db
    .knex(`marketing.${view}`)
    .where(column, key)
    .orderBy("valid_from")
    .select("operation", "actor");
  return rows as Array<{ operation: string; actor: string }>;
}

async function audits(key: string) {
  const rows = await t.db
    .knex("marketing.audit_log")
    .where({ record_key: key })
    .orderBy("audit_id")
    .select("operation", "changed_columns", "actor");
  return rows as Array<{ operation: string; changed_columns: string[] | null; actor: string }>;
}

describe("import companies --on-existing", () => {
  it("fill sets only empty fields, writes one history version and one audit row; a re-run writes nothing", async () => {
    const dir = tempDir();
    const seed = writeTemp(
      dir,
      "seed.csv",
      "name,website,apollo_company_id,ein_raw\nFill Co,fill.example,,\n",
    );
    expect(await runImport("companies", stores(), { file: seed })).toMatchObject({ created: 1 });
    const { company } = await companyGet(t.db, { key: "fill.example" });
    const uid = company.company_uid;

    const file = writeTemp(
      dir,
      "fill.csv",
      "name,website,apollo_company_id,ein_raw\nFill Co Renamed,fill.example,fill-A1,12-3456789\n",
    );
    const dry = await runImport("companies", stores(), { file, dryRun: true });
    expect(dry).toMatchObject({ created: 0, updated: 1, unchanged: 0, existing: 0 });
    const real = await runImport("companies", stores(), { file });
    expect(real).toMatchObject({ created: 0, updated: 1, unchanged: 0, existing: 0, rejected: 0 });
    const after = (await companyGet(t.db, { key: "fill.example" })).company;
    expect(after).toMatchObject({
      company_name: "Fill Co",
      apollo_company_id: "fill-A1",
      ein_raw: "12-3456789",
    });
    expect((await versions("company_history", uid)).map((v) => v.operation)).toEqual([
      "INSERT",
      "UPDATE",
    ]);
    const updates = (await audits(uid)).filter((a) => a.operation === "UPDATE");
    expect(updates).toHaveLength(1);
    expect(updates[0]?.actor).toBe(actor);
    expect(updates[0]?.changed_columns).toEqual(
      expect.arrayContaining(["apollo_company_id", "ein_raw"]),
    );

    const before = await databaseChecksums(t.db.knex);
    const again = await runImport("companies", stores(), { file });
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect(await databaseChecksums(t.db.knex)).toEqual(before);
  });

  it("update overwrites with the file's non-empty values; skip leaves the company as it is", async () => {
    const dir = tempDir();
    const seed = writeTemp(
      dir,
      "seed.csv",
      "name,website,apollo_company_id,ein_raw\nUpd Co,upd.example,upd-A1,12-3456789\n",
    );
    await runImport("companies", stores(), { file: seed });
    const uid = (await companyGet(t.db, { key: "upd.example" })).company.company_uid;
    const file = writeTemp(
      dir,
      "upd.csv",
      "name,website,apollo_company_id,ein_raw\nUpd Co New,upd.example,,98-7654321\n",
    );
    const skip = await runImport("companies", stores(), { file, onExisting: "skip" });
    expect(skip).toMatchObject({ existing: 1, updated: 0, unchanged: 0 });
    expect((await companyGet(t.db, { key: "upd.example" })).company.company_name).toBe("Upd Co");

    const real = await runImport("companies", stores(), { file, onExisting: "update" });
    expect(real).toMatchObject({ updated: 1, existing: 0 });
    expect((await companyGet(t.db, { key: "upd.example" })).company).toMatchObject({
      company_name: "Upd Co New",
      apollo_company_id: "upd-A1",
      ein_raw: "98-7654321",
    });
    expect((await versions("company_history", uid)).map((v) => v.operation)).toEqual([
      "INSERT",
      "UPDATE",
    ]);
    const updates = (await audits(uid)).filter((a) => a.operation === "UPDATE");
    expect(updates).toHaveLength(1);
    expect(updates[0]?.changed_columns).toEqual(
      expect.arrayContaining(["company_name", "ein_raw"]),
    );
  });

  it("a dry run's counts equal the real run's on a file with creates, updates and conflicts", async () => {
    const dir = tempDir();
    const seed = writeTemp(
      dir,
      "seed.csv",
      [
        "name,website,apollo_company_id,ein_raw",
        "Agree One,agree-one.example,,",
        "Agree Two,agree-two.example,agree-A2,12-3456789",
        "Agree Three,agree-three.example,agree-A3,",
        "",
      ].join("\n"),
    );
    await runImport("companies", stores(), { file: seed });
    const file = writeTemp(
      dir,
      "mixed.csv",
      [
        "name,website,apollo_company_id,ein_raw",
        "Agree One,agree-one.example,agree-A1,", // fill: Apollo id
        "Agree Two,agree-two.example,agree-A2,12-3456789", // unchanged
        "Agree New,agree-new.example,,", // created
        "Agree New Again,agree-new.example,agree-AN,", // fills the company row 3 creates
        "Agree New Thrice,agree-new.example,agree-AN,", // unchanged
        "Conflict,agree-two.example,agree-A3,", // website → Two, Apollo id → Three
        "Broken,,,", // rejected by validation
        "",
      ].join("\n"),
    );
    for (const onExisting of ["fill", "update"] as const) {
      for (const batchSize of [1, 2, 10]) {
        const dry = await runImport("companies", stores(), {
          file,
          dryRun: true,
          onExisting,
          batchSize,
        });
        // update also renames the company rows 4 and 5 find.
        expect(dry, `${onExisting} batch ${batchSize}`).toMatchObject({
          created: 1,
          updated: onExisting === "fill" ? 2 : 3,
          unchanged: onExisting === "fill" ? 2 : 1,
          existing: 0,
          rejected: 2,
        });
      }
    }
    const before = await databaseChecksums(t.db.knex);
    const dry = await runImport("companies", stores(), { file, dryRun: true, batchSize: 3 });
    expect(await databaseChecksums(t.db.knex)).toEqual(before);
    const real = await runImport("companies", stores(), { file, batchSize: 3 });
    const counts = (s: typeof real) => ({
      created: s.created,
      existing: s.existing,
      updated: s.updated,
      unchanged: s.unchanged,
      rejected: s.rejected,
    });
    expect(counts(real)).toEqual(counts(dry));
    expect((await companyGet(t.db, { key: "agree-new.example" })).company.apollo_company_id).toBe(
      "agree-AN",
    );
  });

  it("a row whose website and Apollo id name two companies is rejected with IDENTITY_CONFLICT naming both", async () => {
    const dir = tempDir();
    const seed = writeTemp(
      dir,
      "seed.csv",
      "name,website,apollo_company_id\nIdA,ida.example,ida-A\nIdB,idb.example,idb-B\n",
    );
    await runImport("companies", stores(), { file: seed });
    const a = (await companyGet(t.db, { key: "ida.example" })).company.company_uid;
    const b = (await companyGet(t.db, { key: "idb.example" })).company.company_uid;
    const file = writeTemp(
      dir,
      "conflict.csv",
      "name,website,apollo_company_id\nIdA,ida.example,idb-B\n",
    );
    const real = await runImport("companies", stores(), { file });
    expect(real).toMatchObject({ rejected: 1, updated: 0, created: 0 });
    expect(real.rejects[0]).toMatchObject({
      error_code: "IDENTITY_CONFLICT",
      field: "apollo_company_id",
    });
    expect(real.rejects[0]?.message).toContain(a);
    expect(real.rejects[0]?.message).toContain(b);
  });

  it("a merged-away website finds the company kept: no new company", async () => {
    const dir = tempDir();
    const seed = writeTemp(
      dir,
      "seed.csv",
      "name,website,apollo_company_id\nKeep Co,keep.example,keep-A\nDrop Co,drop.example,drop-A\n",
    );
    await runImport("companies", stores(), { file: seed });
    const keep = (await companyGet(t.db, { key: "keep.example" })).company.company_uid;
    const drop = (await companyGet(t.db, { key: "drop.example" })).company.company_uid;
    await mergeCompanies(t.db.knex, { keep, drop, dry_run: false, prefer: {} });
    const count = async () =>
      Number((await t.db.knex("marketing.company").count({ n: "*" }))[0]?.n);
    const companies = await count();
    const file = writeTemp(
      dir,
      "dropped.csv",
      "name,website,apollo_company_id\nDrop Co,drop.example,\nDrop Co,drop2.example,drop-A\n",
    );
    const dry = await runImport("companies", stores(), { file, dryRun: true, onExisting: "skip" });
    expect(dry).toMatchObject({ created: 0, existing: 2 });
    const real = await runImport("companies", stores(), { file, onExisting: "skip" });
    expect(real).toMatchObject({ created: 0, existing: 2, rejected: 0 });
    expect(await count()).toBe(companies);
    const filled = await runImport("companies", stores(), { file });
    expect(filled).toMatchObject({ created: 0, rejected: 0 });
    expect(await count()).toBe(companies);
  });
});

describe("import people --on-existing", () => {
  const header = "name,email,linkedin_url,title";

  it("fill sets empty fields, update overwrites; history and audit written once; dry run agrees", async () => {
    const dir = tempDir();
    const seed = writeTemp(dir, "seed.csv", `${header}\nPat Fill,pat@fill.example,,\n`);
    expect(await runImport("people", stores(), { file: seed })).toMatchObject({ created: 1 });
    const id = (await personGet(t.db, { key: "pat@fill.example" })).person_id;

    const fillFile = writeTemp(
      dir,
      "fill.csv",
      `${header}\nPat Renamed,pat@fill.example,,Engineer\n`,
    );
    const dry = await runImport("people", stores(), { file: fillFile, dryRun: true });
    expect(dry).toMatchObject({ created: 0, updated: 1, existing: 0 });
    const fill = await runImport("people", stores(), { file: fillFile });
    expect(fill).toMatchObject({ created: 0, updated: 1, existing: 0 });
    expect(await personGet(t.db, { key: "pat@fill.example" })).toMatchObject({
      name: "Pat Fill",
      title: "Engineer",
    });
    expect((await versions("people_history", id)).map((v) => v.operation)).toEqual([
      "INSERT",
      "UPDATE",
    ]);
    expect((await audits(id)).filter((a) => a.operation === "UPDATE")).toHaveLength(1);

    const before = await databaseChecksums(t.db.knex);
    expect(await runImport("people", stores(), { file: fillFile })).toMatchObject({
      unchanged: 1,
      updated: 0,
    });
    expect(await databaseChecksums(t.db.knex)).toEqual(before);

    const updDry = await runImport("people", stores(), {
      file: fillFile,
      dryRun: true,
      onExisting: "update",
    });
    expect(updDry).toMatchObject({ updated: 1 });
    const upd = await runImport("people", stores(), { file: fillFile, onExisting: "update" });
    expect(upd).toMatchObject({ updated: 1 });
    expect((await personGet(t.db, { key: "pat@fill.example" })).name).toBe("Pat Renamed");
    expect((await versions("people_history", id)).map((v) => v.operation)).toEqual([
      "INSERT",
      "UPDATE",
      "UPDATE",
    ]);
    const updates = (await audits(id)).filter((a) => a.operation === "UPDATE");
    expect(updates).toHaveLength(2);
    expect(updates[1]?.changed_columns).toEqual(expect.arrayContaining(["name"]));
    expect(updates[1]?.changed_columns).not.toContain("title");
    expect(updates[1]?.actor).toBe(actor);
  });

  it("fill in one statement per batch: a row the database refuses is rejected alone, the others filled in file order", async () => {
    const dir = tempDir();
    const seed = writeTemp(
      dir,
      "seed-batch.csv",
      `${header}\nAmy One,amy@batch.example,,\nBen Two,ben@batch.example,https://www.linkedin.com/in/ben-two,\nCat Three,cat@batch.example,,\n`,
    );
    expect(await runImport("people", stores(), { file: seed })).toMatchObject({ created: 3 });
    const file = writeTemp(
      dir,
      "fill-batch.csv",
      [
        header,
        "Amy One,amy@batch.example,,Engineer",
        // Ben's LinkedIn URL on Cat: IDENTITY_CONFLICT, and only this row.
        "Cat Three,cat@batch.example,https://www.linkedin.com/in/ben-two,Analyst",
        "Cat Three,cat@batch.example,,Designer",
        "Amy One,amy@batch.example,,Manager",
      ].join("\n"),
    );
    // The dry run judges the second row of a stored person after the first, as the real run.
    const dry = await runImport("people", stores(), { file, dryRun: true });
    const real = await runImport("people", stores(), { file });
    for (const summary of [dry, real]) {
      expect(summary).toMatchObject({ created: 0, updated: 2, unchanged: 1, rejected: 1 });
      expect(summary.rejects.map((r) => [r.row_number, r.error_code])).toEqual([
        [2, "IDENTITY_CONFLICT"],
      ]);
    }
    expect((await personGet(t.db, { key: "amy@batch.example" })).title).toBe("Engineer");
    expect(await personGet(t.db, { key: "cat@batch.example" })).toMatchObject({
      title: "Designer",
      linkedin_url: null,
    });
  });

  it("a dry run refuses a found person's row carrying another person's LinkedIn URL (stored, or created earlier in the file), as the real run does", async () => {
    for (const onExisting of ["skip", "fill", "update"] as const) {
      const db = await createTestDatabase();
      try {
        const dir = tempDir();
        const seed = writeTemp(
          dir,
          "seed.csv",
          `${header}\nSam Stored,sam@li.example,https://www.linkedin.com/in/sam-stored,\n`,
        );
        const own = databaseImportStores(db.db, actor);
        await runImport("people", own, { file: seed });
        const file = writeTemp(
          dir,
          "li.csv",
          [
            header,
            "Ann One,ann@li.example,https://www.linkedin.com/in/ann-one,",
            // A stored person with Ann's URL: IDENTITY_CONFLICT.
            "Sam Stored,sam@li.example,https://www.linkedin.com/in/ann-one,",
            "Bob Two,bob@li.example,,",
            // A person the file created, with Ann's URL: IDENTITY_CONFLICT.
            "Bob Two,bob@li.example,https://www.linkedin.com/in/ann-one,",
            // Ann again with her own URL, and a new person sharing it: both go in.
            "Ann One,ann@li.example,https://www.linkedin.com/in/ann-one,CEO",
            "Dee Four,dee@li.example,https://www.linkedin.com/in/ann-one,",
            "Eve Five,eve@li.example,,",
            // A person the file created, with a stored person's URL: IDENTITY_CONFLICT.
            "Eve Five,eve@li.example,https://www.linkedin.com/in/sam-stored,",
          ].join("\n"),
        );
        const dry = await runImport("people", own, { file, dryRun: true, onExisting });
        const real = await runImport("people", own, { file, onExisting });
        const counts = (x: typeof real) => ({
          created: x.created,
          existing: x.existing,
          updated: x.updated,
          unchanged: x.unchanged,
          rejects: x.rejects.map((r) => [r.row_number, r.error_code]),
        });
        expect(counts(dry), onExisting).toEqual(counts(real));
        expect(counts(real).rejects, onExisting).toEqual([
          [2, "IDENTITY_CONFLICT"],
          [4, "IDENTITY_CONFLICT"],
          [8, "IDENTITY_CONFLICT"],
        ]);
      } finally {
        await db.drop();
      }
    }
  });

  it("a dry run counts a later row that fills a person created earlier in the file as the real run does", async () => {
    const file = writeTemp(
      tempDir(),
      "twice.csv",
      `${header}\nLee Twice,lee@twice.example,,\nLee Twice,lee@twice.example,,Analyst\nLee Again,lee@twice.example,,Analyst\n`,
    );
    const counts = (s: {
      created: number;
      updated: number;
      unchanged: number;
      existing: number;
    }) => ({
      created: s.created,
      updated: s.updated,
      unchanged: s.unchanged,
      existing: s.existing,
    });
    const dry = await runImport("people", stores(), { file, dryRun: true });
    expect(counts(dry)).toEqual({ created: 1, updated: 1, unchanged: 1, existing: 0 });
    const real = await runImport("people", stores(), { file });
    expect(counts(real)).toEqual(counts(dry));
    expect((await personGet(t.db, { key: "lee@twice.example" })).title).toBe("Analyst");
  });

  it("a merged-away email finds the person kept: no new person", async () => {
    const dir = tempDir();
    const seed = writeTemp(
      dir,
      "seed.csv",
      `${header}\nKim Keep,kim@keep.example,,\nKim Drop,kim@drop.example,,Analyst\n`,
    );
    await runImport("people", stores(), { file: seed });
    const keep = (await personGet(t.db, { key: "kim@keep.example" })).person_id;
    const drop = (await personGet(t.db, { key: "kim@drop.example" })).person_id;
    await mergePeople(t.db.knex, { keep, drop, dry_run: false });
    const count = async () => Number((await t.db.knex("marketing.people").count({ n: "*" }))[0]?.n);
    const people = await count();
    const file = writeTemp(dir, "dropped.csv", `${header}\nKim Drop,kim@drop.example,,Analyst\n`);
    const dry = await runImport("people", stores(), { file, dryRun: true, onExisting: "skip" });
    expect(dry).toMatchObject({ created: 0, existing: 1 });
    const real = await runImport("people", stores(), { file, onExisting: "skip" });
    expect(real).toMatchObject({ created: 0, existing: 1, rejected: 0 });
    expect(await count()).toBe(people);
  });
});
