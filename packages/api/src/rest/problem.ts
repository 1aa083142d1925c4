/**
 * RFC 9457 problem details: how the REST API sends an error. The members PLE adds (`code`,
 * `field`, `details`, `requestId`) are the same as tRPC's `error.data`, so a caller reads one
 * vocabulary on both transports.
 */
import type http from "node:http";
import { ERROR_CODES, type ErrorCode } from "@ple/core";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { z } from "zod";
import { type DescribedError, trpcCodeFor } from "../errors.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** The problem type URI of a code: `urn:ple:error:SLOT_CONFLICT`. */
export function problemType(code: ErrorCode): string {
  return `urn:ple:error:${code}`;
}

/** "SLOT_CONFLICT" → "Slot conflict". */
function titleOf(code: ErrorCode): string {
  const words = code.toLowerCase().replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The HTTP status a PLE code is sent with (the same on REST as on tRPC). */
export function httpStatusFor(code: ErrorCode): number {
  return getHTTPStatusCodeFromError(new TRPCError({ code: trpcCodeFor(code) }));
}

export const Problem = z
  .object({
    type: z.string().meta({ description: "urn:ple:error:<code>" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: "What went wrong, for a person to read." }),
    instance: z.string().meta({ description: "The request's path." }),
    code: z.enum(ERROR_CODES).meta({ description: "The stable PLE error code." }),
    field: z.string().nullable().meta({ description: "The input field the error is about." }),
    details: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: "Machine-readable particulars: reason, the occupant of a slot, …" }),
    requestId: z.string().meta({ description: "Also in the X-Request-Id header and the logs." }),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details with PLE's error fields." });
export type Problem = z.infer<typeof Problem>;

export function toProblem(described: DescribedError, requestId: string, instance: string): Problem {
  return {
    type: problemType(described.code),
    title: titleOf(described.code),
    status: httpStatusFor(described.code),
    detail: described.message,
    instance,
    code: described.code,
    field: described.field,
    details: described.details,
    requestId,
  };
}

export function sendProblem(res: http.ServerResponse, problem: Problem): void {
  const body = JSON.stringify(problem);
  res.statusCode = problem.status;
  res.setHeader("Content-Type", PROBLEM_CONTENT_TYPE);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}
