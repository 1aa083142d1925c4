/**
 * The import process the benchmark times and whose peak RSS it reads: `ple import companies`
 * as the binary runs it, through the CLI's own command function (@ple/cli's runImport over
 * databaseImportStores): streaming CSV, core validation, set-based batches of
 * BULK_IMPORT_BATCH_SIZE rows, one actor transaction per batch with its rejects, and the CSV
 * report of rejected rows beside the input.
 *
 * Usage: node dist/import-child.js FILE DATABASE_URL [BATCH_SIZE] [companies|people]
 * (BATCH_SIZE "-" for the default; `people` imports a contact export instead of an account one).
 * Prints one JSON line: rows, created, existing, rejected, ms, cpu_ms, baseline_rss_mb, max_rss_mb,
 * and quarter_rows_per_sec: the rate over each quarter of the file's bytes (does it fall as the
 * tables grow?).
 */
import { statSync } from "node:fs";
import { databaseImportStores, runImport } from "@ple/cli";
import { openDatabase } from "@ple/db";

const [file, url, batchArg, kindArg = "companies"] = process.argv.slice(2);
if (file === undefined || url === undefined || (kindArg !== "companies" && kindArg !== "people")) {
  console.error("usage: import-child.js FILE DATABASE_URL [BATCH_SIZE] [companies|people]");
  process.exit(2);
}

const baselineRssMb = process.memoryUsage().rss / 2 ** 20;
const started = performance.now();
const db = await openDatabase({ url });
const size = statSync(file).size;
const quarters: number[] = [];
let mark = { at: performance.now(), rows: 0 };
const summary = await runImport(kindArg, databaseImportStores(db, "bench:import"), {
  file,
  onProgress: ({ rows, bytes }) => {
    if (bytes < ((quarters.length + 1) * size) / 4 || quarters.length >= 4) return;
    const now = performance.now();
    quarters.push(((rows - mark.rows) / (now - mark.at)) * 1000);
    mark = { at: now, rows };
  },
  ...(batchArg === undefined || batchArg === "-" ? {} : { batchSize: Number(batchArg) }),
});
await db.close();
const ms = performance.now() - started;
const cpu = process.cpuUsage();
console.log(
  JSON.stringify({
    rows: summary.rows,
    created: summary.created,
    existing: summary.existing,
    rejected: summary.rejected,
    ms,
    cpu_ms: (cpu.user + cpu.system) / 1000,
    baseline_rss_mb: baselineRssMb,
    max_rss_mb: process.resourceUsage().maxRSS / 1024,
    quarter_rows_per_sec: quarters,
  }),
);
