/** `ple backup`, `ple restore`, `ple retention purge`, `ple pii erase`: the operations that keep data safe. */
import { resolve } from "node:path";
import { PleError } from "@ple/core";
import {
  type BackupResult,
  erasePerson,
  migrateUp,
  migrationStatus,
  type PiiErasureResult,
  type PleDatabase,
  purgeRetention,
  type RestoreResult,
  type RetentionPeriods,
  type RetentionPurgeResult,
  restoreBackup,
  vacuumErasedRows,
  verifyArchive,
  writeBackup,
} from "@ple/db";
import { type CommandSpec, flag, positional, stringOption } from "../command.js";
import { formatCount, renderTable } from "../output.js";
import { UsageError } from "../usage-error.js";
import { asActor } from "./actor.js";

export function backup(db: PleDatabase, options: { file: string }): Promise<BackupResult> {
  return writeBackup(db.knex, resolve(options.file));
}

export interface RestoreReport extends RestoreResult {
  /** Migrations applied first, when the database was new (no schema yet). */
  migrated: string[];
}

/**
 * Restores an archive. A brand-new database (no migration applied) is first migrated to the
 * archive's schema version, so a restore works on a fresh machine in one step.
 */
export async function restore(
  db: PleDatabase,
  options: { file: string; force?: boolean },
): Promise<RestoreReport> {
  const file = resolve(options.file);
  const migrated: string[] = [];
  const status = await migrationStatus(db);
  if (status.applied.length === 0) {
    const { header } = await verifyArchive(file);
    for (const name of header.migrations) {
      const run = await migrateUp(db);
      if (run.migrations.join() !== name) {
        throw new PleError(
          "MIGRATION_DRIFT",
          `the archive's schema version ${header.schema_version ?? "(none)"} is not reachable with these migration files (expected ${name}, ran ${run.migrations.join(", ") || "nothing"})`,
        );
      }
      migrated.push(name);
    }
  }
  const result = await restoreBackup(db.knex, file, { force: options.force ?? false });
  return { ...result, migrated };
}

export function retentionPurge(
  db: PleDatabase,
  options: { periods: RetentionPeriods; dryRun?: boolean; actor: string },
): Promise<RetentionPurgeResult> {
  return asActor(db, options.actor, (trx) =>
    purgeRetention(trx, options.periods, { dryRun: options.dryRun ?? false }),
  );
}

export async function piiErase(
  db: PleDatabase,
  options: { personId: string; actor: string; reason?: string },
): Promise<PiiErasureResult> {
  const result = await asActor(db, options.actor, (trx) =>
    erasePerson(trx, options.personId, options.reason),
  );
  // The scrubbed row versions leave the table files too, not only every query.
  if (result.status === "erased") await vacuumErasedRows(db.knex);
  return result;
}

function tableSummary(tables: { table: string; rows: number; sha256: string }[]): string {
  return renderTable(
    tables.map((t) => ({ table: t.table, rows: t.rows, sha256: `${t.sha256.slice(0, 16)}…` })),
  );
}

export const opsCommands: CommandSpec[] = [
  {
    path: ["backup"],
    summary: "write a verified, portable archive of every table (history and audit included)",
    description: [
      "The archive is gzip'd JSON lines: the schema version, every row of schema marketing,",
      "the sequences, and each table's row count and sha256. It is read in one REPEATABLE READ",
      "snapshot, so it is consistent even while writes go on. Embedded and server alike.",
    ].join("\n"),
    positionals: [
      {
        name: "FILE",
        required: true,
        description: "where to write the archive (e.g. ple.backup.gz)",
      },
    ],
    options: {},
    examples: [
      "ple backup ple-2026-11-26.backup.gz",
      "DATABASE_URL=postgres://… ple backup prod.backup.gz --json",
    ],
    async run(ctx, args) {
      const result = await backup(await ctx.db(), { file: positional(args, 0, "FILE") });
      return {
        data: result,
        human: `${tableSummary(result.tables)}\n\nBacked up ${formatCount(result.total_rows)} rows of ${result.tables.length} tables (schema ${result.schema_version ?? "none"}) to ${result.file}.`,
      };
    },
  },
  {
    path: ["restore"],
    summary: "load an archive written by `ple backup`, verifying row counts and checksums",
    description: [
      "The database must be at the archive's schema version; a brand-new one is migrated to it",
      "first. A database that already holds data is refused unless --force is given, which",
      "replaces its data. Everything happens in one transaction: a restore that fails its",
      "verification leaves the database as it was.",
    ].join("\n"),
    positionals: [{ name: "FILE", required: true, description: "the archive" }],
    options: {
      force: { type: "boolean", description: "replace the data of a non-empty database" },
    },
    examples: ["ple restore ple-2026-11-26.backup.gz", "ple restore ple.backup.gz --force"],
    async run(ctx, args) {
      const result = await restore(await ctx.db(), {
        file: positional(args, 0, "FILE"),
        force: flag(args, "force"),
      });
      return {
        data: result,
        human: `${result.migrated.length > 0 ? `Migrated the new database to ${result.schema_version ?? "(none)"} first.\n\n` : ""}${tableSummary(result.tables)}\n\nRestored ${formatCount(result.total_rows)} rows from ${result.file}; row counts and checksums verified.`,
      };
    },
  },
  {
    path: ["retention", "purge"],
    summary: "delete history, audit and reject rows older than the configured periods",
    description: [
      "Periods (days) from the environment; unset keeps those rows forever:",
      "  PLE_RETENTION_HISTORY_DAYS  closed history versions (current versions are never purged)",
      "  PLE_RETENTION_AUDIT_DAYS    audit log and slot events",
      "  PLE_RETENTION_REJECT_DAYS   import rejects",
      "The purge is recorded in the audit log (operation PURGE).",
    ].join("\n"),
    positionals: [],
    options: {
      "dry-run": { type: "boolean", description: "count what would be deleted; delete nothing" },
    },
    examples: [
      "PLE_RETENTION_AUDIT_DAYS=730 PLE_RETENTION_REJECT_DAYS=90 ple retention purge --dry-run",
      "ple retention purge --json",
    ],
    async run(ctx, args) {
      const periods = ctx.env.retention;
      if (
        periods.historyDays === null &&
        periods.auditDays === null &&
        periods.rejectDays === null
      ) {
        throw new UsageError(
          "no retention period is configured: set PLE_RETENTION_HISTORY_DAYS, PLE_RETENTION_AUDIT_DAYS or PLE_RETENTION_REJECT_DAYS",
        );
      }
      const dryRun = flag(args, "dry-run");
      const result = await retentionPurge(await ctx.db(), {
        periods,
        dryRun,
        actor: ctx.env.actor,
      });
      const rows = Object.entries(result.rows).map(([table, n]) => ({
        table,
        [dryRun ? "would_delete" : "deleted"]: n,
      }));
      const kept = (days: number | null) =>
        days === null ? "kept forever" : `older than ${days} days`;
      return {
        data: result,
        human: [
          renderTable(rows),
          "",
          `History: ${kept(periods.historyDays)}; audit: ${kept(periods.auditDays)}; rejects: ${kept(periods.rejectDays)}.`,
          `${dryRun ? "Would delete" : "Deleted"} ${formatCount(result.total)} rows.`,
        ].join("\n"),
      };
    },
  },
  {
    path: ["pii", "erase"],
    summary: "erase a person's personal data everywhere, leaving a tombstone",
    description: [
      "Scrubs name, email, LinkedIn URL, title and the raw verifier result from the person,",
      "their history, the audit log, import rejects and stored API responses; vacates their",
      "slot; keeps the person_id as a tombstone; records the erasure in the audit log (without",
      "the data). Their email and LinkedIn URL go on the suppression list (keyed hashes), so",
      "no import, API call or SQL function can bring them back (`ple suppression`). Running it",
      "again for the same person changes nothing. While `ple start` serves the embedded",
      "database, erase through the API instead (people.erase, an admin key).",
    ].join("\n"),
    positionals: [
      { name: "PERSON_ID", required: true, description: "the person (PE-YYYYMMDD-NNNNNN)" },
    ],
    options: {
      reason: {
        type: "string",
        valueName: "TEXT",
        description: "why (e.g. the request's reference), kept on the tombstone",
      },
    },
    examples: [
      "ple pii erase PE-20261126-000042",
      'ple pii erase PE-20261126-000042 --reason "GDPR Art. 17 request #1234" --json',
    ],
    async run(ctx, args) {
      const personId = positional(args, 0, "PERSON_ID");
      const reason = stringOption(args, "reason");
      const result = await piiErase(await ctx.db(), {
        personId,
        actor: ctx.env.actor,
        ...(reason === undefined ? {} : { reason }),
      });
      const counts = result.counts;
      const human =
        result.status === "already_erased"
          ? `${personId} was already erased (at ${result.erased_at ?? "?"}); nothing changed.`
          : [
              `Erased ${result.erased_fields?.join(", ") ?? "personal data"} of ${personId}:`,
              `  history rows scrubbed   ${counts.history_rows}`,
              `  audit entries scrubbed  ${counts.audit_rows}`,
              `  import rejects scrubbed ${counts.import_rejects}`,
              `  API responses dropped   ${counts.api_responses}`,
              `  slots vacated           ${counts.slots_vacated}`,
              "A tombstone remains, the erasure is in the audit log, and the email and LinkedIn URL are suppressed.",
            ].join("\n");
      return { data: result, human };
    },
  },
];
