/** Import rejects: every input row that could not be imported, kept with its reason. */
import { type ErrorCode, PleError } from "@ple/core";
import type { Queryable } from "./database.js";
import { mapErrors } from "./errors.js";

const TABLE = "marketing.import_reject";

export interface ImportRejectInput {
  source_file: string;
  /** 1-based data row number in the file (0 for the header). */
  row_number: number;
  /** The row as read from the file. */
  raw_row: string;
  error_code: ErrorCode;
  field?: string | null | undefined;
  message: string;
}

export interface ImportReject extends Required<Omit<ImportRejectInput, "field">> {
  id: string;
  field: string | null;
  created_at: Date;
}

/**
 * The form in which text is stored in import_reject: PostgreSQL text cannot hold U+0000, so
 * every NUL becomes ␀ (U+2400 SYMBOL FOR NULL), the form `ple import` already shows it in its
 * reject report. A reader of raw_row sees where the NUL was; callers that compare rows with
 * stored ones (a re-run's de-duplication) compare this form.
 */
export function storedRejectText(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\u2400") : text;
}

/**
 * Stores rejects (in batches); returns how many were stored. raw_row, field and message are
 * stored in storedRejectText form (a NUL as ␀).
 */
export function recordImportRejects(q: Queryable, rejects: ImportRejectInput[]): Promise<number> {
  return mapErrors(async () => {
    for (const reject of rejects) {
      if (!Number.isInteger(reject.row_number) || reject.row_number < 0) {
        throw new PleError("VALIDATION_FAILED", "row_number must be a whole number ≥ 0", {
          field: "row_number",
          details: { reason: "invalid_value" },
        });
      }
    }
    const rows = rejects.map((r) => ({
      source_file: r.source_file,
      row_number: r.row_number,
      raw_row: storedRejectText(r.raw_row),
      error_code: r.error_code,
      field: r.field == null ? null : storedRejectText(r.field),
      message: storedRejectText(r.message),
    }));
    for (let i = 0; i < rows.length; i += 500) await q(TABLE).insert(rows.slice(i, i + 500));
    return rows.length;
  });
}

/** Rejects, oldest first, optionally of one source file. */
export function listImportRejects(
  q: Queryable,
  opts: { source_file?: string; limit?: number; after_id?: string } = {},
): Promise<ImportReject[]> {
  return mapErrors(async () => {
    const query = q(TABLE)
      .orderBy("id")
      .limit(Math.min(Math.max(opts.limit ?? 1000, 1), 10_000))
      .select("*");
    if (opts.source_file !== undefined) query.where("source_file", opts.source_file);
    if (opts.after_id !== undefined) query.where("id", ">", opts.after_id);
    const rows: Array<Record<string, unknown>> = await query;
    return rows.map((row) => ({
      id: String(row.id),
      source_file: String(row.source_file),
      row_number: Number(row.row_number),
      raw_row: String(row.raw_row),
      error_code: row.error_code as ErrorCode,
      field: typeof row.field === "string" ? row.field : null,
      message: String(row.message),
      created_at: row.created_at as Date,
    }));
  });
}
