/**
 * Writing (or previewing) a part of a company import batch in one transaction: set-based
 * through the planner of @ple/db (importCompanyBatch, previewCompanyBatch, which decide
 * created / existing alike), with a savepoint per row only for a batch the set-based path
 * refuses as a whole.
 */
import { type CompanyCreateInput, isPleError } from "@ple/core";
import {
  type CompanyImportOutcome,
  type CompanyPreviewOutcome,
  newDryRunMemory,
  type OnExisting,
} from "@ple/db";
import { isRetryable, retrying } from "./import-pipeline.js";
import { type ParsedRow, rejectFrom } from "./import-rows.js";
import type { ImportStoreFactory } from "./import-store.js";
import { countStatus, emptyOutcome, type PartResult, type RejectedRow } from "./import-summary.js";

/** The website and Apollo id of a company row ("w:…", "a:…"). */
export function companyKeys({ parsed }: ParsedRow<CompanyCreateInput>): string[] {
  const { website, apollo_company_id: apollo } = parsed;
  return apollo ? [`w:${website}`, `a:${apollo}`] : [`w:${website}`];
}

/** A row's outcome as the summary counts it (or its reject). */
function tally(
  part: PartResult,
  row: ParsedRow<CompanyCreateInput>,
  outcome: CompanyImportOutcome | CompanyPreviewOutcome,
): void {
  if (outcome.status === "rejected") {
    part.rejects.push(rejectFrom(row.row, outcome.error));
    return;
  }
  const out = emptyOutcome();
  countStatus(out, outcome.status);
  part.outcomes.push(out);
}

export function companyPartWriter(
  stores: ImportStoreFactory,
  file: string,
  dryRun: boolean,
  onExisting: OnExisting = "skip",
) {
  // What the dry run would have created in earlier batches (a dry run writes one at a time).
  const memory = newDryRunMemory();
  const fresh = (invalid: readonly RejectedRow[]): PartResult => ({
    outcomes: [],
    rejects: [...invalid],
  });
  return async (
    planned: readonly ParsedRow<CompanyCreateInput>[],
    invalid: readonly RejectedRow[],
  ): Promise<PartResult> => {
    let part = fresh(invalid);
    if (dryRun) {
      await stores.batch(true, async (store) => {
        const outcomes = await store.previewCompanies(
          planned.map((p) => p.parsed),
          memory,
          onExisting,
        );
        for (const [index, outcome] of outcomes.entries()) {
          tally(part, planned[index] as ParsedRow<CompanyCreateInput>, outcome);
        }
      });
      part.rejects.sort((a, b) => a.row_number - b.row_number);
      return part;
    }
    // Set-based: one call for the part's companies.
    const bulk = () =>
      stores.batch(false, async (store) => {
        part = fresh(invalid);
        const outcomes = await store.importCompanies(
          planned.map((p) => p.parsed),
          onExisting,
        );
        for (const [index, outcome] of outcomes.entries()) {
          tally(part, planned[index] as ParsedRow<CompanyCreateInput>, outcome);
        }
        part.rejects.sort((a, b) => a.row_number - b.row_number);
        await store.recordRejects(file, part.rejects);
      });
    // Row by row, each row in a savepoint of its own: a part the set-based path refused.
    const rowByRow = () =>
      stores.batch(false, async (store) => {
        part = fresh(invalid);
        for (const p of planned) {
          try {
            const result = await store.savepoint((sp) =>
              sp.createCompany({ ...p.parsed, on_existing: onExisting }),
            );
            const out = emptyOutcome();
            countStatus(out, result.status);
            part.outcomes.push(out);
          } catch (err) {
            // A row that lost a race is not a bad row: the whole part is retried.
            if (isRetryable(err)) throw err;
            part.rejects.push(rejectFrom(p.row, err));
          }
        }
        part.rejects.sort((a, b) => a.row_number - b.row_number);
        await store.recordRejects(file, part.rejects);
      });
    try {
      await retrying(bulk);
    } catch (err) {
      // A part the set-based path refused as a whole (a PleError that is no lost race) is
      // redone row by row, so that only the bad row is rejected.
      if (!isPleError(err) || isRetryable(err)) throw err;
      await retrying(rowByRow);
    }
    return part;
  };
}
