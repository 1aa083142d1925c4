/**
 * Who is changing things: the actor, request id and application reach the
 * audit and history triggers through transaction-local settings
 * (set_config(..., true)), so a pooled connection never carries them over to
 * the next transaction.
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import type { PleDatabase } from "./database.js";

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

/** Runs fn in one transaction whose changes are attributed to ctx. */
export function withActor<T>(
  db: PleDatabase | Knex,
  ctx: ActorContext,
  fn: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  const knex = isPleDatabase(db) ? db.knex : db;
  return knex.transaction(async (trx) => {
    await setActor(trx, ctx);
    return fn(trx);
  });
}
