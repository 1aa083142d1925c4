/**
 * `ple export`: CSV and JSON Lines with the documented columns and filters; the
 * CSV reads back with `ple import` (export → import into an empty database →
 * export gives the same rows apart from UIDs and timestamps); the embedded
 * database's batched export writes what the server's COPY writes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ExportInput } from "@ple/core";
import { EXPORT_COLUMNS, exportRecords, migrateLatest, type PleDatabase } from "@ple/db";
import {
  createEmbeddedTestDatabase,
  createTestDatabase,
  type EmbeddedTestDatabase,
  type TestDatabase,
} from "@ple/db/testing";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { captureIo, tempDir, writeTemp } from "./helpers.js";

function borrowed(db: PleDatabase): PleDatabase {
  return { ...db, close: async () => {} };
}

async function cli(db: PleDatabase, argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io, {
    env: { PLE_ACTOR: "test:export" },
    openDatabase: async () => borrowed(db),
  });
  return { code, out: io.out(), err: io.err() };
}

const dir = tempDir("ple-export-");
const companiesCsv = writeTemp(
  dir,
  "companies.csv",
  [
    "name,website,apollo_company_id,ein_raw",
    '"Acme, Inc.",https://www.acme.example/,ap-1,12-3456789',
    '"The ""Quoted"" Co",quoted.example,,07-1234567',
    '"Multi\nLine GmbH",multi.example,ap-3,',
    "Zürich Bänk,zuerich.example,,",
    "Plain,plain.example,,",
  ].join("\n"),
);
const peopleCsv = writeTemp(
  dir,
  "people.csv",
  [
    "name,email,title,website,linkedin_url",
    "Naomi Bergström,naomi@acme.example,CEO,acme.example,https://linkedin.com/in/naomi",
    '"O\'Brien, Pat",pat@quoted.example,Chief Financial Officer,quoted.example,',
    "Ravi Head,ravi@multi.example,Head of People,multi.example,",
    "Loose Person,loose@example.com,,,",
  ].join("\n"),
);

type Row = Record<string, string>;
const VOLATILE = new Set([
  "company_uid",
  "person_id",
  "slot_uid",
  "created_at",
  "updated_at",
  "validated_at",
]);
/** Rows without UIDs and timestamps, in a stable order. */
function stable(rows: Row[]): Row[] {
  return rows
    .map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !VOLATILE.has(k))))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
const csvRows = (text: string): Row[] => parse(text, { columns: true });
const nullsToEmpty = (row: Record<string, unknown>): Row =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? "" : String(v)]));

async function seed(db: PleDatabase) {
  expect((await cli(db, ["import", "companies", companiesCsv])).code).toBe(0);
  expect((await cli(db, ["import", "people", peopleCsv])).code).toBe(0);
}

async function exportText(db: PleDatabase, args: string[]): Promise<string> {
  const result = await cli(db, ["export", ...args]);
  expect(result.err).toBe("");
  expect(result.code).toBe(0);
  return result.out;
}

let source: TestDatabase;
let target: TestDatabase;
let embedded: EmbeddedTestDatabase;
beforeAll(async () => {
  source = await createTestDatabase();
  target = await createTestDatabase();
  embedded = await createEmbeddedTestDatabase({ empty: true });
  await migrateLatest(embedded.db);
  await seed(source.db);
  await seed(embedded.db);
});
afterAll(async () => {
  await source?.drop();
  await target?.drop();
  await embedded?.drop();
});

describe("ple export", () => {
  it("writes CSV with the documented columns to stdout and a file", async () => {
    const text = await exportText(source.db, ["companies"]);
    expect(text.split("\n")[0]).toBe(EXPORT_COLUMNS.companies.join(","));
    const rows = csvRows(text);
    expect(rows).toHaveLength(5);
    // (Company names are stored with their whitespace collapsed.)
    expect(rows.find((r) => r.website === "multi.example")?.company_name).toBe("Multi Line GmbH");
    expect(text).toContain('"The ""Quoted"" Co"');
    expect(rows.find((r) => r.website === "acme.example")).toMatchObject({
      company_name: "Acme, Inc.",
      ein_valid: "true",
      apollo_company_id: "ap-1",
    });
    expect(rows[0]?.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?\+00$/);

    const file = join(dir, "out-companies.csv");
    const summary = await cli(source.db, ["export", "companies", "--out", file, "--json"]);
    expect(JSON.parse(summary.out)).toMatchObject({ rows: 5, entity: "companies", method: "copy" });
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("round-trips: export, import into an empty database, export again — same rows but UIDs and timestamps", async () => {
    const files = {
      companies: join(dir, "rt-companies.csv"),
      people: join(dir, "rt-people.csv"),
    };
    for (const [what, file] of Object.entries(files)) {
      expect((await cli(source.db, ["export", what, "--out", file])).code).toBe(0);
    }
    expect((await cli(target.db, ["import", "companies", files.companies])).code).toBe(0);
    expect((await cli(target.db, ["import", "people", files.people])).code).toBe(0);
    for (const what of ["companies", "people", "slots"]) {
      const before = csvRows(await exportText(source.db, [what]));
      const after = csvRows(await exportText(target.db, [what]));
      expect(after).toHaveLength(before.length);
      expect(stable(after)).toEqual(stable(before));
    }
    // Slots filled from the titles came along.
    const slots = csvRows(await exportText(target.db, ["slots"]));
    expect(
      slots
        .filter((s) => s.status === "filled")
        .map((s) => `${s.role} ${s.person_email}`)
        .sort(),
    ).toEqual(["CEO naomi@acme.example", "CFO pat@quoted.example", "HR ravi@multi.example"]);
  });

  it("JSON Lines carry the same values as the CSV; filters pick companies, slots and people", async () => {
    const csv = csvRows(await exportText(source.db, ["people"]));
    const jsonl = (await exportText(source.db, ["people", "--format", "jsonl"]))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(jsonl[0] ?? {})).toEqual(EXPORT_COLUMNS.people);
    expect(jsonl.map(nullsToEmpty)).toEqual(csv);

    const cfoOpen = csvRows(await exportText(source.db, ["companies", "--role", "CFO"]));
    expect(cfoOpen.map((r) => r.website).sort()).toEqual([
      "acme.example",
      "multi.example",
      "plain.example",
      "zuerich.example",
    ]);
    const open = csvRows(await exportText(source.db, ["slots", "--open-slots"]));
    expect(open).toHaveLength(12);
    expect(open.every((r) => r.status === "open")).toBe(true);
    const hr = csvRows(await exportText(source.db, ["people", "--role", "hr"]));
    expect(hr.map((r) => r.email)).toEqual(["ravi@multi.example"]);
    const future = csvRows(await exportText(source.db, ["companies", "--since", "2999-01-01"]));
    expect(future).toEqual([]);
    // An option the entity does not take is a usage error naming it (exit 2).
    const openPeople = await cli(source.db, ["export", "people", "--open-slots"]);
    expect(openPeople.code).toBe(2);
    expect(openPeople.err).toContain("--open-slots");
    expect((await cli(source.db, ["export", "widgets"])).code).toBe(2);
  });

  it("the embedded database's batches write what the server's COPY writes", async () => {
    for (const format of ["csv", "jsonl"] as const) {
      for (const entity of ["companies", "people", "slots"] as const) {
        const chunks: string[] = [];
        const sink = {
          write: (chunk: string | Buffer) => chunks.push(String(chunk)) > 0,
          once: (_: "drain", listener: () => void) => listener(),
        };
        const input = ExportInput.parse({ entity, format });
        const result = await exportRecords(embedded.db, input, sink, { batchSize: 2 });
        expect(result.method).toBe("batches");
        const fromServer = await exportText(source.db, [entity, "--format", format]);
        const lines = (text: string): Row[] =>
          format === "csv"
            ? csvRows(text)
            : text
                .trimEnd()
                .split("\n")
                .map((l) => nullsToEmpty(JSON.parse(l)));
        expect(stable(lines(chunks.join("")))).toEqual(stable(lines(fromServer)));
        if (format === "csv") expect(chunks[0]).toBe(`${EXPORT_COLUMNS[entity].join(",")}\n`);
      }
    }
  });
});
