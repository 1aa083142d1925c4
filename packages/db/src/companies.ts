/**
 * Companies: create (idempotent, with their three slots, through
 * marketing.insert_company_with_slots), look up, list with a keyset cursor,
 * search by name (pg_trgm), update, delete (marketing.delete_company).
 */
import {
  Company,
  type CompanyCreateInput,
  type CompanyDeleteInput,
  type CompanyGetInput,
  type CompanyListInput,
  type CompanySearchInput,
  type CompanyUid,
  type CompanyUpdateInput,
  type Page,
  PleError,
  Slot,
} from "@ple/core";
import { type Queryable, queryPrepared } from "./database.js";
import { mapErrors } from "./errors.js";
import {
  CURSOR_CREATED_AT_SQL,
  type CursorFilters,
  cursorValue,
  decodeCursor,
  encodeCursor,
  pageFilters,
} from "./pagination.js";

const COMPANY = "marketing.company";
const COMPANY_COLUMNS = [
  "company_uid",
  "company_name",
  "website",
  "apollo_company_id",
  "ein_raw",
  "ein_valid",
  "created_at",
  "updated_at",
] as const;

export interface CompanyWithSlots {
  company: Company;
  slots: Slot[];
  /** Present when the key asked for belonged to a company merged into this one: that UID. */
  merged_from?: string;
}

export interface CreateCompanyResult extends CompanyWithSlots {
  /** "exists" when the website or Apollo id was already known (nothing was changed). */
  status: "created" | "exists";
  /** What the existing company matched on. */
  matched_by: "website" | "apollo_company_id" | null;
}

export interface UpsertCompanyResult extends CompanyWithSlots {
  /**
   * "created" for a new company; for one the website or Apollo id already names, "exists"
   * (on_existing skip: nothing changed), "updated" (fill or update changed a field) or
   * "unchanged" (fill or update had nothing to change).
   */
  status: "created" | "updated" | "unchanged" | "exists";
  /** What the existing company matched on. */
  matched_by: "website" | "apollo_company_id" | null;
  /** The fields fill or update changed (API names: company_name, website, apollo_company_id, ein). */
  changed: string[];
  /** When the key matched a company merged away: its UID (the answer is the company kept). */
  merged_from?: string;
}

export interface CompanySearchHit {
  company: Company;
  /**
   * 0..1: pg_trgm similarity of the name to the query when the name contains
   * the query, else the word similarity of the fuzzy match.
   */
  score: number;
}

export interface DeleteCompanyResult {
  company_uid: string;
  deleted: true;
  /** Slots that were filled or pending (force) and the person released from each. */
  released: Array<{ slot_uid: string; person_id: string }>;
}

function notFound(field: string, value: string): PleError {
  return new PleError("COMPANY_NOT_FOUND", `No company with ${field} "${value}"`, {
    field,
    details: { reason: "not_found", [field]: value },
  });
}

const CREATE_STATUSES = new Set(["created", "updated", "unchanged", "exists"]);

/**
 * Creates a company with its three slots, or applies on_existing (default skip) to the one its
 * website or Apollo id already names (marketing.upsert_company). Keys naming two different
 * companies → IDENTITY_CONFLICT naming both.
 */
export function upsertCompany(
  q: Queryable,
  input: CompanyCreateInput,
): Promise<UpsertCompanyResult> {
  return mapErrors(async () => {
    const result = await q.raw<{
      rows: Array<{
        result: {
          status: string;
          matched_by: string | null;
          merged_from: string | null;
          company_uid: string;
          changed: string[];
        };
      }>;
    }>("SELECT marketing.upsert_company(?, ?, ?, ?, ?) AS result", [
      input.company_name,
      input.website,
      input.apollo_company_id ?? null,
      input.ein ?? null,
      input.on_existing ?? "skip",
    ]);
    const out = result.rows[0]?.result;
    if (out === undefined || !CREATE_STATUSES.has(out.status))
      throw new PleError("INTERNAL", "upsert_company returned nothing");
    const found = await getCompanyWithSlots(q, { company_uid: out.company_uid as CompanyUid });
    return {
      status: out.status as UpsertCompanyResult["status"],
      matched_by:
        out.matched_by === "website" || out.matched_by === "apollo_company_id"
          ? out.matched_by
          : null,
      changed: out.changed,
      ...(out.merged_from === null ? {} : { merged_from: out.merged_from }),
      company: found.company,
      slots: found.slots,
    };
  });
}

/** upsertCompany with on_existing skip: creates the company or answers the one already known. */
export async function createCompany(
  q: Queryable,
  input: CompanyCreateInput,
): Promise<CreateCompanyResult> {
  const { status, matched_by, company, slots } = await upsertCompany(q, {
    ...input,
    on_existing: "skip",
  });
  return { status: status === "created" ? "created" : "exists", matched_by, company, slots };
}

/** A company by uid, canonical website or Apollo id; COMPANY_NOT_FOUND naming the field. */
export function getCompany(q: Queryable, input: CompanyGetInput): Promise<Company> {
  return mapErrors(async () => {
    const [field, value] =
      "company_uid" in input
        ? (["company_uid", input.company_uid] as const)
        : "website" in input
          ? (["website", input.website] as const)
          : (["apollo_company_id", input.apollo_company_id] as const);
    let row: unknown = await q(COMPANY).where(field, value).first(COMPANY_COLUMNS);
    if (row === undefined) {
      const alias = await resolveCompanyAlias(q, field, value);
      if (alias !== null)
        row = await q(COMPANY).where({ company_uid: alias.company_uid }).first(COMPANY_COLUMNS);
    }
    if (row === undefined) throw notFound(field, value);
    return Company.parse(row);
  });
}

/** The company a merged-away key resolves to, and the UID it was merged from; null for none. */
export async function resolveCompanyAlias(
  q: Queryable,
  field: "company_uid" | "website" | "apollo_company_id",
  value: string,
): Promise<{ company_uid: string; merged_from: string } | null> {
  const row: { company_uid: string; merged_from: string } | undefined = await q(
    "marketing.company_alias",
  )
    .where({ alias_kind: field, alias_value: value })
    .first("company_uid", "merged_from");
  return row ?? null;
}

const SLOT_COLUMNS = [
  "slot_uid",
  "company_uid",
  "role",
  "status",
  "person_id",
  "created_at",
  "updated_at",
] as const;

/** The slot of a company ⟕ slot row (its columns prefixed slot_), or null when it has none. */
function slotOfRow(row: Record<string, unknown>): Slot | null {
  if (row.slot_slot_uid === null || row.slot_slot_uid === undefined) return null;
  const slot: Record<string, unknown> = {};
  for (const column of SLOT_COLUMNS) slot[column] = row[`slot_${column}`];
  return Slot.parse(slot);
}

/**
 * A company and its slots in one statement (a LEFT JOIN: one row per slot, the
 * company's columns repeated), so a look-up is one round trip, not two.
 */
export function getCompanyWithSlots(
  q: Queryable,
  input: CompanyGetInput,
): Promise<CompanyWithSlots> {
  return mapErrors(async () => {
    const [field, value] =
      "company_uid" in input
        ? (["company_uid", input.company_uid] as const)
        : "website" in input
          ? (["website", input.website] as const)
          : (["apollo_company_id", input.apollo_company_id] as const);
    const result = await q.raw<{ rows: Array<Record<string, unknown>> }>(
      `SELECT ${COMPANY_COLUMNS.map((c) => `c.${c}`).join(", ")},
              ${SLOT_COLUMNS.map((c) => `s.${c} AS slot_${c}`).join(", ")}
         FROM ${COMPANY} c
         LEFT JOIN marketing.company_slot s ON s.company_uid = c.company_uid
        WHERE c.${field} = ?
        ORDER BY array_position(ARRAY['CEO','CFO','HR']::text[], s.role)`,
      [value],
    );
    const first = result.rows[0];
    if (first === undefined) {
      const alias = await resolveCompanyAlias(q, field, value);
      if (alias === null) throw notFound(field, value);
      const kept = await getCompanyWithSlots(q, {
        company_uid: alias.company_uid as CompanyUid,
      });
      return { ...kept, merged_from: alias.merged_from };
    }
    const slots: Slot[] = [];
    for (const row of result.rows) {
      const slot = slotOfRow(row);
      if (slot !== null) slots.push(slot);
    }
    return { company: Company.parse(first), slots };
  });
}

/** getCompaniesWithSlots's statement, with its one parameter written as `placeholder`. */
function companiesWithSlotsSql(placeholder: string): string {
  return `SELECT ${COMPANY_COLUMNS.map((c) => `c.${c}`).join(", ")},
              ${SLOT_COLUMNS.map((c) => `s.${c} AS slot_${c}`).join(", ")}
         FROM ${COMPANY} c
         LEFT JOIN marketing.company_slot s ON s.company_uid = c.company_uid
        WHERE c.company_uid = ANY(${placeholder}::text[])
        ORDER BY c.company_uid, array_position(ARRAY['CEO','CFO','HR']::text[], s.role)`;
}
const COMPANIES_WITH_SLOTS_SQL = companiesWithSlotsSql("?");
/** The API's hottest statement, prepared once per pooled connection (queryPrepared). */
const COMPANIES_WITH_SLOTS_PREPARED = {
  name: "ple_companies_with_slots_v1",
  text: companiesWithSlotsSql("$1"),
};

/**
 * Several companies and their slots by company_uid, in one statement (for
 * look-ups that arrive together). Unknown uids are absent from the map. On a
 * server's pool the statement is a prepared one; in a transaction or the
 * embedded database it goes through knex.
 */
export function getCompaniesWithSlots(
  q: Queryable,
  companyUids: readonly string[],
): Promise<Map<string, CompanyWithSlots>> {
  return mapErrors(async () => {
    const found = new Map<string, CompanyWithSlots>();
    if (companyUids.length === 0) return found;
    const uids = [...new Set(companyUids)];
    const rows =
      ((await queryPrepared(
        q,
        COMPANIES_WITH_SLOTS_PREPARED.name,
        COMPANIES_WITH_SLOTS_PREPARED.text,
        [uids],
      )) as Array<Record<string, unknown>> | null) ??
      (await q.raw<{ rows: Array<Record<string, unknown>> }>(COMPANIES_WITH_SLOTS_SQL, [uids]))
        .rows;
    for (const row of rows) {
      const uid = String(row.company_uid);
      let entry = found.get(uid);
      if (entry === undefined) {
        entry = { company: Company.parse(row), slots: [] };
        found.set(uid, entry);
      }
      const slot = slotOfRow(row);
      if (slot !== null) entry.slots.push(slot);
    }
    return found;
  });
}

/** A LIKE pattern matching `text` literally. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Companies oldest first, a page at a time (cursor from the previous page's next_cursor,
 * which carries this query's filters: the cursor alone continues the same list).
 */
export function listCompanies(q: Queryable, input: CompanyListInput): Promise<Page<Company>> {
  return mapErrors(async () => {
    const limit = input.limit;
    const cursor = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
    const given: CursorFilters = {};
    if (input.created_since !== undefined) given.created_since = cursorValue(input.created_since);
    if (input.has_open_slots !== undefined) given.has_open_slots = input.has_open_slots;
    if (input.name_prefix !== undefined) given.name_prefix = input.name_prefix;
    if (input.name_similar !== undefined) given.name_similar = input.name_similar;
    if (input.open_role !== undefined) given.open_role = input.open_role;
    const filters = pageFilters(given, cursor?.filters);
    const query = q(COMPANY)
      .select([...COMPANY_COLUMNS])
      .select(q.raw(`${CURSOR_CREATED_AT_SQL} AS cursor_created_at`))
      .orderBy([
        { column: "created_at", order: "asc" },
        { column: "company_uid", order: "asc" },
      ])
      .limit(limit + 1);
    if (cursor !== undefined) {
      query.whereRaw("(created_at, company_uid) > (?::timestamptz, ?)", [
        cursor.createdAt,
        cursor.uid,
      ]);
    }
    if (typeof filters.created_since === "string") {
      query.whereRaw("created_at >= ?::timestamptz", [filters.created_since]);
    }
    if (typeof filters.has_open_slots === "boolean") {
      const open = q("marketing.company_slot as s")
        .select(q.raw("1"))
        .whereRaw("s.company_uid = marketing.company.company_uid")
        .where("s.status", "open");
      if (filters.has_open_slots) query.whereExists(open);
      else query.whereNotExists(open);
    }
    if (typeof filters.open_role === "string") {
      query.whereExists(
        q("marketing.company_slot as r")
          .select(q.raw("1"))
          .whereRaw("r.company_uid = marketing.company.company_uid")
          .where("r.status", "open")
          .where("r.role", filters.open_role),
      );
    }
    // Both name filters are served by the trigram index on company_name (migration 005).
    if (typeof filters.name_prefix === "string") {
      query.whereRaw("company_name ILIKE ?", [`${likeLiteral(filters.name_prefix)}%`]);
    }
    if (typeof filters.name_similar === "string") {
      query.whereRaw(
        `(company_name ILIKE ? OR (? OPERATOR(public.<%) company_name AND public.word_similarity(?, company_name) >= ${SEARCH_WORD_SIMILARITY}))`,
        [`%${likeLiteral(filters.name_similar)}%`, filters.name_similar, filters.name_similar],
      );
    }
    const rows: Array<Record<string, unknown>> = await query;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const more = rows.length > limit && last !== undefined;
    return {
      items: page.map((row) => Company.parse(row)),
      next_cursor: more
        ? encodeCursor({
            createdAt: String(last.cursor_created_at),
            uid: String(last.company_uid),
            filters,
          })
        : null,
    };
  });
}

/** Substring hits ranked per search; more are not ranked (see searchCompanies). */
export const SEARCH_SUBSTRING_CANDIDATES = 1_000;
/** Least pg_trgm word similarity of a fuzzy hit (pg_trgm's default word_similarity_threshold). */
export const SEARCH_WORD_SIMILARITY = 0.6;

/**
 * Companies whose name resembles the query, best match first, in one statement
 * served by the trigram GIN index (company_name_trgm_idx, migration 005):
 *
 * 1. Names that contain the query (ILIKE '%query%', case-insensitive), ranked
 *    by pg_trgm similarity to the whole query. Only the first
 *    SEARCH_SUBSTRING_CANDIDATES such names are ranked, which bounds the cost
 *    of a query that half the names contain ("Group").
 * 2. Only when no name contains it (a misspelling): names with a word close
 *    to the query (`query <% company_name`, word similarity ≥ 0.6), ranked by
 *    word similarity, then similarity.
 *
 * The old form — `%` (similarity ≥ 0.3) OR ILIKE, sorted by similarity — had
 * the GIN index merge the posting lists of every trigram of the query, common
 * ones included (50–300 ms at 500k companies). A substring needs all of its
 * trigrams, and word similarity ≥ 0.6 most of them, so the index starts from
 * the rarest and skips through the rest.
 */
export function searchCompanies(
  q: Queryable,
  input: CompanySearchInput,
): Promise<CompanySearchHit[]> {
  return mapErrors(async () => {
    const pattern = `%${input.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const columns = COMPANY_COLUMNS.join(", ");
    // pg_trgm makes trigrams of letters and digits only: a query without any
    // has no fuzzy match, and `<%` would make the index return every row.
    const fuzzy = /[\p{L}\p{N}]/u.test(input.query);
    const result = await q.raw<{ rows: Array<Record<string, unknown>> }>(
      `WITH substring_hits AS MATERIALIZED (
         SELECT ${columns}, public.similarity(company_name, :query) AS score
           FROM (SELECT ${columns} FROM ${COMPANY}
                  WHERE company_name ILIKE :pattern
                  LIMIT ${SEARCH_SUBSTRING_CANDIDATES}) AS candidate
          ORDER BY score DESC, company_name, company_uid
          LIMIT :limit)
       SELECT * FROM substring_hits
       UNION ALL
       (SELECT ${columns}, public.word_similarity(:query, company_name) AS score
          FROM ${COMPANY}
         WHERE ${fuzzy ? "TRUE" : "FALSE"} AND NOT EXISTS (SELECT 1 FROM substring_hits)
           AND :query OPERATOR(public.<%) company_name
           AND public.word_similarity(:query, company_name) >= ${SEARCH_WORD_SIMILARITY}
         ORDER BY score DESC, public.similarity(company_name, :query) DESC, company_name, company_uid
         LIMIT :limit)`,
      { query: input.query, pattern, limit: input.limit },
    );
    return result.rows.map((row) => ({ company: Company.parse(row), score: Number(row.score) }));
  });
}

/** Applies a patch; a website or Apollo id taken by another company → ALREADY_EXISTS naming it. */
export function updateCompany(q: Queryable, input: CompanyUpdateInput): Promise<Company> {
  return mapErrors(async () => {
    const { patch } = input;
    const changes: Record<string, unknown> = {};
    if (patch.company_name !== undefined) changes.company_name = patch.company_name;
    if (patch.website !== undefined) changes.website = patch.website;
    if (patch.apollo_company_id !== undefined) changes.apollo_company_id = patch.apollo_company_id;
    if (patch.ein !== undefined) changes.ein_raw = patch.ein;
    const rows: unknown[] = await q(COMPANY)
      .where({ company_uid: input.company_uid })
      .update(changes)
      .returning([...COMPANY_COLUMNS]);
    const row = rows[0];
    if (row === undefined) throw notFound("company_uid", input.company_uid);
    return Company.parse(row);
  });
}

/**
 * Deletes a company and its slots. Filled or pending slots refuse with
 * COMPANY_HAS_FILLED_SLOTS unless force, which releases their people first.
 */
export function deleteCompany(
  q: Queryable,
  input: CompanyDeleteInput,
): Promise<DeleteCompanyResult> {
  return mapErrors(async () => {
    const result = await q.raw<{ rows: Array<{ result: DeleteCompanyResult }> }>(
      "SELECT marketing.delete_company(?, ?) AS result",
      [input.company_uid, input.force],
    );
    const out = result.rows[0]?.result;
    if (out === undefined) throw new PleError("INTERNAL", "delete_company returned nothing");
    return out;
  });
}
