/**
 * The context of every call: the database, the authenticated API key (the
 * actor), the request id and the Idempotency-Key. createContextInner needs no
 * HTTP (router tests, other transports); createContext authenticates a request.
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { PleError } from "@ple/core";
import { type ApiKeyRole, authenticateApiKey, type PleDatabase, toPleError } from "@ple/db";
import type { ApiKeyCache } from "./api-key-cache.js";
import type { Logger } from "./logger.js";

/** The API key a call is made with; its id is the actor of every change. */
export interface ApiActor {
  keyId: string;
  name: string;
  role: ApiKeyRole;
}

export interface CreateContextInnerOptions {
  db: PleDatabase;
  /** null for an unauthenticated call (only public procedures accept it). */
  actor: ApiActor | null;
  requestId?: string;
  /** The Idempotency-Key the mutation was sent with, if any. */
  idempotencyKey?: string | null;
  /** Why authentication failed, when a key was sent but not accepted. */
  authFailure?: string | null;
  /** The database failed while checking the key; raised by every protected procedure. */
  authError?: PleError | null;
  /** Why the Idempotency-Key cannot be honoured; raised by every write. */
  idempotencyError?: PleError | null;
  logger?: Logger;
}

export async function createContextInner(opts: CreateContextInnerOptions) {
  return {
    db: opts.db,
    actor: opts.actor,
    requestId: opts.requestId ?? randomUUID(),
    idempotencyKey: opts.idempotencyKey ?? null,
    authFailure: opts.authFailure ?? null,
    authError: opts.authError ?? null,
    idempotencyError: opts.idempotencyError ?? null,
    logger: opts.logger ?? null,
    /** Headers a procedure adds to the HTTP response (e.g. Idempotent-Replayed). */
    responseHeaders: new Map<string, string>(),
  };
}

export type Context = Awaited<ReturnType<typeof createContextInner>>;

export const MISSING_KEY_MESSAGE =
  "An API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.";
export const INVALID_KEY_MESSAGE = "The API key is not valid (unknown or revoked).";

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The API key a request carries, or why the headers carrying it are unusable. */
export function apiKeyFromHeaders(
  headers: IncomingHttpHeaders,
): { key: string } | { missing: true } | { malformed: string } {
  const authorization = header(headers, "authorization")?.trim();
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match?.[1]) {
      return { malformed: "The Authorization header must be 'Bearer <API key>'." };
    }
    return { key: match[1] };
  }
  const apiKey = header(headers, "x-api-key")?.trim();
  if (apiKey) return { key: apiKey };
  return { missing: true };
}

export interface CreateContextOptions {
  req: { headers: IncomingHttpHeaders };
  /** The calls of the HTTP request (tRPC's request info). */
  info?: { calls: readonly unknown[] };
  db: PleDatabase;
  requestId?: string;
  logger?: Logger;
  /** Recently accepted keys (see api-key-cache.ts); without it every request looks its key up. */
  apiKeys?: ApiKeyCache;
}

/** Authenticates an HTTP request; failures surface when a protected procedure is called. */
export async function createContext({
  req,
  info,
  db,
  requestId,
  logger,
  apiKeys,
}: CreateContextOptions) {
  const found = apiKeyFromHeaders(req.headers);
  let actor: ApiActor | null = null;
  let authFailure: string | null = null;
  let authError: PleError | null = null;
  if ("key" in found) {
    try {
      const apiKey = apiKeys
        ? await apiKeys.authenticate(db.knex, found.key)
        : await authenticateApiKey(db.knex, found.key);
      if (apiKey) actor = { keyId: apiKey.id, name: apiKey.name, role: apiKey.role };
      else authFailure = INVALID_KEY_MESSAGE;
    } catch (error) {
      // Never fail context creation: the error is raised inside the procedure,
      // where it gets the request id and its proper code.
      authError = toPleError(error);
    }
  } else if ("malformed" in found) {
    authFailure = found.malformed;
  }
  const idempotencyKey = header(req.headers, "idempotency-key")?.trim() || null;
  const idempotencyError =
    idempotencyKey !== null && (info?.calls.length ?? 1) > 1
      ? new PleError(
          "VALIDATION_FAILED",
          "An Idempotency-Key belongs to one call: send the mutation alone, not in a batch.",
          { field: "Idempotency-Key", details: { reason: "batched", calls: info?.calls.length } },
        )
      : null;
  return createContextInner({
    db,
    actor,
    requestId,
    idempotencyKey,
    authFailure,
    authError,
    idempotencyError,
    logger,
  });
}
