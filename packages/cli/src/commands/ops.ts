/** `ple backup`, `ple restore`, `ple retention purge`, `ple pii erase`: the operations that keep data safe. */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { PleError } from "@ple/core";
import {
  type BackupResult,
  databaseChecksums,
  effectivePeriods,
  erasePerson,
  migrateUp,
  migrationStatus,
  type PiiErasureResult,
  type PleDatabase,
  purgeRetention,
  RETENTION_RULES,
  type RestoreResult,
  type RetentionPeriods,
  type RetentionPurgeResult,
  restoreBackup,
  retentionSettings,
  vacuumErasedRows,
  verifyArchive,
  writeBackup,
} from "@ple/db";
import { type CommandSpec, flag, positional, stringOption } from "../command.js";
import { formatCount, renderTable } from "../output.js";
import { asActor } from "./actor.js";

export function backup(db: PleDatabase, options: { file: string }): Promise<BackupResult> {
  return writeBackup(db.knex, resolve(options.file));
}

export interface SafetyBackup {
  file: string;
  total_rows: number;
  /** True once the written archive was read back and matched its own checksums. */
  verified: boolean;
}

/**
 * The backup a destructive command (a rollback that drops data, a forced restore) writes
 * before it changes anything: into `dir`, named for the command and the time, read back and
 * checked against its own footer before the command goes on.
 */
export async function safetyBackup(
  db: PleDatabase,
  options: { dir: string; before: string },
): Promise<SafetyBackup> {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const file = join(options.dir, `ple-before-${options.before}-${stamp}.backup.gz`);
  const written = await writeBackup(db.knex, file);
  await verifyArchive(file);
  return { file, total_rows: written.total_rows, verified: true };
}

export interface RestoreReport extends RestoreResult {
  /** Migrations applied first, when the database was new (no schema yet). */
  migrated: string[];
  /** The backup of the data a forced restore replaced (null: there was none to replace). */
  backup: SafetyBackup | null;
}

/**
 * Restores an archive. A brand-new database (no migration applied) is first migrated to the
 * archive's schema version, so a restore works on a fresh machine in one step.
 */
export async function restore(
  db: PleDatabase,
  options: { file: string; force?: boolean; backupDir?: string },
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
  let safety: SafetyBackup | null = null;
  if (options.force === true && migrated.length === 0) {
    // Replacing data: keep a copy of what is there first, as a rollback does.
    const { tables } = await verifyArchive(file);
    const archived = new Map(tables.map((t) => [t.table, t.sha256]));
    const current = await databaseChecksums(db.knex);
    if (current.some((t) => t.rows > 0 && archived.get(t.table) !== t.sha256)) {
      safety = await safetyBackup(db, {
        dir: options.backupDir ?? resolve("ple-backups"),
        before: "restore",
      });
    }
  }
  const result = await restoreBackup(db.knex, file, { force: options.force ?? false });
  return { ...result, migrated, backup: safety };
}

export function retentionPurge(
  db: PleDatabase,
  options: { periods?: RetentionPeriods; dryRun?: boolean; actor: string },
): Promise<RetentionPurgeResult> {
  return asActor(db, options.actor, (trx) =>
    purgeRetention(trx, options.periods ?? {}, { dryRun: options.dryRun ?? false }),
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

/** The settings and their defaults, from the registry (retention-rules.ts in @ple/db). */
function retentionHelp(): string {
  const lines = [
    "Each table that grows with use has a period (whole days, or `forever`) set by a variable;",
    "unset takes the default. The purge of history, audit and rejects is recorded in the audit",
    "log (operation PURGE); current history versions are never purged.",
  ];
  const width = Math.max(...retentionSettings().map((s) => s.setting.length));
  for (const s of retentionSettings()) {
    const kept = s.defaultDays === null ? "forever" : `${s.defaultDays} days`;
    lines.push(`  ${s.setting.padEnd(width)}  default ${kept}: ${s.tables.join(", ")}`);
  }
  return lines.join("\n");
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
      "replaces its data after writing a verified backup of it to PLE_BACKUP_DIR (./ple-backups).",
      "Everything happens in one transaction: a restore that fails its verification leaves the",
      "database as it was. Works as a superuser or as the owner of the database's tables.",
    ].join("\n"),
    positionals: [{ name: "FILE", required: true, description: "the archive" }],
    options: {
      force: { type: "boolean", description: "replace the data of a non-empty database" },
    },
    examples: ["ple restore ple-2026-11-26.backup.gz", "ple restore ple.backup.gz --force"],
    async run(ctx, args) {
      const force = flag(args, "force");
      const result = await restore(await ctx.db(), {
        file: positional(args, 0, "FILE"),
        force,
        ...(force ? { backupDir: ctx.env.backupDir } : {}),
      });
      return {
        data: result,
        human: `${result.backup ? `Backed up the data it replaces to ${result.backup.file} (verified) first.\n\n` : ""}${result.migrated.length > 0 ? `Migrated the new database to ${result.schema_version ?? "(none)"} first.\n\n` : ""}${tableSummary(result.tables)}\n\nRestored ${formatCount(result.total_rows)} rows from ${result.file}; row counts and checksums verified.`,
      };
    },
  },
  {
    path: ["retention", "purge"],
    summary: "delete rows of every growing table older than its retention period",
    description: retentionHelp(),
    positionals: [],
    options: {
      "dry-run": { type: "boolean", description: "count what would be deleted; delete nothing" },
    },
    examples: [
      "ple retention purge --dry-run",
      "PLE_RETENTION_AUDIT_DAYS=730 PLE_RETENTION_REJECT_DAYS=30 ple retention purge --json",
    ],
    async run(ctx, args) {
      const dryRun = flag(args, "dry-run");
      const periods = effectivePeriods(ctx.env.retention);
      const result = await retentionPurge(await ctx.db(), {
        periods,
        dryRun,
        actor: ctx.env.actor,
      });
      const rows = RETENTION_RULES.map((rule) => {
        const days = periods[rule.setting] ?? null;
        return {
          table: rule.table,
          kept: days === null ? "forever" : `${days} days`,
          [dryRun ? "would_delete" : "deleted"]: result.rows[rule.table] ?? 0,
        };
      });
      return {
        data: result,
        human: [
          renderTable(rows),
          "",
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
