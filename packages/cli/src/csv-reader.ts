/**
 * A streaming RFC 4180 reader for import files: bytes in (any chunking), rows out. It reads
 * exactly what csv-parse 6 read with the options `ple import` used (bom, columns, info, raw,
 * relax_column_count, skip_empty_lines, skip_records_with_empty_values), quirks included, so
 * that swapping the parser changed no import's result; test/csv-differential.test.ts holds it
 * to csv-parse. Between chunks it keeps only the current unfinished record.
 *
 * What csv-parse does and this copies:
 * - The record delimiter is the first CR LF, LF or lone CR met outside quotes; from then on
 *   only that one ends a record, and the other line-end characters are field text.
 * - An empty line (no characters before the delimiter) is skipped, and so is a record whose
 *   fields are all whitespace (String#trim); a header line like that is skipped too, and the
 *   next record is the header.
 * - A closing quote must be followed by a comma, the record delimiter, the end of the file or
 *   a NUL character (csv-parse tests `!nextByte`), after which the field goes on unquoted.
 * - A quote inside an unquoted field is refused, and so is text after a closing quote.
 * - Line numbers in messages count every CR and LF character, a CR LF record delimiter once.
 * - A UTF-8 byte-order mark is dropped; a UTF-16LE one (FF FE) makes the file UTF-16LE.
 *
 * Where it differs, on purpose:
 * - csv-parse named an invalid opening quote INVALID_OPENING_QUOTE, without the CSV_ prefix
 *   of its other codes, so openCsv let it through as a bare error; here it is
 *   CSV_INVALID_OPENING_QUOTE like the others.
 * - UTF-16LE is read character by character; csv-parse matched quotes and commas at odd byte
 *   offsets there and garbled the raw text.
 * - In invalid UTF-8 (read as U+FFFD, as csv-parse did) `bytes` is an estimate, kept
 *   monotone and within the bytes read; elsewhere it equals csv-parse's info.bytes.
 * - A header named like an Object.prototype member ("toString") gives "" for a short row,
 *   where csv-parse's record gave the inherited function.
 */
import { PleError } from "@ple/core";

export interface CsvRow {
  /** 1 for the first row after the header. */
  rowNumber: number;
  /** Header name → value, as in the file (untrimmed). */
  record: Record<string, string>;
  /** The row's text as it appeared in the file, without line ends before or after it. */
  raw: string;
  /** Bytes of the file consumed so far: the end of the row's line end. */
  bytes: number;
  /** Set when the row's field count differs from the header's. */
  fieldCountProblem?: string;
}

export type CsvProblemCode =
  | "CSV_QUOTE_NOT_CLOSED"
  | "CSV_INVALID_CLOSING_QUOTE"
  | "CSV_INVALID_OPENING_QUOTE";

/** Malformed CSV; `code` is csv-parse's name for the same problem. */
export class CsvSyntaxError extends Error {
  override readonly name = "CsvSyntaxError";
  constructor(
    readonly code: CsvProblemCode,
    message: string,
  ) {
    super(message);
  }
}

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;
const NUL = 0;
/** Returned by the record scanner when the record goes on past the text at hand. */
const NEED_MORE = -1;

type Encoding = "utf8" | "utf16le";

export class CsvReader {
  /** Trimmed header names, once the header record has been read. */
  header: string[] | null = null;
  private headerHasDuplicates = false;
  private bomChecked = false;
  private head: Buffer | null = null;
  private encoding: Encoding = "utf8";
  /** Bytes of a character split by the chunk end, kept for the next chunk. */
  private partialChar: Buffer | null = null;
  /** Text of the record not yet finished (from its first character). */
  private carry = "";
  /** File offset and byte length of `carry`. */
  private carryOffset = 0;
  private carryBytes = 0;
  /** csv-parse's line number at the start of `carry`. */
  private carryLine = 1;
  /** Re-scan `carry` only once it has grown to this length (keeps one huge record linear). */
  private rescanAt = 0;
  /** "" until discovered. */
  private recordDelimiter = "";
  private records = 0;
  private lastBytes = 0;
  /** Per-text state of the chunk being parsed. */
  private text = "";
  private textOffset = 0;
  private textBytes = 0;
  private textIsOneBytePerChar = true;
  private bytesCursor = 0;
  private bytesCursorOffset = 0;
  /** Record delimiters (ends of records and of empty lines) met in `text` before the record being read. */
  private delimitersInText = 0;

  /** Parses one chunk of the file; returns the rows it completed. */
  push(chunk: Buffer): CsvRow[] {
    let bytes = chunk;
    if (!this.bomChecked) {
      const head = this.head === null ? chunk : Buffer.concat([this.head, chunk]);
      // csv-parse looks for a byte-order mark only once it holds 3 bytes.
      if (head.length < 3) {
        this.head = head;
        return [];
      }
      this.head = null;
      bytes = this.skipBom(head);
    }
    if (this.partialChar !== null) {
      bytes = Buffer.concat([this.partialChar, bytes]);
      this.partialChar = null;
    }
    const cut = this.completeLength(bytes);
    if (cut < bytes.length) this.partialChar = Buffer.from(bytes.subarray(cut));
    this.append(bytes.subarray(0, cut), false);
    return this.carry.length < this.rescanAt ? [] : this.parse(false);
  }

  /** Ends the file; returns the rows still held. */
  end(): CsvRow[] {
    let bytes: Buffer | null = null;
    if (!this.bomChecked) {
      this.bomChecked = true;
      bytes = this.head;
      this.head = null;
    }
    if (this.partialChar !== null) {
      bytes = bytes === null ? this.partialChar : Buffer.concat([bytes, this.partialChar]);
      this.partialChar = null;
    }
    this.append(bytes ?? Buffer.alloc(0), true);
    return this.parse(true);
  }

  /**
   * Adds decoded `bytes` to the unfinished record. Decoding the record's text again with
   * them, rather than concatenating strings, hands the scanner a flat string: V8's
   * charCodeAt on a concatenation (a rope) is markedly slower.
   */
  private append(bytes: Buffer, atEnd: boolean): void {
    this.carryBytes += bytes.length;
    if (this.carry === "") {
      this.carry = bytes.toString(this.encoding);
    } else if (!atEnd && this.carry.length + bytes.length < this.rescanAt) {
      this.carry += bytes.toString(this.encoding);
    } else {
      const text = Buffer.from(this.carry, this.encoding);
      this.carry = Buffer.concat([text, bytes]).toString(this.encoding);
    }
  }

  private skipBom(head: Buffer): Buffer {
    this.bomChecked = true;
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
      this.carryOffset = 3;
      return head.subarray(3);
    }
    if (head[0] === 0xff && head[1] === 0xfe) {
      this.encoding = "utf16le";
      this.carryOffset = 2;
      return head.subarray(2);
    }
    return head;
  }

  /** Length of the prefix of `bytes` that splits no character. */
  private completeLength(bytes: Buffer): number {
    const length = bytes.length;
    if (this.encoding === "utf16le") return length - (length % 2);
    for (let back = 1; back <= 3 && back <= length; back++) {
      const byte = bytes[length - back] ?? 0;
      if (byte < 0x80) return length;
      if (byte >= 0xc0) {
        const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
        return needs > back ? length - back : length;
      }
    }
    return length;
  }

  private parse(atEnd: boolean): CsvRow[] {
    const s = this.carry;
    this.text = s;
    this.textOffset = this.carryOffset;
    this.textBytes = this.carryBytes;
    this.textIsOneBytePerChar = this.encoding === "utf8" && this.carryBytes === s.length;
    this.bytesCursor = 0;
    this.bytesCursorOffset = this.carryOffset;
    this.delimitersInText = 0;
    const rows: CsvRow[] = [];
    const n = s.length;
    let start = 0;
    while (start < n) {
      const next = this.readRecord(start, atEnd, rows);
      if (next === NEED_MORE) break;
      start = next;
    }
    if (atEnd) {
      this.carry = "";
      return rows;
    }
    // Keep the unfinished record for the next chunk.
    const startOffset = this.offsetAt(start);
    this.carryLine = this.lineAt(start);
    this.carry = start === 0 ? s : s.slice(start);
    this.carryBytes = this.textOffset + this.textBytes - startOffset;
    this.carryOffset = startOffset;
    this.rescanAt = this.carry.length > 65_536 ? this.carry.length * 2 : 0;
    return rows;
  }

  /**
   * Reads the record starting at `start`; returns where the next one starts, or NEED_MORE
   * when the text ends first and more is coming.
   */
  private readRecord(start: number, atEnd: boolean, rows: CsvRow[]): number {
    const s = this.text;
    const n = s.length;
    const fields: string[] = [];
    let i = start;
    for (;;) {
      let value: string;
      let wasQuoted = false;
      let p: number;
      if (i < n && s.charCodeAt(i) === QUOTE) {
        wasQuoted = true;
        value = "";
        let from = i + 1;
        for (;;) {
          const q = s.indexOf('"', from);
          if (q === -1 || (q + 1 >= n && !atEnd)) {
            if (!atEnd) return NEED_MORE;
            throw new CsvSyntaxError(
              "CSV_QUOTE_NOT_CLOSED",
              `Quote Not Closed: the parsing is finished with an opening quote at line ${this.lineAt(n - 1)}`,
            );
          }
          if (q + 1 < n && s.charCodeAt(q + 1) === QUOTE) {
            value += s.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          value += s.slice(from, q);
          p = q + 1;
          break;
        }
        if (p < n) {
          const c = s.charCodeAt(p);
          if (c === NUL) {
            const tail = this.scanUnquoted(p, fields, value, atEnd);
            if (tail === NEED_MORE) return NEED_MORE;
            value += s.slice(p, tail);
            p = tail;
          } else if (c !== COMMA) {
            const length = c === CR || c === LF ? this.delimiterAt(p, atEnd) : 0;
            if (length === NEED_MORE) return NEED_MORE;
            if (length === 0) {
              throw new CsvSyntaxError(
                "CSV_INVALID_CLOSING_QUOTE",
                `Invalid Closing Quote: got "${String.fromCharCode(this.firstByte(c, p))}" at line ${this.lineAt(p - 1)} instead of delimiter, record delimiter, trimable character (if activated) or comment`,
              );
            }
          }
        }
      } else {
        p = this.scanUnquoted(i, fields, "", atEnd);
        if (p === NEED_MORE) return NEED_MORE;
        value = i === p ? "" : s.slice(i, p);
      }
      if (p < n && s.charCodeAt(p) === COMMA) {
        fields.push(value);
        i = p + 1;
        continue;
      }
      if (p >= n) {
        // The end of the file: a last line with no characters is no record.
        if (wasQuoted || fields.length > 0 || value.length > 0) {
          fields.push(value);
          this.onRecord(fields, start, n, n, rows);
        }
        return n;
      }
      // A record delimiter (scanUnquoted and the quote check stop only at one).
      const next = p + this.recordDelimiter.length;
      this.delimitersInText++;
      if (fields.length === 0 && !wasQuoted && value.length === 0) return next;
      fields.push(value);
      this.onRecord(fields, start, p, next, rows);
      return next;
    }
  }

  /**
   * Scans unquoted field text from `i`; returns the index of the comma or record delimiter
   * that ends it, `n` at the end of the file, or NEED_MORE.
   */
  private scanUnquoted(i: number, fields: string[], before: string, atEnd: boolean): number {
    const s = this.text;
    const n = s.length;
    for (let p = i; p < n; p++) {
      const c = s.charCodeAt(p);
      if (c > COMMA) continue;
      if (c === COMMA) return p;
      if (c === QUOTE) {
        const value = before + s.slice(i, p);
        const column =
          this.header === null
            ? fields.length
            : this.header.length > fields.length
              ? this.header[fields.length]
              : null;
        const bom = value === "\ufeff" ? " (utf8 bom)" : "";
        throw new CsvSyntaxError(
          "CSV_INVALID_OPENING_QUOTE",
          `Invalid Opening Quote: a quote is found on field ${JSON.stringify(column)} at line ${this.lineAt(p)}, value is ${JSON.stringify(value)}${bom}`,
        );
      }
      if (c === CR || c === LF) {
        const length = this.delimiterAt(p, atEnd);
        if (length === NEED_MORE) return NEED_MORE;
        if (length > 0) return p;
      }
    }
    return atEnd ? n : NEED_MORE;
  }

  /**
   * Length of the record delimiter at `p` (a CR or LF outside quotes), 0 when the character
   * is field text, NEED_MORE when the next character is needed to tell. The first line end
   * met decides the delimiter.
   */
  private delimiterAt(p: number, atEnd: boolean): number {
    const s = this.text;
    const c = s.charCodeAt(p);
    const known = this.recordDelimiter;
    if (known === "\n") return c === LF ? 1 : 0;
    if (known === "\r") return c === CR ? 1 : 0;
    if (known === "\r\n" && c !== CR) return 0;
    if (p + 1 >= s.length) {
      if (!atEnd && c === CR) return NEED_MORE;
    }
    const followedByLf = p + 1 < s.length && s.charCodeAt(p + 1) === LF;
    if (known === "\r\n") return followedByLf ? 2 : 0;
    this.recordDelimiter = c === LF ? "\n" : followedByLf ? "\r\n" : "\r";
    return this.recordDelimiter.length;
  }

  private onRecord(
    fields: string[],
    start: number,
    end: number,
    next: number,
    rows: CsvRow[],
  ): void {
    const header = this.header;
    if (header === null) {
      if (isRecordEmpty(fields)) return;
      this.header = this.checkHeader(fields);
      return;
    }
    const count = fields.length;
    const problem = count !== header.length;
    if (isRecordEmpty(fields)) return;
    this.records++;
    const record: Record<string, string> = {};
    const headerLength = header.length;
    if (this.headerHasDuplicates) {
      for (let k = 0; k < headerLength; k++) record[header[k] as string] = "";
      for (let k = 0; k < headerLength && k < count; k++) {
        record[header[k] as string] = fields[k] as string;
      }
    } else {
      for (let k = 0; k < headerLength; k++) {
        record[header[k] as string] = k < count ? (fields[k] as string) : "";
      }
    }
    let bytes = this.offsetAt(next);
    if (bytes < this.lastBytes) bytes = this.lastBytes;
    this.lastBytes = bytes;
    const row: CsvRow = {
      rowNumber: this.records,
      record,
      raw: stripLineEnds(this.text, start, end),
      bytes,
    };
    if (problem) {
      row.fieldCountProblem = `the row has ${count} fields but the header has ${headerLength}`;
    }
    rows.push(row);
  }

  private checkHeader(fields: string[]): string[] {
    const header = fields.map((name) => name.trim());
    const seen = new Set<string>();
    for (const name of header) {
      if (seen.has(name)) {
        if (name !== "") {
          throw new PleError("VALIDATION_FAILED", `the header names column "${name}" twice`, {
            field: "header",
          });
        }
        this.headerHasDuplicates = true;
      }
      seen.add(name);
    }
    return header;
  }

  /** File offset of index `p` of the text (exact for valid UTF-8 and UTF-16). */
  private offsetAt(p: number): number {
    if (this.textIsOneBytePerChar) return this.textOffset + p;
    if (this.encoding === "utf16le") return this.textOffset + 2 * p;
    if (p > this.bytesCursor) {
      this.bytesCursorOffset += Buffer.byteLength(this.text.slice(this.bytesCursor, p));
      this.bytesCursor = p;
    }
    // Invalid UTF-8 decodes to U+FFFD, 3 bytes when counted again: never past the text's end.
    return Math.min(this.bytesCursorOffset, this.textOffset + this.textBytes);
  }

  /**
   * csv-parse's line number at index `p` of the text: 1 + the CR and LF characters before
   * it in the file, the LF of each CR LF record delimiter not counted.
   */
  private lineAt(p: number): number {
    const s = this.text;
    let line = this.carryLine;
    for (const c of ["\r", "\n"]) {
      for (let k = s.indexOf(c); k !== -1 && k < p; k = s.indexOf(c, k + 1)) line++;
    }
    if (this.recordDelimiter === "\r\n") line -= this.delimitersInText;
    return line;
  }

  /** csv-parse names the first byte of the character it refused. */
  private firstByte(c: number, p: number): number {
    if (c < 0x80 || this.encoding === "utf16le") return c;
    if (c < 0x800) return 0xc0 | (c >> 6);
    if (c >= 0xd800 && c < 0xdc00) {
      const point = this.text.codePointAt(p) ?? c;
      return 0xf0 | (point >> 18);
    }
    return 0xe0 | (c >> 12);
  }
}

/** csv-parse's isRecordEmpty: every field is whitespace (String#trim). */
function isRecordEmpty(fields: string[]): boolean {
  for (const field of fields) {
    if (field.length === 0) continue;
    const c = field.charCodeAt(0);
    if ((c > 32 && c < 127) || field.trim() !== "") return false;
  }
  return true;
}

/** s[start, end) without the CR and LF characters at either end. */
function stripLineEnds(s: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to) {
    const c = s.charCodeAt(from);
    if (c !== CR && c !== LF) break;
    from++;
  }
  while (to > from) {
    const c = s.charCodeAt(to - 1);
    if (c !== CR && c !== LF) break;
    to--;
  }
  return s.slice(from, to);
}
