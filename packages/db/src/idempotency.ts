/**
 * Idempotency records of API mutations (table marketing.idempotency_key, migration 006).
 *
 * Call claimIdempotencyKey and saveIdempotentResponse inside the mutation's own
 * transaction: a failed mutation then leaves no record, and a concurrent request
 * with the same key blocks on the primary key until the first one commits, then
 * replays its response (or is refused when its request differs).
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import type { Queryable } from "./database.js";

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

export interface IdempotencyClaim {
  key: string;
  actor: string;
  procedure: string;
  /** SHA-256 (hex) of the procedure's request body. */
  requestHash: string;
}

export type IdempotencyClaimResult =
  | { status: "claimed" }
  | { status: "replay"; response: unknown; createdAt: Date };

/**
 * Claims an idempotency key for this request. "claimed": run the mutation and
 * save its response. "replay": the same request already succeeded; return its
 * response. The same key with a different procedure or body → IDEMPOTENCY_CONFLICT.
 */
export async function claimIdempotencyKey(
  trx: Knex.Transaction,
  claim: IdempotencyClaim,
): Promise<IdempotencyClaimResult> {
  if (claim.key.length === 0 || claim.key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw new PleError(
      "VALIDATION_FAILED",
      `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters.`,
      { field: "Idempotency-Key", details: { reason: "invalid_length" } },
    );
  }
  const inserted: unknown[] = await trx("marketing.idempotency_key")
    .insert({
      key: claim.key,
      actor: claim.actor,
      procedure: claim.procedure,
      request_hash: claim.requestHash,
    })
    .onConflict(["actor", "key"])
    .ignore()
    .returning("key");
  if (inserted.length > 0) return { status: "claimed" };

  const existing = await trx("marketing.idempotency_key")
    .where({ actor: claim.actor, key: claim.key })
    .first("procedure", "request_hash", "response", "created_at");
  if (existing === undefined) {
    // Only reachable if the row was purged between the two statements.
    throw new PleError("IDEMPOTENCY_CONFLICT", "The Idempotency-Key is being reused; retry.", {
      field: "Idempotency-Key",
      details: { reason: "concurrent_purge" },
    });
  }
  if (existing.procedure !== claim.procedure || existing.request_hash !== claim.requestHash) {
    throw new PleError(
      "IDEMPOTENCY_CONFLICT",
      existing.procedure !== claim.procedure
        ? `This Idempotency-Key was already used for ${String(existing.procedure)}; use a new key for a different request.`
        : "This Idempotency-Key was already used with a different request body; use a new key for a different request.",
      {
        field: "Idempotency-Key",
        details: {
          reason: existing.procedure !== claim.procedure ? "different_procedure" : "different_body",
        },
      },
    );
  }
  const createdAt =
    existing.created_at instanceof Date
      ? existing.created_at
      : new Date(String(existing.created_at));
  return { status: "replay", response: existing.response, createdAt };
}

/** Stores the response of a claimed request (a JSON-serialisable value). */
export async function saveIdempotentResponse(
  trx: Knex.Transaction,
  claim: Pick<IdempotencyClaim, "key" | "actor">,
  response: unknown,
): Promise<void> {
  await trx("marketing.idempotency_key")
    .where({ actor: claim.actor, key: claim.key })
    .update({ response: JSON.stringify(response ?? null) });
}

/** Deletes idempotency records created before `olderThan`; returns how many. */
export async function purgeIdempotencyKeys(db: Queryable, olderThan: Date): Promise<number> {
  return db("marketing.idempotency_key").where("created_at", "<", olderThan).delete();
}
