/**
 * Recanonicalisation: when the normalisation rules change (a new IDNA definition, a new refusal),
 * every stored website and email is recomputed with the rules the database now holds
 * (marketing.recanonical_key, migration 009) and each record is reported as unchanged, re-keyed,
 * colliding with another record, or invalid under the new rules. A real run re-keys in one
 * transaction under the caller's actor, so the history and audit triggers record every change;
 * it refuses, changing nothing, while collisions exist unless told to skip the colliding records.
 * Nothing is ever merged or deleted.
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import { mapErrors } from "./errors.js";

export type RecanonicaliseStatus = "unchanged" | "rekeyed" | "collides" | "invalid";

export interface RecanonicaliseRecord {
  table: "company" | "people";
  /** company_uid or person_id. */
  id: string;
  field: "website" | "email";
  stored: string;
  /** The key under the current rules; null when they refuse the stored value. */
  key: string | null;
  status: RecanonicaliseStatus;
  /** Why the current rules refuse the stored value (status "invalid"). */
  reason?: string;
  /** The other records that end up under the same key (status "collides"). */
  collides_with?: string[];
}

export interface RecanonicaliseCollision {
  field: "website" | "email";
  key: string;
  /** Every record that would hold the key, with what it stores now. */
  records: Array<{ id: string; stored: string }>;
}

export interface RecanonicaliseReport {
  dry_run: boolean;
  skip_collisions: boolean;
  checked: number;
  counts: Record<RecanonicaliseStatus, number>;
  /** Records re-keyed by this run (0 in a dry run). */
  applied: number;
  /** Every record that is not unchanged. */
  records: RecanonicaliseRecord[];
  collisions: RecanonicaliseCollision[];
}

interface StoredKey {
  tbl: "company" | "people";
  id: string;
  field: "website" | "email";
  stored: string;
  key: string | null;
  reason: string | null;
}

const RECOMPUTE = `
  WITH stored AS (
    SELECT 'company'::text AS tbl, c.company_uid AS id, 'website'::text AS field, c.website AS stored
      FROM marketing.company AS c
    UNION ALL
    SELECT 'people', p.person_id, 'email', p.email FROM marketing.people AS p
  )
  SELECT s.tbl, s.id, s.field, s.stored, r.k ->> 'key' AS key, r.k ->> 'reason' AS reason
    FROM stored AS s
   CROSS JOIN LATERAL (SELECT marketing.recanonical_key(s.field, s.stored) AS k) AS r
   ORDER BY s.tbl, s.id`;

/** Classifies every stored key; pure apart from the one query. */
async function classify(trx: Knex.Transaction): Promise<{
  records: RecanonicaliseRecord[];
  collisions: RecanonicaliseCollision[];
}> {
  const result = await mapErrors(() => trx.raw<{ rows: StoredKey[] }>(RECOMPUTE));
  const records: RecanonicaliseRecord[] = result.rows.map((r) => ({
    table: r.tbl,
    id: r.id,
    field: r.field,
    stored: r.stored,
    key: r.key,
    status: r.key === null ? "invalid" : r.key === r.stored ? "unchanged" : "rekeyed",
    ...(r.reason === null ? {} : { reason: r.reason }),
  }));
  // A key is held after the run by the record that gets it, or keeps its stored value if refused.
  const holders = new Map<string, RecanonicaliseRecord[]>();
  for (const record of records) {
    const slot = `${record.field}\u0000${record.key ?? record.stored}`;
    const list = holders.get(slot) ?? [];
    list.push(record);
    holders.set(slot, list);
  }
  const collisions: RecanonicaliseCollision[] = [];
  for (const list of holders.values()) {
    if (list.length < 2) continue;
    const [first] = list;
    if (first === undefined) continue;
    collisions.push({
      field: first.field,
      key: first.key ?? first.stored,
      records: list.map((r) => ({ id: r.id, stored: r.stored })),
    });
    for (const record of list) {
      if (record.status !== "invalid") record.status = "collides";
      record.collides_with = list.filter((r) => r !== record).map((r) => r.id);
    }
  }
  return { records, collisions };
}

function countOf(records: RecanonicaliseRecord[]): Record<RecanonicaliseStatus, number> {
  const counts: Record<RecanonicaliseStatus, number> = {
    unchanged: 0,
    rekeyed: 0,
    collides: 0,
    invalid: 0,
  };
  for (const record of records) counts[record.status]++;
  return counts;
}

/**
 * Recomputes every stored website and email; with `dryRun: false`, re-keys the records whose key
 * changed. Run it in the caller's actor transaction (withActor) so the triggers record who did it.
 * Throws ALREADY_EXISTS, changing nothing, when records collide and `skipCollisions` is not set.
 */
export async function recanonicalise(
  trx: Knex.Transaction,
  options: { dryRun: boolean; skipCollisions?: boolean },
): Promise<RecanonicaliseReport> {
  const skipCollisions = options.skipCollisions ?? false;
  if (!options.dryRun) {
    // No write may slip in between the classification and the re-keying.
    await trx.raw("LOCK TABLE marketing.company, marketing.people IN SHARE ROW EXCLUSIVE MODE");
  }
  const { records, collisions } = await classify(trx);
  const report: RecanonicaliseReport = {
    dry_run: options.dryRun,
    skip_collisions: skipCollisions,
    checked: records.length,
    counts: countOf(records),
    applied: 0,
    records: records.filter((r) => r.status !== "unchanged"),
    collisions,
  };
  if (options.dryRun) return report;
  if (collisions.length > 0 && !skipCollisions) {
    throw new PleError(
      "ALREADY_EXISTS",
      `${collisions.length} key${collisions.length === 1 ? "" : "s"} would be shared by several records under the current rules; nothing was changed. Resolve them (or pass --skip-collisions to re-key only the others): ${collisions
        .slice(0, 5)
        .map((c) => `${c.key} ← ${c.records.map((r) => `${r.id} (${r.stored})`).join(", ")}`)
        .join("; ")}`,
      { field: "recanonicalise", details: { reason: "collisions", collisions } },
    );
  }
  for (const record of records) {
    if (record.status !== "rekeyed" || record.key === null) continue;
    const sql =
      record.table === "company"
        ? "UPDATE marketing.company SET website = ? WHERE company_uid = ? AND website = ? RETURNING company_uid"
        : "UPDATE marketing.people SET email = ? WHERE person_id = ? AND email = ? RETURNING person_id";
    const updated = await mapErrors(() =>
      trx.raw<{ rows: unknown[] }>(sql, [record.key, record.id, record.stored]),
    );
    if (updated.rows.length !== 1) {
      throw new PleError(
        "INTERNAL",
        `${record.id} changed while it was being re-keyed; nothing was changed`,
      );
    }
    report.applied++;
  }
  return report;
}
