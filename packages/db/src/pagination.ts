/**
 * Keyset pagination: lists are ordered by (created_at, uid) and a cursor is
 * the last row's key, encoded opaque (base64url JSON). The timestamp keeps
 * PostgreSQL's microseconds, which a JS Date would round away.
 */
import { PleError } from "@ple/core";

export interface KeysetCursor {
  /** created_at as PostgreSQL text with microseconds, UTC. */
  createdAt: string;
  uid: string;
}

/** SQL expression of created_at as cursor text (select it as `cursor_created_at`). */
export const CURSOR_CREATED_AT_SQL = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function encodeCursor(cursor: KeysetCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.uid])).toString("base64url");
}

export function decodeCursor(cursor: string): KeysetCursor {
  const invalid = () =>
    new PleError("VALIDATION_FAILED", "The cursor is not one this API returned", {
      field: "cursor",
      details: { reason: "invalid_cursor" },
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== "string" ||
    typeof parsed[1] !== "string" ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(parsed[0]) ||
    parsed[1].length > 64
  ) {
    throw invalid();
  }
  return { createdAt: parsed[0], uid: parsed[1] };
}
