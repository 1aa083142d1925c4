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
import { CURSOR_CREATED_AT_SQL, decodeCursor, encodeCursor } from "./pagination.js";

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

export function createPerson(q: Queryable, input: PersonCreateInput): Promise<CreatePersonResult> {
  return mapErrors(async () => {
    const result = await q.raw<{ rows: Array<{ result: { status: string; person_id: string } }> }>(
      "SELECT marketing.insert_person(?, ?, ?, ?, ?, ?) AS result",
      [
        input.name,
        input.email,
        input.linkedin_url ?? null,
        input.company_uid ?? null,
        input.title ?? null,
        input.source,
      ],
    );
    const out = result.rows[0]?.result;
    if (out === undefined) throw new PleError("INTERNAL", "insert_person returned nothing");
    return {
      status: out.status === "exists" ? "exists" : "created",
      person: await readPerson(q, out.person_id),
    };
  });
}

/** A person by id or normalised email; PERSON_NOT_FOUND naming the field. */
export function getPerson(q: Queryable, input: PersonGetInput): Promise<Person> {
  return mapErrors(async () => {
    if ("person_id" in input) return readPerson(q, input.person_id);
    const row: unknown = await q(PEOPLE).where({ email: input.email }).first(PERSON_COLUMNS);
    if (row === undefined) throw notFound("email", input.email);
    return Person.parse(row);
  });
}

/** People oldest first, a page at a time. */
export function listPeople(q: Queryable, input: PersonListInput): Promise<Page<Person>> {
  return mapErrors(async () => {
    const limit = input.limit;
    const query = q(PEOPLE)
      .select([...PERSON_COLUMNS])
      .select(q.raw(`${CURSOR_CREATED_AT_SQL} AS cursor_created_at`))
      .orderBy([
        { column: "created_at", order: "asc" },
        { column: "person_id", order: "asc" },
      ])
      .limit(limit + 1);
    if (input.cursor !== undefined) {
      const cursor = decodeCursor(input.cursor);
      query.whereRaw("(created_at, person_id) > (?::timestamptz, ?)", [
        cursor.createdAt,
        cursor.uid,
      ]);
    }
    if (input.company_uid !== undefined) query.where("company_uid", input.company_uid);
    if (input.validation_status !== undefined)
      query.where("validation_status", input.validation_status);
    if (input.created_since !== undefined) query.where("created_at", ">=", input.created_since);
    const rows: Array<Record<string, unknown>> = await query;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => Person.parse(row)),
      next_cursor:
        rows.length > limit && last !== undefined
          ? encodeCursor({ createdAt: String(last.cursor_created_at), uid: String(last.person_id) })
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
