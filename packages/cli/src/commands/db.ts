/** `ple db migrate|rollback|status|verify|lint|unlock|recanonicalise` over @ple/db. */
import { resolve } from "node:path";
import { PleError } from "@ple/core";
import {
  type LintFinding,
  lintMigrations,
  type MigrationPlan,
  type MigrationRun,
  type MigrationStatus,
  migrateDown,
  migrateLatest,
  migrationRunLog,
  migrationStatus,
  type PlannedStep,
  type PleDatabase,
  planMigrate,
  planRollback,
  REFERENCE_TABLES,
  type RecanonicaliseReport,
  type RunLogEntry,
  recanonicalise,
  rollbackTo,
  unlockMigrations,
  type VerifyReport,
  verifyMigrations,
} from "@ple/db";
import { type CommandSpec, flag, intOption, stringOption } from "../command.js";
import { formatCount, renderTable } from "../output.js";
import { asActor } from "./actor.js";
import { type SafetyBackup, safetyBackup } from "./ops.js";

export function dbMigrate(db: PleDatabase): Promise<MigrationRun> {
  return migrateLatest(db);
}

/** What `ple db migrate` would apply and the locks each step takes; changes nothing. */
export function dbMigratePlan(db: PleDatabase): Promise<MigrationPlan> {
  return planMigrate(db);
}

/** Rows of these tables are someone's data; reference tables are written by migrations only. */
const isUserData = (table: string) => !REFERENCE_TABLES.has(table);

/** What a rollback would undo, the locks each step takes and the data each drops; changes nothing. */
export function dbRollbackPlan(
  db: PleDatabase,
  options: { to?: string } = {},
): Promise<MigrationPlan> {
  return planRollback(db, { ...options, isUserData });
}

export interface RollbackReport extends MigrationRun {
  /** The verified backup written first, when the rollback dropped data (with force). */
  backup: SafetyBackup | null;
  plan: MigrationPlan;
}

/** One line per loss: "marketing.people: 76 rows", "marketing.people.title: 76 rows". */
export function lossLines(plan: MigrationPlan, all = false): string[] {
  const lines: string[] = [];
  for (const step of plan.steps) {
    const drops = step.drops;
    if (!drops) continue;
    const keep = (t: { table: string; rows: number }) => all || (t.rows > 0 && isUserData(t.table));
    for (const t of drops.tables.filter(keep)) {
      lines.push(`${step.migration}: drops table ${t.table} (${formatCount(t.rows)} rows)`);
    }
    for (const c of drops.columns.filter(keep)) {
      lines.push(
        `${step.migration}: drops column ${c.table}.${c.column} (${formatCount(c.rows)} rows)`,
      );
    }
    for (const d of drops.rows_deleted.filter(keep)) {
      lines.push(`${step.migration}: deletes ${formatCount(d.rows)} rows of ${d.table}`);
    }
  }
  return lines;
}

/**
 * Rolls back the last migration, or every migration above `to` ("0": all). A rollback that
 * would drop tables, columns or rows holding data is refused unless `force`; with it, a
 * verified backup is written to `backupDir` first.
 */
export async function dbRollback(
  db: PleDatabase,
  options: { to?: string; force?: boolean; backupDir?: string } = {},
): Promise<RollbackReport> {
  const plan = await dbRollbackPlan(db, options.to === undefined ? {} : { to: options.to });
  let backup: SafetyBackup | null = null;
  if (plan.loses_data) {
    if (options.force !== true) {
      const lines = lossLines(plan);
      throw new PleError(
        "VALIDATION_FAILED",
        `this rollback would lose data:\n${lines.map((l) => `  ${l}`).join("\n")}\nNothing was changed. Run it again with --force to write a verified backup first and then roll back (\`--dry-run\` shows the plan).`,
        { field: "force", details: { reason: "would_lose_data", losses: lines } },
      );
    }
    backup = await safetyBackup(db, {
      dir: options.backupDir ?? resolve("ple-backups"),
      before: "rollback",
    });
  }
  const run = options.to === undefined ? await migrateDown(db) : await rollbackTo(db, options.to);
  return { ...run, backup, plan };
}

export function renderPlan(plan: MigrationPlan): string {
  if (plan.steps.length === 0) {
    return plan.direction === "up"
      ? "Already up to date: nothing to apply."
      : "Nothing to roll back.";
  }
  const verb = plan.direction === "up" ? "apply" : "roll back";
  const lines = [
    `Dry run: would ${verb} ${plan.steps.length} migration${plan.steps.length === 1 ? "" : "s"} (nothing was changed):`,
  ];
  for (const step of plan.steps) lines.push("", ...stepLines(step));
  if (plan.direction === "down") {
    lines.push(
      "",
      plan.loses_data
        ? "This rollback loses data: it needs --force, which writes a verified backup first."
        : "This rollback drops no rows of data.",
    );
  }
  return lines.join("\n");
}

function stepLines(step: PlannedStep): string[] {
  const lines = [
    `${step.migration} (${step.statements} statements, ${step.transactional ? "in one transaction" : "outside a transaction"}; ${step.file})`,
  ];
  if (step.locks.length === 0) lines.push("  locks: no table locks");
  for (const lock of step.locks) {
    lines.push(`  locks ${lock.relation}: ${lock.mode} (${lock.blocks})`);
  }
  for (const text of step.unanalysed) lines.push(`  read this statement for its locks: ${text}`);
  if (step.drops) {
    const drops = [
      ...step.drops.tables.map((t) => `table ${t.table} (${formatCount(t.rows)} rows)`),
      ...step.drops.columns.map(
        (c) => `column ${c.table}.${c.column} (${formatCount(c.rows)} rows)`,
      ),
      ...step.drops.rows_deleted.map((d) => `${formatCount(d.rows)} rows of ${d.table}`),
    ];
    lines.push(drops.length === 0 ? "  drops: nothing" : `  drops: ${drops.join(", ")}`);
  }
  return lines;
}

export interface DbStatusReport extends MigrationStatus {
  run_log: RunLogEntry[];
}

export async function dbStatus(
  db: PleDatabase,
  options: { runLogLimit?: number } = {},
): Promise<DbStatusReport> {
  const status = await migrationStatus(db);
  return { ...status, run_log: await migrationRunLog(db, options.runLogLimit ?? 10) };
}

export function dbVerify(db: PleDatabase): Promise<VerifyReport> {
  return verifyMigrations(db);
}

export function dbLint(): LintFinding[] {
  return lintMigrations();
}

export function dbUnlock(db: PleDatabase): Promise<{ wasLocked: boolean }> {
  return unlockMigrations(db);
}

/**
 * Recomputes every stored website and email with the rules the database holds now; without
 * `dryRun` re-keys the changed ones under the actor (history and audit rows by the triggers).
 */
export function dbRecanonicalise(
  db: PleDatabase,
  options: { dryRun: boolean; skipCollisions: boolean; actor: string },
): Promise<RecanonicaliseReport> {
  return asActor(db, options.actor, (trx) =>
    recanonicalise(trx, { dryRun: options.dryRun, skipCollisions: options.skipCollisions }),
  );
}

export function renderRecanonicalise(report: RecanonicaliseReport): string {
  const { counts } = report;
  const lines: string[] = [];
  if (report.records.length > 0) {
    lines.push(
      renderTable(
        report.records.map((r) => ({
          record: r.id,
          field: r.field,
          status: r.status,
          stored: r.stored,
          key: r.key ?? "",
          note:
            r.status === "invalid"
              ? `refused now: ${r.reason ?? ""}`
              : r.collides_with !== undefined
                ? `same key as ${r.collides_with.join(", ")}`
                : "",
        })),
      ),
      "",
    );
  }
  const verb = report.dry_run ? "would re-key" : "re-keyed";
  lines.push(
    `${report.checked} keys checked: ${counts.unchanged} unchanged, ${counts.rekeyed} ${verb}, ${counts.collides} colliding, ${counts.invalid} refused by the current rules${report.dry_run ? " (dry run: nothing changed)" : `; ${report.applied} changed`}.`,
  );
  if (report.collisions.length > 0) {
    lines.push(
      report.dry_run
        ? "Colliding records are never merged: a real run refuses until they are resolved, or re-keys the others with --skip-collisions."
        : "Colliding records were left as they are.",
    );
  }
  return lines.join("\n");
}

function renderRun(run: MigrationRun): string {
  if (run.migrations.length === 0) {
    return run.direction === "up" ? "Already up to date." : "Nothing to roll back.";
  }
  const verb = run.direction === "up" ? "Applied" : "Rolled back";
  return `${verb} ${run.migrations.length} migration${run.migrations.length === 1 ? "" : "s"}:\n${run.migrations.map((m) => `  ${m}`).join("\n")}`;
}

export function renderStatus(report: DbStatusReport): string {
  const lines = [
    renderTable(
      report.entries.map((e) => ({
        migration: e.name,
        state: e.applied ? "applied" : "pending",
        applied_at: e.appliedAt,
        drift: e.drift ? "CHANGED SINCE APPLIED" : "",
      })),
    ),
    "",
    `Current version: ${report.current ?? "(none)"}; ${report.pending.length} pending; lock ${report.locked ? "SET (a runner is active, or one crashed: see `ple db unlock`)" : "free"}.`,
  ];
  if (report.drift.length > 0) {
    lines.push(`Drift: ${report.drift.join(", ")} changed after being applied.`);
  }
  if (report.missing.length > 0) {
    lines.push(`Missing files: ${report.missing.join(", ")} are applied but no longer on disk.`);
  }
  if (report.run_log.length > 0) {
    lines.push(
      "",
      "Recent runs:",
      renderTable(
        report.run_log.map((r) => ({
          migration: r.migration,
          direction: r.direction,
          outcome: r.outcome,
          started_at: r.started_at,
          ms: r.duration_ms,
          error: r.error,
        })),
      ),
    );
  }
  return lines.join("\n");
}

export const dbCommands: CommandSpec[] = [
  {
    path: ["db", "migrate"],
    summary: "apply every pending migration (--dry-run: list them and their locks)",
    positionals: [],
    options: {
      "dry-run": {
        type: "boolean",
        description: "list the pending migrations and the table locks each takes; change nothing",
      },
    },
    examples: [
      "ple db migrate --dry-run",
      "ple db migrate",
      "DATABASE_URL=postgres://app@db:5432/ple ple db migrate --json",
    ],
    async run(ctx, args) {
      if (flag(args, "dry-run")) {
        const plan = await dbMigratePlan(await ctx.db());
        return { data: plan, human: renderPlan(plan) };
      }
      const run = await dbMigrate(await ctx.db());
      return { data: run, human: renderRun(run) };
    },
  },
  {
    path: ["db", "rollback"],
    summary: "roll back the last migration, or down to a version with --to (guarded)",
    description: [
      "A rollback that would drop tables or columns holding rows (or delete rows) is refused and",
      "says what would be lost; --force writes a verified backup to PLE_BACKUP_DIR",
      "(./ple-backups) first, prints its path, then rolls back. --dry-run lists the steps, the",
      "table locks each takes and the data each drops, measured in a transaction that is",
      "rolled back: nothing is changed.",
    ].join("\n"),
    positionals: [],
    options: {
      to: {
        type: "string",
        field: "version",
        valueName: "VERSION",
        description: "roll back every migration above this version (e.g. 003; 0 for all)",
      },
      "dry-run": {
        type: "boolean",
        description: "list the steps, their locks and the data each drops; change nothing",
      },
      force: {
        type: "boolean",
        description: "roll back even though data is dropped (a verified backup is written first)",
      },
    },
    examples: [
      "ple db rollback --dry-run",
      "ple db rollback --to 003 --dry-run",
      "ple db rollback --to 003 --force",
    ],
    async run(ctx, args) {
      const to = stringOption(args, "to");
      const db = await ctx.db();
      if (flag(args, "dry-run")) {
        const plan = await dbRollbackPlan(db, to === undefined ? {} : { to });
        return { data: plan, human: renderPlan(plan) };
      }
      const force = flag(args, "force");
      const report = await dbRollback(db, {
        ...(to === undefined ? {} : { to }),
        force,
        ...(force ? { backupDir: ctx.env.backupDir } : {}),
      });
      const saved = report.backup
        ? `Backed up ${formatCount(report.backup.total_rows)} rows to ${report.backup.file} (verified) first.\n`
        : "";
      return { data: report, human: `${saved}${renderRun(report)}` };
    },
  },
  {
    path: ["db", "status"],
    summary: "applied and pending migrations, drift, the lock and the run log",
    positionals: [],
    options: {
      "log-limit": {
        type: "string",
        valueName: "N",
        description: "how many recent runs to show (default 10)",
      },
    },
    examples: ["ple db status", "ple db status --json"],
    async run(ctx, args) {
      const limit = intOption(args, "log-limit", { min: 0, max: 10_000 });
      const report = await dbStatus(
        await ctx.db(),
        limit === undefined ? {} : { runLogLimit: limit },
      );
      return { data: report, human: renderStatus(report), exitCode: 0 };
    },
  },
  {
    path: ["db", "verify"],
    summary: "prove each migration's rollback: up, down, up on a scratch database",
    description:
      "Compares catalog dumps: the rollback must restore the schema exactly and re-applying\nmust give the same schema. Exit code 1 when a migration fails the check.",
    positionals: [],
    options: {},
    examples: ["ple db verify"],
    async run(ctx) {
      const report = await dbVerify(await ctx.db());
      const table = renderTable(
        report.migrations.map((m) => ({
          migration: m.migration,
          rollback_restores: m.rollbackRestores ? "yes" : "NO",
          reapply_identical: m.reapplyIdentical ? "yes" : "NO",
          first_difference: m.differences[0] ?? "",
        })),
      );
      if (!report.ok) {
        throw new PleError(
          "MIGRATION_FAILED",
          `a rollback does not restore the schema:\n${table}`,
          {
            details: { report },
          },
        );
      }
      return {
        data: report,
        human: `${table}\n\nAll ${report.migrations.length} migrations verified.`,
      };
    },
  },
  {
    path: ["db", "lint"],
    summary: "flag unsafe DDL in the migration files",
    description:
      "Rules: index without CONCURRENTLY, NOT NULL column without default, dropped column,\ncolumn type change, missing rollback file. Exit code 1 when there are findings.",
    positionals: [],
    options: {},
    examples: ["ple db lint", "ple db lint --json"],
    async run() {
      const findings = dbLint();
      if (findings.length > 0) {
        throw new PleError(
          "VALIDATION_FAILED",
          `${findings.length} unsafe DDL finding${findings.length === 1 ? "" : "s"}:\n${renderTable(findings.map((f) => ({ ...f })))}`,
          { field: "migrations", details: { findings } },
        );
      }
      return { data: { findings }, human: "No findings." };
    },
  },
  {
    path: ["db", "recanonicalise"],
    summary: "recompute every stored website and email with the current rules",
    description:
      "Reports each record as unchanged, re-keyed, colliding (two records now sharing a key: both\nlisted, never merged) or refused by the current rules. Without --dry-run it re-keys under\nthe actor, with history and audit rows, and refuses (changing nothing) while collisions exist.",
    positionals: [],
    options: {
      "dry-run": { type: "boolean", description: "report what would change; change nothing" },
      "skip-collisions": {
        type: "boolean",
        description: "re-key the other records and leave the colliding ones as they are",
      },
    },
    examples: ["ple db recanonicalise --dry-run", "ple db recanonicalise --skip-collisions --json"],
    async run(ctx, args) {
      const report = await dbRecanonicalise(await ctx.db(), {
        dryRun: flag(args, "dry-run"),
        skipCollisions: flag(args, "skip-collisions"),
        actor: ctx.env.actor,
      });
      return { data: report, human: renderRecanonicalise(report) };
    },
  },
  {
    path: ["db", "unlock"],
    summary: "clear a migration lock left by a crashed runner",
    description: "Only run it when no other `ple db migrate` is running.",
    positionals: [],
    options: {},
    examples: ["ple db unlock"],
    async run(ctx) {
      const result = await dbUnlock(await ctx.db());
      const human = result.wasLocked
        ? "The migration lock was set; it is now free."
        : "The migration lock was already free.";
      return { data: result, human };
    },
  },
];
