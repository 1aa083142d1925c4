/**
 * The one tRPC instance of the API and its procedure builders:
 * publicProcedure (no key), readProcedure, writeProcedure and adminProcedure
 * (roles nest: admin ⊇ write ⊇ read). Write and admin procedures get
 * ctx.write(fn), which runs fn in one transaction under the caller's actor
 * and request id and makes it idempotent under an Idempotency-Key. A
 * transaction that meets a deadlock or serialization failure (a retryable
 * error) is rolled back and run again, up to WRITE_ATTEMPTS times.
 */
import { createHash } from "node:crypto";
import { PleError } from "@ple/core";
import {
  type ApiKeyRole,
  claimIdempotencyKey,
  roleAllows,
  saveIdempotentResponse,
  toPleError,
  withActor,
} from "@ple/db";
import { getTRPCErrorFromUnknown, initTRPC, type TRPCError } from "@trpc/server";
import superjson from "superjson";
import { type Context, INVALID_KEY_MESSAGE, MISSING_KEY_MESSAGE } from "./context.js";
import { describeError, toTRPCError } from "./errors.js";
import { serializeAnswer } from "./superjson-fast.js";

/** How many times ctx.write runs a transaction that PostgreSQL aborted as retryable. */
const WRITE_ATTEMPTS = 3;

/** The name under which API writes reach the audit log's application column. */
export const APPLICATION = "ple-api";

/** True for superjson's wire form of a value: `{"json": …}`, with `"meta"` when it holds Dates etc. */
function isSuperjsonEnvelope(value: unknown): value is Parameters<typeof superjson.deserialize>[0] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.includes("json") && keys.every((key) => key === "json" || key === "meta");
}

/**
 * superjson both ways, except that an input sent as plain JSON (without the `{"json": …}`
 * envelope, as a caller without a tRPC client writes it) is taken as it is: no input schema has
 * a `json` field, and ISO date strings are what the schemas' date fields accept. Answers are
 * serialized by superjson-fast.ts: superjson's output, without copying the answer.
 */
export const transformer = {
  input: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: (value: unknown) =>
      isSuperjsonEnvelope(value) ? superjson.deserialize(value) : value,
  },
  output: {
    serialize: serializeAnswer,
    deserialize: (value: Parameters<typeof superjson.deserialize>[0]) =>
      superjson.deserialize(value),
  },
};

const t = initTRPC.context<Context>().create({
  transformer,
  // Never put stack traces in responses, whatever NODE_ENV says.
  isDev: false,
  // Subscriptions (events.onChange): a ping keeps idle SSE streams open through proxies; a
  // client that hears nothing for longer reconnects, resuming from its last event id.
  sse: {
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
  errorFormatter({ shape, error, ctx }) {
    const described = describeError(error, ctx?.requestId);
    return {
      code: shape.code,
      message: described.message,
      data: {
        code: described.code,
        field: described.field,
        details: described.details,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path ?? null,
        requestId: ctx?.requestId ?? null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Sends each PleError with the tRPC (HTTP) code its PLE code maps to. */
const pleErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) throw toTRPCError(result.error);
  return result;
});

export const publicProcedure = t.procedure.use(pleErrors);

/** A PleError as pleErrors would send it (the tRPC code its PLE code maps to). */
function rejected(error: PleError): TRPCError {
  return toTRPCError(getTRPCErrorFromUnknown(error));
}

/**
 * The procedures that need an API key holding `required` (roles nest). One middleware
 * does what pleErrors, the key check and the role check would do as three: every level
 * of tRPC's middleware chain copies the call's options and context, per call.
 */
function keyWithRole(required: ApiKeyRole) {
  return t.procedure.use(async ({ ctx, next }) => {
    if (ctx.authError !== null) throw rejected(ctx.authError);
    const actor = ctx.actor;
    if (actor === null) {
      throw rejected(
        new PleError("UNAUTHORIZED", ctx.authFailure ?? MISSING_KEY_MESSAGE, {
          details: {
            reason: ctx.authFailure === INVALID_KEY_MESSAGE ? "invalid_key" : "missing_key",
          },
        }),
      );
    }
    if (!roleAllows(actor.role, required)) {
      throw rejected(
        new PleError(
          "FORBIDDEN",
          `This call needs an API key with the ${required} role; this key has ${actor.role}.`,
          { details: { required, held: actor.role } },
        ),
      );
    }
    const result = await next({ ctx: { actor } });
    if (!result.ok) throw toTRPCError(result.error);
    return result;
  });
}

type Transaction = Parameters<Parameters<typeof withActor>[2]>[0];

/** JSON with sorted keys, so the same request always hashes the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) {
      sorted[key] = (item as Record<string, unknown>)[key];
    }
    return sorted;
  });
}

const writes = t.middleware(async ({ ctx, next, path, getRawInput }) => {
  const actor = ctx.actor;
  if (actor === null) throw new PleError("UNAUTHORIZED", MISSING_KEY_MESSAGE);
  let used = false;
  /**
   * Runs fn in one transaction whose changes are audited under this API key
   * and request id. With an Idempotency-Key, a repeat of the same request
   * returns the first result without running fn again.
   */
  const write = async <T>(
    fn: (trx: Transaction) => Promise<T>,
    opts: { replayable?: boolean } = {},
  ): Promise<T> => {
    if (used) throw new PleError("INTERNAL", "A procedure may open only one write transaction.");
    used = true;
    if (ctx.idempotencyKey !== null && ctx.idempotencyError !== null) throw ctx.idempotencyError;
    if (opts.replayable === false && ctx.idempotencyKey !== null) {
      // Its response holds a secret, which an idempotency record would store.
      throw new PleError("VALIDATION_FAILED", `${path} does not accept an Idempotency-Key.`, {
        field: "Idempotency-Key",
        details: { reason: "not_replayable" },
      });
    }
    const requestHash = createHash("sha256")
      .update(canonicalJson((await getRawInput()) ?? null))
      .digest("hex");
    const run = () =>
      withActor(
        ctx.db,
        { actor: actor.keyId, requestId: ctx.requestId, application: APPLICATION },
        async (trx) => {
          const key = ctx.idempotencyKey;
          if (key === null) return fn(trx);
          const claim = { key, actor: actor.keyId, procedure: path, requestHash };
          const claimed = await claimIdempotencyKey(trx, claim);
          if (claimed.status === "replay") {
            ctx.responseHeaders.set("Idempotent-Replayed", "true");
            return superjson.deserialize(
              claimed.response as Parameters<typeof superjson.deserialize>[0],
            ) as T;
          }
          const result = await fn(trx);
          await saveIdempotentResponse(trx, claim, superjson.serialize(result));
          return result;
        },
      );
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        // Two writers that met in a deadlock: the one PostgreSQL aborted runs again, after a
        // short random wait so that they do not meet again. Its transaction left nothing.
        if (attempt >= WRITE_ATTEMPTS || toPleError(error).details?.retryable !== true) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  };
  return next({ ctx: { write } });
});

export const readProcedure = keyWithRole("read");
export const writeProcedure = keyWithRole("write").use(writes);
export const adminProcedure = keyWithRole("admin").use(writes);
