/**
 * Who is changing things: the actor, request id and application reach the
 * audit and history triggers through transaction-local settings
 * (set_config(..., true)), so a pooled connection never carries them over to
 * the next transaction.
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import type { PleDatabase } from "./database.js";
import { toPleError } from "./errors.js";

export interface ActorContext {
  /** Who acts: an API key id, `cli:<user>`, … */
  actor: string;
  requestId?: string | undefined;
  application?: string | undefined;
}

/** Sets the actor settings on a transaction that is already open. */
export async function setActor(trx: Knex.Transaction, ctx: ActorContext): Promise<void> {
  if (ctx.actor.trim() === "" || ctx.actor.length > 200) {
    throw new PleError("VALIDATION_FAILED", "The actor must be 1 to 200 characters", {
      field: "actor",
      details: { reason: ctx.actor.trim() === "" ? "required" : "too_long" },
    });
  }
  await trx.raw(
    "SELECT set_config('ple.actor', ?, true), set_config('ple.request_id', ?, true), set_config('ple.application', ?, true)",
    [ctx.actor, ctx.requestId ?? "", ctx.application ?? ""],
  );
}

function isPleDatabase(db: PleDatabase | Knex): db is PleDatabase {
  return "kind" in db && "execScript" in db;
}

/**
 * Runs fn in one transaction whose changes are attributed to ctx. A failure while opening,
 * setting up or committing the transaction (no connection, the server went away) reaches the
 * caller as a PleError (DATABASE_UNAVAILABLE for a lost database); what fn throws reaches it
 * unchanged, unless it is a lost database too.
 */
export async function withActor<T>(
  db: PleDatabase | Knex,
  ctx: ActorContext,
  fn: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  const knex = isPleDatabase(db) ? db.knex : db;
  // What fn threw (set in the callback, so a plain variable would not be narrowed).
  const fromFn: unknown[] = [];
  try {
    return await knex.transaction(async (trx) => {
      await setActor(trx, ctx);
      try {
        return await fn(trx);
      } catch (err) {
        fromFn.push(err);
        throw err;
      }
    });
  } catch (err) {
    const mapped = toPleError(err);
    if (fromFn.includes(err) && mapped.code !== "DATABASE_UNAVAILABLE") throw err;
    throw mapped;
  }
}
