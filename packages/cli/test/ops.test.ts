import { execFile } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  databaseChecksums,
  listEvents,
  listImportRejects,
  openDatabase,
  type PleDatabase,
  readMigrationFiles,
} from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runImport } from "../src/commands/import.js";
import { databaseImportStores } from "../src/commands/import-store-db.js";
import { companyCount, history, personGet, slotList, slotMove } from "../src/commands/lookups.js";
import { backup, piiErase, restore, retentionPurge } from "../src/commands/ops.js";
import { seedSample } from "../src/commands/seed.js";
import { tempDir, writeTemp } from "./helpers.js";

const exec = promisify(execFile);
const actor = "test:ops";
let source: TestDatabase;

beforeAll(async () => {
  source = await createTestDatabase();
  await seedSample(source.db, { actor });
});
afterAll(async () => {
  await source?.drop();
});

describe("seed --sample", () => {
  it("loads companies and people with filled slots, and a second seed creates nothing", async () => {
    expect(await companyCount(source.db)).toBe(1);
    const again = await seedSample(source.db, { actor });
    expect(again.companies.created).toBe(0);
    expect(again.people.created).toBe(0);
    expect(again.companies.existing).toBe(24);
    const ceo = await personGet(source.db, { key: "naomi.bergstrom@northwind.example" });
    expect(ceo.title).toBe("CEO");
    const slots = await slotList(source.db, { companyUid: ceo.company_uid ?? "" });
    expect(slots.find((s) => s.role === "CEO")?.person_id).toBe(ceo.person_id);
  });
});

describe("backup and restore", () => {
  it("round-trips every table into a fresh server database with identical checksums", async () => {
    const file = join(tempDir(), "ple.backup.gz");
    const written = await backup(source.db, { file });
    expect(written.schema_version).toBe(readMigrationFiles().at(-1)?.name);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(written.tables.map((t) => t.table)).toEqual(
      expect.arrayContaining(["company", "people", "audit_log", "people_history", "slot_event"]),
    );
    expect(written.tables.find((t) => t.table === "audit_log")?.rows).toBeGreaterThan(100);

    const target = await createTestDatabase();
    try {
      const restored = await restore(target.db, { file });
      expect(restored.verified).toBe(true);
      expect(await databaseChecksums(target.db.knex)).toEqual(
        await databaseChecksums(source.db.knex),
      );
      // The change feed reads the same, position for position.
      const feed = async (db: PleDatabase) => {
        const events = [];
        for (let after = 0; ; ) {
          const page = await listEvents(db.knex, { after, limit: 50 });
          events.push(...page.events);
          if (page.events.length < 50) return { events, head: page.head };
          after = page.next;
        }
      };
      const before = await feed(source.db);
      expect(before.events.length).toBeGreaterThan(50);
      expect(await feed(target.db)).toEqual(before);
      // The restored database keeps working: new UIDs do not collide with restored ones, and
      // its next events come after the restored ones (their transactions' feed numbers too).
      await runImport("companies", databaseImportStores(target.db, actor), {
        file: writeTemp(
          tempDir(),
          "one.csv",
          "name,website\nAfter Restore,after-restore.example\n",
        ),
      });
      const after = await feed(target.db);
      expect(after.events.slice(0, before.events.length)).toEqual(before.events);
      expect(after.events.slice(before.events.length).map((e) => [e.position, e.type])).toEqual([
        [before.head + 1, "company.created"],
      ]);

      await expect(restore(target.db, { file })).rejects.toMatchObject({
        code: "ALREADY_EXISTS",
        message: expect.stringContaining("--force"),
      });
      const forced = await restore(target.db, { file, force: true, backupDir: tempDir() });
      expect(forced.verified).toBe(true);
      expect(await databaseChecksums(target.db.knex)).toEqual(
        await databaseChecksums(source.db.knex),
      );
    } finally {
      await target.drop();
    }
  });

  // PGlite (WebAssembly) migrating itself is slow on a busy machine.
  it("restores into an embedded (PGlite) database too", { timeout: 180_000 }, async () => {
    const file = join(tempDir(), "ple.backup.gz");
    await backup(source.db, { file });
    const embedded: PleDatabase = await openDatabase({ memory: true });
    try {
      // A brand-new database: restore migrates it to the archive's version first.
      const restored = await restore(embedded, { file });
      expect(restored.migrated.at(-1)).toBe(restored.schema_version);
      expect(await databaseChecksums(embedded.knex)).toEqual(
        await databaseChecksums(source.db.knex),
      );
    } finally {
      await embedded.close();
    }
  });

  it("refuses a tampered archive before touching the database", async () => {
    const file = join(tempDir(), "ple.backup.gz");
    await backup(source.db, { file });
    const text = gunzipSync(readFileSync(file)).toString("utf8");
    const tampered = text.replace("Northwind Traders", "Northwind Tradars");
    expect(tampered).not.toBe(text);
    writeFileSync(file, gzipSync(tampered));
    const target = await createTestDatabase();
    try {
      await expect(restore(target.db, { file })).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
        message: expect.stringContaining("but its footer says"),
      });
      expect(await companyCount(target.db)).toBe(0);
    } finally {
      await target.drop();
    }
  });
});

describe("pii erase", () => {
  it("leaves no trace of the email in a full dump, keeps a tombstone and audits the erasure", async () => {
    const email = "liam.donnelly@northwind.example";
    const person = await personGet(source.db, { key: email });
    // A reject row and a slot move that mention the person, to be scrubbed too.
    await runImport("people", databaseImportStores(source.db, actor), {
      file: writeTemp(
        tempDir(),
        "rejects.csv",
        `name,email,company_uid\nLiam Donnelly,${email},CO-19990101-000001\n`,
      ),
    });
    expect(
      (await listImportRejects(source.db.knex, {})).some((r) => r.raw_row.includes(email)),
    ).toBe(true);
    const dumpBefore = await exec("pg_dump", ["--data-only", source.url], { maxBuffer: 1 << 28 });
    expect(dumpBefore.stdout).toContain(email);

    const result = await piiErase(source.db, { personId: person.person_id, actor });
    expect(result.status).toBe("erased");
    expect(result.counts.import_rejects).toBeGreaterThan(0);
    expect(result.counts.slots_vacated).toBe(1);

    const dump = await exec("pg_dump", [source.url], { maxBuffer: 1 << 28 });
    expect(dump.stdout).not.toContain(email);
    expect(dump.stdout.toLowerCase()).not.toContain("liam-donnelly");
    expect(dump.stdout).not.toContain("Liam Donnelly");

    const tomb = await personGet(source.db, { key: person.person_id });
    expect(tomb).toMatchObject({ name: "Erased person", linkedin_url: null, title: null });
    const trail = await history(source.db, { uid: person.person_id });
    expect(trail.audit[0]).toMatchObject({ operation: "ERASE", actor });
    expect(JSON.stringify(trail)).not.toContain(email);

    const again = await piiErase(source.db, { personId: person.person_id, actor });
    expect(again.status).toBe("already_erased");
    await expect(
      piiErase(source.db, { personId: "PE-20200101-000001", actor }),
    ).rejects.toMatchObject({ code: "PERSON_NOT_FOUND" });
  });
});

describe("retention purge", () => {
  it("counts in a dry run, then deletes only closed versions and old rows, and audits the purge", async () => {
    const ceo = await personGet(source.db, { key: "naomi.bergstrom@northwind.example" });
    const slot = `SL-${ceo.company_uid}-CEO`;
    await slotMove(source.db, { move: "vacate", slotUid: slot, actor });
    await slotMove(source.db, { move: "link", slotUid: slot, personId: ceo.person_id, actor });
    const periods = {
      PLE_RETENTION_HISTORY_DAYS: 0,
      PLE_RETENTION_AUDIT_DAYS: null,
      PLE_RETENTION_REJECT_DAYS: 0,
      PLE_RETENTION_EVENT_DAYS: 0,
    };
    const before = await databaseChecksums(source.db.knex);
    const dry = await retentionPurge(source.db, { periods, dryRun: true, actor });
    expect(await databaseChecksums(source.db.knex)).toEqual(before);
    expect(dry.rows["marketing.company_slot_history"]).toBeGreaterThanOrEqual(2);
    expect(dry.rows["marketing.import_reject"]).toBeGreaterThan(0);
    expect(dry.rows["marketing.audit_log"]).toBe(0);
    expect(dry.rows["marketing.event"]).toBeGreaterThan(0);

    const done = await retentionPurge(source.db, { periods, actor });
    expect(done.rows).toEqual(dry.rows);
    const slotHistory = await history(source.db, { uid: slot });
    expect(slotHistory.versions).toHaveLength(1);
    expect(slotHistory.versions[0]?.valid_to).toBeNull();
    expect(await listImportRejects(source.db.knex, {})).toEqual([]);
    expect((await listEvents(source.db.knex, { after: 0 })).events).toEqual([]);
    const again = await retentionPurge(source.db, { periods, dryRun: true, actor });
    expect(again.total).toBe(0);
  });
});
