/**
 * `node bench/dist/csv-read.js [--file=PATH] [--n=200000]`: how fast well-kept CSV readers read
 * an Apollo export, each streamed from the file with the per-row work openCsv needs (a record
 * by header name, the row's text where the reader gives it): openCsv itself (csv-parse with
 * relax_quotes, what `ple import` reads with), csv-parse bare, papaparse, udsv and csv-parser.
 * Reads the file as given and a copy with every "e" made "é" (multi-byte text). Prints rows/s
 * and CPU per row, best of 3; gates nothing. The end-to-end comparison (whole imports) is in
 * bench/RESULTS.md.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openCsv } from "@ple/cli";
import { parse } from "csv-parse";
import csvParser from "csv-parser";
import Papa from "papaparse";
import { inferSchema, initParser } from "udsv";
import { CSV_FILE, N } from "./env.js";
import { writeExport } from "./generate.js";

/** The last row read, kept so no reading is optimised away. */
export let last: unknown = null;

async function withOpenCsv(file: string): Promise<number> {
  const csv = await openCsv(file);
  let rows = 0;
  for await (const row of csv.rows) {
    last = row;
    rows++;
  }
  return rows;
}

/** csv-parse alone (no raw text, no row bookkeeping): the reader's own cost inside openCsv. */
async function withCsvParse(file: string): Promise<number> {
  const parser = createReadStream(file).pipe(
    parse({ bom: true, columns: true, relax_column_count: true, relax_quotes: true }),
  );
  let rows = 0;
  for await (const record of parser) {
    last = record;
    rows++;
  }
  return rows;
}

function withPapaparse(file: string): Promise<number> {
  return new Promise((done, fail) => {
    let rows = 0;
    Papa.parse<Record<string, string>>(createReadStream(file), {
      header: true,
      skipEmptyLines: true,
      step: (result) => {
        last = result.data;
        rows++;
      },
      complete: () => done(rows),
      error: fail,
    });
  });
}

async function withUdsv(file: string): Promise<number> {
  let parser: ReturnType<typeof initParser> | null = null;
  let rows = 0;
  const onData = (row: Record<string, string>) => {
    last = row;
    rows++;
  };
  for await (const chunk of createReadStream(file, { encoding: "utf8" })) {
    const text = chunk as string;
    if (parser === null) parser = initParser(inferSchema(text));
    parser.chunk<Record<string, string>>(text, parser.stringObjs, onData);
  }
  parser?.end();
  return rows;
}

async function withCsvParser(file: string): Promise<number> {
  let rows = 0;
  for await (const record of createReadStream(file).pipe(csvParser())) {
    last = record;
    rows++;
  }
  return rows;
}

async function measure(read: (file: string) => Promise<number>, file: string) {
  let best = { rows: 0, ms: Number.POSITIVE_INFINITY, cpuMs: Number.POSITIVE_INFINITY };
  for (let run = 0; run < 3; run++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const rows = await read(file);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    if (ms < best.ms) best = { rows, ms, cpuMs };
  }
  return best;
}

const work = mkdtempSync(join(tmpdir(), "ple-csv-bench-"));
let file = CSV_FILE;
if (file === "") {
  file = join(work, `export-${N}.csv`);
  await writeExport(file, N);
}
const accented = join(work, "accented.csv");
writeFileSync(accented, readFileSync(file, "utf8").replace(/e/g, "é"));

const readers: Array<[string, (file: string) => Promise<number>]> = [
  ["openCsv (csv-parse, relax_quotes)", withOpenCsv],
  ["csv-parse alone", withCsvParse],
  ["papaparse", withPapaparse],
  ["udsv", withUdsv],
  ["csv-parser", withCsvParser],
];
for (const [label, path] of [
  ["as given", file],
  ['every "e" as "é"', accented],
] as const) {
  console.log(`${path} (${label}):`);
  for (const [name, read] of readers) {
    const r = await measure(read, path);
    console.log(
      `  ${name.padEnd(36)} ${r.rows.toLocaleString("en").padStart(9)} rows ${Math.round(
        (r.rows / r.ms) * 1000,
      )
        .toLocaleString("en")
        .padStart(10)} rows/s ${((r.cpuMs * 1000) / r.rows).toFixed(2).padStart(6)} µs CPU/row`,
    );
  }
}
rmSync(work, { recursive: true, force: true });
