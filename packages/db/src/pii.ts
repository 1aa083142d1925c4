/**
 * PII erasure: marketing.erase_person (migration 007) scrubs a person's name, email, LinkedIn
 * URL, title and raw verifier result from people, their history, the audit log, import
 * rejects and stored API responses, vacates their slot, leaves a tombstone
 * (marketing.pii_erasure) and records the erasure in the audit log without the PII; migration
 * 012 puts the erased email and LinkedIn URL on the suppression list.
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import { mapErrors } from "./errors.js";

export interface PiiErasureCounts {
  history_rows: number;
  audit_rows: number;
  import_rejects: number;
  api_responses: number;
  slots_vacated: number;
}

export interface PiiErasureResult {
  status: "erased" | "already_erased";
  person_id: string;
  erased_fields?: string[];
  erased_at?: string;
  counts: PiiErasureCounts;
}

export interface PiiErasure {
  person_id: string;
  erased_at: Date;
  actor: string;
  request_id: string | null;
  erased_fields: string[];
  counts: PiiErasureCounts;
  /** Why the person was erased, as given to erase (null when none was). */
  reason: string | null;
}

/**
 * Erases one person; run it in the caller's actor transaction. Their email and LinkedIn URL go
 * on the suppression list (keyed hashes), so they cannot be created or imported again; the
 * reason, when given, is kept on the tombstone.
 */
export async function erasePerson(
  trx: Knex | Knex.Transaction,
  personId: string,
  reason?: string,
): Promise<PiiErasureResult> {
  const result = await mapErrors(() =>
    trx.raw<{ rows: Array<{ result: PiiErasureResult }> }>(
      "select marketing.erase_person(?, ?) as result",
      [personId, reason ?? null],
    ),
  );
  const value = result.rows[0]?.result;
  if (!value) throw new PleError("INTERNAL", "erase_person returned nothing");
  return value;
}

/** The tombstone of an erased person, or null. */
export async function getPiiErasure(
  q: Knex | Knex.Transaction,
  personId: string,
): Promise<PiiErasure | null> {
  const row = await q("marketing.pii_erasure").where({ person_id: personId }).first();
  return (row as PiiErasure | undefined) ?? null;
}

/**
 * Reclaims the space of the scrubbed row versions, so the old values leave the table files
 * too (not only every query). Runs outside any transaction.
 */
export async function vacuumErasedRows(knex: Knex): Promise<void> {
  await knex.raw(
    "vacuum marketing.people, marketing.people_history, marketing.audit_log, marketing.import_reject, marketing.idempotency_key",
  );
}
