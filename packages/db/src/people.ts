/**
 * People: create (idempotent by normalised email, through
 * marketing.insert_person), look up, list with a keyset cursor, update, and
 * record an email validation result.
 */
import {
  type Page,
  Person,
  type PersonCreateInput,
  type PersonGetInput,
  type PersonId,
  type PersonListInput,
  type PersonUpdateInput,
  PleError,
  type SetValidationInput,
  VALIDATION_TRANSITIONS,
  type ValidationStatus,
  validationTransition,
} from "@ple/core";
import type { Queryable } from "./database.js";
import { mapErrors } from "./errors.js";
import {
  CURSOR_CREATED_AT_SQL,
  type CursorFilters,
  cursorValue,
  decodeCursor,
  encodeCursor,
  pageFilters,
} from "./pagination.js";

const PEOPLE = "marketing.people";
const PERSON_COLUMNS = [
  "person_id",
  "name",
  "email",
  "linkedin_url",
  "validation_status",
  "validation_provider",
  "validation_result_raw",
  "validated_at",
  "company_uid",
  "title",
  "source",
  "created_at",
  "updated_at",
] as const;

export interface CreatePersonResult {
  /** "exists" when the email was already known (the existing person is returned unchanged). */
  status: "created" | "exists";
  person: Person;
}

export interface UpsertPersonResult {
  /**
   * "created" for a new person; for one the email (or a merged-away email) already names,
   * "exists" (on_existing skip), "updated" or "unchanged" (fill or update).
   */
  status: "created" | "updated" | "unchanged" | "exists";
  person: Person;
  /** The fields fill or update changed (name, linkedin_url, company_uid, title). */
  changed: string[];
  /** When the email belonged to a person merged away: that person's id. */
  merged_from?: string;
}

function notFound(field: string, value: string): PleError {
  return new PleError("PERSON_NOT_FOUND", `No person with ${field} "${value}"`, {
    field,
    details: { reason: "not_found", [field]: value },
  });
}

async function readPerson(q: Queryable, personId: string): Promise<Person> {
  const row: unknown = await q(PEOPLE).where({ person_id: personId }).first(PERSON_COLUMNS);
  if (row === undefined) throw notFound("person_id", personId);
  return Person.parse(row);
}

const CREATE_STATUSES = new Set(["created", "updated", "unchanged", "exists"]);

/**
 * Creates a person, or applies on_existing (default skip) to the one the email already names
 * (marketing.upsert_person). An email of one person with the LinkedIn URL of another →
 * IDENTITY_CONFLICT naming both.
 */
export function upsertPerson(q: Queryable, input: PersonCreateInput): Promise<UpsertPersonResult> {
  return mapErrors(async () => {
    const result = await q.raw<{
      rows: Array<{
        result: {
          status: string;
          person_id: string;
          merged_from: string | null;
          changed: string[];
        };
      }>;
    }>("SELECT marketing.upsert_person(?, ?, ?, ?, ?, ?, ?) AS result", [
      input.name,
      input.email,
      input.linkedin_url ?? null,
      input.company_uid ?? null,
      input.title ?? null,
      input.source,
      input.on_existing ?? "skip",
    ]);
    const out = result.rows[0]?.result;
    if (out === undefined || !CREATE_STATUSES.has(out.status))
      throw new PleError("INTERNAL", "upsert_person returned nothing");
    return {
      status: out.status as UpsertPersonResult["status"],
      person: await readPerson(q, out.person_id),
      changed: out.changed,
      ...(out.merged_from === null ? {} : { merged_from: out.merged_from }),
    };
  });
}

/** upsertPerson with on_existing skip: creates the person or answers the one already known. */
export async function createPerson(
  q: Queryable,
  input: PersonCreateInput,
): Promise<CreatePersonResult> {
  const { status, person } = await upsertPerson(q, { ...input, on_existing: "skip" });
  return { status: status === "created" ? "created" : "exists", person };
}

/** The person a merged-away person_id or email resolves to; null for none. */
export async function resolvePersonAlias(
  q: Queryable,
  field: "person_id" | "email",
  value: string,
): Promise<{ person_id: string; merged_from: string } | null> {
  const row: { person_id: string; merged_from: string } | undefined = await q(
    "marketing.person_alias",
  )
    .where({ alias_kind: field, alias_value: value })
    .first("person_id", "merged_from");
  return row ?? null;
}

/**
 * A person by id or normalised email (a merged-away one's answers as the person kept);
 * PERSON_NOT_FOUND naming the field.
 */
export function getPerson(q: Queryable, input: PersonGetInput): Promise<Person> {
  return mapErrors(async () => {
    const [field, value] =
      "person_id" in input
        ? (["person_id", input.person_id] as const)
        : (["email", input.email] as const);
    let row: unknown = await q(PEOPLE).where(field, value).first(PERSON_COLUMNS);
    if (row === undefined) {
      // A person merged away answers as the person kept.
      const alias = await resolvePersonAlias(q, field, value);
      if (alias !== null)
        row = await q(PEOPLE).where({ person_id: alias.person_id }).first(PERSON_COLUMNS);
    }
    if (row === undefined) throw notFound(field, value);
    return Person.parse(row);
  });
}

/**
 * The person holding this (normalised) LinkedIn URL, the lowest id when several do (as
 * match_person names the other person of an identity conflict); null when nobody does.
 */
export function personIdByLinkedinUrl(q: Queryable, linkedinUrl: string): Promise<PersonId | null> {
  return mapErrors(async () => {
    const row: { person_id: string } | undefined = await q(PEOPLE)
      .where({ linkedin_url: linkedinUrl })
      .orderBy("person_id")
      .first("person_id");
    return row === undefined ? null : (row.person_id as PersonId);
  });
}

/**
 * People oldest first, a page at a time; next_cursor carries this query's filters (the cursor
 * alone continues the same list).
 */
export function listPeople(q: Queryable, input: PersonListInput): Promise<Page<Person>> {
  return mapErrors(async () => {
    const limit = input.limit;
    const cursor = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
    const given: CursorFilters = {};
    if (input.company_uid !== undefined) given.company_uid = input.company_uid;
    if (input.validation_status !== undefined) given.validation_status = input.validation_status;
    if (input.created_since !== undefined) given.created_since = cursorValue(input.created_since);
    if (input.without_slot !== undefined) given.without_slot = input.without_slot;
    const filters = pageFilters(given, cursor?.filters);
    const query = q(PEOPLE)
      .select([...PERSON_COLUMNS])
      .select(q.raw(`${CURSOR_CREATED_AT_SQL} AS cursor_created_at`))
      .orderBy([
        { column: "created_at", order: "asc" },
        { column: "person_id", order: "asc" },
      ])
      .limit(limit + 1);
    if (cursor !== undefined) {
      query.whereRaw("(created_at, person_id) > (?::timestamptz, ?)", [
        cursor.createdAt,
        cursor.uid,
      ]);
    }
    if (typeof filters.company_uid === "string") query.where("company_uid", filters.company_uid);
    if (typeof filters.validation_status === "string") {
      query.where("validation_status", filters.validation_status);
    }
    if (typeof filters.created_since === "string") {
      query.whereRaw("created_at >= ?::timestamptz", [filters.created_since]);
    }
    if (typeof filters.without_slot === "boolean") {
      // The unique index on company_slot.person_id (migration 003) answers this per person.
      const held = q("marketing.company_slot as s")
        .select(q.raw("1"))
        .whereRaw("s.person_id = marketing.people.person_id");
      if (filters.without_slot) query.whereNotExists(held);
      else query.whereExists(held);
    }
    const rows: Array<Record<string, unknown>> = await query;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => Person.parse(row)),
      next_cursor:
        rows.length > limit && last !== undefined
          ? encodeCursor({
              createdAt: String(last.cursor_created_at),
              uid: String(last.person_id),
              filters,
            })
          : null,
    };
  });
}

/** Applies a patch; an email taken by another person → ALREADY_EXISTS naming "email". */
export function updatePerson(q: Queryable, input: PersonUpdateInput): Promise<Person> {
  return mapErrors(async () => {
    const changes: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input.patch))
      if (value !== undefined) changes[key] = value;
    const rows: unknown[] = await q(PEOPLE)
      .where({ person_id: input.person_id })
      .update(changes)
      .returning([...PERSON_COLUMNS]);
    const row = rows[0];
    if (row === undefined) throw notFound("person_id", input.person_id);
    return Person.parse(row);
  });
}

/** The statuses from which `to` may be reached. */
function allowedFrom(to: ValidationStatus): ValidationStatus[] {
  return (Object.keys(VALIDATION_TRANSITIONS) as ValidationStatus[]).filter((from) =>
    VALIDATION_TRANSITIONS[from].includes(to),
  );
}

/**
 * Records an email check: the mapped status, the provider and its raw result,
 * and when it was checked. One conditional UPDATE, so the status only moves
 * along core's VALIDATION_TRANSITIONS even under concurrent checks.
 */
export function setValidation(q: Queryable, input: SetValidationInput): Promise<Person> {
  return mapErrors(async () => {
    const rows: unknown[] = await q(PEOPLE)
      .where({ person_id: input.person_id })
      .whereIn("validation_status", allowedFrom(input.status))
      .update({
        validation_status: input.status,
        validation_provider: input.provider ?? null,
        validation_result_raw: input.result ?? null,
        validated_at: input.checked_at ?? q.fn.now(),
      })
      .returning([...PERSON_COLUMNS]);
    const row = rows[0];
    if (row !== undefined) return Person.parse(row);
    const current = await readPerson(q, input.person_id);
    const transition = validationTransition(current.validation_status, input.status);
    if (!transition.ok) throw transition.error;
    throw new PleError("INTERNAL", "The validation status changed concurrently; retry", {
      field: "validation_status",
      details: { retryable: true },
    });
  });
}

/** A validation result an import brings with a new person (e.g. Apollo's "Email Status"). */
export interface ImportedValidation {
  person_id: string;
  status: ValidationStatus;
  provider: string;
  /** The provider's own word, kept beside the mapped status. */
  result: string;
}

/**
 * Records the validation results an import brings for people it just created, in one UPDATE
 * for the batch. Only people still `pending` change (a result recorded meanwhile wins); a
 * `pending` result records nothing.
 */
export function setImportedValidations(
  q: Queryable,
  results: readonly ImportedValidation[],
): Promise<number> {
  return mapErrors(async () => {
    const rows = results.filter((r) => r.status !== "pending");
    if (rows.length === 0) return 0;
    const updated = await q.raw<{ rowCount: number | null }>(
      `UPDATE marketing.people AS p
          SET validation_status = r.status, validation_provider = r.provider,
              validation_result_raw = r.result, validated_at = now()
         FROM json_to_recordset(?::json) AS r(person_id text, status text, provider text, result text)
        WHERE p.person_id = r.person_id AND p.validation_status = 'pending'`,
      [JSON.stringify(rows)],
    );
    return updated.rowCount ?? 0;
  });
}
