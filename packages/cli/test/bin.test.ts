/**
 * The real binary as a child process: exit codes, --json output, dry run writing nothing, the
 * rejects report, re-run idempotence, backup → restore, PII erasure against pg_dump.
 * Runs packages/cli/dist/bin.js: `pnpm test` builds first (`pnpm build` when run alone).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { databaseChecksums } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeTemp } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

// Child processes on a busy 2-core CI machine: generous, since nothing here measures speed.
const SLOW_TEST_MS = 180_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ple(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 1 << 26 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function pgDump(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("pg_dump", [url], { maxBuffer: 1 << 28 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

let t: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  }
  t = await createTestDatabase();
  env = { DATABASE_URL: t.url, PLE_ACTOR: "test:bin" };
});
afterAll(async () => {
  await t?.drop();
});

const COMPANIES = [
  "Company,Website,Apollo Account Id,Industry,# Employees",
  '"Globex, Corp",https://www.globex.example/,acc-1,Manufacturing,500',
  "Initech,initech.example,acc-2,Software,120",
  "No Website,,acc-3,Retail,5",
  "Hooli,http://hooli.example/about,acc-4,Internet,9000",
  "",
].join("\r\n");

describe("ple (the binary)", () => {
  it("prints help with exit 0 and refuses unknown commands and options with exit 2", {
    timeout: SLOW_TEST_MS,
  }, async () => {
    const help = await ple(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("import companies");
    const sub = await ple(["backup", "--help"]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("Examples:");
    expect((await ple(["frobnicate"])).code).toBe(2);
    const bad = await ple(["import", "companies", "x.csv", "--nope"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--nope");
  });

  it("fails with exit 2 and one line naming a badly configured variable", {
    timeout: SLOW_TEST_MS,
  }, async () => {
    const run = await ple(["retention", "purge"], { ...env, PLE_RETENTION_AUDIT_DAYS: "a year" });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      "ple: PLE_RETENTION_AUDIT_DAYS: must be a whole number of days (e.g. 365) or forever",
    );
  });

  it("dry run writes nothing; import exits 3 with a rejects report; a re-run creates nothing", {
    timeout: SLOW_TEST_MS,
  }, async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "accounts.csv", COMPANIES);
    const before = await databaseChecksums(t.db.knex);
    const dry = await ple(["import", "companies", file, "--dry-run", "--json"], env);
    expect(dry.code).toBe(3);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, created: 3, rejected: 1 });
    expect(await databaseChecksums(t.db.knex)).toEqual(before);
    expect(existsSync(join(dir, "accounts.csv.rejects.csv"))).toBe(false);

    const first = await ple(["import", "companies", file, "--json"], env);
    expect(first.code).toBe(3);
    expect(first.stderr).toBe("");
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ rows: 4, created: 3, existing: 0, rejected: 1 });
    expect(summary.rejects_file).toBe(join(dir, "accounts.csv.rejects.csv"));
    const report = readFileSync(summary.rejects_file, "utf8");
    expect(report).toContain("VALIDATION_FAILED,website");
    expect(report).toContain("No Website,,acc-3,Retail,5");

    const afterFirst = await databaseChecksums(t.db.knex);
    const again = await ple(["import", "companies", file, "--json"], env);
    expect(again.code).toBe(3);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, unchanged: 3, rejected: 1 });
    expect(await databaseChecksums(t.db.knex)).toEqual(afterFirst);

    const human = await ple(["company", "get", "https://globex.example"], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("Globex, Corp");
    expect(human.stdout).toMatch(/SL-CO-\d{8}-\d{6}-CEO\s+CEO\s+open/);
    const missing = await ple(["company", "get", "nowhere.example", "--json"], env);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: "COMPANY_NOT_FOUND" });
  });

  it("backs up and restores into another database with identical checksums", {
    timeout: SLOW_TEST_MS,
  }, async () => {
    const file = join(tempDir(), "ple.backup.gz");
    const backup = await ple(["backup", file, "--json"], env);
    expect(backup.code).toBe(0);
    expect(JSON.parse(backup.stdout).total_rows).toBeGreaterThan(0);
    const target = await createTestDatabase();
    try {
      const restore = await ple(["restore", file], { DATABASE_URL: target.url });
      expect(restore.code).toBe(0);
      expect(restore.stdout).toContain("row counts and checksums verified");
      expect(await databaseChecksums(target.db.knex)).toEqual(await databaseChecksums(t.db.knex));
      const extra = writeTemp(tempDir(), "extra.csv", "name,website\nExtra,extra.example\n");
      expect((await ple(["import", "companies", extra], { DATABASE_URL: target.url })).code).toBe(
        0,
      );
      const refused = await ple(["restore", file], { DATABASE_URL: target.url });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("--force");
      const forced = await ple(["restore", file, "--force"], { DATABASE_URL: target.url });
      expect(forced.code).toBe(0);
      expect(await databaseChecksums(target.db.knex)).toEqual(await databaseChecksums(t.db.knex));
    } finally {
      await target.drop();
    }
  });

  it("erases a person so that a full pg_dump no longer holds their email", {
    timeout: SLOW_TEST_MS,
  }, async () => {
    const dir = tempDir();
    const contacts = writeTemp(
      dir,
      "contacts.csv",
      "First Name,Last Name,Title,Company,Email,Website\nGrace,Hopper,CEO,Initech,grace.hopper@initech.example,initech.example\n",
    );
    const imported = await ple(["import", "people", contacts, "--json"], env);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ created: 1, linked: 1 });
    const person = JSON.parse(
      (await ple(["person", "get", "grace.hopper@initech.example", "--json"], env)).stdout,
    );
    expect(await pgDump(t.url)).toContain("grace.hopper@initech.example");

    const erased = await ple(["pii", "erase", person.person_id, "--json"], env);
    expect(erased.code).toBe(0);
    expect(JSON.parse(erased.stdout)).toMatchObject({
      status: "erased",
      person_id: person.person_id,
    });
    const dump = await pgDump(t.url);
    expect(dump).not.toContain("grace.hopper@initech.example");
    expect(dump).not.toContain("Grace Hopper");
  });

  it("doctor reports the server database and its schema as JSON", {
    timeout: SLOW_TEST_MS,
  }, async () => {
    const run = await ple(["doctor", "--json"], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, database: { kind: "server" } });
    expect(report.checks.map((c: { check: string }) => c.check)).toEqual([
      "database",
      "connection",
      "schema version",
      "drift",
      "migration lock",
      "person companies",
    ]);
  });
});
