/**
 * How PLE's stable error codes travel over tRPC: each PleError becomes a
 * TRPCError with the matching HTTP-level code, and every error sent to a
 * client is described as {code, message, field, details} with nothing from
 * SQL, stacks or e-mail addresses in it.
 */
import { type ErrorCode, isPleError, PleError, pleErrorFromZod } from "@ple/core";
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { maskDeep, maskText } from "./redact.js";

type TRPCErrorCode = TRPCError["code"];

/** The tRPC (and so HTTP) code each PLE error code is sent with. */
export function trpcCodeFor(code: ErrorCode): TRPCErrorCode {
  switch (code) {
    case "COMPANY_NOT_FOUND":
    case "PERSON_NOT_FOUND":
    case "SLOT_NOT_FOUND":
    case "NOT_FOUND":
      return "NOT_FOUND";
    case "SLOT_CONFLICT":
    case "PERSON_ALREADY_LINKED":
    case "COMPANY_HAS_FILLED_SLOTS":
    case "COMPANY_MISMATCH":
    case "SUPPRESSED":
    case "ALREADY_EXISTS":
    case "IDEMPOTENCY_CONFLICT":
    case "IDENTITY_CONFLICT":
    case "MERGE_CONFLICT":
    case "MIGRATION_LOCKED":
      return "CONFLICT";
    case "VALIDATION_FAILED":
    case "INVALID_TRANSITION":
      return "BAD_REQUEST";
    case "UNAUTHORIZED":
      return "UNAUTHORIZED";
    case "FORBIDDEN":
      return "FORBIDDEN";
    case "PAYLOAD_TOO_LARGE":
      return "PAYLOAD_TOO_LARGE";
    case "METHOD_NOT_ALLOWED":
      return "METHOD_NOT_SUPPORTED";
    case "UNSUPPORTED_MEDIA_TYPE":
      return "UNSUPPORTED_MEDIA_TYPE";
    case "RATE_LIMITED":
      return "TOO_MANY_REQUESTS";
    case "DATABASE_UNAVAILABLE":
      return "SERVICE_UNAVAILABLE";
    case "UID_EXHAUSTED":
    case "MIGRATION_DRIFT":
    case "MIGRATION_FAILED":
    case "INTERNAL":
      return "INTERNAL_SERVER_ERROR";
    default: {
      const unhandled: never = code;
      throw new Error(`Unmapped PLE error code ${String(unhandled)}`);
    }
  }
}

/** The PLE code for a tRPC error that did not come from a PleError (routing, body, transport). */
function pleCodeForTrpc(code: TRPCErrorCode): ErrorCode {
  switch (code) {
    case "NOT_FOUND":
      return "NOT_FOUND";
    case "UNAUTHORIZED":
      return "UNAUTHORIZED";
    case "FORBIDDEN":
      return "FORBIDDEN";
    case "PAYLOAD_TOO_LARGE":
      return "PAYLOAD_TOO_LARGE";
    case "TOO_MANY_REQUESTS":
      return "RATE_LIMITED";
    case "CONFLICT":
      return "ALREADY_EXISTS";
    case "SERVICE_UNAVAILABLE":
      return "DATABASE_UNAVAILABLE";
    case "METHOD_NOT_SUPPORTED":
      return "METHOD_NOT_ALLOWED";
    case "UNSUPPORTED_MEDIA_TYPE":
      return "UNSUPPORTED_MEDIA_TYPE";
    case "BAD_REQUEST":
    case "PARSE_ERROR":
    case "UNPROCESSABLE_CONTENT":
    case "PRECONDITION_FAILED":
      return "VALIDATION_FAILED";
    default:
      return "INTERNAL";
  }
}

/** Turns an error that carries a PleError into the TRPCError with the matching code. */
export function toTRPCError(error: TRPCError): TRPCError {
  const cause = error.cause;
  if (isPleError(cause)) {
    const code = trpcCodeFor(cause.code);
    if (code === error.code) return error;
    return new TRPCError({ code, message: cause.message, cause });
  }
  return error;
}

/** What a client sees of an error, under error.data (code, field, details) and error.message. */
export interface PleErrorData {
  code: ErrorCode;
  field: string | null;
  details: Record<string, unknown> | null;
}

export interface DescribedError extends PleErrorData {
  message: string;
}

const INTERNAL_MESSAGE = "Internal server error.";

const MISSING_INPUT_MESSAGE =
  'The input is missing: send it as the JSON body of a POST, or URL-encoded as ?input=<JSON> on a GET; plain JSON and tRPC\'s {"json": …} envelope are both accepted.';

/** The whole input was absent (no body, no ?input=), not one of its fields. */
function inputMissing(error: ZodError): boolean {
  const first = error.issues[0];
  return (
    error.issues.length === 1 &&
    first !== undefined &&
    first.code === "invalid_type" &&
    first.path.length === 0 &&
    first.message.endsWith("received undefined")
  );
}

/** The client-facing description of any error a procedure or the transport produced. */
export function describeError(error: TRPCError, requestId?: string): DescribedError {
  const cause = error.cause;
  if (isPleError(cause)) return describePleError(cause, requestId);
  // Only an input that failed its schema is the caller's fault; a ZodError
  // from an output validator is a server bug and stays internal.
  if (cause instanceof ZodError && error.code === "BAD_REQUEST") {
    const described = describePleError(pleErrorFromZod(cause), requestId);
    return inputMissing(cause) ? { ...described, message: MISSING_INPUT_MESSAGE } : described;
  }
  const code = pleCodeForTrpc(error.code);
  switch (code) {
    case "INTERNAL":
      return internal(requestId);
    case "PAYLOAD_TOO_LARGE":
      return {
        code,
        message:
          "Request body is larger than the API accepts (limit set by PLE_API_BODY_LIMIT_BYTES, 1 MiB by default).",
        field: null,
        details: null,
      };
    default:
      // Transport-level messages from tRPC (unknown procedure, malformed JSON,
      // wrong method) are safe to show: they describe the request, not the server.
      return { code, message: maskText(error.message), field: null, details: null };
  }
}

function describePleError(error: PleError, requestId: string | undefined): DescribedError {
  if (error.code === "INTERNAL") return internal(requestId);
  return {
    code: error.code,
    message: maskText(error.message),
    field: error.field ?? null,
    details: error.details ? (maskDeep(error.details) as Record<string, unknown>) : null,
  };
}

function internal(requestId: string | undefined): DescribedError {
  return {
    code: "INTERNAL",
    message: requestId ? `${INTERNAL_MESSAGE} Request id: ${requestId}.` : INTERNAL_MESSAGE,
    field: null,
    details: null,
  };
}

/** A PleError for an unexpected failure, keeping the original only as the (never sent) cause. */
export function internalError(cause: unknown): PleError {
  return new PleError("INTERNAL", INTERNAL_MESSAGE, { cause });
}
