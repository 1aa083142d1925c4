/**
 * Streaming CSV input for imports: opens the file, reads it in chunks through CsvReader
 * (BOM, CRLF, quoted fields with commas and newlines) and yields each data row with its
 * number (1 = the first row after the header), the raw text as it appeared in the file, and
 * the bytes consumed so far for progress.
 */
import { createReadStream } from "node:fs";
import { PleError } from "@ple/core";
import { CsvReader, type CsvRow, CsvSyntaxError } from "./csv-reader.js";

export type { CsvRow } from "./csv-reader.js";

export interface CsvFile {
  header: string[];
  rows: AsyncIterable<CsvRow>;
}

export interface OpenCsvOptions {
  /** Bytes read at a time (tests use a few to cross chunk boundaries everywhere). */
  chunkSize?: number;
}

const CHUNK_SIZE = 64 * 1024;

/**
 * Opens a CSV file; the header (and the rows of the chunks read to find the first row) is
 * read eagerly so callers can check its columns first. Rows come a chunk at a time: a chunk
 * is parsed whole, so a malformed record fails before any row of its chunk is yielded.
 */
export async function openCsv(file: string, options: OpenCsvOptions = {}): Promise<CsvFile> {
  const input = createReadStream(file, { highWaterMark: options.chunkSize ?? CHUNK_SIZE });
  const chunks: AsyncIterator<Buffer> = input[Symbol.asyncIterator]();
  const reader = new CsvReader();
  let pending: CsvRow[] = [];
  let ended = false;
  const readChunk = async (): Promise<void> => {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      pending = reader.end();
    } else {
      pending = reader.push(next.value);
    }
  };
  try {
    while (!ended && (reader.header === null || pending.length === 0)) await readChunk();
  } catch (err) {
    input.destroy();
    throw csvError(file, err);
  }
  async function* rows(): AsyncGenerator<CsvRow> {
    try {
      for (;;) {
        for (const row of pending) yield row;
        if (ended) return;
        await readChunk();
      }
    } catch (err) {
      throw csvError(file, err);
    } finally {
      input.destroy();
    }
  }
  return { header: reader.header ?? [], rows: rows() };
}

function csvError(file: string, err: unknown): unknown {
  if (err instanceof PleError) return err;
  if (err instanceof CsvSyntaxError) {
    return new PleError("VALIDATION_FAILED", `${file} is not valid CSV: ${err.message}`, {
      field: "file",
      details: { reason: err.code },
      cause: err,
    });
  }
  if (err instanceof Error && "code" in err && err.code === "ENOENT") {
    return new PleError("NOT_FOUND", `no such file: ${file}`, { field: "file" });
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
