/**
 * Row parsing for imports: a CSV row to the input the API would take (@ple/core's zod
 * schemas), or a RejectedRow saying why not.
 */
import {
  type CompanyCells,
  type CompanyCreateInput,
  type CompanyUid,
  CompanyUidSchema,
  isPleError,
  normaliseWebsite,
  type PersonCreateInput,
  PleError,
  parseCompanyCells,
  parseInput,
  parsePersonCells,
  type Role,
  roleFromTitle,
  unwrap,
} from "@ple/core";
import type { CsvRow } from "../csv-source.js";
import {
  type CompanyColumns,
  cellValue,
  type PersonColumns,
  personName,
} from "../import-columns.js";
import {
  type ApolloEmailValidation,
  apolloEmailStatus,
  optionalPersonFields,
} from "../person-row-extras.js";
import type { RejectedRow } from "./import-summary.js";

/**
 * A copy of text that shares no memory with the string it came from. Values cut from the CSV
 * reader's chunks share the chunk's memory, so one kept until the import ends (a reject, an
 * unmapped title) would keep its whole chunk alive, and memory would grow with the file.
 */
export function ownCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/**
 * PostgreSQL text cannot hold NUL: a reject shows it as ␀ (in the database and the report).
 * Rejects are kept until the import ends, so the text is a copy of its own (ownCopy).
 */
export function storable(text: string): string {
  return ownCopy(text.includes("\u0000") ? text.replaceAll("\u0000", "\u2400") : text);
}

/**
 * What a batch keeps of a row read from the file until its outcome is known: its number and
 * text, for a reject. Not the cells: they are parsed already, and rows kept while their batch
 * is written outlive the young heap, so every byte kept per row is copied by the collector.
 */
export type RowRef = Pick<CsvRow, "rowNumber" | "raw">;

/** A row refused with a PleError, as a reject; anything else is not the row's fault. */
export function rejectFrom(row: RowRef, err: unknown): RejectedRow {
  if (isPleError(err)) {
    return {
      row_number: row.rowNumber,
      error_code: err.code,
      field: err.field === undefined ? null : storable(err.field),
      message: storable(err.message),
      raw_row: storable(row.raw),
    };
  }
  throw err;
}

/** Present cells only: an absent optional column must not reach the schema as "". */
function present(values: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== null) out[key] = value;
  return out;
}

/** A record the reader could not read, a ragged row or a NUL byte: refused before the schema. */
function checkRecord(row: CsvRow): void {
  if (row.unreadable) {
    throw new PleError("VALIDATION_FAILED", row.unreadable.message, {
      field: "row",
      details: { reason: row.unreadable.reason },
    });
  }
  if (row.fieldCountProblem) {
    throw new PleError("VALIDATION_FAILED", row.fieldCountProblem, {
      field: "row",
      details: { reason: "field_count" },
    });
  }
  if (!row.raw.includes("\u0000")) return;
  for (const [column, value] of Object.entries(row.record)) {
    if (value.includes("\u0000")) {
      throw new PleError(
        "VALIDATION_FAILED",
        `column "${column}" holds a NUL byte, which cannot be stored`,
        { field: column, details: { reason: "nul_byte" } },
      );
    }
  }
}

/** A companies row as the API would take it: CompanyCreateInput (normalised by its schema). */
export function parseCompanyRow(row: CsvRow, cols: CompanyColumns): CompanyCreateInput {
  checkRecord(row);
  const cells: CompanyCells = {
    company_name: cellValue(row.record, cols.name) ?? "",
    website: cellValue(row.record, cols.website) ?? "",
  };
  const apollo = cellValue(row.record, cols.apolloCompanyId);
  if (apollo !== null) cells.apollo_company_id = apollo;
  const ein = cellValue(row.record, cols.ein);
  if (ein !== null) cells.ein = ein;
  // CompanyCreateInput's normalisers without zod's object machinery (see parseCompanyCells).
  return unwrap(parseCompanyCells(cells));
}

export interface PersonRow {
  person: Omit<PersonCreateInput, "company_uid" | "source">;
  /** Optional fields dropped because they did not parse. */
  dropped: Array<{ field: string; message: string }>;
  /** Apollo's "Email Status", mapped (null: no column, empty cell or unknown word). */
  validation: ApolloEmailValidation | null;
  /** An "Email Status" word not known. */
  unknownEmailStatus: string | null;
  role: Role | null;
  companyUid: CompanyUid | null;
  /** A company named with enough to create it (name and website). */
  company: CompanyCreateInput | null;
  /** A company identified without enough to create it (Apollo id or website only). */
  companyRef: { website: string | null; apolloCompanyId: string | null } | null;
}

export function parsePersonRow(row: CsvRow, cols: PersonColumns): PersonRow {
  checkRecord(row);
  // A malformed optional field costs only that field (a warning); a required one the row.
  const optional = optionalPersonFields({
    linkedin_url: cellValue(row.record, cols.linkedinUrl),
    title: cellValue(row.record, cols.title),
  });
  const person = unwrap(
    parsePersonCells({
      name: personName(row.record, cols) ?? "",
      email: cellValue(row.record, cols.email) ?? "",
      ...optional.fields,
    }),
  );
  const emailStatus = apolloEmailStatus(cellValue(row.record, cols.emailStatus));
  const rawUid = cellValue(row.record, cols.companyUid);
  const companyUid = rawUid === null ? null : unwrap(parseInput(CompanyUidSchema, rawUid));
  const companyName = cellValue(row.record, cols.companyName);
  const rawWebsite = cellValue(row.record, cols.website);
  const apolloCompanyId = cellValue(row.record, cols.apolloCompanyId);
  let company: CompanyCreateInput | null = null;
  let companyRef: PersonRow["companyRef"] = null;
  if (companyUid === null && companyName !== null && rawWebsite !== null) {
    company = unwrap(
      parseCompanyCells({
        company_name: companyName,
        website: rawWebsite,
        ...present({ apollo_company_id: apolloCompanyId }),
      }),
    );
  } else if (companyUid === null && (rawWebsite !== null || apolloCompanyId !== null)) {
    companyRef = {
      website: rawWebsite === null ? null : unwrap(normaliseWebsite(rawWebsite)),
      apolloCompanyId,
    };
  }
  const title = person.title ?? null;
  return {
    person,
    dropped: optional.dropped,
    validation: emailStatus.validation,
    unknownEmailStatus: emailStatus.unknown,
    role: title === null ? null : roleFromTitle(title),
    companyUid,
    company,
    companyRef,
  };
}

export function isApolloExport(header: readonly string[]): boolean {
  return header.some((h) => /^apollo (contact|account) id$/i.test(h.trim()));
}

/** A row read from the file with what parsing made of it. */
export interface ParsedRow<T> {
  row: RowRef;
  parsed: T;
}

/** A batch read from the file: its rows parsed (or rejected) while the one before is written. */
export interface Batch<T> {
  size: number;
  lastBytes: number;
  planned: ParsedRow<T>[];
  invalid: RejectedRow[];
}

export function newBatch<T>(): Batch<T> {
  return { size: 0, lastBytes: 0, planned: [], invalid: [] };
}

export function addRow<T>(batch: Batch<T>, row: CsvRow, parse: (row: CsvRow) => T): void {
  batch.size++;
  batch.lastBytes = row.bytes;
  try {
    const parsed = parse(row);
    batch.planned.push({ row: { rowNumber: row.rowNumber, raw: row.raw }, parsed });
  } catch (err) {
    batch.invalid.push(rejectFrom(row, err));
  }
}
