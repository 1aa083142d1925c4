/**
 * People consistency (migration 012): the suppression list of erased or objecting identities
 * (keyed hashes, never the values; marketing.suppress_identity / unsuppress_identity, both
 * audited) and the stored people whose company disagrees with their slot (for `ple doctor`).
 */
import { PleError } from "@ple/core";
import type { Queryable } from "./database.js";
import { mapErrors } from "./errors.js";

export interface SuppressionEntry {
  /** HMAC-SHA256 (hex) of the kind and the normalised value, keyed with the database's secret. */
  identity_hash: string;
  kind: "email" | "linkedin_url";
  reason: string;
  /** The erased person's tombstone, when the entry comes from an erasure. */
  person_id: string | null;
  actor: string;
  created_at: Date;
}

export interface SuppressionChange {
  status: "added" | "exists" | "removed" | "not_found";
  identity_hash: string;
  kind?: "email" | "linkedin_url";
  person_id?: string | null;
}

/** The suppression list, newest first. */
export function listSuppression(
  q: Queryable,
  options: { limit?: number } = {},
): Promise<SuppressionEntry[]> {
  return mapErrors(async () => {
    const rows: SuppressionEntry[] = await q("marketing.suppression")
      .select("identity_hash", "kind", "reason", "person_id", "actor", "created_at")
      .orderBy([
        { column: "created_at", order: "desc" },
        { column: "identity_hash", order: "asc" },
      ])
      .limit(options.limit ?? 1000);
    return rows;
  });
}

async function callChange(
  q: Queryable,
  fn: "suppress_identity" | "unsuppress_identity",
  identity: string,
  reason: string,
): Promise<SuppressionChange> {
  const result = await mapErrors(() =>
    q.raw<{ rows: Array<{ r: SuppressionChange }> }>(`SELECT marketing.${fn}(?, ?) AS r`, [
      identity,
      reason,
    ]),
  );
  const out = result.rows[0]?.r;
  if (out === undefined) throw new PleError("INTERNAL", `${fn} returned nothing`);
  return out;
}

/**
 * Puts an email or LinkedIn URL on the suppression list (normalised first, so any spelling of
 * it is refused afterwards); run it in the caller's actor transaction, it is audited.
 */
export function addSuppression(
  q: Queryable,
  input: { identity: string; reason: string },
): Promise<SuppressionChange> {
  return callChange(q, "suppress_identity", input.identity, input.reason);
}

/**
 * Takes an entry off the list, named by its email or LinkedIn URL or by its identity_hash (e.g.
 * consent given again); audited with the reason.
 */
export function removeSuppression(
  q: Queryable,
  input: { identity: string; reason: string },
): Promise<SuppressionChange> {
  return callChange(q, "unsuppress_identity", input.identity, input.reason);
}

/**
 * SUPPRESSED (field email or linkedin_url) when either identity, in any spelling, is on the
 * suppression list: the answer a create would give, for look-ups such as a dry run's.
 */
export async function refuseSuppressed(
  q: Queryable,
  identity: { email: string; linkedin_url?: string | null | undefined },
): Promise<void> {
  await mapErrors(() =>
    q.raw("SELECT marketing.refuse_suppressed(?, ?)", [
      identity.email,
      identity.linkedin_url ?? null,
    ]),
  );
}

export interface CompanyMismatch {
  person_id: string;
  /** The company stored on the person. */
  company_uid: string | null;
  slot_uid: string;
  /** The company of the slot they hold or are proposed for. */
  slot_company_uid: string;
  status: "pending" | "filled";
}

/** People whose stored company is not the company of their slot (rows written before 012). */
export function listCompanyMismatches(q: Queryable, limit = 100): Promise<CompanyMismatch[]> {
  return mapErrors(async () => {
    const rows: CompanyMismatch[] = await q("marketing.person_company_mismatch")
      .select("person_id", "company_uid", "slot_uid", "slot_company_uid", "status")
      .orderBy("person_id")
      .limit(limit);
    return rows;
  });
}
