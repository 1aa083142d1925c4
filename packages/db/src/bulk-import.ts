/**
 * Set-based imports of companies and people: a batch of rows already normalised by @ple/core
 * costs one look-up and one writing statement, instead of a function call per row, and ends
 * exactly as marketing.insert_company_with_slots / marketing.insert_person would have, row by
 * row in file order: the same rows created, found existing (and by what) and rejected, UIDs
 * from the same daily sequences (a batch's company UIDs from one gen_company_uids call), three
 * slots per new company, history and audit written by the same triggers.
 *
 * How a batch runs (inside the caller's transaction, in a savepoint of its own):
 * 1. look up every row's website and Apollo id (email for people) in the table;
 * 2. planCompanyBatch (import-plan.ts, shared with the dry run) decides which rows create a
 *    company: a row creates one only when neither its website nor its Apollo id is known,
 *    from the table or from an earlier row of the batch that creates one (the per-row
 *    semantics; website matches win);
 * 3. one INSERT … SELECT FROM json_to_recordset(…) ON CONFLICT DO NOTHING inserts those rows
 *    (website order, so two concurrent imports take their locks in one order), their slots,
 *    and the slots an existing company may lack.
 * A row whose insert a concurrent import beat (ON CONFLICT skipped it) is looked up again, as
 * insert_company_with_slots does. A row that the database refuses although core accepted it
 * makes the batch fall back to the per-row SQL function, row by row in savepoints, so exactly
 * that row is rejected with its error.
 */
import {
  type CompanyUid,
  isPleError,
  type PersonCreateInput,
  type PersonId,
  PleError,
} from "@ple/core";
import type { Knex } from "knex";
import type { Queryable } from "./database.js";
import { toPleError } from "./errors.js";
import {
  type CompanyImportOutcome,
  type CompanyPreviewOutcome,
  type DryRunMemory,
  type HeldCompanies,
  type PlanOptions,
  planCompanyBatch,
  previewFromHeld,
} from "./import-plan.js";

/** Rows per batch that keep a batch's statements short and its memory small. */
export const BULK_IMPORT_BATCH_SIZE = 2000;

/** A company row as @ple/core's CompanyCreateInput leaves it: canonical website, trimmed fields. */
export interface BulkCompanyRow {
  company_name: string;
  website: string;
  apollo_company_id?: string | null | undefined;
  ein?: string | null | undefined;
}

/** A person row as @ple/core's PersonCreateInput leaves it (normalised email, name, URL). */
export type BulkPersonRow = Pick<PersonCreateInput, "name" | "email"> &
  Partial<Pick<PersonCreateInput, "linkedin_url" | "company_uid" | "title" | "source">>;

/** One person row's outcome (one shape with CompanyImportOutcome's statuses). */
export type PersonImportOutcome =
  | { status: "created" | "existing"; person_id: PersonId }
  | { status: "rejected"; error: PleError };

/**
 * Passes over a batch when concurrent imports keep beating its inserts. A deadlock or
 * serialization failure is not retried here: it goes to the caller as a PleError with
 * details.retryable, and the caller, who owns the transaction, rolls it back and retries it
 * whole (a retry inside the transaction would keep the locks that caused it).
 */
const MAX_PASSES = 5;

/**
 * A row the database stored under another canonical value than core gave it (a caller that
 * skipped core's normalisers): its outcome cannot be matched up, so the batch goes row by row.
 */
class NotCanonical extends Error {
  readonly code = "PLBULK";
  constructor(field: string) {
    super(`${field}: a row was not in canonical form`);
  }
}

/** SQLSTATE classes that mean "this data is refused", answered by the per-row fallback. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    typeof code === "string" &&
    (code.startsWith("PL") || code.startsWith("22") || (code.startsWith("23") && code !== "23505"))
  );
}

function isRetryable(err: unknown): boolean {
  const code = isPleError(err) ? err.details?.sqlstate : (err as { code?: unknown }).code;
  return code === "40P01" || code === "40001";
}

/** Runs fn in a savepoint (or a transaction when q is not in one). */
function inSavepoint<T>(q: Queryable, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return q.transaction(fn);
}

function exists(uid: string, by: "website" | "apollo_company_id"): CompanyImportOutcome {
  return { status: "existing", company_uid: uid as CompanyUid, matched_by: by };
}

const COMPANY_LOOKUP_SQL = `
  SELECT 'w' AS k, c.website AS key, c.company_uid
    FROM marketing.company AS c
   WHERE c.website IN (SELECT json_array_elements_text(?::json))
  UNION ALL
  SELECT 'a', c.apollo_company_id, c.company_uid
    FROM marketing.company AS c
   WHERE c.apollo_company_id IN (SELECT json_array_elements_text(?::json))`;

/** What the table holds under these rows' websites and Apollo ids. */
export async function lookupHeldCompanies(
  q: Queryable,
  rows: readonly BulkCompanyRow[],
): Promise<HeldCompanies> {
  const websites = [...new Set(rows.map((r) => r.website))];
  const apollos = [
    ...new Set(rows.flatMap((r) => (r.apollo_company_id ? [r.apollo_company_id] : []))),
  ];
  const found = await q.raw<{ rows: Array<{ k: "w" | "a"; key: string; company_uid: string }> }>(
    COMPANY_LOOKUP_SQL,
    [JSON.stringify(websites), JSON.stringify(apollos)],
  );
  const byWebsite = new Map<string, CompanyUid>();
  const byApollo = new Map<string, CompanyUid>();
  for (const r of found.rows) {
    (r.k === "w" ? byWebsite : byApollo).set(r.key, r.company_uid as CompanyUid);
  }
  return { byWebsite, byApollo };
}

/**
 * A dry run of importCompanyBatch: the same plan from what the table holds and what the dry
 * run's earlier batches would have created (`memory`, updated); writes nothing.
 */
export async function previewCompanyBatch(
  q: Queryable,
  rows: readonly BulkCompanyRow[],
  memory: DryRunMemory,
  options: PlanOptions = {},
): Promise<CompanyPreviewOutcome[]> {
  if (rows.length === 0) return [];
  try {
    return previewFromHeld(rows, await lookupHeldCompanies(q, rows), memory, options);
  } catch (err) {
    throw toPleError(err);
  }
}

// The slots of new companies and any slot an existing company lacks, as
// insert_company_with_slots does; the company rows in website order, their UIDs
// from one gen_company_uids call, ascending in that order (the n-th row by
// website gets the n-th UID). A slot UID is written out as gen_slot_uid would
// give it ('SL-' || company_uid || '-' || role, which company_slot_uid_format
// checks): gen_slot_uid re-parses a company UID the generator has just made, a
// fifth of the batch's time.
const COMPANY_INSERT_SQL = `
  WITH input AS (
    SELECT r.*, row_number() OVER (ORDER BY r.website) AS n
      FROM json_to_recordset(?::json)
        AS r(i integer, company_name text, website text, apollo_company_id text, ein text)
  ), created AS (
    INSERT INTO marketing.company (company_uid, company_name, website, apollo_company_id, ein_raw)
    SELECT u.company_uid, i.company_name, i.website, i.apollo_company_id, i.ein
      FROM input AS i
      JOIN marketing.gen_company_uids((SELECT count(*)::integer FROM input))
             WITH ORDINALITY AS u(company_uid, n) ON u.n = i.n
     ORDER BY i.website
    ON CONFLICT DO NOTHING
    RETURNING company_uid, website
  ), slots AS (
    INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
    SELECT 'SL-' || c.company_uid || '-' || r.role, c.company_uid, r.role
      FROM (SELECT company_uid FROM created
            UNION ALL
            SELECT e.uid FROM json_array_elements_text(?::json) AS e(uid)
             WHERE (SELECT count(*) FROM marketing.company_slot AS s WHERE s.company_uid = e.uid) < 3
           ) AS c
     CROSS JOIN unnest(ARRAY['CEO', 'CFO', 'HR']) AS r(role)
     ORDER BY 1
    ON CONFLICT DO NOTHING
  )
  SELECT company_uid, website FROM created`;

async function companyPass(
  trx: Knex.Transaction,
  rows: readonly BulkCompanyRow[],
  pending: readonly number[],
  outcomes: (CompanyImportOutcome | undefined)[],
  options: PlanOptions,
): Promise<number[]> {
  const pendingRows = pending.map((i) => rows[i] as BulkCompanyRow);
  const held = await lookupHeldCompanies(trx, pendingRows);
  const decisions = planCompanyBatch(pendingRows, held, options);
  const create: number[] = [];
  const existing = new Set<string>();
  for (const [k, decision] of decisions.entries()) {
    const index = pending[k] as number;
    if (decision.action === "create") create.push(index);
    else if (decision.action === "existing" && decision.company_uid !== null) {
      outcomes[index] = exists(decision.company_uid, decision.matched_by);
      existing.add(decision.company_uid);
    }
  }
  const result = await trx.raw<{ rows: Array<{ company_uid: string; website: string }> }>(
    COMPANY_INSERT_SQL,
    [
      JSON.stringify(
        create.map((index) => {
          const row = rows[index] as BulkCompanyRow;
          return {
            i: index,
            company_name: row.company_name,
            website: row.website,
            apollo_company_id: row.apollo_company_id ?? null,
            ein: row.ein ?? null,
          };
        }),
      ),
      JSON.stringify([...existing]),
    ],
  );
  const createdByWebsite = new Map(result.rows.map((r) => [r.website, r.company_uid]));
  const planned = new Set(create.map((index) => rows[index]?.website));
  if (result.rows.some((r) => !planned.has(r.website))) throw new NotCanonical("website");
  const retry: number[] = [];
  for (const index of create) {
    const uid = createdByWebsite.get((rows[index] as BulkCompanyRow).website);
    if (uid === undefined) retry.push(index);
    else outcomes[index] = { status: "created", company_uid: uid as CompanyUid, matched_by: null };
  }
  for (const [k, decision] of decisions.entries()) {
    if (decision.action !== "same-as") continue;
    const index = pending[k] as number;
    const creator = outcomes[pending[decision.row] as number];
    if (creator?.status === "created") {
      outcomes[index] = exists(creator.company_uid, decision.matched_by);
    } else retry.push(index);
  }
  return retry.sort((a, b) => a - b);
}

async function companiesRowByRow(
  q: Queryable,
  rows: readonly BulkCompanyRow[],
): Promise<CompanyImportOutcome[]> {
  const outcomes: CompanyImportOutcome[] = [];
  for (const row of rows) {
    try {
      const out = await inSavepoint(q, async (sp) => {
        const result = await sp.raw<{
          rows: Array<{ r: { status: string; company_uid: string; matched_by?: string } }>;
        }>("SELECT marketing.insert_company_with_slots(?, ?, ?, ?) AS r", [
          row.company_name,
          row.website,
          row.apollo_company_id ?? null,
          row.ein ?? null,
        ]);
        const r = result.rows[0]?.r;
        if (r === undefined)
          throw new PleError("INTERNAL", "insert_company_with_slots returned nothing");
        return r;
      });
      outcomes.push(
        out.status === "created"
          ? { status: "created", company_uid: out.company_uid as CompanyUid, matched_by: null }
          : exists(out.company_uid, out.matched_by === "website" ? "website" : "apollo_company_id"),
      );
    } catch (err) {
      // A lost race is no fault of the row: the caller retries the transaction.
      if (isRetryable(err)) throw toPleError(err);
      outcomes.push({ status: "rejected", error: toPleError(err) });
    }
  }
  return outcomes;
}

/**
 * Imports a batch of companies (one outcome per row, in order). Call it inside the caller's
 * actor transaction (withActor) so history and audit name the importer; rows must have been
 * normalised by @ple/core (CompanyCreateInput).
 */
export async function importCompanyBatch(
  q: Queryable,
  rows: readonly BulkCompanyRow[],
  options: PlanOptions = {},
): Promise<CompanyImportOutcome[]> {
  if (rows.length === 0) return [];
  try {
    return await inSavepoint(q, async (trx) => {
      const outcomes: (CompanyImportOutcome | undefined)[] = new Array(rows.length);
      let pending = rows.map((_, i) => i);
      for (let pass = 1; pending.length > 0; pass++) {
        if (pass > MAX_PASSES) throw racedOut("website");
        pending = await companyPass(trx, rows, pending, outcomes, options);
      }
      return outcomes.map((out) => out ?? missingOutcome());
    });
  } catch (err) {
    if (isDataError(err)) return companiesRowByRow(q, rows);
    throw toPleError(err);
  }
}

/** Concurrent imports kept taking this batch's keys: the caller retries the transaction. */
function racedOut(field: "website" | "email"): PleError {
  return new PleError("INTERNAL", `Concurrent imports kept taking this batch's ${field}s; retry`, {
    field,
    details: { sqlstate: "40001", retryable: true },
  });
}

function missingOutcome(): never {
  throw new PleError("INTERNAL", "bulk import left a row without an outcome");
}

/**
 * Locks the slots among slotUids that exist, in slot_uid order, until the caller's transaction
 * ends: an import that then links people into them in file order cannot deadlock with another
 * import linking into the same slots in another order (they queue on the first shared slot).
 */
export async function lockImportSlots(q: Queryable, slotUids: readonly string[]): Promise<void> {
  if (slotUids.length === 0) return;
  try {
    await q.raw(
      `SELECT s.slot_uid FROM marketing.company_slot AS s
        WHERE s.slot_uid IN (SELECT json_array_elements_text(?::json))
        ORDER BY s.slot_uid
          FOR UPDATE OF s`,
      [JSON.stringify([...new Set(slotUids)])],
    );
  } catch (err) {
    throw toPleError(err);
  }
}

// ---------------------------------------------------------------------------
// People (idempotent by normalised email, as marketing.insert_person)
// ---------------------------------------------------------------------------

const PERSON_LOOKUP_SQL = `
  SELECT r.i, p.person_id
    FROM json_to_recordset(?::json) AS r(i integer, email text)
    JOIN marketing.people AS p ON p.email = r.email`;

const PERSON_INSERT_SQL = `
  INSERT INTO marketing.people (person_id, name, email, linkedin_url, company_uid, title, source)
  SELECT marketing.gen_person_uid(), r.name, r.email, r.linkedin_url, r.company_uid, r.title, r.source
    FROM json_to_recordset(?::json)
      AS r(i integer, name text, email text, linkedin_url text, company_uid text, title text, source text)
   ORDER BY r.email
  ON CONFLICT DO NOTHING
  RETURNING person_id, email`;

async function personPass(
  trx: Knex.Transaction,
  rows: readonly BulkPersonRow[],
  pending: readonly number[],
  outcomes: (PersonImportOutcome | undefined)[],
): Promise<number[]> {
  const lookup = await trx.raw<{ rows: Array<{ i: number; person_id: string }> }>(
    PERSON_LOOKUP_SQL,
    [JSON.stringify(pending.map((i) => ({ i, email: rows[i]?.email })))],
  );
  const found = new Map(lookup.rows.map((r) => [r.i, r.person_id] as const));
  const creatorOfEmail = new Map<string, number>();
  const create: number[] = [];
  const sameAs = new Map<number, number>();
  for (const index of pending) {
    const row = rows[index];
    if (row === undefined) continue;
    const known = found.get(index);
    if (known !== undefined) {
      outcomes[index] = { status: "existing", person_id: known as PersonId };
      continue;
    }
    const creator = creatorOfEmail.get(row.email);
    if (creator !== undefined) {
      sameAs.set(index, creator);
      continue;
    }
    creatorOfEmail.set(row.email, index);
    create.push(index);
  }
  const result = await trx.raw<{ rows: Array<{ person_id: string; email: string }> }>(
    PERSON_INSERT_SQL,
    [
      JSON.stringify(
        create.map((i) => {
          const row = rows[i];
          return {
            i,
            name: row?.name,
            email: row?.email,
            linkedin_url: row?.linkedin_url ?? null,
            company_uid: row?.company_uid ?? null,
            title: row?.title ?? null,
            source: row?.source ?? "manual",
          };
        }),
      ),
    ],
  );
  const createdByEmail = new Map(result.rows.map((r) => [r.email, r.person_id]));
  const retry: number[] = [];
  for (const index of create) {
    const id = createdByEmail.get(rows[index]?.email ?? "");
    if (id === undefined) retry.push(index);
    else outcomes[index] = { status: "created", person_id: id as PersonId };
  }
  for (const [index, creator] of sameAs) {
    const out = outcomes[creator];
    if (out?.status === "created")
      outcomes[index] = { status: "existing", person_id: out.person_id };
    else retry.push(index);
  }
  return retry.sort((a, b) => a - b);
}

async function peopleRowByRow(
  q: Queryable,
  rows: readonly BulkPersonRow[],
): Promise<PersonImportOutcome[]> {
  const outcomes: PersonImportOutcome[] = [];
  for (const row of rows) {
    try {
      const out = await inSavepoint(q, async (sp) => {
        const result = await sp.raw<{ rows: Array<{ r: { status: string; person_id: string } }> }>(
          "SELECT marketing.insert_person(?, ?, ?, ?, ?, ?) AS r",
          [
            row.name,
            row.email,
            row.linkedin_url ?? null,
            row.company_uid ?? null,
            row.title ?? null,
            row.source ?? "manual",
          ],
        );
        const r = result.rows[0]?.r;
        if (r === undefined) throw new PleError("INTERNAL", "insert_person returned nothing");
        return r;
      });
      outcomes.push({
        status: out.status === "created" ? "created" : "existing",
        person_id: out.person_id as PersonId,
      });
    } catch (err) {
      // A lost race is no fault of the row: the caller retries the transaction.
      if (isRetryable(err)) throw toPleError(err);
      outcomes.push({ status: "rejected", error: toPleError(err) });
    }
  }
  return outcomes;
}

/**
 * Imports a batch of people (one outcome per row, in order): a person already known by email
 * is returned as is, never overwritten. Same transaction rules as importCompanyBatch; a row
 * naming a company that does not exist is rejected with COMPANY_NOT_FOUND.
 */
export async function importPersonBatch(
  q: Queryable,
  rows: readonly BulkPersonRow[],
): Promise<PersonImportOutcome[]> {
  if (rows.length === 0) return [];
  try {
    return await inSavepoint(q, async (trx) => {
      const outcomes: (PersonImportOutcome | undefined)[] = new Array(rows.length);
      let pending = rows.map((_, i) => i);
      for (let pass = 1; pending.length > 0; pass++) {
        if (pass > MAX_PASSES) throw racedOut("email");
        pending = await personPass(trx, rows, pending, outcomes);
      }
      return outcomes.map((out) => out ?? missingOutcome());
    });
  } catch (err) {
    if (isDataError(err)) return peopleRowByRow(q, rows);
    throw toPleError(err);
  }
}
