/**
 * An import's summary: what each row did (RowOutcome), tallied in file order into the
 * ImportSummary the command prints, and the CSV report of rejected rows.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import type { ErrorCode } from "@ple/core";
import { csvField, spreadsheetSafe } from "../csv-source.js";
import type { RowWarning } from "../person-row-extras.js";
import { ownCopy, type PersonRow, storable } from "./import-rows.js";

export type ImportKind = "companies" | "people";

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
  /** Already in the registry (or earlier in the same file), left as it was (--on-existing skip). */
  existing: number;
  /** Found and changed by --on-existing fill or update (or, in a dry run, would be). */
  updated: number;
  /** Found by --on-existing fill or update, with nothing to change. */
  unchanged: number;
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

/**
 * What one row did; applied to the summary only once its transaction has committed, so a row
 * that fails half-way (person created, then the link fails) counts only as a reject.
 */
export interface RowOutcome {
  created: number;
  existing: number;
  updated: number;
  unchanged: number;
  companiesCreated: number;
  withoutCompany: number;
  unmappedTitle: string | null;
  link: "linked" | "already_linked" | SlotConflict | null;
}

export function emptyOutcome(): RowOutcome {
  return {
    created: 0,
    existing: 0,
    updated: 0,
    unchanged: 0,
    companiesCreated: 0,
    withoutCompany: 0,
    unmappedTitle: null,
    link: null,
  };
}

/** Counts a row's status (created, found and skipped, updated, unchanged). */
export function countStatus(out: RowOutcome, status: string): void {
  if (status === "created") out.created++;
  else if (status === "updated") out.updated++;
  else if (status === "unchanged") out.unchanged++;
  else out.existing++;
}

/** What one transaction's rows did. */
export interface PartResult {
  outcomes: RowOutcome[];
  rejects: RejectedRow[];
}

/** The default reject report path, as README and --help give it: `FILE.rejects.csv`. */
export function defaultRejectsFile(file: string): string {
  return `${file}.rejects.csv`;
}

/** Adds up row outcomes and rejects, a batch at a time in file order. */
export class ImportTally {
  readonly summary: ImportSummary;
  private readonly unmapped = new Map<string, number>();
  private readonly conflicts: SlotConflict[] = [];
  private readonly people = { companiesCreated: 0, linked: 0, alreadyLinked: 0, withoutCompany: 0 };
  private readonly warnings: RowWarning[] = [];
  /** Apollo "Email Status" counts; null when the file has no such column. */
  private emailStatus: { mapped: number; unknown: number; values: Map<string, number> } | null =
    null;

  constructor(kind: ImportKind, file: string, dryRun: boolean) {
    this.summary = {
      kind,
      file,
      dry_run: dryRun,
      rows: 0,
      created: 0,
      existing: 0,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      rejects_file: null,
      rejects: [],
      duration_ms: 0,
    };
  }

  /** The file has Apollo's "Email Status" column: the summary counts its words. */
  countEmailStatus(): void {
    this.emailStatus ??= { mapped: 0, unknown: 0, values: new Map() };
  }

  /**
   * A people row's dropped optional fields and Apollo email status, counted once as the row is
   * parsed (so a dry run and a real run report the same, and a retried batch counts once).
   */
  addPersonExtras(rowNumber: number, person: PersonRow): void {
    for (const d of person.dropped) {
      this.warnings.push({
        row_number: rowNumber,
        field: storable(d.field),
        message: storable(d.message),
      });
    }
    const status = this.emailStatus;
    if (status === null) return;
    if (person.validation !== null) status.mapped++;
    const word = person.unknownEmailStatus;
    if (word !== null) {
      status.unknown++;
      const count = status.values.get(word);
      if (count === undefined) status.values.set(ownCopy(word), 1);
      else status.values.set(word, count + 1);
    }
  }

  /** A batch's parts, once all of them are done. */
  addBatch(parts: readonly PartResult[]): void {
    const rejects: RejectedRow[] = [];
    const conflicts = this.conflicts.length;
    for (const part of parts) {
      for (const out of part.outcomes) this.add(out);
      rejects.push(...part.rejects);
    }
    // In file order, also when the batch was written in two parts (the rows held back for the
    // batch before come second).
    rejects.sort((a, b) => a.row_number - b.row_number);
    this.conflicts.push(
      ...this.conflicts.splice(conflicts).sort((a, b) => a.row_number - b.row_number),
    );
    this.summary.rejected += rejects.length;
    this.summary.rejects.push(...rejects);
  }

  private add(out: RowOutcome): void {
    this.summary.created += out.created;
    this.summary.existing += out.existing;
    this.summary.updated += out.updated;
    this.summary.unchanged += out.unchanged;
    this.people.companiesCreated += out.companiesCreated;
    this.people.withoutCompany += out.withoutCompany;
    if (out.unmappedTitle !== null) {
      const count = this.unmapped.get(out.unmappedTitle);
      if (count === undefined) this.unmapped.set(ownCopy(out.unmappedTitle), 1);
      else this.unmapped.set(out.unmappedTitle, count + 1);
    }
    if (out.link === "linked") this.people.linked++;
    else if (out.link === "already_linked") this.people.alreadyLinked++;
    else if (out.link !== null) this.conflicts.push(out.link);
  }

  /** The summary, with the people import's own figures. */
  finish(started: number): ImportSummary {
    const summary = this.summary;
    if (summary.kind === "people") {
      summary.companies_created = this.people.companiesCreated;
      summary.linked = this.people.linked;
      summary.already_linked = this.people.alreadyLinked;
      summary.slot_conflicts = this.conflicts;
      summary.without_company = this.people.withoutCompany;
      summary.warnings = this.warnings;
      if (this.emailStatus !== null) {
        summary.email_status = {
          mapped: this.emailStatus.mapped,
          unknown: this.emailStatus.unknown,
          unknown_values: [...this.emailStatus.values]
            .map(([status, count]) => ({ status, count }))
            .sort((a, b) => b.count - a.count || a.status.localeCompare(b.status)),
        };
      }
      summary.unmapped_titles = [...this.unmapped]
        .map(([title, count]) => ({ title, count }))
        .sort((a, b) => b.count - a.count || a.title.localeCompare(b.title));
    }
    summary.duration_ms = Date.now() - started;
    return summary;
  }
}

export async function writeRejectReport(path: string, file: string, rejects: RejectedRow[]) {
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
