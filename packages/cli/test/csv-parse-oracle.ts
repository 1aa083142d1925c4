/**
 * The oracle for csv-differential.test.ts: how openCsv read a file with csv-parse before
 * CsvReader replaced it (the same options and post-processing), fed from memory.
 */
import { Readable } from "node:stream";
import { PleError } from "@ple/core";
import { parse } from "csv-parse";
import type { CsvRow } from "../src/csv-reader.js";

interface ParsedRecord {
  record: Record<string, string | undefined>;
  raw: string;
  info: { bytes: number; records: number; error?: { record?: unknown[] } };
}

export type CsvOutcome =
  | { header: string[]; rows: CsvRow[] }
  | { error: { reason: string; message: string } };

function stripLineEnds(raw: string): string {
  return raw.replace(/^[\r\n]+/, "").replace(/[\r\n]+$/, "");
}

export async function readWithCsvParse(bytes: Buffer): Promise<CsvOutcome> {
  let header: string[] = [];
  const parser = Readable.from(bytes.length === 0 ? [] : [bytes]).pipe(
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
  const rows: CsvRow[] = [];
  try {
    for await (const parsed of parser as AsyncIterable<ParsedRecord>) {
      const { record, raw, info } = parsed;
      const values: Record<string, string> = {};
      for (const name of header) values[name] = record[name] ?? "";
      const fieldCount = info.error?.record?.length;
      rows.push({
        rowNumber: info.records,
        record: values,
        raw: stripLineEnds(raw),
        bytes: info.bytes,
        ...(fieldCount === undefined
          ? {}
          : {
              fieldCountProblem: `the row has ${fieldCount} fields but the header has ${header.length}`,
            }),
      });
    }
  } catch (err) {
    if (err instanceof PleError) return { error: { reason: "HEADER", message: err.message } };
    if (err instanceof Error && "code" in err && typeof err.code === "string") {
      // csv-parse 6 names this one without its CSV_ prefix; the new reader adds it.
      const reason = err.code.startsWith("CSV_") ? err.code : `CSV_${err.code}`;
      return { error: { reason, message: err.message } };
    }
    throw err;
  }
  return { header, rows };
}
