/**
 * Retention: deletes rows of every table that grows with use once they are older than its
 * period (retention-rules.ts: the tables, settings and defaults). History, audit and slot-event
 * entries and import rejects go through marketing.purge_retention (migration 007) — the only
 * way besides PII erasure that the append-only logs are rewritten, recorded in the audit log
 * (operation PURGE); current history versions are never purged. The other tables are plain
 * deletes by age in the same transaction.
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import { mapErrors } from "./errors.js";
import { RETENTION_RULES, retentionSettings } from "./retention-rules.js";

/** Days per setting (e.g. PLE_RETENTION_AUDIT_DAYS); null keeps forever; a missing setting takes its default. */
export type RetentionPeriods = Readonly<Record<string, number | null>>;

export interface RetentionPurgeResult {
  dry_run: boolean;
  /** The period applied per setting, in days (null: kept forever). */
  periods_days: Record<string, number | null>;
  /** The instant before which rows go, per table (null: kept forever). */
  cutoffs: Record<string, string | null>;
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

/** The period of every setting: the given one, else the documented default. */
export function effectivePeriods(periods: RetentionPeriods): Record<string, number | null> {
  const known = new Set(retentionSettings().map((s) => s.setting));
  for (const name of Object.keys(periods)) {
    if (!known.has(name)) {
      throw new PleError("VALIDATION_FAILED", `${name} is not a retention setting`, {
        field: name,
        details: { reason: "unknown_setting", settings: [...known] },
      });
    }
  }
  return Object.fromEntries(
    retentionSettings().map((s) => [
      s.setting,
      checkPeriod(s.setting, s.setting in periods ? (periods[s.setting] ?? null) : s.defaultDays),
    ]),
  );
}

function quoted(table: string): string {
  return table
    .split(".")
    .map((p) => `"${p.replaceAll('"', '""')}"`)
    .join(".");
}

/**
 * Purges (or with dryRun counts) rows older than their periods; run it in the caller's actor
 * transaction so the PURGE audit entry names who purged.
 */
export async function purgeRetention(
  trx: Knex | Knex.Transaction,
  periods: RetentionPeriods = {},
  options: { dryRun?: boolean } = {},
): Promise<RetentionPurgeResult> {
  const days = effectivePeriods(periods);
  const dryRun = options.dryRun ?? false;
  const viaFunction = RETENTION_RULES.filter((r) => r.age === "purge_retention");
  const setting = (table: string) => RETENTION_RULES.find((r) => r.table === table)?.setting ?? "";
  const rows: Record<string, number> = {};
  const cutoffs: Record<string, string | null> = {};
  const result = await mapErrors(() =>
    trx.raw<{
      rows: Array<{
        result: {
          rows: Record<string, number>;
          cutoffs: { history: string | null; audit: string | null; import_reject: string | null };
        };
      }>;
    }>(
      "select marketing.purge_retention(?::integer, ?::integer, ?::integer, ?::boolean) as result",
      [
        days[setting("marketing.people_history")] ?? null,
        days[setting("marketing.audit_log")] ?? null,
        days[setting("marketing.import_reject")] ?? null,
        dryRun,
      ],
    ),
  );
  const value = result.rows[0]?.result;
  if (!value) throw new PleError("INTERNAL", "purge_retention returned nothing");
  for (const rule of viaFunction) {
    const name = rule.table.slice(rule.table.indexOf(".") + 1);
    rows[rule.table] = Number(value.rows[name] ?? 0);
    const kind = name.endsWith("_history")
      ? "history"
      : name === "import_reject"
        ? "import_reject"
        : "audit";
    cutoffs[rule.table] = value.cutoffs[kind];
  }
  for (const rule of RETENTION_RULES) {
    if (rule.age === "purge_retention") continue;
    const period = days[rule.setting] ?? null;
    if (period === null) {
      rows[rule.table] = 0;
      cutoffs[rule.table] = null;
      continue;
    }
    if ("purge" in rule.age) {
      // An append-only table: its own SQL function deletes (or counts) and checks the period.
      const fn = rule.age.purge;
      const purged = await mapErrors(() =>
        trx.raw<{ rows: Array<{ n: string | number }> }>(
          `select ${fn}(?::integer, ?::boolean) as n`,
          [period, dryRun],
        ),
      );
      rows[rule.table] = Number(purged.rows[0]?.n ?? 0);
      continue;
    }
    const { column, where } = rule.age;
    const cutoff = await trx.raw<{ rows: Array<{ cutoff: Date }> }>(
      "select now() - make_interval(days => ?::integer) as cutoff",
      [period],
    );
    const at = cutoff.rows[0]?.cutoff ?? new Date();
    cutoffs[rule.table] = at.toISOString();
    const condition = `${quoted(column)} < ?${where ? ` and (${where})` : ""}`;
    const exists = await trx.raw<{ rows: Array<{ present: boolean }> }>(
      "select to_regclass(?) is not null as present",
      [rule.table],
    );
    if (exists.rows[0]?.present !== true) {
      rows[rule.table] = 0;
      continue;
    }
    // A data-modifying CTE: the same count on a server and on PGlite, deleted or not.
    const sql = dryRun
      ? `select count(*)::int as n from ${quoted(rule.table)} where ${condition}`
      : `with gone as (delete from ${quoted(rule.table)} where ${condition} returning 1)
         select count(*)::int as n from gone`;
    const counted = await trx.raw<{ rows: Array<{ n: number }> }>(sql, [at]);
    rows[rule.table] = counted.rows[0]?.n ?? 0;
  }
  return {
    dry_run: dryRun,
    periods_days: days,
    cutoffs,
    rows,
    total: Object.values(rows).reduce((n, v) => n + v, 0),
  };
}
