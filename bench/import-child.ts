/**
 * The import process the benchmark times and whose peak RSS it reads: streams an Apollo
 * account export (csv-parse), validates and normalises each row with @ple/core
 * (CompanyCreateInput, as `ple import companies` does), and sends batches to @ple/db's
 * importCompanyBatch, one actor transaction per batch with its rejects. CONCURRENCY batches
 * (default 2, one per core) are in flight at once on their own connections while the next one
 * is parsed: the batch work is PL/pgSQL triggers, bound to one core per connection, and
 * importCompanyBatch is safe under concurrent batches (ON CONFLICT, then look up again).
 *
 * Usage: node dist/import-child.js FILE DATABASE_URL [BATCH_SIZE] [CONCURRENCY]
 * Prints one JSON line: rows, created, existing, rejected, ms, max_rss_mb.
 */
import { createReadStream } from "node:fs";
import { CompanyCreateInput, parseInput } from "@ple/core";
import {
  BULK_IMPORT_BATCH_SIZE,
  type BulkCompanyRow,
  type ImportRejectInput,
  importCompanyBatch,
  openDatabase,
  recordImportRejects,
  withActor,
} from "@ple/db";
import { parse } from "csv-parse";

const [file, url, batchArg, concurrencyArg] = process.argv.slice(2);
if (file === undefined || url === undefined) {
  console.error("usage: import-child.ts FILE DATABASE_URL [BATCH_SIZE]");
  process.exit(2);
}
const batchSize = batchArg === undefined ? BULK_IMPORT_BATCH_SIZE : Number(batchArg);
const concurrency = concurrencyArg === undefined ? 2 : Number(concurrencyArg);

const started = performance.now();
const db = await openDatabase({ url, poolMax: concurrency });
const totals = { rows: 0, created: 0, existing: 0, rejected: 0 };
const baselineRssMb = process.memoryUsage().rss / 2 ** 20;

interface Batch {
  rows: BulkCompanyRow[];
  rejects: ImportRejectInput[];
}

async function send(batch: Batch): Promise<void> {
  const outcomes = await withActor(
    db,
    { actor: "bench:import", application: "ple-bench" },
    async (trx) => {
      const out = await importCompanyBatch(trx, batch.rows);
      const late = out.flatMap((o, i) =>
        o.status === "rejected"
          ? [
              {
                source_file: file ?? "",
                row_number: 0,
                raw_row: JSON.stringify(batch.rows[i]),
                error_code: o.error.code,
                field: o.error.field ?? null,
                message: o.error.message,
              },
            ]
          : [],
      );
      await recordImportRejects(trx, [...batch.rejects, ...late]);
      return out;
    },
  );
  totals.rejected += batch.rejects.length;
  for (const o of outcomes) {
    if (o.status === "created") totals.created++;
    else if (o.status === "exists") totals.existing++;
    else totals.rejected++;
  }
}

const parser = createReadStream(file).pipe(
  parse({ bom: true, columns: true, raw: true, info: true, skip_empty_lines: true }),
);
let batch: Batch = { rows: [], rejects: [] };
const inFlight = new Set<Promise<void>>();
for await (const item of parser as AsyncIterable<{
  record: Record<string, string>;
  raw: string;
  info: { records: number };
}>) {
  totals.rows++;
  const r = item.record;
  const cell = (name: string) => {
    const v = r[name]?.trim() ?? "";
    return v === "" ? undefined : v;
  };
  const parsed = parseInput(CompanyCreateInput, {
    company_name: cell("Company") ?? "",
    website: cell("Website") ?? "",
    ...(cell("Apollo Account Id") === undefined
      ? {}
      : { apollo_company_id: cell("Apollo Account Id") }),
    ...(cell("EIN") === undefined ? {} : { ein: cell("EIN") }),
  });
  if (parsed.ok) batch.rows.push(parsed.value);
  else {
    batch.rejects.push({
      source_file: file,
      row_number: item.info.records,
      raw_row: item.raw.replace(/[\r\n]+$/, ""),
      error_code: parsed.error.code,
      field: parsed.error.field ?? null,
      message: parsed.error.message,
    });
  }
  if (batch.rows.length + batch.rejects.length >= batchSize) {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const sent = send(batch).then(() => {
      inFlight.delete(sent);
    });
    inFlight.add(sent);
    batch = { rows: [], rejects: [] };
  }
}
await Promise.all(inFlight);
await send(batch);
await db.close();
const ms = performance.now() - started;
console.log(
  JSON.stringify({
    ...totals,
    ms,
    cpu_ms: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
    baseline_rss_mb: baselineRssMb,
    max_rss_mb: process.resourceUsage().maxRSS / 1024,
  }),
);
