/**
 * CsvReader against csv-parse with the options openCsv used to pass it: the same rows
 * (number, record, raw text, field-count problem, bytes) or the same refusal, for generated
 * inputs, cut into chunks at every kind of place.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvReader, CsvSyntaxError } from "../src/csv-reader.js";
import { openCsv } from "../src/csv-source.js";
import { type CsvOutcome, readWithCsvParse } from "./csv-parse-oracle.js";
import { tempDir, writeTemp } from "./helpers.js";

/** Rich in what CSV gives meaning to, plus multi-byte characters, a BOM and NUL. */
const CHARS = [",", '"', "\r", "\n", " ", "\t", "a", "b", "Z", "é", "€", "😀", "\ufeff", "\0"];
const char = fc.constantFrom(...CHARS);
const BYTES = [0x22, 0x2c, 0x0d, 0x0a, 0x20, 0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x80, 0xff];

function readChunks(chunks: Buffer[]): CsvOutcome {
  const reader = new CsvReader();
  const rows = [];
  try {
    for (const chunk of chunks) rows.push(...reader.push(chunk));
    rows.push(...reader.end());
  } catch (err) {
    if (err instanceof CsvSyntaxError) return { error: { reason: err.code, message: err.message } };
    if (err instanceof Error && "field" in err && err.field === "header") {
      return { error: { reason: "HEADER", message: err.message } };
    }
    throw err;
  }
  return { header: reader.header ?? [], rows };
}

/** `bytes` cut at `cuts` (positions, any order, repeats allowed). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** Drops `bytes` where csv-parse and the reader are allowed to differ: invalid UTF-8. */
function withoutBytes(outcome: CsvOutcome): CsvOutcome {
  if ("error" in outcome) return { error: { reason: outcome.error.reason, message: "" } };
  return { header: outcome.header, rows: outcome.rows.map((row) => ({ ...row, bytes: 0 })) };
}

let cases = 0;
async function expectSame(bytes: Buffer, cuts: number[], exactBytes = true): Promise<void> {
  cases++;
  const expected = await readWithCsvParse(bytes);
  for (const chunks of [[bytes], split(bytes, cuts)]) {
    const actual = readChunks(chunks);
    if (exactBytes) expect(actual).toEqual(expected);
    else expect(withoutBytes(actual)).toEqual(withoutBytes(expected));
  }
}

const field = fc.oneof(
  fc.string({ unit: fc.constantFrom("a", "b", " ", "é", "😀", "\t"), maxLength: 6 }),
  fc.string({ unit: char, maxLength: 6 }).map((text) => `"${text.replace(/"/g, '""')}"`),
  fc.string({ unit: char, maxLength: 3 }),
);
const lineEnd = fc.constantFrom("\n", "\r\n", "\r");

/** Mostly well-formed CSV: a header, rows of 0–4 fields, a line end per file or mixed. */
const structured = fc
  .record({
    bom: fc.boolean(),
    header: fc.array(fc.constantFrom("name", "website", " id ", "", "é"), {
      minLength: 1,
      maxLength: 4,
    }),
    rows: fc.array(fc.array(field, { maxLength: 4 }), { maxLength: 6 }),
    ends: fc.array(lineEnd, { minLength: 1, maxLength: 3 }),
    trailing: fc.boolean(),
  })
  .map(({ bom, header, rows, ends, trailing }) => {
    const lines = [header.join(","), ...rows.map((r) => r.join(","))];
    let text = bom ? "\ufeff" : "";
    lines.forEach((line, k) => {
      text += line;
      if (k < lines.length - 1 || trailing) text += ends[k % ends.length];
    });
    return text;
  });

const cutsArb = fc.array(fc.nat(400), { maxLength: 12 });

describe("CsvReader reads as csv-parse did", () => {
  it('arbitrary text over , " CR LF space, letters, multi-byte characters, BOM and NUL', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: char, maxLength: 40 }), cutsArb, async (text, cuts) => {
        await expectSame(Buffer.from(text), cuts);
      }),
      { numRuns: 4000 },
    );
  });

  it("arbitrary text after a well-formed header", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("a,b\n", "a,b\r\n", "a,b\r", '"a","b"\r\n', "\ufeffa,b,c\n"),
        fc.string({ unit: char, maxLength: 40 }),
        cutsArb,
        async (header, text, cuts) => {
          await expectSame(Buffer.from(header + text), cuts);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("structured CSV: quoted fields, empty lines, ragged rows, every line end", async () => {
    await fc.assert(
      fc.asyncProperty(structured, cutsArb, async (text, cuts) => {
        await expectSame(Buffer.from(text), cuts);
      }),
      { numRuns: 3000 },
    );
  });

  it("invalid UTF-8: the same records and refusals (bytes are an estimate there)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...BYTES), { maxLength: 40 }),
        cutsArb,
        async (bytes, cuts) => {
          await expectSame(Buffer.from([0x61, 0x2c, 0x62, 0x0a, ...bytes]), cuts, false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("an Apollo-like file, split at every byte", async () => {
    const text =
      '\ufeffFirst Name,Last Name,Company,Title\r\n"Zoë","Ng","Ácme, Inc.","CEO ""the boss"""\r\n' +
      '\r\nLi,"Wei\r\nJr.",😀 Labs,\r\n   ,  \r\n"",""\r\nA,B,C,D,E\r\n';
    const bytes = Buffer.from(text);
    const expected = await readWithCsvParse(bytes);
    expect("rows" in expected && expected.rows.length).toBe(3);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(readChunks([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(expected);
    }
    expect(readChunks([...bytes].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  it("ran the cases it says", () => {
    // 2 readings (whole, cut) of each case against csv-parse; printed for the record.
    console.log(`csv differential: ${cases} generated inputs compared with csv-parse`);
    expect(cases).toBeGreaterThanOrEqual(12_000);
  });
});

describe("openCsv reading a file in small chunks", () => {
  const dir = tempDir("ple-csv-diff-");

  async function readFile(path: string, chunkSize: number): Promise<CsvOutcome> {
    try {
      const csv = await openCsv(path, { chunkSize });
      const rows = [];
      for await (const row of csv.rows) rows.push(row);
      return { header: csv.header, rows };
    } catch (err) {
      const e = err as { field?: string; details?: { reason?: string }; message: string };
      if (e.field === "header") return { error: { reason: "HEADER", message: e.message } };
      expect(e).toMatchObject({ code: "VALIDATION_FAILED", field: "file" });
      const message = e.message.replace(`${path} is not valid CSV: `, "");
      return { error: { reason: e.details?.reason ?? "?", message } };
    }
  }

  it("gives csv-parse's result with chunks of 1 to 7 bytes", async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(structured, fc.string({ unit: char, maxLength: 30 })),
        fc.integer({ min: 1, max: 7 }),
        async (text, chunkSize) => {
          const bytes = Buffer.from(text);
          const path = writeTemp(dir, `in-${k++}.csv`, text);
          expect(await readFile(path, chunkSize)).toEqual(await readWithCsvParse(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("joins a multi-byte character split between chunks", async () => {
    // "€" is 3 bytes, "😀" 4: with 1–7 byte chunks each is split at every offset somewhere.
    const text = 'name,city\n€uro,Zürich\n😀,"a😀b"\n€€€,😀😀\n';
    const path = writeTemp(dir, "split.csv", text);
    for (let size = 1; size <= 7; size++) {
      const csv = await openCsv(path, { chunkSize: size });
      const rows = [];
      for await (const row of csv.rows) rows.push(row);
      expect(rows.map((r) => r.record)).toEqual([
        { name: "€uro", city: "Zürich" },
        { name: "😀", city: "a😀b" },
        { name: "€€€", city: "😀😀" },
      ]);
      expect(rows.at(-1)?.bytes).toBe(Buffer.byteLength(text));
    }
  });

  it("reads a record much larger than a chunk (re-scanned only as it doubles)", async () => {
    const big = 'é "quoted"\r\n, '.repeat(40_000);
    const text = `name,notes\r\na,"${big.replace(/"/g, '""')}"\r\nb,short\r\n`;
    const path = writeTemp(dir, "big.csv", text);
    expect(await readFile(path, 4096)).toEqual(await readWithCsvParse(Buffer.from(text)));
  });

  it("reads a UTF-16LE file (FF FE byte-order mark) as csv-parse does", async () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('name,city\r\n"Zoë, Jr.",Zürich\r\n', "utf16le"),
    ]);
    const path = join(dir, "utf16.csv");
    writeFileSync(path, bytes);
    const csv = await openCsv(path, { chunkSize: 3 });
    const rows = [];
    for await (const row of csv.rows) rows.push(row);
    const expected = await readWithCsvParse(bytes);
    expect("rows" in expected && expected.rows.map((r) => r.record)).toEqual(
      rows.map((r) => r.record),
    );
    expect(rows[0]?.raw).toBe('"Zoë, Jr.",Zürich');
    expect(rows[0]?.bytes).toBe(bytes.length);
  });

  it("rejects the iteration on a read error", async () => {
    const folder = join(dir, "a-folder.csv");
    mkdirSync(folder);
    const failing = async () => {
      const csv = await openCsv(folder);
      for await (const _ of csv.rows) {
        // nothing
      }
    };
    await expect(failing()).rejects.toMatchObject({ code: "EISDIR" });
  });
});
