/**
 * Error vocabulary shared by every PLE package: the stable error codes, the `PleError` class that
 * carries them, and the `Result` type that pure functions return instead of throwing.
 */

export const ERROR_CODES = [
  "VALIDATION_FAILED",
  "COMPANY_NOT_FOUND",
  "PERSON_NOT_FOUND",
  "SLOT_NOT_FOUND",
  "SLOT_CONFLICT",
  "PERSON_ALREADY_LINKED",
  "INVALID_TRANSITION",
  "COMPANY_HAS_FILLED_SLOTS",
  "COMPANY_MISMATCH",
  "SUPPRESSED",
  "ALREADY_EXISTS",
  "IDEMPOTENCY_CONFLICT",
  "IDENTITY_CONFLICT",
  "MERGE_CONFLICT",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "PAYLOAD_TOO_LARGE",
  "METHOD_NOT_ALLOWED",
  "UNSUPPORTED_MEDIA_TYPE",
  "RATE_LIMITED",
  "UID_EXHAUSTED",
  "MIGRATION_LOCKED",
  "MIGRATION_DRIFT",
  "MIGRATION_FAILED",
  "DATABASE_UNAVAILABLE",
  "NOT_FOUND",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const errorCodeSet: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && errorCodeSet.has(value);
}

export interface PleErrorOptions {
  /** The input field the error is about, in the API's snake_case words (e.g. "website"). */
  field?: string | undefined;
  /** Machine-readable detail; validation failures always carry `reason`. */
  details?: Record<string, unknown> | undefined;
  cause?: unknown;
}

/** The JSON shape of a `PleError`, as the API and the CLI's `--json` output show it. */
export interface PleErrorJson {
  code: ErrorCode;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}

export class PleError extends Error {
  override readonly name = "PleError";
  readonly code: ErrorCode;
  readonly field?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: PleErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.field !== undefined) this.field = opts.field;
    if (opts.details !== undefined) this.details = opts.details;
  }

  toJSON(): PleErrorJson {
    const json: PleErrorJson = { code: this.code, message: this.message };
    if (this.field !== undefined) json.field = this.field;
    if (this.details !== undefined) json.details = this.details;
    return json;
  }
}

/**
 * True for a `PleError`, including one created by another copy of this package (a bundled
 * client next to a server build), which `instanceof` alone would miss.
 */
export function isPleError(x: unknown): x is PleError {
  if (x instanceof PleError) return true;
  if (!(x instanceof Error) || x.name !== "PleError") return false;
  return isErrorCode((x as { code?: unknown }).code);
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: PleError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err<T = never>(error: PleError): Result<T> {
  return { ok: false, error };
}

/** The value of a successful result; throws the result's `PleError` otherwise. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw result.error;
}

/** A `VALIDATION_FAILED` error naming the field and the machine-readable reason. */
export function validationError(
  field: string,
  reason: string,
  message: string,
  details: Record<string, unknown> = {},
): PleError {
  return new PleError("VALIDATION_FAILED", message, { field, details: { reason, ...details } });
}
