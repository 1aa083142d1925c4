/**
 * The import planner: for a batch of company rows (canonical, as @ple/core leaves them) and
 * what the database holds under their websites and Apollo ids, which rows create a company and
 * which find one, and by what. Pure: the real import (importCompanyBatch) and the dry run
 * (previewCompanyBatch) both call it, so they cannot disagree.
 *
 * The rule is insert_company_with_slots's, applied row by row in file order: a row finds the
 * company that holds its website, else the one that holds its Apollo id, whether that company
 * was in the table before the batch or created by an earlier row of it; a row that finds none
 * creates one. Only a row that creates a company makes its website and Apollo id known to the
 * rows after it: (w1, A1), (w1, A2), (w3, A2) creates w1, finds w1 by website, and creates w3,
 * since A2 was never stored.
 */
import type { CompanyUid, PleError } from "@ple/core";

/** What an import did with a row (or, in a dry run, would do). */
export type ImportStatus = "created" | "existing" | "updated" | "unchanged";

/** How a row found the record it names. */
export type MatchedBy = "website" | "apollo_company_id";

/**
 * What an existing record gets from a row that finds it: "skip" leaves it as it is (the row is
 * "existing"); "fill" sets only the fields empty on the record; "update" overwrites them with
 * the row's non-empty values ("updated" or "unchanged").
 */
export type OnExisting = "skip" | "fill" | "update";

export const ON_EXISTING_POLICIES: readonly OnExisting[] = ["skip", "fill", "update"];

/**
 * One company row's outcome, from the database layer to the CLI's summary. A dry run's
 * outcomes (`CompanyImportOutcome<CompanyUid | null>`) have no UID for a company that would be
 * created, nor for one found by a row after the one that would create it.
 */
export type CompanyImportOutcome<Uid extends CompanyUid | null = CompanyUid> =
  | { status: "created"; company_uid: Uid; matched_by: null }
  | { status: Exclude<ImportStatus, "created">; company_uid: Uid; matched_by: MatchedBy }
  | { status: "rejected"; error: PleError };

/** A dry run's outcome. */
export type CompanyPreviewOutcome = CompanyImportOutcome<CompanyUid | null>;

/** The keys the planner needs of a row. */
export interface PlannedCompanyKeys {
  website: string;
  apollo_company_id?: string | null | undefined;
}

/** What the database holds under a batch's websites and Apollo ids (canonical values). */
export interface HeldCompanies {
  byWebsite: ReadonlyMap<string, CompanyUid | null>;
  byApollo: ReadonlyMap<string, CompanyUid | null>;
}

export type CompanyDecision =
  /** Creates a company. */
  | { action: "create" }
  /** Finds a company the database held before the batch. */
  | { action: "existing"; company_uid: CompanyUid | null; matched_by: MatchedBy }
  /** Finds the company an earlier row of the batch creates. */
  | { action: "same-as"; row: number; matched_by: MatchedBy };

export interface PlanOptions {
  onExisting?: OnExisting;
}

/** Decides, for each row in order, whether it creates a company or finds one (and which). */
export function planCompanyBatch(
  rows: readonly PlannedCompanyKeys[],
  held: HeldCompanies,
  _options: PlanOptions = {},
): CompanyDecision[] {
  const decisions: CompanyDecision[] = [];
  const creatorOfWebsite = new Map<string, number>();
  const creatorOfApollo = new Map<string, number>();
  for (const [index, row] of rows.entries()) {
    const apollo = row.apollo_company_id ?? null;
    if (held.byWebsite.has(row.website)) {
      const uid = held.byWebsite.get(row.website) ?? null;
      decisions.push({ action: "existing", company_uid: uid, matched_by: "website" });
      continue;
    }
    const sameWebsite = creatorOfWebsite.get(row.website);
    if (sameWebsite !== undefined) {
      decisions.push({ action: "same-as", row: sameWebsite, matched_by: "website" });
      continue;
    }
    if (apollo !== null && held.byApollo.has(apollo)) {
      const uid = held.byApollo.get(apollo) ?? null;
      decisions.push({ action: "existing", company_uid: uid, matched_by: "apollo_company_id" });
      continue;
    }
    const sameApollo = apollo === null ? undefined : creatorOfApollo.get(apollo);
    if (sameApollo !== undefined) {
      decisions.push({ action: "same-as", row: sameApollo, matched_by: "apollo_company_id" });
      continue;
    }
    decisions.push({ action: "create" });
    creatorOfWebsite.set(row.website, index);
    if (apollo !== null) creatorOfApollo.set(apollo, index);
  }
  return decisions;
}

/**
 * What a dry run remembers between batches: the websites and Apollo ids of the companies it
 * would have created, which the database does not hold but a real run's later batches would
 * find.
 */
export interface DryRunMemory {
  websites: Set<string>;
  apollos: Set<string>;
  /**
   * The companies the dry run would have created, by "w:website" and "a:apollo id", with the
   * values a fill or update by later rows would have given them (onExisting ≠ skip only).
   */
  records: Map<string, VirtualCompany>;
  /**
   * Keys ("w:website", "a:apollo id") a fill or update by the dry run would have given a stored
   * company (onExisting ≠ skip only), which the database does not hold after the rollback.
   */
  keys: Map<string, CompanyUid>;
}

/** A company a dry run would have created, as later rows of the run would find it. */
export interface VirtualCompany {
  company_name: string;
  website: string;
  apollo_company_id: string | null;
  ein: string | null;
}

export function newDryRunMemory(): DryRunMemory {
  return { websites: new Set(), apollos: new Set(), records: new Map(), keys: new Map() };
}

/**
 * What marketing.apply_company_policy does to a company (fill: only its empty fields; update:
 * the row's non-empty values), applied to one the dry run would have created. Returns the
 * changed fields and updates `record`.
 */
export function applyPolicyToVirtual(
  record: VirtualCompany,
  row: PlannedCompanyRow,
  policy: Exclude<OnExisting, "skip">,
  matchedBy: MatchedBy,
): string[] {
  const next: VirtualCompany = { ...record };
  const apollo = row.apollo_company_id ?? null;
  const ein = row.ein ?? null;
  if (policy === "update") {
    next.company_name = row.company_name;
    if (matchedBy !== "website") next.website = row.website;
    next.apollo_company_id = apollo ?? record.apollo_company_id;
    next.ein = ein ?? record.ein;
  } else {
    next.apollo_company_id = record.apollo_company_id ?? apollo;
    next.ein = record.ein ?? ein;
  }
  const changed: string[] = [];
  if (next.company_name !== record.company_name) changed.push("company_name");
  if (next.website !== record.website) changed.push("website");
  if (next.apollo_company_id !== record.apollo_company_id) changed.push("apollo_company_id");
  if (next.ein !== record.ein) changed.push("ein");
  Object.assign(record, next);
  return changed;
}

/** A row with the values a fill or update uses. */
export interface PlannedCompanyRow extends PlannedCompanyKeys {
  company_name: string;
  ein?: string | null | undefined;
}

/**
 * The outcomes a dry run reports for a batch, from what the database holds and what the dry
 * run's earlier batches would have created; remembers what this batch would create.
 */
export function previewFromHeld(
  rows: readonly PlannedCompanyKeys[],
  held: HeldCompanies,
  memory: DryRunMemory,
  options: PlanOptions = {},
): CompanyPreviewOutcome[] {
  const byWebsite = new Map(held.byWebsite);
  const byApollo = new Map(held.byApollo);
  for (const row of rows) {
    if (!byWebsite.has(row.website) && memory.websites.has(row.website)) {
      byWebsite.set(row.website, null);
    }
    const apollo = row.apollo_company_id ?? null;
    if (apollo !== null && !byApollo.has(apollo) && memory.apollos.has(apollo)) {
      byApollo.set(apollo, null);
    }
  }
  const decisions = planCompanyBatch(rows, { byWebsite, byApollo }, options);
  const outcomes: CompanyPreviewOutcome[] = [];
  for (const [index, decision] of decisions.entries()) {
    if (decision.action === "create") {
      const row = rows[index] as PlannedCompanyKeys;
      // Copies of their own: kept for the whole dry run, they must not pin the CSV reader's
      // chunks they were cut from.
      memory.websites.add(ownCopy(row.website));
      if (row.apollo_company_id) memory.apollos.add(ownCopy(row.apollo_company_id));
      outcomes.push({ status: "created", company_uid: null, matched_by: null });
    } else if (decision.action === "existing") {
      outcomes.push({
        status: "existing",
        company_uid: decision.company_uid,
        matched_by: decision.matched_by,
      });
    } else {
      outcomes.push({ status: "existing", company_uid: null, matched_by: decision.matched_by });
    }
  }
  return outcomes;
}

function ownCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}
