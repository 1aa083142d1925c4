/**
 * Keyset pagination: lists are ordered by a key (created_at and uid for
 * companies and people; company_uid and role for open slots) and a cursor is
 * the last row's key, encoded opaque (base64url JSON). The timestamp keeps
 * PostgreSQL's microseconds, which a JS Date would round away.
 *
 * A cursor also carries the filters of the query that made it, so the next
 * page is the next page of the same question: a call that gives only the
 * cursor gets the cursor's filters, and one that gives a filter different
 * from the cursor's is refused (VALIDATION_FAILED naming the filter).
 */
import { PleError } from "@ple/core";

/** A list's filters as a cursor keeps them: dates as ISO text. */
export type CursorFilters = Record<string, string | number | boolean>;

export interface KeysetCursor {
  /** created_at as PostgreSQL text with microseconds, UTC. */
  createdAt: string;
  uid: string;
  /** The filters of the query the cursor continues (absent: none). */
  filters?: CursorFilters;
}

/** The key of an open slot (ordered by company, then role). */
export interface SlotCursor {
  companyUid: string;
  role: string;
  filters?: CursorFilters;
}

/** SQL expression of created_at as cursor text (select it as `cursor_created_at`). */
export const CURSOR_CREATED_AT_SQL = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function invalidCursor(): PleError {
  return new PleError("VALIDATION_FAILED", "The cursor is not one this API returned", {
    field: "cursor",
    details: { reason: "invalid_cursor" },
  });
}

function encode(parts: unknown[], filters: CursorFilters | undefined): string {
  const withFilters = filters === undefined ? parts : [...parts, filters];
  return Buffer.from(JSON.stringify(withFilters)).toString("base64url");
}

function parse(cursor: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed)) throw invalidCursor();
  return parsed;
}

function isFilters(value: unknown): value is CursorFilters {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= 20 &&
    entries.every(
      ([key, v]) =>
        key.length <= 64 &&
        (typeof v === "boolean" ||
          typeof v === "number" ||
          (typeof v === "string" && v.length <= 256)),
    )
  );
}

/** The filters after `fixed` leading key parts, or undefined; an invalid cursor error otherwise. */
function trailingFilters(parsed: unknown[], fixed: number): CursorFilters | undefined {
  if (parsed.length === fixed) return undefined;
  const filters = parsed[fixed];
  if (parsed.length !== fixed + 1 || !isFilters(filters)) throw invalidCursor();
  return filters;
}

export function encodeCursor(cursor: KeysetCursor): string {
  return encode([cursor.createdAt, cursor.uid], cursor.filters);
}

export function decodeCursor(cursor: string): KeysetCursor {
  const parsed = parse(cursor);
  const [createdAt, uid] = parsed;
  if (
    typeof createdAt !== "string" ||
    typeof uid !== "string" ||
    !TIMESTAMP.test(createdAt) ||
    uid.length > 64
  ) {
    throw invalidCursor();
  }
  const filters = trailingFilters(parsed, 2);
  return filters === undefined ? { createdAt, uid } : { createdAt, uid, filters };
}

export function encodeSlotCursor(cursor: SlotCursor): string {
  return encode(["slot", cursor.companyUid, cursor.role], cursor.filters);
}

export function decodeSlotCursor(cursor: string): SlotCursor {
  const parsed = parse(cursor);
  const [kind, companyUid, role] = parsed;
  if (
    kind !== "slot" ||
    typeof companyUid !== "string" ||
    typeof role !== "string" ||
    companyUid.length > 64 ||
    role.length > 8
  ) {
    throw invalidCursor();
  }
  const filters = trailingFilters(parsed, 3);
  return filters === undefined ? { companyUid, role } : { companyUid, role, filters };
}

/** A filter value as a cursor keeps it (a Date as ISO text). */
export function cursorValue(value: string | number | boolean | Date): string | number | boolean {
  return value instanceof Date ? value.toISOString() : value;
}

/**
 * The filters of a page: those given, plus those of the cursor the call did not
 * repeat. A given filter that differs from the cursor's is refused, naming it:
 * the cursor points into another query's results.
 */
export function pageFilters(
  given: CursorFilters,
  fromCursor: CursorFilters | undefined,
): CursorFilters {
  if (fromCursor === undefined) return given;
  for (const [name, value] of Object.entries(given)) {
    if (name in fromCursor && fromCursor[name] !== value) {
      throw new PleError(
        "VALIDATION_FAILED",
        `${name}: the cursor continues a query with ${name} = ${String(fromCursor[name])}, not ${String(value)}`,
        {
          field: name,
          details: { reason: "cursor_filter_mismatch", cursor_value: fromCursor[name] },
        },
      );
    }
    if (!(name in fromCursor)) {
      throw new PleError(
        "VALIDATION_FAILED",
        `${name}: the cursor continues a query without this filter`,
        { field: name, details: { reason: "cursor_filter_mismatch", cursor_value: null } },
      );
    }
  }
  return { ...fromCursor };
}
