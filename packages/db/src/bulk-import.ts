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
 * 3. one INSERT … SELECT FROM json_to_recordset(…) inserts those rows (website order, so two
 *    concurrent imports take their locks in one order), their slots, and the slots an existing
 *    company may lack.
 * When a concurrent writer took one of the batch's keys meanwhile, that insert fails (23505) and
 * the batch goes again with ON CONFLICT DO NOTHING: a row whose insert was skipped is looked up
 * again, as insert_company_with_slots does. A row that the database refuses although core
 * accepted it makes the batch fall back to the per-row SQL function, row by row in savepoints,
 * so exactly that row is rejected with its error.
 */
import {
  type CompanyUid,
  isPleError,
  type PersonCreateInput,
  type PersonId,
  PleError,
  type ValidationStatus,
} from "@ple/core";
import type { Knex } from "knex";
import type { Queryable } from "./database.js";
import { toPleError } from "./errors.js";
import {
  applyPolicyToVirtual,
  type CompanyImportOutcome,
  type CompanyPreviewOutcome,
  type DryRunMemory,
  type HeldCompanies,
  type MatchedBy,
  type OnExisting,
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

/**
 * A person row as @ple/core's PersonCreateInput leaves it (normalised email, name, URL), with
 * the email check result the file brings (Apollo's "Email Status"): a person the batch creates
 * is inserted with it, as setImportedValidations would record it (a `pending` result records
 * nothing), and a person found is left as it is.
 */
export type BulkPersonRow = Pick<PersonCreateInput, "name" | "email"> &
  Partial<Pick<PersonCreateInput, "linkedin_url" | "company_uid" | "title" | "source">> & {
    validation?: { status: ValidationStatus; provider: string; result: string } | null;
  };

/** One person row's outcome (one shape with CompanyImportOutcome's statuses). */
export type PersonImportOutcome =
  | { status: "created" | "existing" | "updated" | "unchanged"; person_id: PersonId }
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

/**
 * Turns JIT compilation off for the rest of an import batch's transaction. The planner's cost of
 * a batch statement grows with the tables (it reads a JSON input as 100 rows and a company's slots
 * as hundreds when their statistics lag), and from about 100,000 companies the company insert
 * passed jit_above_cost: each batch then compiled expressions it ran once, 50 of 78 statements
 * over 200 ms in a 200,000-row import (auto_explain). That import took 21.3 and 20.0 s with JIT
 * off against 24.7 and 21.4 s with it on, and past 500,000 (jit_optimize_above_cost) the compile
 * costs more. Transaction-local: nothing else on the connection is affected.
 */
async function withoutJit(q: Queryable): Promise<void> {
  await q.raw("SELECT set_config('jit', 'off', true)");
}

/** Runs fn in a savepoint (or a transaction when q is not in one). */
function inSavepoint<T>(q: Queryable, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return q.transaction(fn);
}

function exists(uid: string, by: "website" | "apollo_company_id"): CompanyImportOutcome {
  return { status: "existing", company_uid: uid as CompanyUid, matched_by: by };
}

// A website or Apollo id of a merged-away company finds the company kept (company_alias,
// as marketing.resolve_company_alias reads it); a key both stored and an alias cannot be, since
// the merge moves it off the dropped record.
const COMPANY_LOOKUP_SQL = `
  WITH w AS (SELECT json_array_elements_text(?::json) AS key),
       a AS (SELECT json_array_elements_text(?::json) AS key)
  SELECT 'w' AS k, c.website AS key, c.company_uid
    FROM marketing.company AS c
   WHERE c.website IN (SELECT key FROM w)
  UNION ALL
  SELECT 'w', x.alias_value, x.company_uid
    FROM marketing.company_alias AS x
   WHERE x.alias_kind = 'website' AND x.alias_value IN (SELECT key FROM w)
  UNION ALL
  SELECT 'a', c.apollo_company_id, c.company_uid
    FROM marketing.company AS c
   WHERE c.apollo_company_id IN (SELECT key FROM a)
  UNION ALL
  SELECT 'a', x.alias_value, x.company_uid
    FROM marketing.company_alias AS x
   WHERE x.alias_kind = 'apollo_company_id' AND x.alias_value IN (SELECT key FROM a)`;

/** What the table holds under these rows' websites and Apollo ids. */
export function lookupHeldCompanies(
  q: Queryable,
  rows: readonly BulkCompanyRow[],
): Promise<HeldCompanies> {
  return lookupCompanyKeys(
    q,
    rows.map((r) => r.website),
    rows.flatMap((r) => (r.apollo_company_id ? [r.apollo_company_id] : [])),
  );
}

/** The companies stored (or kept by a merge) under these canonical websites and Apollo ids. */
export async function lookupCompanyKeys(
  q: Queryable,
  websiteKeys: readonly string[],
  apolloKeys: readonly string[],
): Promise<HeldCompanies> {
  const websites = [...new Set(websiteKeys)];
  const apollos = [...new Set(apolloKeys)];
  const found = await q.raw<{ rows: Array<{ k: "w" | "a"; key: string; company_uid: string }> }>(
    COMPANY_LOOKUP_SQL,
    [JSON.stringify(websites), JSON.stringify(apollos)],
  );
  const byWebsite = new Map<string, CompanyUid>();
  const byApollo = new Map<string, CompanyUid>();
  for (const r of found.rows) {
    const map = r.k === "w" ? byWebsite : byApollo;
    // A stored key wins over an alias (both cannot be, but the table is read first).
    if (!map.has(r.key)) map.set(r.key, r.company_uid as CompanyUid);
  }
  return { byWebsite, byApollo };
}

/** A company as an import row names it: by UID, canonical website or Apollo id. */
export interface CompanyReference {
  company_uid?: string | null;
  website?: string | null;
  apollo_company_id?: string | null;
}

/**
 * The stored companies each reference names now (read only, in one statement per kind of key):
 * the company of its UID, the one of its website and the one of its Apollo id (a merged-away
 * company's website or Apollo id names the company kept); null for a UID no company has. The
 * people import asks this of two batches to tell which rows of the later one may touch a company
 * of the earlier one while that is still being written.
 */
export async function companiesNamed(
  q: Queryable,
  refs: readonly CompanyReference[],
): Promise<Array<CompanyUid[] | null>> {
  try {
    const uids = [...new Set(refs.flatMap((r) => (r.company_uid ? [r.company_uid] : [])))];
    const held = await lookupCompanyKeys(
      q,
      refs.flatMap((r) => (r.website ? [r.website] : [])),
      refs.flatMap((r) => (r.apollo_company_id ? [r.apollo_company_id] : [])),
    );
    const stored = new Set<string>();
    if (uids.length > 0) {
      const found = await q.raw<{ rows: Array<{ company_uid: string }> }>(
        `SELECT c.company_uid FROM marketing.company AS c
          WHERE c.company_uid IN (SELECT json_array_elements_text(?::json))`,
        [JSON.stringify(uids)],
      );
      for (const r of found.rows) stored.add(r.company_uid);
    }
    return refs.map((r) => {
      if (r.company_uid && !stored.has(r.company_uid)) return null;
      const named = new Set<CompanyUid>();
      if (r.company_uid) named.add(r.company_uid as CompanyUid);
      const byWebsite = r.website ? held.byWebsite.get(r.website) : undefined;
      const byApollo = r.apollo_company_id ? held.byApollo.get(r.apollo_company_id) : undefined;
      if (byWebsite) named.add(byWebsite);
      if (byApollo) named.add(byApollo);
      return [...named];
    });
  } catch (err) {
    throw toPleError(err);
  }
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
    const policy = options.onExisting ?? "skip";
    if (policy === "skip") {
      return previewFromHeld(rows, await lookupHeldCompanies(q, rows), memory, options);
    }
    return await previewCompanyPolicy(q, rows, memory, policy);
  } catch (err) {
    throw toPleError(err);
  }
}

/** Thrown to roll a dry run's statements back. */
class DryRunRollback extends Error {}

/**
 * The dry run with onExisting fill / update, row by row in file order inside one transaction
 * that is rolled back: each row is looked up (seeing what the rows before it filled in), and a
 * row that finds a stored company runs the real upsert_company, so the answer is the
 * database's own; a row that finds a company the dry run would have created applies the same
 * fill / update to the values remembered for it. Two statements per row: a dry run's cost.
 * Keys a fill or update would have set are remembered for the batches after (memory.keys).
 */
async function previewCompanyPolicy(
  q: Queryable,
  rows: readonly BulkCompanyRow[],
  memory: DryRunMemory,
  policy: Exclude<OnExisting, "skip">,
): Promise<CompanyPreviewOutcome[]> {
  const result: CompanyPreviewOutcome[] = [];
  const remember = (row: BulkCompanyRow) => {
    const record = {
      company_name: row.company_name,
      website: row.website,
      apollo_company_id: row.apollo_company_id ?? null,
      ein: row.ein ?? null,
    };
    memory.records.set(`w:${row.website}`, record);
    if (record.apollo_company_id) memory.records.set(`a:${record.apollo_company_id}`, record);
  };
  try {
    await q.transaction(async (trx) => {
      for (const row of rows) {
        const held = await lookupHeldCompanies(trx, [row]);
        const byWebsite = new Map(held.byWebsite);
        const byApollo = new Map(held.byApollo);
        const setKey = byWebsite.has(row.website) ? undefined : memory.keys.get(`w:${row.website}`);
        if (setKey !== undefined) byWebsite.set(row.website, setKey);
        const apollo = row.apollo_company_id ?? null;
        const setApollo =
          apollo === null || byApollo.has(apollo) ? undefined : memory.keys.get(`a:${apollo}`);
        if (apollo !== null && setApollo !== undefined) byApollo.set(apollo, setApollo);
        const planned = { byWebsite, byApollo };
        const [out] = previewFromHeld([row], planned, memory, { onExisting: policy });
        if (out === undefined) throw new PleError("INTERNAL", "a dry run row without an outcome");
        if (out.status === "created") {
          remember(row);
          result.push(out);
        } else if (out.status !== "existing") {
          result.push(out);
        } else if (out.company_uid === null) {
          result.push(virtualOutcome(row, out.matched_by, planned, memory, policy));
        } else if (out.matched_by === "website" && apollo !== null && memory.apollos.has(apollo)) {
          // Its Apollo id is on a company this run creates: the real run's match_company finds
          // two companies.
          result.push(identityConflict(row.website, out.company_uid, apollo, null));
        } else {
          const changed: string[] = [];
          const done = await upsertCompanyRow(trx, row, policy, changed);
          if (done.status === "updated") {
            // Keys this update gives the company, which a later batch's look-up (outside this
            // rolled-back transaction) would not see.
            if (changed.includes("website")) memory.keys.set(`w:${row.website}`, done.company_uid);
            if (apollo !== null && changed.includes("apollo_company_id")) {
              memory.keys.set(`a:${apollo}`, done.company_uid);
            }
          }
          result.push(done);
        }
      }
      throw new DryRunRollback();
    });
  } catch (err) {
    if (!(err instanceof DryRunRollback)) throw err;
  }
  return result;
}

/** A row that finds a company the dry run would have created. */
function virtualOutcome(
  row: BulkCompanyRow,
  matchedBy: MatchedBy,
  held: HeldCompanies,
  memory: DryRunMemory,
  policy: Exclude<OnExisting, "skip">,
): CompanyPreviewOutcome {
  const apollo = row.apollo_company_id ?? null;
  const record =
    matchedBy === "website"
      ? memory.records.get(`w:${row.website}`)
      : memory.records.get(`a:${apollo ?? ""}`);
  if (record === undefined) return { status: "existing", company_uid: null, matched_by: matchedBy };
  if (matchedBy === "website" && apollo !== null) {
    const other = memory.records.get(`a:${apollo}`);
    const stored = held.byApollo.get(apollo);
    if ((other !== undefined && other !== record) || (other === undefined && stored)) {
      return identityConflict(row.website, null, apollo, stored ?? null);
    }
  }
  const changed = applyPolicyToVirtual(record, row, policy, matchedBy);
  if (changed.includes("apollo_company_id") && record.apollo_company_id) {
    // The Apollo id now names that company: later rows find it by it, as in the real run.
    memory.records.set(`a:${record.apollo_company_id}`, record);
    memory.apollos.add(record.apollo_company_id);
  }
  if (changed.includes("website")) {
    memory.records.set(`w:${record.website}`, record);
    memory.websites.add(record.website);
  }
  return {
    status: changed.length > 0 ? "updated" : "unchanged",
    company_uid: null,
    matched_by: matchedBy,
  };
}

/** A dry run's IDENTITY_CONFLICT (a null UID: a company the run would create). */
function identityConflict(
  website: string,
  byWebsite: string | null,
  apollo: string,
  byApollo: string | null,
): CompanyPreviewOutcome {
  const name = (uid: string | null) => uid ?? "a company this import creates";
  return {
    status: "rejected",
    error: new PleError(
      "IDENTITY_CONFLICT",
      `apollo_company_id: the website ${website} belongs to ${name(byWebsite)} but the Apollo id ${apollo} to ${name(byApollo)}; merge them or correct the input`,
      { field: "apollo_company_id", details: { company_uids: [byWebsite, byApollo] } },
    ),
  };
}

/** What marketing.upsert_company answers for a row. */
interface UpsertAnswer {
  status: string;
  company_uid: string;
  matched_by: string | null;
  changed: string[] | null;
}

/** upsert_company's answer as the row's outcome. */
function upsertOutcome(r: UpsertAnswer): CompanyImportOutcome {
  const uid = r.company_uid as CompanyUid;
  if (r.status === "created") return { status: "created", company_uid: uid, matched_by: null };
  const by: MatchedBy = r.matched_by === "website" ? "website" : "apollo_company_id";
  const status = r.status === "updated" || r.status === "unchanged" ? r.status : "existing";
  return { status, company_uid: uid, matched_by: by };
}

/** upsert_company for one row in a savepoint of its own; a refused row is rejected. */
async function upsertCompanyRow(
  q: Queryable,
  row: BulkCompanyRow,
  policy: OnExisting,
  changed: string[] = [],
): Promise<CompanyImportOutcome> {
  try {
    const r = await inSavepoint(q, async (sp) => {
      const result = await sp.raw<{ rows: Array<{ r: UpsertAnswer }> }>(
        "SELECT marketing.upsert_company(?, ?, ?, ?, ?) AS r",
        [row.company_name, row.website, row.apollo_company_id ?? null, row.ein ?? null, policy],
      );
      const out = result.rows[0]?.r;
      if (out === undefined) throw new PleError("INTERNAL", "upsert_company returned nothing");
      return out;
    });
    changed.push(...(r.changed ?? []));
    return upsertOutcome(r);
  } catch (err) {
    // A lost race is no fault of the row: the caller retries the transaction.
    if (isRetryable(err)) throw toPleError(err);
    return { status: "rejected", error: toPleError(err) };
  }
}

// upsert_company for many rows in one statement, in the order given (`i`): each call is a
// VOLATILE function whose statements see what the calls before it wrote, so the rows end as
// they would one statement each, in file order. ORDER BY puts the calls after the sort.
//
// A row the call would answer "unchanged" (no write) is answered so without the call, when
// that can be told from the table as the statement starts:
// - fill: the company holds the row's website and its Apollo id too (or the row has none), or
//   holds the Apollo id while no company or alias holds the website (so match_company finds
//   no second company), and it has an EIN or the row has none. Fill never changes a website
//   nor overwrites a set field, so what the calls before a row write cannot change the answer.
// - update: the company the planner found for the row (`found`) holds its website, and its
//   name, Apollo id and EIN equal the row's (or the row has none), and no other row of the
//   statement found that company: only a row that finds a company can change it, and a row
//   can take no key another company holds.
// A 50,000-row import of accounts with 5% repeats spent 13% of its statement time in these
// calls (0.65 ms a row: the normalisers again, match_company, a row lock and the slot check),
// most of them for rows that changed nothing. The rows are canonical (importCompanyBatch's
// contract), as the call's normalisers would leave them.
const COMPANY_POLICY_SQL = `
  WITH p AS (SELECT ?::text AS policy),
  r AS (
    SELECT r.*, count(*) OVER (PARTITION BY r.found) AS finders
      FROM json_to_recordset(?::json)
        AS r(i integer, company_name text, website text, apollo_company_id text, ein text,
             found text)
  )
  SELECT r.i,
         CASE WHEN u.company_uid IS NOT NULL
           THEN json_build_object('status', 'unchanged', 'company_uid', u.company_uid,
                                  'matched_by', u.matched_by, 'merged_from', NULL,
                                  'changed', '[]'::json)
           ELSE marketing.upsert_company(r.company_name, r.website, r.apollo_company_id, r.ein,
                                         p.policy)
         END AS r
    FROM p
   CROSS JOIN r
    LEFT JOIN LATERAL (
      SELECT c.company_uid, 'website' AS matched_by
        FROM marketing.company AS c
       WHERE p.policy = 'fill' AND c.website = r.website
         AND (r.apollo_company_id IS NULL OR c.apollo_company_id = r.apollo_company_id)
         AND (r.ein IS NULL OR c.ein_raw IS NOT NULL)
      UNION ALL
      SELECT c.company_uid, 'apollo_company_id'
        FROM marketing.company AS c
       WHERE p.policy = 'fill'
         AND r.apollo_company_id IS NOT NULL AND c.apollo_company_id = r.apollo_company_id
         AND (r.ein IS NULL OR c.ein_raw IS NOT NULL)
         AND NOT EXISTS (SELECT 1 FROM marketing.company AS w WHERE w.website = r.website)
         AND NOT EXISTS (SELECT 1 FROM marketing.company_alias AS x
                          WHERE x.alias_kind = 'website' AND x.alias_value = r.website)
      UNION ALL
      SELECT c.company_uid, 'website'
        FROM marketing.company AS c
       WHERE p.policy = 'update' AND r.finders = 1
         AND c.website = r.website AND c.company_uid = r.found
         AND c.company_name = r.company_name
         AND (r.apollo_company_id IS NULL OR c.apollo_company_id = r.apollo_company_id)
         AND (r.ein IS NULL OR c.ein_raw = r.ein)
      LIMIT 1
    ) AS u ON true
   ORDER BY r.i`;

/**
 * onExisting fill / update for the rows of a batch that found a company: upsert_company for
 * each such row in file order, all in one statement (one round trip for the batch instead of
 * three per row: a savepoint, the call and its release), except the rows COMPANY_POLICY_SQL can
 * answer "unchanged" from the table without it. Its match_company refuses a row whose
 * website and Apollo id lead to two companies (IDENTITY_CONFLICT naming both); a row refused
 * so fails the statement, which is rolled back, and the rows then go one statement each, each
 * in a savepoint, so exactly the refused row is rejected. An update that changes nothing
 * writes nothing, one that does writes history and audit through the usual triggers.
 */
async function applyCompanyPolicy(
  q: Queryable,
  rows: readonly BulkCompanyRow[],
  outcomes: CompanyImportOutcome[],
  policy: OnExisting,
): Promise<CompanyImportOutcome[]> {
  if (policy === "skip") return outcomes;
  return applyPolicyToFound(q, outcomes, {
    what: "upsert_company",
    sql: COMPANY_POLICY_SQL,
    policy,
    input: (i) => {
      const row = rows[i] as BulkCompanyRow;
      const found = outcomes[i];
      return {
        i,
        company_name: row.company_name,
        website: row.website,
        apollo_company_id: row.apollo_company_id ?? null,
        ein: row.ein ?? null,
        found: found !== undefined && "company_uid" in found ? found.company_uid : null,
      };
    },
    outcome: upsertOutcome,
    oneRow: (i) => upsertCompanyRow(q, rows[i] as BulkCompanyRow, policy),
  });
}

/**
 * The rows of a batch that found a record (status "existing"), through the policy statement
 * `sql` (bindings: the policy, then the rows as JSON; it answers `i` and `r` per row, in file
 * order) in a savepoint; when the database refuses a row, the statement is rolled back and each
 * row goes through `oneRow` in a savepoint of its own, so exactly the refused row is rejected.
 */
async function applyPolicyToFound<A, O extends { status: string }>(
  q: Queryable,
  outcomes: readonly O[],
  step: {
    what: string;
    sql: string;
    policy: OnExisting;
    input: (index: number) => Record<string, unknown>;
    outcome: (answer: A) => O;
    oneRow: (index: number) => Promise<O>;
  },
): Promise<O[]> {
  const found: number[] = [];
  for (const [index, out] of outcomes.entries()) if (out.status === "existing") found.push(index);
  if (found.length === 0) return [...outcomes];
  const result = [...outcomes];
  try {
    const answers = await inSavepoint(q, async (sp) => {
      const r = await sp.raw<{ rows: Array<{ i: number; r: A }> }>(step.sql, [
        step.policy,
        JSON.stringify(found.map(step.input)),
      ]);
      return r.rows;
    });
    if (answers.length !== found.length) {
      throw new PleError("INTERNAL", `${step.what} left a row without an answer`);
    }
    for (const answer of answers) result[answer.i] = step.outcome(answer.r);
    return result;
  } catch (err) {
    // A lost race is no fault of the rows: the caller retries the transaction. A refused row
    // (bad data, or an update onto a key another record holds) goes row by row below.
    const unique = (err as { code?: unknown }).code === "23505";
    if (isRetryable(err) || !(isDataError(err) || unique)) throw toPleError(err);
  }
  for (const index of found) result[index] = await step.oneRow(index);
  return result;
}

// The slots of new companies and any slot an existing company lacks, as
// insert_company_with_slots does; the company rows in website order, their UIDs
// from one gen_company_uids call, ascending in that order (the n-th row by
// website gets the n-th UID). A slot UID is written out as gen_slot_uid would
// give it ('SL-' || company_uid || '-' || role, which company_slot_uid_format
// checks): gen_slot_uid re-parses a company UID the generator has just made, a
// fifth of the batch's time.
//
// The batch's companies and their slots go in as plain INSERTs: the planner found none of
// their websites and Apollo ids, and a company's new UID cannot name a slot already there.
// ON CONFLICT DO NOTHING (speculative insertion: each arbiter index checked before and after
// the row goes in) made the company insert 10% and the slot insert 12% slower (20,000
// companies, alternated runs). Only when a concurrent writer takes one of the batch's keys
// meanwhile does the plain insert fail (23505); importCompanyBatch then runs the batch again
// with ON CONFLICT DO NOTHING, and a row whose key was taken is looked up again. The slots an
// existing company lacks keep ON CONFLICT: another transaction may be adding them too.
function companyInsertSql(onConflict: boolean): string {
  const conflict = onConflict ? "ON CONFLICT DO NOTHING" : "";
  return `
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
    ${conflict}
    RETURNING company_uid, website
  ), slots AS (
    INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
    SELECT 'SL-' || c.company_uid || '-' || r.role, c.company_uid, r.role
      FROM created AS c
     CROSS JOIN unnest(ARRAY['CEO', 'CFO', 'HR']) AS r(role)
     ORDER BY 1
    ${conflict}
  ), lacking AS (
    INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
    SELECT 'SL-' || e.uid || '-' || r.role, e.uid, r.role
      FROM json_array_elements_text(?::json) AS e(uid)
     CROSS JOIN unnest(ARRAY['CEO', 'CFO', 'HR']) AS r(role)
     WHERE (SELECT count(*) FROM marketing.company_slot AS s WHERE s.company_uid = e.uid) < 3
     ORDER BY 1
    ON CONFLICT DO NOTHING
  )
  SELECT company_uid, website FROM created`;
}

const COMPANY_INSERT_SQL = companyInsertSql(false);
const COMPANY_INSERT_ON_CONFLICT_SQL = companyInsertSql(true);

/** A plain batch insert met a key a concurrent writer took: the batch goes again with ON CONFLICT. */
function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown }).code === "23505";
}

/**
 * Runs a batch's passes in a savepoint until every one of its `count` rows has an outcome: each
 * pass writes what it can and answers the rows to look up again (a concurrent import beat their
 * insert). `check` may refuse the result inside the savepoint, which rolls it back. The passes
 * insert plainly; when that fails on a key a concurrent writer took (23505), the savepoint is
 * rolled back and the passes run again with ON CONFLICT DO NOTHING.
 */
async function inPasses<O>(
  q: Queryable,
  count: number,
  field: "website" | "email",
  pass: (
    trx: Knex.Transaction,
    pending: readonly number[],
    found: (O | undefined)[],
    onConflict: boolean,
  ) => Promise<number[]>,
  check?: (done: O[]) => void,
): Promise<O[]> {
  const run = (onConflict: boolean) =>
    inSavepoint(q, async (trx) => {
      const found: (O | undefined)[] = new Array(count);
      let pending = Array.from({ length: count }, (_, i) => i);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > MAX_PASSES) throw racedOut(field);
        pending = await pass(trx, pending, found, onConflict);
      }
      const done = found.map((out) => out ?? missingOutcome());
      check?.(done);
      return done;
    });
  return run(false).catch((err: unknown) => {
    if (isUniqueViolation(err)) return run(true);
    throw err;
  });
}

async function companyPass(
  trx: Knex.Transaction,
  rows: readonly BulkCompanyRow[],
  pending: readonly number[],
  outcomes: (CompanyImportOutcome | undefined)[],
  options: PlanOptions,
  onConflict: boolean,
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
    onConflict ? COMPANY_INSERT_ON_CONFLICT_SQL : COMPANY_INSERT_SQL,
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
  const policy = options.onExisting ?? "skip";
  let outcomes: CompanyImportOutcome[];
  try {
    await withoutJit(q);
    outcomes = await inPasses<CompanyImportOutcome>(
      q,
      rows.length,
      "website",
      (trx, pending, found, onConflict) =>
        companyPass(trx, rows, pending, found, options, onConflict),
      (done) => {
        if (policy !== "skip" && fillBeforeCreate(rows, done)) throw new InFileOrder();
      },
    );
  } catch (err) {
    if (!(err instanceof InFileOrder) && !isDataError(err)) throw toPleError(err);
    if (policy === "skip") return companiesRowByRow(q, rows);
    // Row by row in file order, each row through upsert_company (its policy included).
    const inOrder: CompanyImportOutcome[] = [];
    for (const row of rows) inOrder.push(await upsertCompanyRow(q, row, policy));
    return inOrder;
  }
  return applyCompanyPolicy(q, rows, outcomes, policy);
}

/** A batch that must go row by row in file order (rolled back first). */
class InFileOrder extends Error {}

/**
 * Whether a row that finds a company shares a website or Apollo id with a row after it that
 * creates one: in file order the first row's fill or update (or its identity check) runs before
 * that company exists, so applying the policy after the batch's creates could answer otherwise
 * (the batch then goes row by row through upsert_company).
 */
function fillBeforeCreate(
  rows: readonly BulkCompanyRow[],
  outcomes: readonly CompanyImportOutcome[],
): boolean {
  const finders = new Map<string, number>();
  for (const [index, out] of outcomes.entries()) {
    const row = rows[index] as BulkCompanyRow;
    const keys = [`w:${row.website}`];
    if (row.apollo_company_id) keys.push(`a:${row.apollo_company_id}`);
    if (out.status === "created") {
      if (keys.some((k) => (finders.get(k) ?? index) < index)) return true;
    } else if (out.status === "existing") {
      for (const k of keys) if (!finders.has(k)) finders.set(k, index);
    }
  }
  return false;
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

// ---------------------------------------------------------------------------
// People (idempotent by normalised email, as marketing.insert_person)
// ---------------------------------------------------------------------------

// An email of a merged-away person finds the person kept (person_alias, as
// marketing.resolve_person_alias reads it); the stored email first.
const PERSON_LOOKUP_SQL = `
  SELECT DISTINCT ON (r.i) r.i, m.person_id
    FROM json_to_recordset(?::json) AS r(i integer, email text)
    JOIN LATERAL (
      SELECT p.person_id, 0 AS via_alias FROM marketing.people AS p WHERE p.email = r.email
      UNION ALL
      SELECT a.person_id, 1 FROM marketing.person_alias AS a
       WHERE a.alias_kind = 'email' AND a.alias_value = r.email
    ) AS m ON true
   ORDER BY r.i, m.via_alias`;

// The validation result goes in with the row: one write per person instead of an INSERT and an
// UPDATE (which doubled the history, audit and change-feed rows of the batch's people). A plain
// INSERT, as the company insert: 20,000 people went in 12% faster without ON CONFLICT DO NOTHING
// (1,370 against 1,552 ms, three alternated runs); a concurrent writer's email (23505) sends the
// batch again with it (importPersonBatch).
function personInsertSql(onConflict: boolean): string {
  return `
  INSERT INTO marketing.people (person_id, name, email, linkedin_url, company_uid, title, source,
                                validation_status, validation_provider, validation_result_raw,
                                validated_at)
  SELECT marketing.gen_person_uid(), r.name, r.email, r.linkedin_url, r.company_uid, r.title, r.source,
         coalesce(r.validation_status, 'pending'), r.validation_provider, r.validation_result_raw,
         CASE WHEN r.validation_status IS NOT NULL THEN now() END
    FROM json_to_recordset(?::json)
      AS r(i integer, name text, email text, linkedin_url text, company_uid text, title text, source text,
           validation_status text, validation_provider text, validation_result_raw text)
   ORDER BY r.email
  ${onConflict ? "ON CONFLICT DO NOTHING" : ""}
  RETURNING person_id, email`;
}

const PERSON_INSERT_SQL = personInsertSql(false);
const PERSON_INSERT_ON_CONFLICT_SQL = personInsertSql(true);

async function personPass(
  trx: Knex.Transaction,
  rows: readonly BulkPersonRow[],
  pending: readonly number[],
  outcomes: (PersonImportOutcome | undefined)[],
  onConflict: boolean,
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
    onConflict ? PERSON_INSERT_ON_CONFLICT_SQL : PERSON_INSERT_SQL,
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
            ...(row?.validation && row.validation.status !== "pending"
              ? {
                  validation_status: row.validation.status,
                  validation_provider: row.validation.provider,
                  validation_result_raw: row.validation.result,
                }
              : {}),
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
  options: PlanOptions = {},
): Promise<PersonImportOutcome[]> {
  if (rows.length === 0) return [];
  let outcomes: PersonImportOutcome[];
  try {
    await withoutJit(q);
    outcomes = await inPasses<PersonImportOutcome>(
      q,
      rows.length,
      "email",
      (trx, pending, found, onConflict) => personPass(trx, rows, pending, found, onConflict),
    );
  } catch (err) {
    if (!isDataError(err)) throw toPleError(err);
    outcomes = await peopleRowByRow(q, rows);
  }
  const policy = options.onExisting ?? "skip";
  if (policy === "skip") return refuseIdentityConflicts(q, rows, outcomes);
  return applyPersonPolicy(q, rows, outcomes, policy);
}

// As COMPANY_POLICY_SQL: a row upsert_person would answer "unchanged" is answered so without
// the call when the table shows it as the statement starts. The person holds the row's email
// (not as an alias), its LinkedIn URL (so match_person checks no other holder) and its company
// UID, where the row has them, and then
// - fill: has a title, or the row has none (fill sets only empty fields, so the rows before
//   it in the statement cannot change the answer);
// - update: has the row's name and title too, and no other row of the statement found the
//   person (`found`, the person the batch's look-up found).
const PERSON_POLICY_SQL = `
  WITH p AS (SELECT ?::text AS policy),
  r AS (
    SELECT r.*, count(*) OVER (PARTITION BY r.found) AS finders
      FROM json_to_recordset(?::json)
        AS r(i integer, name text, email text, linkedin_url text, company_uid text, title text,
             source text, found text)
  )
  SELECT r.i,
         CASE WHEN u.person_id IS NOT NULL
           THEN json_build_object('status', 'unchanged', 'person_id', u.person_id,
                                  'merged_from', NULL, 'changed', '[]'::json)
           ELSE marketing.upsert_person(r.name, r.email, r.linkedin_url, r.company_uid, r.title,
                                        r.source, p.policy)
         END AS r
    FROM p
   CROSS JOIN r
    LEFT JOIN LATERAL (
      SELECT s.person_id
        FROM marketing.people AS s
       WHERE s.email = r.email
         AND (r.linkedin_url IS NULL OR s.linkedin_url = r.linkedin_url)
         AND (r.company_uid IS NULL OR s.company_uid = r.company_uid)
         AND CASE p.policy
               WHEN 'fill' THEN r.title IS NULL OR s.title IS NOT NULL
               WHEN 'update' THEN r.finders = 1 AND s.person_id = r.found AND s.name = r.name
                                  AND (r.title IS NULL OR s.title = r.title)
               ELSE false
             END
    ) AS u ON true
   ORDER BY r.i`;

/**
 * onExisting fill / update for the rows of a batch that found a person, as applyCompanyPolicy
 * does for companies: upsert_person for each such row in file order, all in one statement (one
 * round trip for the batch instead of three per row), except the rows PERSON_POLICY_SQL can
 * answer "unchanged" from the table without it. A row the database refuses (an identity
 * conflict, a company mismatch, a suppressed LinkedIn URL) fails the statement, which is rolled
 * back, and the rows then go one statement each, each in a savepoint, so exactly the refused row
 * is rejected. Measured on the bench's 20,000 contacts (575 found under fill): 1,725 statements
 * and their round trips before, 10 after.
 */
async function applyPersonPolicy(
  q: Queryable,
  rows: readonly BulkPersonRow[],
  outcomes: PersonImportOutcome[],
  policy: OnExisting,
): Promise<PersonImportOutcome[]> {
  return applyPolicyToFound(q, outcomes, {
    what: "upsert_person",
    sql: PERSON_POLICY_SQL,
    policy,
    input: (i) => {
      const row = rows[i] as BulkPersonRow;
      return {
        i,
        name: row.name,
        email: row.email,
        linkedin_url: row.linkedin_url ?? null,
        company_uid: row.company_uid ?? null,
        title: row.title ?? null,
        source: row.source ?? "manual",
        found: outcomes[i]?.status === "existing" ? outcomes[i].person_id : null,
      };
    },
    outcome: personUpsertOutcome,
    oneRow: (i) => upsertPersonRow(q, rows[i] as BulkPersonRow, policy),
  });
}

/** upsert_person's answer as an import outcome. */
function personUpsertOutcome(r: { status: string; person_id: string }): PersonImportOutcome {
  const status =
    r.status === "created" || r.status === "updated" || r.status === "unchanged"
      ? r.status
      : "existing";
  return { status, person_id: r.person_id as PersonId };
}

// Everyone holding a LinkedIn URL that a row finding a person gives.
const LINKEDIN_HOLDERS_SQL = `
  SELECT r.i, p.person_id
    FROM json_to_recordset(?::json) AS r(i integer, linkedin_url text)
    JOIN marketing.people AS p ON p.linkedin_url = r.linkedin_url`;

/**
 * match_person's identity check for the rows that found a person (on_existing skip; fill and
 * update run upsert_person itself): a row whose LinkedIn URL is not its person's but another
 * person's, one stored before the batch or created by an earlier row, is IDENTITY_CONFLICT, as
 * upsert_person row by row would answer (its error, from upsert_person run for that row). One
 * statement when some found row gives a LinkedIn URL.
 */
async function refuseIdentityConflicts(
  q: Queryable,
  rows: readonly BulkPersonRow[],
  outcomes: readonly PersonImportOutcome[],
): Promise<PersonImportOutcome[]> {
  const found = [...outcomes.entries()].filter(
    ([i, out]) => out.status === "existing" && rows[i]?.linkedin_url,
  );
  if (found.length === 0) return [...outcomes];
  let holders: Array<{ i: number; person_id: string }>;
  try {
    const result = await q.raw<{ rows: Array<{ i: number; person_id: string }> }>(
      LINKEDIN_HOLDERS_SQL,
      [JSON.stringify(found.map(([i]) => ({ i, linkedin_url: rows[i]?.linkedin_url })))],
    );
    holders = result.rows;
  } catch (err) {
    throw toPleError(err);
  }
  const createdAt = new Map<string, number>();
  for (const [i, out] of outcomes.entries()) {
    if (out.status === "created") createdAt.set(out.person_id, i);
  }
  const byRow = new Map<number, string[]>();
  for (const h of holders) byRow.set(h.i, [...(byRow.get(h.i) ?? []), h.person_id]);
  const result = [...outcomes];
  for (const [i, out] of found) {
    if (out.status !== "existing") continue;
    const held = byRow.get(i) ?? [];
    if (held.includes(out.person_id)) continue;
    // A person created by a later row of the batch did not exist yet when this row ran.
    if (!held.some((other) => (createdAt.get(other) ?? -1) < i)) continue;
    result[i] = await upsertPersonRow(q, rows[i] as BulkPersonRow, "skip");
  }
  return result;
}

/**
 * A dry run of importPersonBatch for people already stored (by email or a merged-away email):
 * upsert_person row by row in file order, in a transaction rolled back, so the answer is the
 * database's own (with skip, only its identity check: IDENTITY_CONFLICT or "existing"). Rows
 * that find nobody are "created".
 */
export async function previewPersonPolicy(
  q: Queryable,
  rows: readonly BulkPersonRow[],
  policy: OnExisting,
): Promise<PersonImportOutcome[]> {
  const outcomes: PersonImportOutcome[] = [];
  try {
    await q.transaction(async (trx) => {
      for (const row of rows) outcomes.push(await upsertPersonRow(trx, row, policy));
      throw new DryRunRollback();
    });
  } catch (err) {
    if (!(err instanceof DryRunRollback)) throw toPleError(err);
  }
  return outcomes;
}

/** upsert_person for one row in a savepoint of its own; a refused row is rejected. */
async function upsertPersonRow(
  q: Queryable,
  row: BulkPersonRow,
  policy: OnExisting,
): Promise<PersonImportOutcome> {
  try {
    const r = await inSavepoint(q, async (sp) => {
      const result = await sp.raw<{ rows: Array<{ r: { status: string; person_id: string } }> }>(
        "SELECT marketing.upsert_person(?, ?, ?, ?, ?, ?, ?) AS r",
        [
          row.name,
          row.email,
          row.linkedin_url ?? null,
          row.company_uid ?? null,
          row.title ?? null,
          row.source ?? "manual",
          policy,
        ],
      );
      const out = result.rows[0]?.r;
      if (out === undefined) throw new PleError("INTERNAL", "upsert_person returned nothing");
      return out;
    });
    return personUpsertOutcome(r);
  } catch (err) {
    // A lost race is no fault of the row: the caller retries the transaction.
    if (isRetryable(err)) throw toPleError(err);
    return { status: "rejected", error: toPleError(err) };
  }
}
