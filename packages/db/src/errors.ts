/**
 * PostgreSQL errors → PleError. SQL functions raise custom SQLSTATEs PL001–PL009, PL121–PL122,
 * PLI01 (IDENTITY_CONFLICT) and PLM01 (MERGE_CONFLICT)
 * with COLUMN = the field and DETAIL = the reason (PL001) or a JSON object of
 * particulars; constraint violations are named after their column. Messages
 * never carry SQL text; the original error stays as `cause` for server logs.
 */
import { Company, type ErrorCode, isPleError, Person, PleError, Slot } from "@ple/core";
import { DRIVER_MESSAGE } from "./database.js";

interface PgErrorFields {
  code: string;
  message: string;
  detail?: string | undefined;
  column?: string | undefined;
  table?: string | undefined;
  constraint?: string | undefined;
}

const CUSTOM_SQLSTATES: Record<string, ErrorCode> = {
  PL001: "VALIDATION_FAILED",
  PL002: "INVALID_TRANSITION",
  PL003: "SLOT_CONFLICT",
  PL004: "COMPANY_NOT_FOUND",
  PL005: "PERSON_NOT_FOUND",
  PL006: "SLOT_NOT_FOUND",
  PL007: "UID_EXHAUSTED",
  PL008: "PERSON_ALREADY_LINKED",
  PL009: "COMPANY_HAS_FILLED_SLOTS",
  PLI01: "IDENTITY_CONFLICT",
  PLM01: "MERGE_CONFLICT",
  PL121: "COMPANY_MISMATCH",
  PL122: "SUPPRESSED",
};

/** Columns per table, longest first, to name the field of a constraint. */
const TABLE_COLUMNS: Record<string, string[]> = {
  company: Object.keys(Company.shape),
  company_slot: Object.keys(Slot.shape),
  people: Object.keys(Person.shape),
};

const ENTITY_NAMES: Record<string, string> = {
  company: "A company",
  company_slot: "A slot",
  people: "A person",
  api_key: "An API key",
};

const NOT_FOUND_CODES: Record<string, ErrorCode> = {
  company: "COMPANY_NOT_FOUND",
  people: "PERSON_NOT_FOUND",
  company_slot: "SLOT_NOT_FOUND",
};

const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "EAI_AGAIN",
]);

/**
 * Messages of node-postgres and knex errors that carry no SQLSTATE but mean the connection is
 * gone or could not be had: the server went away mid-query, a client that already failed is
 * reused, a connect timed out, the pool found no connection in time.
 */
const CONNECTION_LOST_MESSAGES = [
  /^Connection terminated/,
  /not queryable/,
  /^timeout exceeded when trying to connect/i,
  /^Knex: Timeout acquiring a connection/,
  /^Unable to acquire a connection/,
  /^connect (ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)/,
  /^read (ECONNRESET|ETIMEDOUT)/,
  /^write (EPIPE|ECONNRESET)/,
];

/**
 * Whether err (or, for an AggregateError or a wrapped error, one of its parts) says the
 * database could not be reached, although it has no SQLSTATE.
 */
function isConnectionLoss(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 3) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && CONNECTION_ERRNOS.has(code)) return true;
  if (err.name === "KnexTimeoutError") return true;
  const message = driverMessage(err);
  if (CONNECTION_LOST_MESSAGES.some((re) => re.test(message))) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isConnectionLoss(e, depth + 1))) {
    return true;
  }
  return err.cause !== undefined && isConnectionLoss(err.cause, depth + 1);
}

/**
 * The message of an error with the SQL text knex puts in front of a driver's message cut off:
 * for an operator's eyes (the CLI shows it for INTERNAL errors), never a statement.
 */
export function messageWithoutSql(err: unknown): string {
  return err instanceof Error ? driverMessage(err) : String(err);
}

/** The driver's message, without the SQL text knex puts in front of it. */
function driverMessage(err: Error): string {
  const kept: unknown = (err as Error & { [DRIVER_MESSAGE]?: unknown })[DRIVER_MESSAGE];
  if (typeof kept === "string") return kept;
  const cut = err.message.lastIndexOf(" - ");
  return cut === -1 ? err.message : err.message.slice(cut + 3);
}

function pgFields(err: unknown): PgErrorFields | null {
  if (!(err instanceof Error)) return null;
  const e = err as Error & Record<string, unknown>;
  if (typeof e.code !== "string") return null;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    code: e.code,
    message: driverMessage(err),
    detail: str(e.detail),
    column: str(e.column),
    table: str(e.table),
    constraint: str(e.constraint),
  };
}

/** The field a constraint is about: `company_website_key` on table company → `website`. */
export function fieldOfConstraint(constraint: string, table: string | undefined): string {
  const columns = [...(table === undefined ? [] : (TABLE_COLUMNS[table] ?? []))].sort(
    (a, b) => b.length - a.length,
  );
  for (const column of columns) {
    if (constraint.startsWith(`${table}_${column}`) || constraint.startsWith(column)) return column;
  }
  let rest =
    table !== undefined && constraint.startsWith(`${table}_`)
      ? constraint.slice(table.length + 1)
      : constraint;
  rest = rest.replace(/_(pkey|key|fkey|check|not_blank|format|lower|idx)$/, "");
  return rest;
}

/** `Key (website)=(acme.com) already exists.` → { columns: ["website"], values: "acme.com" }. */
function keyOfDetail(detail: string | undefined): { columns: string[]; value: string } | null {
  const m = detail === undefined ? null : /^Key \((.+?)\)=\((.*)\)/.exec(detail);
  if (!m) return null;
  return { columns: (m[1] ?? "").split(",").map((c) => c.trim()), value: m[2] ?? "" };
}

function detailsOf(detail: string | undefined): Record<string, unknown> {
  if (detail === undefined || detail === "") return {};
  if (detail.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(detail);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // Not JSON after all: keep it as the reason.
    }
  }
  return { reason: detail };
}

function withField(field: string | undefined) {
  return field === undefined || field === "" ? {} : { field };
}

/** Maps any error thrown by a query to a PleError (a PleError passes through). */
export function toPleError(err: unknown): PleError {
  if (isPleError(err)) return err;
  const pg = pgFields(err);
  if (pg === null) {
    if (err instanceof Error && err.name === "KnexTimeoutError") {
      return new PleError("DATABASE_UNAVAILABLE", "The database did not answer in time", {
        cause: err,
      });
    }
    if (isConnectionLoss(err)) {
      return new PleError("DATABASE_UNAVAILABLE", "The database is unavailable", { cause: err });
    }
    return new PleError("INTERNAL", "Internal database error", { cause: err });
  }
  const custom = CUSTOM_SQLSTATES[pg.code];
  if (custom !== undefined) {
    const details = detailsOf(pg.detail);
    if (custom === "VALIDATION_FAILED" && details.reason === undefined) details.reason = "invalid";
    return new PleError(custom, pg.message, { ...withField(pg.column), details, cause: err });
  }
  if (CONNECTION_ERRNOS.has(pg.code) || /^(08|53|57P|3D|28)/.test(pg.code)) {
    return new PleError("DATABASE_UNAVAILABLE", "The database is unavailable", {
      details: { sqlstate: pg.code },
      cause: err,
    });
  }
  const table = pg.table;
  switch (pg.code) {
    case "23505": {
      const key = keyOfDetail(pg.detail);
      const field =
        key?.columns.length === 1 ? key.columns[0] : fieldOfConstraint(pg.constraint ?? "", table);
      if (table === "company_slot" && field === "person_id") {
        return new PleError("PERSON_ALREADY_LINKED", "The person already holds another slot", {
          field: "person_id",
          details: { reason: "already_linked", person_id: key?.value },
          cause: err,
        });
      }
      const who = ENTITY_NAMES[table ?? ""] ?? "A record";
      const shown = key === null ? "" : ` "${key.value}"`;
      return new PleError("ALREADY_EXISTS", `${who} with this ${field}${shown} already exists`, {
        ...withField(field),
        details: { reason: "already_exists", constraint: pg.constraint, value: key?.value },
        cause: err,
      });
    }
    case "23503": {
      const key = keyOfDetail(pg.detail);
      const field = key?.columns[0] ?? fieldOfConstraint(pg.constraint ?? "", table);
      const referenced = /is still referenced from table "([^"]+)"/.exec(pg.detail ?? "");
      if (referenced) {
        const from = referenced[1] ?? "";
        if (from === "company_slot" && field === "person_id") {
          return new PleError(
            "PERSON_ALREADY_LINKED",
            "The person still holds a slot; vacate it first",
            {
              field,
              details: { reason: "still_linked", person_id: key?.value },
              cause: err,
            },
          );
        }
        return new PleError("VALIDATION_FAILED", `The record is still referenced from ${from}`, {
          field,
          details: { reason: "still_referenced", referenced_from: from },
          cause: err,
        });
      }
      const parent = /is not present in table "([^"]+)"/.exec(pg.detail ?? "")?.[1] ?? "";
      const code = NOT_FOUND_CODES[parent] ?? "NOT_FOUND";
      const shown = key === null ? "" : ` "${key.value}"`;
      return new PleError(
        code,
        `No ${parent === "people" ? "person" : parent || "record"}${shown} for ${field}`,
        {
          field,
          details: { reason: "not_found", value: key?.value },
          cause: err,
        },
      );
    }
    case "23514": {
      const field = fieldOfConstraint(pg.constraint ?? "", table);
      return new PleError(
        "VALIDATION_FAILED",
        `The ${field} is not allowed (${pg.constraint ?? "check"})`,
        {
          field,
          details: { reason: "check_violation", constraint: pg.constraint },
          cause: err,
        },
      );
    }
    case "23502":
      return new PleError("VALIDATION_FAILED", `The ${pg.column ?? "value"} is required`, {
        ...withField(pg.column),
        details: { reason: "required" },
        cause: err,
      });
    case "22001":
      return new PleError("VALIDATION_FAILED", "A value is too long", {
        details: { reason: "too_long" },
        cause: err,
      });
    case "22P02":
    case "22007":
    case "22008":
    case "22003":
      return new PleError("VALIDATION_FAILED", "A value has the wrong format", {
        details: { reason: "invalid_syntax" },
        cause: err,
      });
    case "42501":
      return new PleError("FORBIDDEN", "The database refused this change", {
        details: { sqlstate: pg.code },
        cause: err,
      });
    case "40001":
    case "40P01":
      return new PleError("INTERNAL", "A concurrent change got in the way; retry", {
        ...withField(pg.column),
        details: { sqlstate: pg.code, retryable: true },
        cause: err,
      });
    default:
      return new PleError("INTERNAL", "Internal database error", {
        details: { sqlstate: pg.code },
        cause: err,
      });
  }
}

/** Runs a query function, rethrowing any failure as a PleError. */
export async function mapErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toPleError(err);
  }
}
