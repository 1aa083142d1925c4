/**
 * Streaming CSV input for imports: opens the file, reads it through csv-parse (RFC 4180:
 * quoted fields with commas, quotes and newlines; any line end; a UTF-8 byte-order mark) and
 * yields each data row with its number (1 = the first row after the header), the raw text as
 * it appeared in the file, and the bytes consumed so far for progress.
 *
 * What is refused, and how:
 * - The whole file only when it cannot be read (missing, a directory, no permission), is not
 *   text (a spreadsheet, archive or PDF; NUL bytes in its header line), or
 *   its header names a column twice. The caller refuses a file that lacks a required column.
 * - A quote inside an unquoted field is field text (`Foo 12" Pipes` stays as written), as most
 *   readers and the csv-spectrum suite read it (csv-parse's relax_quotes).
 * - A record csv-parse still cannot read is a row of its own with `unreadable` set, so the
 *   import rejects it with its row number and raw text and keeps every row before it. A quote
 *   never closed swallows the rest of the file: that row stands for everything from it on.
 *
 * UTF-16 files (a FF FE or FE FF byte-order mark) are decoded to UTF-8 before csv-parse,
 * which would otherwise match commas and quotes at odd byte offsets.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { PleError } from "@ple/core";
import { type CsvError, parse } from "csv-parse";

export interface CsvRow {
  /** 1 for the first row after the header. */
  rowNumber: number;
  /** Header name → value, as in the file (untrimmed). */
  record: Record<string, string>;
  /** The row's text as it appeared in the file, without line ends before or after it. */
  raw: string;
  /** Bytes of the file consumed so far (for progress). */
  bytes: number;
  /** Set when the row's field count differs from the header's. */
  fieldCountProblem?: string;
  /** Set when the record could not be read as CSV; `record` is then empty. */
  unreadable?: { reason: string; message: string };
}

export interface CsvFile {
  header: string[];
  rows: AsyncIterable<CsvRow>;
}

export interface OpenCsvOptions {
  /** Bytes read at a time (tests use a few to cross chunk boundaries everywhere). */
  chunkSize?: number;
}

const CHUNK_SIZE = 64 * 1024;
/** Longer than any real record; a quote never closed stops here instead of buffering the file. */
const MAX_RECORD_SIZE = 1024 * 1024;
/** Raw text kept of an unreadable record (the rest of the file, for a quote never closed). */
const MAX_UNREADABLE_RAW = 64 * 1024;

type Encoding = "utf8" | "utf-16le" | "utf-16be";

/** The file's first bytes: how to decode it, or why it is not a text file. */
function sniff(head: Buffer): { encoding: Encoding } | { notText: string } {
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: "utf-16le" };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: "utf-16be" };
  const starts = (magic: number[]) => magic.every((b, i) => head[i] === b);
  if (starts([0x50, 0x4b, 0x03, 0x04])) return { notText: "a zip archive or an .xlsx workbook" };
  if (starts([0xd0, 0xcf, 0x11, 0xe0])) return { notText: "an .xls workbook" };
  if (starts([0x1f, 0x8b])) return { notText: "a gzip archive" };
  if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) return { notText: "a PDF document" };
  const lineEnd = head.findIndex((b) => b === 0x0a || b === 0x0d);
  const firstLine = lineEnd === -1 ? head : head.subarray(0, lineEnd);
  if (firstLine.includes(0)) return { notText: "binary data (NUL bytes in its first line)" };
  return { encoding: "utf8" };
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The file's bytes as UTF-8 for csv-parse, with the file offset reached so far. */
function utf8Chunks(
  input: AsyncIterable<Buffer>,
  encoding: Encoding,
  position: { fileBytes: number; fedBytes: number },
): AsyncIterable<Buffer> {
  if (encoding === "utf8") {
    return (async function* () {
      for await (const chunk of input) {
        position.fileBytes += chunk.length;
        position.fedBytes += chunk.length;
        yield chunk;
      }
    })();
  }
  const decoder = new TextDecoder(encoding);
  return (async function* () {
    for await (const chunk of input) {
      position.fileBytes += chunk.length;
      const utf8 = Buffer.from(decoder.decode(chunk, { stream: true }), "utf8");
      position.fedBytes += utf8.length;
      if (utf8.length > 0) yield utf8;
    }
    const rest = Buffer.from(decoder.decode(), "utf8");
    position.fedBytes += rest.length;
    if (rest.length > 0) yield rest;
  })();
}

function stripLineEnds(raw: string): string {
  let start = 0;
  let end = raw.length;
  while (start < end && (raw.charCodeAt(start) === 10 || raw.charCodeAt(start) === 13)) start++;
  while (end > start && (raw.charCodeAt(end - 1) === 10 || raw.charCodeAt(end - 1) === 13)) end--;
  return start === 0 && end === raw.length ? raw : raw.slice(start, end);
}

function checkHeader(names: string[]): string[] {
  const header = names.map((name) => name.trim());
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
}

interface Parsed {
  record: string[];
  raw: string;
}

/** A record whose fields are all whitespace (csv-parse's skip_records_with_empty_values). */
function isBlank(fields: readonly string[]): boolean {
  for (const field of fields) if (field.trim() !== "") return false;
  return true;
}

/** A record csv-parse skipped, and how many records it had given before it. */
interface Skipped {
  after: number;
  error: CsvError | undefined;
  raw: string;
}

/** Why a record could not be read, in words for the reject report. */
function unreadable(skip: Skipped): { reason: string; message: string; rest: boolean } {
  const code = skip.error?.code ?? "CSV_UNREADABLE";
  if (code === "CSV_QUOTE_NOT_CLOSED") {
    return {
      reason: code,
      message:
        "a quote opened in this row is never closed, so this row and every line after it could not be read; close the quote (or double it inside the field) and import again",
      rest: true,
    };
  }
  if (code === "CSV_MAX_RECORD_SIZE") {
    return {
      reason: code,
      message: `this row runs past ${MAX_RECORD_SIZE / 1024 / 1024} MiB, most likely because a quote opened in it is never closed; it and every line after it could not be read`,
      rest: true,
    };
  }
  return {
    reason: code,
    message: `the row could not be read as CSV: ${skip.error?.message ?? code}`,
    rest: false,
  };
}

/**
 * Opens a CSV file; the header is read eagerly so callers can check its columns first. Rows
 * come as csv-parse gives them.
 */
export async function openCsv(file: string, options: OpenCsvOptions = {}): Promise<CsvFile> {
  let head: Buffer;
  try {
    head = await readHead(file);
  } catch (err) {
    throw fileError(file, err);
  }
  const sniffed = sniff(head);
  if ("notText" in sniffed) {
    throw new PleError(
      "VALIDATION_FAILED",
      `${file} is not a CSV text file: it looks like ${sniffed.notText}; save it as CSV (UTF-8) and import that`,
      { field: "file", details: { reason: "not_text" } },
    );
  }
  const input = createReadStream(file, { highWaterMark: options.chunkSize ?? CHUNK_SIZE });
  const position = { fileBytes: 0, fedBytes: 0 };
  const skips: Skipped[] = [];
  const source = Readable.from(utf8Chunks(input, sniffed.encoding, position));
  const parser = source.pipe(
    parse({
      // Records as arrays, without csv-parse's info: mapping them to the header here, and
      // skipping blank records, costs less than half what csv-parse's columns and info did.
      bom: true,
      raw: true,
      max_record_size: MAX_RECORD_SIZE,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      // The records given so far: csv-parse's own count (info.records). An on_record callback
      // counting them would cost csv-parse an info object and a second decoding of the raw
      // text for every record (a sixth of the reading, profiled).
      on_skip: (error, raw) => {
        skips.push({ after: parser.info.records, error, raw: raw ?? "" });
        return undefined;
      },
    }),
  );
  // A read error ends the rows with it; once the rows are done (or given up), closing the file
  // ends the source with a premature close that nobody waits for.
  source.on("error", (err) => {
    if (!parser.destroyed) parser.destroy(err);
  });
  // Records are taken from the parser's buffer synchronously, waiting only when it is empty:
  // the stream's async iterator costs about as much per record as csv-parse itself.
  let ended = false;
  let failure: unknown = null;
  parser.on("end", () => {
    ended = true;
  });
  parser.on("error", (err) => {
    failure ??= err;
  });
  /** Waits until the parser has a record, has ended or has failed. */
  const parserReady = () =>
    new Promise<void>((wake) => {
      const done = () => {
        parser.off("readable", done);
        parser.off("end", done);
        parser.off("error", done);
        parser.off("close", done);
        wake();
      };
      parser.on("readable", done);
      parser.on("end", done);
      parser.on("error", done);
      parser.on("close", done);
    });
  /** The next record if the parser holds one now; undefined: wait (parserReady) and ask again. */
  const takeRecord = (): Parsed | null | undefined => {
    if (failure !== null) throw failure;
    const record = parser.read() as Parsed | null;
    if (record !== null) return record;
    if (ended || parser.destroyed) {
      if (failure !== null) throw failure;
      return null;
    }
    return undefined;
  };
  const nextRecord = async (): Promise<Parsed | null> => {
    for (;;) {
      const record = takeRecord();
      if (record !== undefined) return record;
      await parserReady();
    }
  };
  // Characters of the records read so far: the bytes consumed, estimated for progress.
  let chars = 0;
  const bytesPerChar = sniffed.encoding === "utf8" ? 1 : 2;
  // The header is read now, so that callers can check it (and a bad one is refused) first.
  let names: string[] = [];
  let index = 0;
  try {
    for (;;) {
      const record = await nextRecord();
      if (record === null) break;
      index++;
      chars += record.raw.length;
      if (isBlank(record.record)) continue;
      names = checkHeader(record.record);
      break;
    }
  } catch (err) {
    parser.destroy();
    input.destroy();
    throw fileError(file, err);
  }

  async function* rows(): AsyncGenerator<CsvRow> {
    let rowNumber = 0;
    let lastBytes = 0;
    let stopped = false;
    // Rows csv-parse could not read, in file order among the others.
    function* skipped(before: number): Generator<CsvRow> {
      while (!stopped && skips.length > 0 && (skips[0] as Skipped).after < before) {
        const skip = skips.shift() as Skipped;
        const why = unreadable(skip);
        const raw = stripLineEnds(skip.raw);
        const cut = raw.length > MAX_UNREADABLE_RAW;
        rowNumber++;
        yield {
          rowNumber,
          record: {},
          raw: cut ? raw.slice(0, MAX_UNREADABLE_RAW) : raw,
          bytes: lastBytes,
          unreadable: {
            reason: why.reason,
            message: cut
              ? `${why.message} (its raw text is cut to the first ${MAX_UNREADABLE_RAW} characters)`
              : why.message,
          },
        };
        if (why.rest) stopped = true;
      }
    }
    const toRow = ({ record: fields, raw }: Parsed): CsvRow => {
      const values: Record<string, string> = {};
      const count = fields.length;
      for (let k = 0; k < names.length; k++) {
        values[names[k] as string] = k < count ? (fields[k] as string) : "";
      }
      rowNumber++;
      lastBytes = Math.min(position.fileBytes, Math.max(lastBytes, chars * bytesPerChar));
      const row: CsvRow = { rowNumber, record: values, raw: stripLineEnds(raw), bytes: lastBytes };
      if (count !== names.length) {
        row.fieldCountProblem = `the row has ${count} fields but the header has ${names.length}`;
      }
      return row;
    };
    try {
      for (;;) {
        // A record the parser holds is taken without an await (a promise and a turn of the
        // microtask queue per record otherwise).
        const next = takeRecord() ?? (await nextRecord());
        if (next === null) break;
        index++;
        chars += next.raw.length;
        yield* skipped(index);
        if (stopped) return;
        if (isBlank(next.record)) continue;
        yield toRow(next);
      }
      yield* skipped(Number.POSITIVE_INFINITY);
    } catch (err) {
      throw fileError(file, err);
    } finally {
      parser.destroy();
      input.destroy();
    }
  }
  return { header: names, rows: rows() };
}

/** Why the file as a whole cannot be read, as a PleError naming it. */
function fileError(file: string, err: unknown): unknown {
  if (err instanceof PleError) return err;
  const code = err instanceof Error && "code" in err ? err.code : undefined;
  if (code === "ENOENT") {
    return new PleError("NOT_FOUND", `no such file: ${file}`, { field: "file" });
  }
  if (code === "EISDIR") {
    return new PleError("VALIDATION_FAILED", `${file} is a directory, not a file`, {
      field: "file",
    });
  }
  if (code === "EACCES" || code === "EPERM") {
    return new PleError("VALIDATION_FAILED", `${file} cannot be read: permission denied`, {
      field: "file",
      details: { reason: "unreadable" },
    });
  }
  if (typeof code === "string" && code.startsWith("CSV_") && err instanceof Error) {
    return new PleError("VALIDATION_FAILED", `${file} is not valid CSV: ${err.message}`, {
      field: "file",
      details: { reason: code },
      cause: err,
    });
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
