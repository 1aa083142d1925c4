/**
 * The export process the benchmark times and whose peak RSS it reads: `ple export companies`
 * as the CLI runs it (@ple/db's exportRecords: one COPY (SELECT …) TO STDOUT through
 * pg-copy-streams, written with back-pressure), into a sink that discards the bytes — as the
 * raw COPY it is compared with does.
 *
 * Usage: node dist/export-child.js DATABASE_URL [FORMAT]
 * Prints one JSON line: rows, bytes, ms, baseline_rss_mb, max_rss_mb.
 */
import { Writable } from "node:stream";
import { ExportInput } from "@ple/core";
import { exportRecords, openDatabase } from "@ple/db";

const [url, format = "csv"] = process.argv.slice(2);
if (url === undefined) {
  console.error("usage: export-child.js DATABASE_URL [FORMAT]");
  process.exit(2);
}

const baselineRssMb = process.memoryUsage().rss / 2 ** 20;
const db = await openDatabase({ url, poolMax: 1 });
const sink = new Writable({
  highWaterMark: 64 * 1024,
  write(_chunk, _encoding, done) {
    done();
  },
});
const started = performance.now();
const result = await exportRecords(db, ExportInput.parse({ entity: "companies", format }), sink);
const ms = performance.now() - started;
await db.close();
console.log(
  JSON.stringify({
    rows: result.rows,
    bytes: result.bytes,
    ms,
    baseline_rss_mb: baselineRssMb,
    max_rss_mb: process.resourceUsage().maxRSS / 1024,
  }),
);
