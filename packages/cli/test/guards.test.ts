/**
 * The guards on destructive operations: a rollback that drops data refuses without --force and
 * backs up with it; dry runs list steps, locks and losses and change nothing; a forced restore
 * backs up first; a restore works as the database's owner, not only as a superuser.
 */
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import {
  databaseChecksums,
  migrateDown,
  migrationStatus,
  openDatabase,
  type PleDatabase,
  readDbEnv,
  readMigrationFiles,
  verifyArchive,
} from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { backup, restore } from "../src/commands/ops.js";
import { seedSample } from "../src/commands/seed.js";
import { captureIo, tempDir } from "./helpers.js";

const actor = "test:guards";
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const ALL = readMigrationFiles().map((f) => f.name);
const LATEST = ALL.at(-1) ?? "";
/** The migrations after 003, newest first: what `rollback --to 003` undoes. */
const AFTER_003 = ALL.slice(3).reverse();

async function seeded(): Promise<TestDatabase> {
  const t = await createTestDatabase();
  cleanups.push(t.drop);
  await seedSample(t.db, { actor });
  return t;
}

/** Runs `ple …` against db (left open), with PLE_BACKUP_DIR set to a fresh folder. */
async function ple(db: PleDatabase, argv: string[], backupDir = tempDir("ple-backups-")) {
  const io = captureIo();
  const code = await runCli(argv, io, {
    env: { PLE_BACKUP_DIR: backupDir },
    openDatabase: async () => ({ ...db, close: async () => {} }),
  });
  return { code, out: io.out(), err: io.err(), backupDir };
}

async function snapshot(db: PleDatabase) {
  return { status: (await migrationStatus(db)).applied, data: await databaseChecksums(db.knex) };
}

describe("ple db rollback", () => {
  it("refuses a rollback that drops data, naming tables and row counts, and changes nothing", async () => {
    const { db } = await seeded();
    const before = await snapshot(db);
    const run = await ple(db, ["db", "rollback", "--to", "0"]);
    expect(run.code).toBe(1);
    expect(run.err).toContain("VALIDATION_FAILED (force): this rollback would lose data");
    expect(run.err).toMatch(/002_people: drops table marketing\.people \(\d+ rows\)/);
    expect(run.err).toMatch(/003_ple_relationships: drops column marketing\.people\.title/);
    expect(run.err).toMatch(/001_initial_schema: drops table marketing\.company \(24 rows\)/);
    // Reference data written by the migrations is not someone's data.
    expect(run.err).not.toContain("slot_transition");
    expect(run.err).toContain("--force");
    expect(await snapshot(db)).toEqual(before);
    expect(readdirSync(run.backupDir)).toEqual([]);
  });

  it("--dry-run lists each step's locks and the data it drops, and changes nothing", async () => {
    const { db } = await seeded();
    const before = await snapshot(db);
    const human = await ple(db, ["db", "rollback", "--to", "003", "--dry-run"]);
    expect(human.code).toBe(0);
    expect(human.out).toContain(
      `Dry run: would roll back ${AFTER_003.length} migrations (nothing was changed)`,
    );
    expect(human.out).toContain("locks marketing.people_history: ACCESS EXCLUSIVE");
    expect(human.out).toMatch(/drops: table marketing\.company_history \(24 rows\)/);
    expect(human.out).toContain("needs --force");
    const json = await ple(db, ["db", "rollback", "--to", "003", "--dry-run", "--json"]);
    const plan = JSON.parse(json.out) as {
      loses_data: boolean;
      steps: Array<{
        migration: string;
        drops: { tables: Array<{ table: string; rows: number }> };
      }>;
    };
    expect(plan.loses_data).toBe(true);
    expect(plan.steps.map((s) => s.migration)).toEqual(AFTER_003);
    const audit = plan.steps
      .find((s) => s.migration === "004_history_tracking")
      ?.drops.tables.find((t) => t.table === "marketing.audit_log");
    expect(audit?.rows).toBeGreaterThan(100);
    expect(await snapshot(db)).toEqual(before);
  });

  it("--force writes a verified backup first, prints its path, then rolls back", async () => {
    const { db } = await seeded();
    const run = await ple(db, ["db", "rollback", "--to", "003", "--force"]);
    expect(run.code).toBe(0);
    const files = readdirSync(run.backupDir);
    expect(files).toHaveLength(1);
    const file = join(run.backupDir, files[0] ?? "");
    expect(run.out).toContain(`to ${file} (verified) first`);
    expect(run.out).toContain(`Rolled back ${AFTER_003.length} migrations`);
    const archive = await verifyArchive(file);
    expect(archive.header.schema_version).toBe(LATEST);
    // The seeded companies were never changed: each is its own current version (015), so the
    // archive holds them and their INSERT audit rows, and no stored history version.
    expect(archive.tables.find((t) => t.table === "company")?.rows).toBe(24);
    expect(archive.tables.find((t) => t.table === "company_history")?.rows).toBe(0);
    expect(archive.tables.find((t) => t.table === "audit_log")?.rows).toBeGreaterThan(100);
    expect((await migrationStatus(db)).current).toBe("003");
  });

  it("rolls back without --force when nothing holding rows is dropped", async () => {
    // Migrated, not seeded: the latest migration's tables hold no one's rows.
    const t = await createTestDatabase();
    cleanups.push(t.drop);
    const run = await ple(t.db, ["db", "rollback"]);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`Rolled back 1 migration:\n  ${LATEST}`);
    expect(readdirSync(run.backupDir)).toEqual([]);
  });
});

describe("ple db migrate --dry-run", () => {
  it("lists the pending migrations and the locks each takes, and applies nothing", async () => {
    const { db } = await seeded();
    await migrateDown(db);
    await migrateDown(db);
    const before = await snapshot(db);
    const run = await ple(db, ["db", "migrate", "--dry-run", "--json"]);
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.out) as {
      steps: Array<{ migration: string; locks: Array<{ relation: string; mode: string }> }>;
    };
    expect(plan.steps.map((s) => s.migration)).toEqual(ALL.slice(-2));
    // The pending steps name the tables they lock and how strongly.
    expect(plan.steps.flatMap((s) => s.locks)).toContainEqual(
      expect.objectContaining({ relation: expect.stringMatching(/^marketing\./) }),
    );
    expect(await snapshot(db)).toEqual(before);
    const human = await ple(db, ["db", "migrate", "--dry-run"]);
    expect(human.out).toContain("Dry run: would apply 2 migrations");
  });
});

describe("ple restore", () => {
  let source: TestDatabase;
  let file: string;
  beforeAll(async () => {
    source = await createTestDatabase();
    await seedSample(source.db, { actor });
    file = join(tempDir(), "source.backup.gz");
    await backup(source.db, { file });
  });
  afterAll(async () => {
    await source?.drop();
  });

  it("--force over a database holding other data writes a verified backup of it first", async () => {
    const target = await createTestDatabase();
    cleanups.push(target.drop);
    await target.db.knex.raw("select marketing.insert_company_with_slots(?, ?, ?, ?)", [
      "Other Co",
      "other.example",
      null,
      null,
    ]);
    const run = await ple(target.db, ["restore", file, "--force"]);
    expect(run.code).toBe(0);
    const files = readdirSync(run.backupDir);
    expect(files).toHaveLength(1);
    expect(run.out).toContain(
      `Backed up the data it replaces to ${join(run.backupDir, files[0] ?? "")}`,
    );
    const saved = await verifyArchive(join(run.backupDir, files[0] ?? ""));
    expect(saved.tables.find((t) => t.table === "company")?.rows).toBe(1);
    expect(await databaseChecksums(target.db.knex)).toEqual(
      await databaseChecksums(source.db.knex),
    );
  });

  it("restores into a server database as its owner, a role that is not a superuser", async () => {
    const adminUrl = readDbEnv().testDatabaseUrl;
    const suffix = randomBytes(4).toString("hex");
    const role = `ple_owner_${suffix}`;
    const database = `ple_test_owner_${suffix}`;
    const admin = await openDatabase({ url: adminUrl, poolMax: 1 });
    await admin.knex.raw(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
    await admin.knex.raw(`CREATE DATABASE ${database} OWNER ${role}`);
    cleanups.push(async () => {
      await admin.knex.raw(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.knex.raw(`DROP ROLE IF EXISTS ${role}`);
      await admin.close();
    });
    const url = new URL(adminUrl);
    url.username = role;
    url.pathname = `/${database}`;
    const db = await openDatabase({ url: url.toString(), poolMax: 4 });
    cleanups.push(() => db.close());
    const superuser = await db.knex.raw<{ rows: Array<{ s: string }> }>(
      "select current_setting('is_superuser') as s",
    );
    expect(superuser.rows[0]?.s).toBe("off");

    // A brand-new database: migrated (as its owner) and loaded.
    const first = await restore(db, { file });
    expect(first.verified).toBe(true);
    expect(await databaseChecksums(db.knex)).toEqual(await databaseChecksums(source.db.knex));
    // Over data, forced: triggers and foreign keys are put back exactly as they were.
    const triggers = async () =>
      (
        await db.knex.raw<{ rows: Array<{ t: string }> }>(
          `select tgname || ':' || tgenabled::text as t from pg_trigger t join pg_class c on c.oid = t.tgrelid
            where not tgisinternal and c.relnamespace = 'marketing'::regnamespace order by 1`,
        )
      ).rows;
    const keys = async () =>
      (
        await db.knex.raw<{ rows: Array<{ k: string }> }>(
          `select conname || ':' || condeferrable::text || condeferred::text as k from pg_constraint
            where contype = 'f' and connamespace = 'marketing'::regnamespace order by 1`,
        )
      ).rows;
    const catalogBefore = { triggers: await triggers(), keys: await keys() };
    await db.knex.raw("select marketing.insert_company_with_slots(?, ?, ?, ?)", [
      "Owner Co",
      "owner.example",
      null,
      null,
    ]);
    const again = await restore(db, { file, force: true, backupDir: tempDir() });
    expect(again.verified).toBe(true);
    expect(again.backup?.verified).toBe(true);
    expect(await databaseChecksums(db.knex)).toEqual(await databaseChecksums(source.db.knex));
    expect({ triggers: await triggers(), keys: await keys() }).toEqual(catalogBefore);
  });
});
