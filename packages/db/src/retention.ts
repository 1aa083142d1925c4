/**
 * Retention: deletes history versions, audit and slot-event entries and import rejects older
 * than configured periods, through marketing.purge_retention (migration 007) — the only way
 * besides PII erasure that the append-only logs are rewritten. Current history versions are
 * never purged. The purge itself is recorded in the audit log (operation PURGE).
 * Expired slot leases (migration 013) go too, whatever the periods: they mean nothing once expired.
 * Change-feed events (migration 014) go through marketing.purge_events, in the same transaction.
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import { mapErrors } from "./errors.js";
import { purgeExpiredSlotLeases } from "./slot-work.js";

export interface RetentionPeriods {
  /** Closed history versions that ended more than this many days ago (null: keep forever). */
  historyDays: number | null;
  /** Audit log and slot event entries older than this (null: keep forever). */
  auditDays: number | null;
  /** Import rejects older than this (null: keep forever). */
  rejectDays: number | null;
  /** Change-feed events older than this (null or absent: keep forever). */
  eventDays?: number | null;
}

export interface RetentionPurgeResult {
  dry_run: boolean;
  periods_days: {
    history: number | null;
    audit: number | null;
    import_reject: number | null;
    event: number | null;
  };
  /** The instant before which rows go, per kind (null: kept forever). */
  cutoffs: { history: string | null; audit: string | null; import_reject: string | null };
  /** Rows deleted (or, in a dry run, that would be), per table. */
  rows: Record<string, number>;
  total: number;
}

function checkPeriod(name: string, days: number | null): number | null {
  if (days === null) return null;
  if (!Number.isInteger(days) || days < 0 || days > 1_000_000) {
    throw new PleError("VALIDATION_FAILED", `${name} must be a whole number of days, 0 or more`, {
      field: name,
      details: { reason: "invalid_period" },
    });
  }
  return days;
}

/** Purges (or with dryRun counts) rows older than the periods; run it in the caller's actor transaction. */
export async function purgeRetention(
  trx: Knex | Knex.Transaction,
  periods: RetentionPeriods,
  options: { dryRun?: boolean } = {},
): Promise<RetentionPurgeResult> {
  const history = checkPeriod("history_days", periods.historyDays);
  const audit = checkPeriod("audit_days", periods.auditDays);
  const rejects = checkPeriod("reject_days", periods.rejectDays);
  const events = checkPeriod("event_days", periods.eventDays ?? null);
  const result = await mapErrors(() =>
    trx.raw<{ rows: Array<{ result: Omit<RetentionPurgeResult, "total"> }> }>(
      "select marketing.purge_retention(?::integer, ?::integer, ?::integer, ?::boolean) as result",
      [history, audit, rejects, options.dryRun ?? false],
    ),
  );
  const value = result.rows[0]?.result;
  if (!value) throw new PleError("INTERNAL", "purge_retention returned nothing");
  const purged = await mapErrors(() =>
    trx.raw<{ rows: Array<{ n: string | number }> }>(
      "select marketing.purge_events(?::integer, ?::boolean) as n",
      [events, options.dryRun ?? false],
    ),
  );
  const rows = Object.fromEntries(Object.entries(value.rows).map(([k, v]) => [k, Number(v)]));
  rows.slot_lease = await purgeExpiredSlotLeases(trx, { dryRun: options.dryRun ?? false });
  rows.event = Number(purged.rows[0]?.n ?? 0);
  return {
    ...value,
    periods_days: { ...value.periods_days, event: events },
    rows,
    total: Object.values(rows).reduce((n, v) => n + v, 0),
  };
}
