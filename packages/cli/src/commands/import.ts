/**
 * `ple import companies|people FILE`: streams a CSV file into the registry in batches, each
 * batch one transaction written set-based while the next batch is read and parsed. The work is
 * split by job:
 * - reading: ../csv-source.ts (csv-parse; a record it cannot read becomes a reject);
 * - row parsing: import-rows.ts (a row to the API's input, or a reject);
 * - planning: @ple/db's import-plan.ts (which rows create and which find a company; the dry
 *   run and the real run use the same planner);
 * - the batch pipeline and its one retry layer: import-pipeline.ts, with the per-kind writers
 *   import-companies.ts and import-people.ts;
 * - the summary and the reject report: import-summary.ts.
 * A killed import can simply be run again: every write is idempotent (companies by website or
 * Apollo id, people by email, rejects by file and row). Every rejected row is kept in
 * marketing.import_reject and in a CSV report (`FILE.rejects.csv` unless --rejects says where).
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type CompanyCreateInput, PleError } from "@ple/core";
import { BULK_IMPORT_BATCH_SIZE, type OnExisting } from "@ple/db";
import { type CsvRow, openCsv } from "../csv-source.js";
import { companyColumns, personColumns } from "../import-columns.js";
import type { ProgressUpdate } from "../progress.js";
import { companyKeys, companyPartWriter } from "./import-companies.js";
import { peopleKeys, peoplePartWriter } from "./import-people.js";
import { batchPipeline } from "./import-pipeline.js";
import {
  addRow,
  type Batch,
  isApolloExport,
  newBatch,
  type PersonRow,
  parseCompanyRow,
  parsePersonRow,
} from "./import-rows.js";
import type { ImportStoreFactory } from "./import-store.js";
import {
  defaultRejectsFile,
  type ImportKind,
  type ImportSummary,
  ImportTally,
  writeRejectReport,
} from "./import-summary.js";

export { splitOnPrior } from "./import-pipeline.js";
export {
  defaultRejectsFile,
  type ImportKind,
  type ImportSummary,
  type RejectedRow,
  type SlotConflict,
  type UnmappedTitle,
} from "./import-summary.js";

export interface ImportOptions {
  file: string;
  dryRun?: boolean;
  /**
   * What a row does to the record it finds: skip (leave it), fill (only its empty fields) or
   * update (overwrite with the row's non-empty values). Default fill.
   */
  onExisting?: OnExisting;
  /** Where the CSV report of rejected rows goes; default `FILE.rejects.csv` (defaultRejectsFile). */
  rejectsFile?: string;
  /** Rows per transaction. */
  batchSize?: number;
  onProgress?: (state: ProgressUpdate) => void;
}

/** Runs one import; `stores` gives a store per batch transaction (or a read-only one for dry runs). */
export async function runImport(
  kind: ImportKind,
  stores: ImportStoreFactory,
  options: ImportOptions,
): Promise<ImportSummary> {
  const started = Date.now();
  const file = resolve(options.file);
  const dryRun = options.dryRun ?? false;
  const onExisting = options.onExisting ?? "fill";
  const batchSize = options.batchSize ?? BULK_IMPORT_BATCH_SIZE;
  const info = await stat(file).catch(() => {
    throw new PleError("NOT_FOUND", `no such file: ${options.file}`, { field: "file" });
  });
  if (!info.isFile()) {
    throw new PleError("VALIDATION_FAILED", `${options.file} is not a file`, { field: "file" });
  }
  const csv = await openCsv(file);
  const tally = new ImportTally(kind, file, dryRun);
  let done = 0;
  const onBatch = <T>(batch: Batch<T>, parts: Parameters<ImportTally["addBatch"]>[0]) => {
    tally.addBatch(parts);
    done += batch.size;
    options.onProgress?.({ rows: done, bytes: batch.lastBytes });
  };
  const read = async <T>(parse: (row: CsvRow) => T, send: (batch: Batch<T>) => Promise<void>) => {
    let batch = newBatch<T>();
    for await (const row of csv.rows) {
      addRow(batch, row, parse);
      tally.summary.rows++;
      if (batch.size >= batchSize) {
        await send(batch);
        batch = newBatch<T>();
      }
    }
    await send(batch);
  };

  if (kind === "companies") {
    const cols = companyColumns(csv.header);
    const pipeline = batchPipeline<CompanyCreateInput>({
      // Two batches at once where the store allows it; a dry run writes nothing to overlap.
      depth: dryRun ? 1 : Math.max(1, stores.parallelBatches ?? 1),
      keysOf: companyKeys,
      writePart: companyPartWriter(stores, file, dryRun, onExisting),
      onBatch,
    });
    await read((row) => parseCompanyRow(row, cols), pipeline.send);
    await pipeline.finish();
  } else {
    const cols = personColumns(csv.header);
    const source = isApolloExport(csv.header) ? "apollo" : "csv";
    // Two batches at once where the store can tell which rows depend on the batch before.
    const keys = dryRun ? null : peopleKeys(stores);
    const pipeline = batchPipeline<PersonRow>({
      depth: keys === null ? 1 : Math.max(1, stores.parallelBatches ?? 1),
      keysOf: keys?.keysOf ?? (() => []),
      ...(keys === null ? {} : { resolve: keys.resolve }),
      writePart: peoplePartWriter(stores, file, dryRun, source, onExisting),
      onBatch,
    });
    if (cols.emailStatus !== null) tally.countEmailStatus();
    await read((row) => {
      const person = parsePersonRow(row, cols);
      tally.addPersonExtras(row.rowNumber, person);
      return person;
    }, pipeline.send);
    await pipeline.finish();
  }
  options.onProgress?.({ rows: tally.summary.rows, bytes: info.size });

  const reportPath =
    options.rejectsFile !== undefined
      ? resolve(options.rejectsFile)
      : dryRun
        ? null
        : defaultRejectsFile(file);
  const summary = tally.finish(started);
  if (reportPath !== null && summary.rejected > 0) {
    await writeRejectReport(reportPath, file, summary.rejects);
    summary.rejects_file = reportPath;
  }
  summary.duration_ms = Date.now() - started;
  return summary;
}
