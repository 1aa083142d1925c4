/**
 * `ple import companies|people FILE`: streams a CSV file into the registry in batches, each
 * batch one transaction written set-based (@ple/db's importCompanyBatch / importPersonBatch)
 * while the next batch is read and validated. On a server a company import writes two batches
 * at once (the later one's rows that depend on the one before wait for it), so memory holds at
 * most three batches. A row the
 * database refuses is rejected alone; a batch the set-based path cannot take is redone with a
 * savepoint per row. A killed import can simply be run again: every write is idempotent
 * (companies by website or Apollo id, people by email, rejects by file and row). Every
 * rejected row is kept in marketing.import_reject and in a CSV report beside the input.
 */

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import {
  CompanyCreateInput,
  type CompanyUid,
  CompanyUidSchema,
  type ErrorCode,
  formatSlotUid,
  isPleError,
  normaliseWebsite,
  PersonCreateInput,
  PleError,
  parseInput,
  type Role,
  roleFromTitle,
  unwrap,
} from "@ple/core";
import { BULK_IMPORT_BATCH_SIZE } from "@ple/db";
import { type CsvRow, csvField, openCsv, spreadsheetSafe } from "../csv-source.js";
import {
  type CompanyColumns,
  cellValue,
  companyColumns,
  type PersonColumns,
  personColumns,
  personName,
} from "../import-columns.js";
import {
  type ApolloEmailValidation,
  apolloEmailStatus,
  optionalPersonFields,
  type RowWarning,
} from "../person-row-extras.js";
import type { ProgressUpdate } from "../progress.js";
import type { ImportStore, ImportStoreFactory } from "./import-store.js";

export type ImportKind = "companies" | "people";

export interface ImportOptions {
  file: string;
  dryRun?: boolean;
  /** Where the CSV report of rejected rows goes; default `<input>.rejects.csv` beside the input. */
  rejectsFile?: string;
  /** Rows per transaction. */
  batchSize?: number;
  onProgress?: (state: ProgressUpdate) => void;
}

export interface RejectedRow {
  row_number: number;
  error_code: ErrorCode;
  field: string | null;
  message: string;
  raw_row: string;
}

export interface UnmappedTitle {
  title: string;
  count: number;
}

export interface SlotConflict {
  row_number: number;
  person_id: string;
  slot_uid: string;
  reason: string;
}

export interface ImportSummary {
  kind: ImportKind;
  file: string;
  dry_run: boolean;
  rows: number;
  /** Created (or, in a dry run, would be created). */
  created: number;
  /** Already in the registry (or earlier in the same file). */
  existing: number;
  rejected: number;
  /** The CSV report of rejected rows, when one was written. */
  rejects_file: string | null;
  rejects: RejectedRow[];
  /** People import only. */
  companies_created?: number;
  linked?: number;
  already_linked?: number;
  slot_conflicts?: SlotConflict[];
  unmapped_titles?: UnmappedTitle[];
  without_company?: number;
  /** Rows imported without a malformed optional field (LinkedIn URL, title), one entry each. */
  warnings?: RowWarning[];
  /**
   * Apollo's "Email Status" (people import with that column): rows whose word was mapped to a
   * validation result (recorded for people the import created), and words not known (those
   * people stay pending).
   */
  email_status?: {
    mapped: number;
    unknown: number;
    unknown_values: Array<{ status: string; count: number }>;
  };
  duration_ms: number;
}

/** The default reject report path: `accounts.csv` → `accounts.rejects.csv` beside it. */
export function defaultRejectsFile(file: string): string {
  const ext = extname(file);
  return join(dirname(file), `${basename(file, ext)}.rejects.csv`);
}

/**
 * Attempts at a batch transaction that lost a race with another writer (deadlock, serialization
 * failure). Each retry rolls the whole transaction back first, releasing every lock it held, and
 * waits a jittered, growing while so that the writers it met get ahead; a batch that still loses
 * after this many fails the import rather than reject a valid row.
 */
const BATCH_ATTEMPTS = 8;
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 2000;

/** Full jitter: a random wait up to base · 2^(attempt-1), capped. */
function backoff(attemptNo: number): Promise<void> {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attemptNo - 1));
  return new Promise((done) => setTimeout(done, Math.random() * ceiling));
}

/** A batch the set-based path hands to the row-by-row path (rolled back first). */
class RowByRow extends Error {
  constructor() {
    super("the batch goes row by row");
  }
}

/** A lost race (deadlock 40P01, serialization failure 40001): retry the whole transaction. */
function isRetryable(err: unknown): boolean {
  if (!isPleError(err)) return false;
  const sqlstate = err.details?.sqlstate;
  return err.details?.retryable === true || sqlstate === "40P01" || sqlstate === "40001";
}

/**
 * A copy of text that shares no memory with the string it came from. Values cut from the CSV
 * reader's chunks share the chunk's memory, so one kept until the import ends (a reject, a dry
 * run's key, an unmapped title) would keep its whole chunk alive, and memory would grow with
 * the file.
 */
function ownCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/**
 * PostgreSQL text cannot hold NUL: a reject shows it as ␀ (in the database and the report).
 * Rejects are kept until the import ends, so the text is a copy of its own (ownCopy).
 */
function storable(text: string): string {
  return ownCopy(text.includes("\u0000") ? text.replaceAll("\u0000", "\u2400") : text);
}

function rejectFrom(row: CsvRow, err: unknown): RejectedRow {
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

function checkFieldCount(row: CsvRow): void {
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
function parseCompanyRow(row: CsvRow, cols: CompanyColumns): CompanyCreateInput {
  checkFieldCount(row);
  return unwrap(
    parseInput(CompanyCreateInput, {
      company_name: cellValue(row.record, cols.name) ?? "",
      website: cellValue(row.record, cols.website) ?? "",
      ...present({
        apollo_company_id: cellValue(row.record, cols.apolloCompanyId),
        ein: cellValue(row.record, cols.ein),
      }),
    }),
  );
}

interface PersonRow {
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

function parsePersonRow(row: CsvRow, cols: PersonColumns): PersonRow {
  checkFieldCount(row);
  // A malformed optional field costs only that field (a warning); a required one the row.
  const optional = optionalPersonFields({
    linkedin_url: cellValue(row.record, cols.linkedinUrl),
    title: cellValue(row.record, cols.title),
  });
  const person = unwrap(
    parseInput(PersonCreateInput.omit({ company_uid: true, source: true }), {
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
      parseInput(CompanyCreateInput, {
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

function isApolloExport(header: readonly string[]): boolean {
  return header.some((h) => /^apollo (contact|account) id$/i.test(h.trim()));
}

async function writeRejectReport(path: string, file: string, rejects: RejectedRow[]) {
  const out = createWriteStream(path, { encoding: "utf8" });
  const line = (fields: (string | number | null)[]) =>
    `${fields.map((f) => csvField(spreadsheetSafe(f))).join(",")}\r\n`;
  out.write(line(["file", "row_number", "error_code", "field", "message", "raw_row"]));
  for (const r of rejects) {
    if (!out.write(line([file, r.row_number, r.error_code, r.field, r.message, r.raw_row]))) {
      await once(out, "drain");
    }
  }
  out.end();
  await once(out, "finish");
}

/**
 * Splits a batch into the rows that can be written while the batch before is still being
 * written and those that must wait for it. A row waits when one of its keys (website, Apollo
 * id) is one of the batch before's, or one of an earlier waiting row's: what it finds or creates
 * may depend on those rows. A row that goes at once shares no key with the batch before nor with
 * any waiting row after it, so writing these rows first and the waiting ones after the batch
 * before ends exactly as writing the file in order would.
 */
export function splitOnPrior<T>(
  items: readonly T[],
  keysOf: (item: T) => readonly string[],
  priorKeys: ReadonlySet<string> | null,
): { now: T[]; later: T[] } {
  if (priorKeys === null || priorKeys.size === 0) return { now: [...items], later: [] };
  const now: T[] = [];
  const later: T[] = [];
  const waiting = new Set<string>();
  for (const item of items) {
    const keys = keysOf(item);
    if (keys.some((k) => priorKeys.has(k) || waiting.has(k))) {
      later.push(item);
      for (const k of keys) waiting.add(k);
    } else {
      now.push(item);
    }
  }
  return { now, later };
}

/** Runs one import; `openStore` gives a store per batch transaction (or a read-only one for dry runs). */
export async function runImport(
  kind: ImportKind,
  stores: ImportStoreFactory,
  options: ImportOptions,
): Promise<ImportSummary> {
  const started = Date.now();
  const file = resolve(options.file);
  const dryRun = options.dryRun ?? false;
  const batchSize = options.batchSize ?? BULK_IMPORT_BATCH_SIZE;
  const info = await stat(file).catch(() => {
    throw new PleError("NOT_FOUND", `no such file: ${options.file}`, { field: "file" });
  });
  if (!info.isFile()) {
    throw new PleError("VALIDATION_FAILED", `${options.file} is not a file`, { field: "file" });
  }
  const csv = await openCsv(file);
  const companyCols = kind === "companies" ? companyColumns(csv.header) : null;
  const personCols = kind === "people" ? personColumns(csv.header) : null;
  const source = isApolloExport(csv.header) ? "apollo" : "csv";

  const summary: ImportSummary = {
    kind,
    file,
    dry_run: dryRun,
    rows: 0,
    created: 0,
    existing: 0,
    rejected: 0,
    rejects_file: null,
    rejects: [],
    duration_ms: 0,
  };
  const unmapped = new Map<string, number>();
  const warnings: RowWarning[] = [];
  const emailStatus = { mapped: 0, unknown: 0, values: new Map<string, number>() };
  const conflicts: SlotConflict[] = [];
  const people = { companiesCreated: 0, linked: 0, alreadyLinked: 0, withoutCompany: 0 };
  // In a dry run, a later row naming an earlier row's company or email counts as "existing",
  // exactly as in a real run: the dry run remembers what it would have created.
  const seen = new Set<string>();

  // What one row did; applied to the summary only once its savepoint is released, so a row
  // that fails half-way (person created, then the link fails) counts only as a reject.
  interface RowOutcome {
    created: number;
    existing: number;
    companiesCreated: number;
    withoutCompany: number;
    unmappedTitle: string | null;
    link: "linked" | "already_linked" | SlotConflict | null;
  }

  type ParsedRow = { company: CompanyCreateInput } | { person: PersonRow };
  const parseRow = (row: CsvRow): ParsedRow => {
    if (companyCols) return { company: parseCompanyRow(row, companyCols) };
    if (personCols) return { person: parsePersonRow(row, personCols) };
    throw new PleError("INTERNAL", `no column mapping for ${kind}`);
  };

  const handleRow = async (
    store: ImportStore,
    row: CsvRow,
    parsed: ParsedRow,
  ): Promise<RowOutcome> => {
    const out: RowOutcome = {
      created: 0,
      existing: 0,
      companiesCreated: 0,
      withoutCompany: 0,
      unmappedTitle: null,
      link: null,
    };
    if ("company" in parsed) {
      const company = parsed.company;
      if (dryRun) {
        const keys = [`w:${company.website}`];
        if (company.apollo_company_id) keys.push(`a:${company.apollo_company_id}`);
        const known =
          keys.some((k) => seen.has(k)) ||
          (await store.findCompany(company.website, company.apollo_company_id ?? null)) !== null;
        for (const k of keys) if (!seen.has(k)) seen.add(ownCopy(k));
        if (known) out.existing++;
        else out.created++;
        return out;
      }
      const result = await store.createCompany(company);
      if (result.status === "created") out.created++;
      else out.existing++;
      return out;
    }
    const person = parsed.person;
    // The company: named by uid, found by Apollo id / website, or created from name + website.
    let companyUid: CompanyUid | null = null;
    let companyWillExist = false;
    if (person.companyUid !== null) {
      companyUid = await store.companyExists(person.companyUid);
      if (companyUid === null) {
        throw new PleError("COMPANY_NOT_FOUND", `no company ${person.companyUid}`, {
          field: "company_uid",
        });
      }
    } else if (person.company) {
      const c = person.company;
      if (dryRun) {
        companyUid = await store.findCompany(c.website, c.apollo_company_id ?? null);
        const key = `w:${c.website}`;
        if (companyUid === null && !seen.has(key)) out.companiesCreated++;
        if (!seen.has(key)) seen.add(ownCopy(key));
        companyWillExist = true;
      } else {
        const result = await store.createCompany(c);
        if (result.status === "created") out.companiesCreated++;
        companyUid = result.company_uid;
      }
    } else if (person.companyRef) {
      companyUid = await store.findCompany(
        person.companyRef.website,
        person.companyRef.apolloCompanyId,
      );
    }
    if (companyUid === null && !companyWillExist) out.withoutCompany++;
    const title = person.person.title ?? null;
    if (title !== null && person.role === null) out.unmappedTitle = title;
    if (dryRun) {
      const key = `e:${person.person.email}`;
      const found = await store.findPerson(person.person.email, person.person.linkedin_url);
      const known = seen.has(key) || found !== null;
      if (!seen.has(key)) seen.add(ownCopy(key));
      if (known) out.existing++;
      else out.created++;
      return out;
    }
    const created = await store.createPerson({ ...person.person, company_uid: companyUid, source });
    if (created.status === "created") out.created++;
    else out.existing++;
    if (created.status === "created" && person.validation !== null) {
      await store.recordValidations([{ person_id: created.person_id, ...person.validation }]);
    }
    if (companyUid === null || person.role === null) return out;
    const slotUid = formatSlotUid(companyUid, person.role);
    const link = await store.linkPerson(created.person_id, slotUid);
    out.link =
      link === "linked" || link === "already_linked"
        ? link
        : {
            row_number: row.rowNumber,
            person_id: created.person_id,
            slot_uid: slotUid,
            reason: link,
          };
    return out;
  };

  const apply = (out: RowOutcome) => {
    summary.created += out.created;
    summary.existing += out.existing;
    people.companiesCreated += out.companiesCreated;
    people.withoutCompany += out.withoutCompany;
    if (out.unmappedTitle !== null) {
      const count = unmapped.get(out.unmappedTitle);
      if (count === undefined) unmapped.set(ownCopy(out.unmappedTitle), 1);
      else unmapped.set(out.unmappedTitle, count + 1);
    }
    if (out.link === "linked") people.linked++;
    else if (out.link === "already_linked") people.alreadyLinked++;
    else if (out.link !== null) conflicts.push(out.link);
  };

  // Rows fully handled (committed or rejected), for progress.
  let done = 0;
  const emptyOutcome = (): RowOutcome => ({
    created: 0,
    existing: 0,
    companiesCreated: 0,
    withoutCompany: 0,
    unmappedTitle: null,
    link: null,
  });

  type Planned = { row: CsvRow; parsed: ParsedRow };

  /** A batch of companies: one set-based call for all its valid rows. */
  const bulkCompanies = async (
    store: ImportStore,
    planned: readonly Planned[],
    outcomes: RowOutcome[],
    rejects: RejectedRow[],
  ) => {
    const rows: Array<{ row: CsvRow; company: CompanyCreateInput }> = [];
    for (const { row, parsed } of planned) {
      if ("company" in parsed) rows.push({ row, company: parsed.company });
    }
    const results = await store.importCompanies(rows.map((r) => r.company));
    for (const [index, result] of results.entries()) {
      const row = rows[index]?.row;
      if (row === undefined) throw new PleError("INTERNAL", "an import outcome without its row");
      if (result.status === "rejected") {
        rejects.push(rejectFrom(row, result.error));
        continue;
      }
      const out = emptyOutcome();
      if (result.status === "created") out.created++;
      else out.existing++;
      outcomes.push(out);
    }
  };

  /**
   * A batch of people: the companies they name created in one set-based call, then the people
   * in one, then each person linked into their slot in file order. Ends as the row-by-row path
   * would; a person the database refuses sends the batch down that path instead, so that its
   * company is not kept either.
   */
  const bulkPeople = async (
    store: ImportStore,
    planned: readonly Planned[],
    outcomes: RowOutcome[],
    rejects: RejectedRow[],
  ) => {
    const rows: Array<{ row: CsvRow; person: PersonRow; out: RowOutcome }> = [];
    for (const { row, parsed } of planned) {
      if ("person" in parsed) rows.push({ row, person: parsed.person, out: emptyOutcome() });
    }
    // 1. The companies named with name and website.
    const naming = rows.filter((r) => r.person.company !== null);
    const companyResults = await store.importCompanies(
      naming.flatMap((r) => (r.person.company === null ? [] : [r.person.company])),
    );
    const refused = new Set<number>();
    const companyOf = new Map<number, CompanyUid>();
    // Which row of this batch created a company: a row before it cannot have found it.
    const createdBy = new Map<CompanyUid, number>();
    for (const [index, result] of companyResults.entries()) {
      const r = naming[index];
      if (r === undefined) throw new PleError("INTERNAL", "an import outcome without its row");
      if (result.status === "rejected") {
        rejects.push(rejectFrom(r.row, result.error));
        refused.add(r.row.rowNumber);
        continue;
      }
      if (result.status === "created") {
        r.out.companiesCreated++;
        createdBy.set(result.company_uid, r.row.rowNumber);
      }
      companyOf.set(r.row.rowNumber, result.company_uid);
    }
    // 2. The companies named by uid, Apollo id or website (looked up once per batch).
    const lookups = new Map<string, CompanyUid | null>();
    const lookUp = async (key: string, find: () => Promise<CompanyUid | null>) => {
      if (lookups.has(key)) return lookups.get(key) ?? null;
      const found = await find();
      lookups.set(key, found);
      return found;
    };
    const people: Array<{
      row: CsvRow;
      person: PersonRow;
      out: RowOutcome;
      companyUid: CompanyUid | null;
    }> = [];
    for (const r of rows) {
      if (refused.has(r.row.rowNumber)) continue;
      let companyUid = companyOf.get(r.row.rowNumber) ?? null;
      const { person } = r;
      if (person.companyUid !== null) {
        const uid = person.companyUid;
        companyUid = await lookUp(`u:${uid}`, () => store.companyExists(uid));
        if (companyUid === null) {
          rejects.push(
            rejectFrom(
              r.row,
              new PleError("COMPANY_NOT_FOUND", `no company ${uid}`, { field: "company_uid" }),
            ),
          );
          continue;
        }
      } else if (person.companyRef) {
        const { website, apolloCompanyId } = person.companyRef;
        companyUid = await lookUp(`r:${website}\u0000${apolloCompanyId}`, () =>
          store.findCompany(website, apolloCompanyId),
        );
        const creator = companyUid === null ? undefined : createdBy.get(companyUid);
        if (creator !== undefined && creator > r.row.rowNumber) companyUid = null;
      }
      if (companyUid === null) r.out.withoutCompany++;
      const title = person.person.title ?? null;
      if (title !== null && person.role === null) r.out.unmappedTitle = title;
      people.push({ ...r, companyUid });
    }
    // 3. The people.
    const personResults = await store.importPeople(
      people.map((p) => ({ ...p.person.person, company_uid: p.companyUid, source })),
    );
    if (personResults.some((result) => result.status === "rejected")) throw new RowByRow();
    await store.recordValidations(
      personResults.flatMap((result, index) => {
        const validation = people[index]?.person.validation ?? null;
        return result.status === "created" && validation !== null
          ? [{ person_id: result.person_id, ...validation }]
          : [];
      }),
    );
    // 4. The slots, in file order — their rows locked first in slot_uid order, so that two
    //    imports linking into the same slots (from files in different orders) queue up
    //    instead of deadlocking.
    await store.lockSlots(
      people.flatMap((p) =>
        p.companyUid === null || p.person.role === null
          ? []
          : [formatSlotUid(p.companyUid, p.person.role)],
      ),
    );
    for (const [index, result] of personResults.entries()) {
      const p = people[index];
      if (p === undefined || result.status === "rejected") {
        throw new PleError("INTERNAL", "an import outcome without its row");
      }
      if (result.status === "created") p.out.created++;
      else p.out.existing++;
      outcomes.push(p.out);
      if (p.companyUid === null || p.person.role === null) continue;
      const slotUid = formatSlotUid(p.companyUid, p.person.role);
      const link = await store.linkPerson(result.person_id, slotUid);
      p.out.link =
        link === "linked" || link === "already_linked"
          ? link
          : {
              row_number: p.row.rowNumber,
              person_id: result.person_id,
              slot_uid: slotUid,
              reason: link,
            };
    }
  };

  /** A batch read from the file: its rows parsed (or rejected) while the one before is written. */
  interface Batch {
    size: number;
    lastBytes: number;
    planned: Planned[];
    invalid: RejectedRow[];
  }
  /** Dropped optional fields and Apollo email statuses, counted once per row as it is parsed. */
  const countExtras = (row: CsvRow, person: PersonRow) => {
    for (const d of person.dropped) {
      warnings.push({
        row_number: row.rowNumber,
        field: storable(d.field),
        message: storable(d.message),
      });
    }
    if (person.validation !== null) emailStatus.mapped++;
    if (person.unknownEmailStatus !== null) {
      emailStatus.unknown++;
      const word = person.unknownEmailStatus;
      const count = emailStatus.values.get(word);
      if (count === undefined) emailStatus.values.set(ownCopy(word), 1);
      else emailStatus.values.set(word, count + 1);
    }
  };
  const newBatch = (): Batch => ({ size: 0, lastBytes: 0, planned: [], invalid: [] });
  const addRow = (batch: Batch, row: CsvRow) => {
    batch.size++;
    batch.lastBytes = row.bytes;
    try {
      const parsed = parseRow(row);
      batch.planned.push({ row, parsed });
      if ("person" in parsed) countExtras(row, parsed.person);
    } catch (err) {
      batch.invalid.push(rejectFrom(row, err));
    }
  };

  /** The batch before one being written: its keys, and when it has committed. */
  interface PriorBatch {
    keys: ReadonlySet<string>;
    written: Promise<void>;
  }

  /** The website and Apollo id of a company row ("w:…", "a:…"). */
  const keysOf = ({ parsed }: Planned): string[] => {
    if (!("company" in parsed)) return [];
    const { website, apollo_company_id: apollo } = parsed.company;
    return apollo ? [`w:${website}`, `a:${apollo}`] : [`w:${website}`];
  };
  const companyKeysOf = (planned: readonly Planned[]): Set<string> =>
    new Set(planned.flatMap(keysOf));

  /** What one transaction's rows did: applied to the summary once their batch is done. */
  interface PartResult {
    outcomes: RowOutcome[];
    rejects: RejectedRow[];
  }

  /** Writes some rows of a batch in one transaction (retried whole after a lost race). */
  const writePart = async (
    planned: readonly Planned[],
    invalid: readonly RejectedRow[],
  ): Promise<PartResult> => {
    let outcomes: RowOutcome[] = [];
    let batchRejects: RejectedRow[] = [];
    const finish = async (store: ImportStore) => {
      batchRejects.sort((a, b) => a.row_number - b.row_number);
      if (!dryRun) await store.recordRejects(file, batchRejects);
    };
    // Set-based: one call per batch for its companies, one for its people.
    const bulk = () =>
      stores.batch(false, async (store) => {
        // A retried transaction starts its bookkeeping afresh.
        outcomes = [];
        batchRejects = [...invalid];
        if (companyCols) await bulkCompanies(store, planned, outcomes, batchRejects);
        else await bulkPeople(store, planned, outcomes, batchRejects);
        await finish(store);
      });
    // Row by row, each row in a savepoint of its own: dry runs, and a batch the set-based
    // path could not take.
    const rowByRow = () =>
      stores.batch(dryRun, async (store) => {
        outcomes = [];
        batchRejects = [...invalid];
        for (const [index, { row, parsed }] of planned.entries()) {
          options.onProgress?.({ rows: done + invalid.length + index, bytes: row.bytes });
          try {
            outcomes.push(await store.savepoint((sp) => handleRow(sp, row, parsed)));
          } catch (err) {
            // A row that lost a race with another writer is not a bad row: retrying it in
            // this transaction would keep the locks that caused the deadlock, so the whole
            // batch is rolled back and retried (retrying below).
            if (isRetryable(err)) throw err;
            batchRejects.push(rejectFrom(row, err));
          }
        }
        await finish(store);
      });
    const retrying = async (attempt: () => Promise<void>) => {
      for (let attemptNo = 1; ; attemptNo++) {
        try {
          return await attempt();
        } catch (err) {
          if (!isRetryable(err) || attemptNo >= BATCH_ATTEMPTS) throw err;
          await backoff(attemptNo);
        }
      }
    };
    if (dryRun) {
      await rowByRow();
    } else {
      try {
        await retrying(bulk);
      } catch (err) {
        // The set-based path answers rows the database refuses itself; anything else it could
        // not take (a refused person, a failed link) rolls the batch back and redoes it row by
        // row, so that only the bad row is rejected.
        if (!(err instanceof RowByRow) && !isPleError(err)) throw err;
        await retrying(rowByRow);
      }
    }
    return { outcomes, rejects: batchRejects };
  };

  /**
   * Writes a batch; resolves, once all its rows are committed, to a function that applies them
   * to the summary. While `prior` (the batch before it) may still be writing, the rows that
   * could depend on it wait: see splitOnPrior.
   */
  const runBatch = async (
    { size, lastBytes, planned, invalid }: Batch,
    prior: PriorBatch | null,
  ): Promise<() => void> => {
    const parts: PartResult[] = [];
    if (size > 0) {
      const { now, later } = splitOnPrior(planned, keysOf, prior?.keys ?? null);
      if (now.length > 0 || invalid.length > 0) parts.push(await writePart(now, invalid));
      if (later.length > 0) {
        // Only after the batch before has committed, in a transaction of their own that
        // holds no lock while it waits: no wait can close a cycle through another writer.
        await prior?.written;
        parts.push(await writePart(later, []));
      }
    }
    return () => {
      if (size === 0) return;
      const rejects: RejectedRow[] = [];
      for (const part of parts) {
        for (const out of part.outcomes) apply(out);
        rejects.push(...part.rejects);
      }
      rejects.sort((a, b) => a.row_number - b.row_number);
      summary.rejected += rejects.length;
      summary.rejects.push(...rejects);
      done += size;
      options.onProgress?.({ rows: done, bytes: lastBytes });
    };
  };

  // A batch is written while the next one is read and parsed. A company import may also write
  // two batches at once (when the store allows it, see ImportStoreFactory.parallelBatches):
  // the later batch's rows that share no website or Apollo id with the batch before it go at
  // once, the others after it. Batches are applied to the summary in file order.
  const depth = companyCols !== null && !dryRun ? Math.max(1, stores.parallelBatches ?? 1) : 1;
  const inFlight: Array<{ applied: Promise<() => void>; keys: ReadonlySet<string> }> = [];
  const settleFirst = async () => {
    const first = inFlight.shift();
    if (first === undefined) return;
    try {
      (await first.applied)();
    } catch (err) {
      // Nothing after a failed batch is kept waiting or left running.
      await Promise.allSettled(inFlight.map((b) => b.applied));
      inFlight.length = 0;
      throw err;
    }
  };
  const send = async (batch: Batch) => {
    while (inFlight.length >= depth) await settleFirst();
    const before = inFlight.at(-1);
    const prior =
      before === undefined
        ? null
        : {
            keys: before.keys,
            written: before.applied.then(() => undefined),
          };
    // A failed batch before fails this one too (its waiting rows must not take the failed
    // rows' places); the first failure is the one reported, when settled in file order.
    prior?.written.catch(() => {});
    const applied = runBatch(batch, prior);
    // Awaited in order by settleFirst; this only keeps a failure from being reported as
    // unhandled while the next batch is read.
    applied.catch(() => {});
    inFlight.push({ applied, keys: depth > 1 ? companyKeysOf(batch.planned) : new Set() });
  };
  let batch = newBatch();
  for await (const row of csv.rows) {
    addRow(batch, row);
    summary.rows++;
    if (batch.size >= batchSize) {
      await send(batch);
      batch = newBatch();
    }
  }
  await send(batch);
  while (inFlight.length > 0) await settleFirst();
  options.onProgress?.({ rows: summary.rows, bytes: info.size });

  const reportPath =
    options.rejectsFile !== undefined
      ? resolve(options.rejectsFile)
      : dryRun
        ? null
        : defaultRejectsFile(file);
  if (reportPath !== null && summary.rejected > 0) {
    await writeRejectReport(reportPath, file, summary.rejects);
    summary.rejects_file = reportPath;
  }
  if (kind === "people") {
    summary.companies_created = people.companiesCreated;
    summary.linked = people.linked;
    summary.already_linked = people.alreadyLinked;
    summary.slot_conflicts = conflicts;
    summary.without_company = people.withoutCompany;
    summary.warnings = warnings;
    if (personCols?.emailStatus != null) {
      summary.email_status = {
        mapped: emailStatus.mapped,
        unknown: emailStatus.unknown,
        unknown_values: [...emailStatus.values]
          .map(([status, count]) => ({ status, count }))
          .sort((a, b) => b.count - a.count || a.status.localeCompare(b.status)),
      };
    }
    summary.unmapped_titles = [...unmapped]
      .map(([title, count]) => ({ title, count }))
      .sort((a, b) => b.count - a.count || a.title.localeCompare(b.title));
  }
  summary.duration_ms = Date.now() - started;
  return summary;
}
