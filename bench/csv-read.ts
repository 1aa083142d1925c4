/**
 * `node bench/dist/csv-read.js [--file=PATH] [--n=200000]`: how fast openCsv reads an Apollo
 * export with CsvReader, against csv-parse with the options openCsv passed it before (and the
 * same per-row work: record, raw text, bytes). Reads the file as given and a copy with every
 * "e" made "é" (multi-byte text takes the reader's slower byte-count path). Prints rows/s and
 * CPU per row, best of 3, and the ratio; gates nothing.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openCsv } from "@ple/cli";
import { parse } from "csv-parse";
import { CSV_FILE, N } from "./env.js";
import { writeExport } from "./generate.js";

interface Parsed {
  record: Record<string, string | undefined>;
  raw: string;
  info: { bytes: number; records: number; error?: { record?: unknown[] } };
}

/** The last row read, kept so no reading is optimised away. */
export let last: unknown = null;

/** openCsv before CsvReader: csv-parse piped from the file, one row per iteration. */
async function readWithCsvParse(file: string): Promise<number> {
  let header: string[] = [];
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      columns: (names: string[]) => {
        header = names.map((n) => n.trim());
        return header;
      },
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }),
  );
  let rows = 0;
  for await (const { record, raw, info } of parser as AsyncIterable<Parsed>) {
    const values: Record<string, string> = {};
    for (const name of header) values[name] = record[name] ?? "";
    last = { values, raw: raw.replace(/^[\r\n]+/, "").replace(/[\r\n]+$/, ""), bytes: info.bytes };
    rows++;
  }
  return rows;
}

async function readWithCsvReader(file: string): Promise<number> {
  const csv = await openCsv(file);
  let rows = 0;
  for await (const row of csv.rows) {
    last = row;
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

for (const [label, path] of [
  ["as given", file],
  ['every "e" as "é"', accented],
] as const) {
  const before = await measure(readWithCsvParse, path);
  const after = await measure(readWithCsvReader, path);
  if (before.rows !== after.rows)
    throw new Error(`row counts differ: ${before.rows} ≠ ${after.rows}`);
  const line = (name: string, r: typeof before) =>
    `  ${name.padEnd(10)} ${Math.round((r.rows / r.ms) * 1000)
      .toLocaleString("en")
      .padStart(
        10,
      )} rows/s  ${((r.cpuMs * 1000) / r.rows).toFixed(2).padStart(6)} µs CPU/row  (${r.ms.toFixed(0)} ms)`;
  console.log(`${path} (${label}), ${after.rows.toLocaleString("en")} rows:`);
  console.log(line("csv-parse", before));
  console.log(line("CsvReader", after));
  console.log(
    `  ratio      ${(before.ms / after.ms).toFixed(1)}× rows/s, ${(before.cpuMs / after.cpuMs).toFixed(1)}× less CPU`,
  );
}
rmSync(work, { recursive: true, force: true });
