/**
 * `ple import companies|people FILE`: streams a CSV file into the registry in batches, each
 * batch one transaction (redone with a savepoint per row when a row fails in the database, so
 * a bad row never spoils its batch). A killed import can simply be run again: every write is
 * idempotent (companies by website or Apollo id, people by email, rejects by file and row).
 * Every rejected row is kept in marketing.import_reject and in a CSV report beside the input.
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
import { type CsvRow, csvField, openCsv, spreadsheetSafe } from "../csv-source.js";
import {
  type CompanyColumns,
  cellValue,
  companyColumns,
  type PersonColumns,
  personColumns,
  personName,
} from "../import-columns.js";
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
  duration_ms: number;
}

/** The default reject report path: `accounts.csv` → `accounts.rejects.csv` beside it. */
export function defaultRejectsFile(file: string): string {
  const ext = extname(file);
  return join(dirname(file), `${basename(file, ext)}.rejects.csv`);
}

const ROW_ATTEMPTS = 3;

function isRetryable(err: unknown): boolean {
  return isPleError(err) && err.details?.retryable === true;
}

function rejectFrom(row: CsvRow, err: unknown): RejectedRow {
  if (isPleError(err)) {
    return {
      row_number: row.rowNumber,
      error_code: err.code,
      field: err.field ?? null,
      message: err.message,
      raw_row: row.raw,
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
  role: Role | null;
  companyUid: CompanyUid | null;
  /** A company named with enough to create it (name and website). */
  company: CompanyCreateInput | null;
  /** A company identified without enough to create it (Apollo id or website only). */
  companyRef: { website: string | null; apolloCompanyId: string | null } | null;
}

function parsePersonRow(row: CsvRow, cols: PersonColumns): PersonRow {
  checkFieldCount(row);
  const person = unwrap(
    parseInput(PersonCreateInput.omit({ company_uid: true, source: true }), {
      name: personName(row.record, cols) ?? "",
      email: cellValue(row.record, cols.email) ?? "",
      ...present({
        linkedin_url: cellValue(row.record, cols.linkedinUrl),
        title: cellValue(row.record, cols.title),
      }),
    }),
  );
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

/** Runs one import; `openStore` gives a store per batch transaction (or a read-only one for dry runs). */
export async function runImport(
  kind: ImportKind,
  stores: ImportStoreFactory,
  options: ImportOptions,
): Promise<ImportSummary> {
  const started = Date.now();
  const file = resolve(options.file);
  const dryRun = options.dryRun ?? false;
  const batchSize = options.batchSize ?? 500;
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
        for (const k of keys) seen.add(k);
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
        seen.add(key);
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
      const known = seen.has(key) || (await store.findPerson(person.person.email)) !== null;
      seen.add(key);
      if (known) out.existing++;
      else out.created++;
      return out;
    }
    const created = await store.createPerson({ ...person.person, company_uid: companyUid, source });
    if (created.status === "created") out.created++;
    else out.existing++;
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
      unmapped.set(out.unmappedTitle, (unmapped.get(out.unmappedTitle) ?? 0) + 1);
    }
    if (out.link === "linked") people.linked++;
    else if (out.link === "already_linked") people.alreadyLinked++;
    else if (out.link !== null) conflicts.push(out.link);
  };

  // Rows fully handled (committed or rejected), for progress.
  let done = 0;
  const runBatch = async (batch: CsvRow[]) => {
    if (batch.length === 0) return;
    const planned: Array<{ row: CsvRow; parsed: ParsedRow }> = [];
    const invalid: RejectedRow[] = [];
    for (const row of batch) {
      try {
        planned.push({ row, parsed: parseRow(row) });
      } catch (err) {
        invalid.push(rejectFrom(row, err));
      }
    }
    let outcomes: RowOutcome[] = [];
    let batchRejects: RejectedRow[] = [];
    const attempt = (withSavepoints: boolean) =>
      stores.batch(dryRun, async (store) => {
        // A retried transaction starts its bookkeeping afresh.
        outcomes = [];
        batchRejects = [...invalid];
        for (const [index, { row, parsed }] of planned.entries()) {
          options.onProgress?.({ rows: done + invalid.length + index, bytes: row.bytes });
          if (!withSavepoints) {
            outcomes.push(await handleRow(store, row, parsed));
            continue;
          }
          // A row that lost a race with another writer (serialization failure, deadlock) is
          // tried again before it counts as rejected.
          for (let attemptNo = 1; ; attemptNo++) {
            try {
              outcomes.push(await store.savepoint((sp) => handleRow(sp, row, parsed)));
              break;
            } catch (err) {
              if (isRetryable(err) && attemptNo < ROW_ATTEMPTS) continue;
              batchRejects.push(rejectFrom(row, err));
              break;
            }
          }
        }
        batchRejects.sort((a, b) => a.row_number - b.row_number);
        if (!dryRun) for (const reject of batchRejects) await store.recordReject(file, reject);
      });
    if (dryRun) {
      await attempt(true);
    } else {
      // The rows passed validation already, so a batch nearly always goes through without a
      // savepoint per row; when one fails in the database, the whole batch is rolled back and
      // redone with a savepoint per row, so that only the bad row is rejected.
      try {
        await attempt(false);
      } catch (err) {
        if (!isPleError(err)) throw err;
        for (let attemptNo = 1; ; attemptNo++) {
          try {
            await attempt(true);
            break;
          } catch (retryErr) {
            if (!isRetryable(retryErr) || attemptNo >= ROW_ATTEMPTS) throw retryErr;
          }
        }
      }
    }
    for (const out of outcomes) apply(out);
    summary.rejected += batchRejects.length;
    summary.rejects.push(...batchRejects);
    done += batch.length;
  };

  let batch: CsvRow[] = [];
  for await (const row of csv.rows) {
    batch.push(row);
    summary.rows++;
    if (batch.length >= batchSize) {
      await runBatch(batch);
      batch = [];
    }
  }
  await runBatch(batch);
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
    summary.unmapped_titles = [...unmapped]
      .map(([title, count]) => ({ title, count }))
      .sort((a, b) => b.count - a.count || a.title.localeCompare(b.title));
  }
  summary.duration_ms = Date.now() - started;
  return summary;
}
