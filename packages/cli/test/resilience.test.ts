/**
 * An import killed half-way and run again ends exactly like one clean run; a backup taken while
 * an import writes is one consistent snapshot.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { databaseChecksums, listCompanies, listImportRejects, type PleDatabase } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runImport } from "../src/commands/import.js";
import { databaseImportStores } from "../src/commands/import-store-db.js";
import { backup, restore } from "../src/commands/ops.js";
import { tempDir, writeTemp } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const ROWS = 800;

function companiesCsv(rows: number, prefix: string): string {
  const lines = ["name,website,apollo_company_id,ein_raw"];
  for (let i = 1; i <= rows; i++) {
    const website = i % 100 === 0 ? "" : `${prefix}-${i}.example`;
    lines.push(
      `"${prefix} Company ${i}, Inc.",${website},${prefix}-${i},12-${String(i).padStart(7, "0")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function companyRows(db: PleDatabase): Promise<string[]> {
  const all: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await listCompanies(db.knex, {
      limit: 500,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const c of page.items) {
      all.push(`${c.company_name}|${c.website}|${c.apollo_company_id}|${c.ein_raw}|${c.ein_valid}`);
    }
    if (page.next_cursor === null) return all.sort();
    cursor = page.next_cursor;
  }
}

async function rowCount(db: PleDatabase, table: string): Promise<number> {
  const sums = await databaseChecksums(db.knex);
  return sums.find((t) => t.table === table)?.rows ?? 0;
}

function importWithBinary(file: string, url: string): ChildProcess {
  return spawn(
    process.execPath,
    [BIN, "import", "companies", file, "--batch-size", "50", "--json"],
    {
      env: { ...process.env, DATABASE_URL: url, PLE_ACTOR: "test:resilience" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

// Child processes on a busy 2-core CI machine: generous, since nothing here measures speed.
const SLOW_TEST_MS = 180_000;

let killed: TestDatabase;
let clean: TestDatabase;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`pnpm build\` first`);
  [killed, clean] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => {
  await Promise.all([killed?.drop(), clean?.drop()]);
});

describe("a killed import", () => {
  it("run again, ends exactly like one clean run", { timeout: SLOW_TEST_MS }, async () => {
    const file = writeTemp(tempDir(), "big.csv", companiesCsv(ROWS, "k"));

    const first = importWithBinary(file, killed.url);
    const firstExit = exitOf(first);
    // Kill it once some batches have committed, well before the end.
    for (let i = 0; i < 4800; i++) {
      const page = await listCompanies(killed.db.knex, { limit: 150 });
      if (page.items.length >= 150) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    first.kill("SIGKILL");
    await firstExit;
    const partial = await rowCount(killed.db, "company");
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(ROWS - ROWS / 100);

    const rerun = importWithBinary(file, killed.url);
    let out = "";
    rerun.stdout?.on("data", (chunk) => {
      out += chunk;
    });
    expect(await exitOf(rerun)).toBe(3);
    const summary = JSON.parse(out);
    // The rows the killed run stored are found again, and (--on-existing fill) unchanged.
    expect(summary.created + summary.unchanged).toBe(ROWS - ROWS / 100);
    expect(summary.unchanged).toBeGreaterThanOrEqual(partial);
    expect(summary.rejected).toBe(ROWS / 100);

    const once = await runImport("companies", databaseImportStores(clean.db, "test:clean"), {
      file,
      rejectsFile: join(tempDir(), "r.csv"),
    });
    expect(once.created).toBe(ROWS - ROWS / 100);

    expect(await companyRows(killed.db)).toEqual(await companyRows(clean.db));
    for (const table of ["company", "company_slot", "company_history", "company_slot_history"]) {
      expect(await rowCount(killed.db, table)).toBe(await rowCount(clean.db, table));
    }
    const rejects = (db: PleDatabase) =>
      listImportRejects(db.knex, { source_file: file }).then((rows) =>
        rows.map((r) => `${r.row_number}|${r.error_code}|${r.field}|${r.raw_row}`).sort(),
      );
    const killedRejects = await rejects(killed.db);
    expect(killedRejects).toHaveLength(ROWS / 100);
    expect(killedRejects).toEqual(await rejects(clean.db));
  });
});

describe("a backup taken while an import writes", () => {
  it("is one consistent snapshot: every company it holds comes with its three slots and history", {
    timeout: SLOW_TEST_MS,
  }, async () => {
    const file = writeTemp(tempDir(), "live.csv", companiesCsv(300, "live"));
    const importing = runImport("companies", databaseImportStores(clean.db, "test:live"), {
      file,
      batchSize: 20,
    });
    await new Promise((r) => setTimeout(r, 300));
    const archive = join(tempDir(), "live.backup.gz");
    const written = await backup(clean.db, { file: archive });
    await importing;

    const rows = new Map(written.tables.map((t) => [t.table, t.rows]));
    const companies = rows.get("company") ?? 0;
    expect(rows.get("company_slot")).toBe(companies * 3);
    // Each created company and slot is its own current version with one INSERT audit row; an
    // import supersedes no version, so the history tables stay empty.
    expect(rows.get("audit_log")).toBe(companies * 4);
    expect(rows.get("company_history")).toBe(0);
    expect(rows.get("company_slot_history")).toBe(0);

    const target = await createTestDatabase();
    try {
      const restored = await restore(target.db, { file: archive });
      expect(restored.verified).toBe(true);
      expect(await rowCount(target.db, "company")).toBe(companies);
    } finally {
      await target.drop();
    }
  });
});
