/**
 * Streaming CSV input for imports (csv-parse): BOM, CRLF, quoted fields with commas and
 * newlines. Yields each data row with its number (1 = the first row after the header), the
 * raw text as it appeared in the file, and the bytes consumed so far for progress.
 */
import { createReadStream } from "node:fs";
import { PleError } from "@ple/core";
import { parse } from "csv-parse";

export interface CsvRow {
  /** 1 for the first row after the header. */
  rowNumber: number;
  /** Header name → value, as in the file (untrimmed). */
  record: Record<string, string>;
  /** The row's text as it appeared in the file. */
  raw: string;
  /** Bytes of the file consumed so far. */
  bytes: number;
  /** Set when the row's field count differs from the header's. */
  fieldCountProblem?: string;
}

interface ParsedRecord {
  record: Record<string, string | undefined>;
  raw: string;
  info: { bytes: number; records: number; error?: { record?: unknown[] } };
}

export interface CsvFile {
  header: string[];
  rows: AsyncIterable<CsvRow>;
}

function stripLineEnds(raw: string): string {
  return raw.replace(/^[\r\n]+/, "").replace(/[\r\n]+$/, "");
}

/** Opens a CSV file; the header is read eagerly so callers can check its columns first. */
export async function openCsv(file: string): Promise<CsvFile> {
  let header: string[] = [];
  const input = createReadStream(file);
  const parser = input.pipe(
    parse({
      bom: true,
      columns: (names: string[]) => {
        header = names.map((n) => n.trim());
        const seen = new Set<string>();
        for (const name of header) {
          if (seen.has(name) && name !== "") {
            throw new PleError("VALIDATION_FAILED", `the header names column "${name}" twice`, {
              field: "header",
            });
          }
          seen.add(name);
        }
        return header;
      },
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }),
  );
  // pipe() does not pass a read error on: hand it to the parser so iteration rejects with it.
  input.once("error", (err) => parser.destroy(err));
  const iterator: AsyncIterator<ParsedRecord> = parser[Symbol.asyncIterator]();
  let first: IteratorResult<ParsedRecord>;
  try {
    first = await iterator.next();
  } catch (err) {
    throw csvError(file, err);
  }
  async function* rows(): AsyncGenerator<CsvRow> {
    let next = first;
    while (!next.done) {
      const { record, raw, info } = next.value;
      const values: Record<string, string> = {};
      for (const name of header) values[name] = record[name] ?? "";
      const fieldCount = info.error?.record?.length;
      yield {
        rowNumber: info.records,
        record: values,
        raw: stripLineEnds(raw),
        bytes: info.bytes,
        ...(fieldCount === undefined
          ? {}
          : {
              fieldCountProblem: `the row has ${fieldCount} fields but the header has ${header.length}`,
            }),
      };
      try {
        next = await iterator.next();
      } catch (err) {
        throw csvError(file, err);
      }
    }
  }
  return { header, rows: rows() };
}

function csvError(file: string, err: unknown): unknown {
  if (err instanceof PleError) return err;
  if (err instanceof Error && "code" in err) {
    if (err.code === "ENOENT") {
      return new PleError("NOT_FOUND", `no such file: ${file}`, { field: "file" });
    }
    if (typeof err.code === "string" && err.code.startsWith("CSV_")) {
      return new PleError("VALIDATION_FAILED", `${file} is not valid CSV: ${err.message}`, {
        field: "file",
        details: { reason: err.code },
        cause: err,
      });
    }
  }
  return err;
}

/** Header names compared loosely: "Apollo Account Id", "apollo_account_id" and "APOLLO-ACCOUNT-ID" match. */
export function headerKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Finds the first header among `aliases` present in the file (compared by headerKey). */
export function findColumn(header: readonly string[], aliases: readonly string[]): string | null {
  const byKey = new Map(header.map((h) => [headerKey(h), h]));
  for (const alias of aliases) {
    const found = byKey.get(headerKey(alias));
    if (found !== undefined) return found;
  }
  return null;
}

/** Quotes a value for a CSV report (RFC 4180). */
export function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A cell for a report people open in a spreadsheet: text that a spreadsheet would run as a
 * formula (=, +, -, @, tab, CR first) gets a leading apostrophe (OWASP's CSV-injection advice).
 */
export function spreadsheetSafe(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? "" : String(value);
  return typeof value === "string" && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
