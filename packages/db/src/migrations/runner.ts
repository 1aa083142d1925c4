/**
 * The migration runner: knex's Migrator over the SQL pairs, under the runner's
 * lock, with drift detection (a sha256 of each applied file), a run log and
 * re-runnable non-transactional migrations. Each concern lives in its own
 * file: lock.ts, bookkeeping.ts, apply.ts, run-log.ts, status.ts.
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import { openDatabase, type PleDatabase } from "../database.js";
import { applyFile } from "./apply.js";
import {
  appliedNames,
  ensureBookkeeping,
  KNEX_TABLE,
  LOCK_TABLE,
  MIGRATIONS_SCHEMA,
} from "./bookkeeping.js";
import { DEFAULT_MIGRATIONS_DIR, type MigrationFile, readMigrationFiles } from "./files.js";
import { UNLOCK_HINT, withRunnerLock } from "./lock.js";
import { RunLog } from "./run-log.js";
import { migrationStatus } from "./status.js";

export interface MigrationOptions {
  /** Folder of the SQL pairs (default: this package's `migrations/`). */
  migrationsDir?: string;
  /** How long to wait for another runner before failing with MIGRATION_LOCKED (default 15 s). */
  lockTimeoutMs?: number;
  /** Run even though an applied file changed since (default: refuse with MIGRATION_DRIFT). */
  allowDrift?: boolean;
}

export interface MigrationRun {
  direction: "up" | "down";
  /** Names of the migrations applied (up) or rolled back (down), in order. */
  migrations: string[];
}

class SqlMigrationSource implements Knex.MigrationSource<MigrationFile> {
  constructor(
    private readonly files: MigrationFile[],
    private readonly log: RunLog,
  ) {}

  async getMigrations(): Promise<MigrationFile[]> {
    return this.files;
  }

  getMigrationName(file: MigrationFile): string {
    return file.name;
  }

  async getMigration(file: MigrationFile): Promise<Knex.Migration> {
    const migration: Knex.Migration & { config: { transaction: boolean } } = {
      up: (handle: Knex) => this.run(handle, file, "up"),
      down: (handle: Knex) => this.run(handle, file, "down"),
      config: { transaction: file.transactional },
    };
    return migration;
  }

  private async run(handle: Knex, file: MigrationFile, direction: "up" | "down") {
    const event = await this.log.start(file.name, direction);
    try {
      await applyFile(handle, file, direction);
    } catch (err) {
      await this.log.finish(event, "failed", err instanceof Error ? err.message : String(err));
      throw err;
    }
    await this.log.finish(event, "success", null);
  }
}

function migratorConfig(source: SqlMigrationSource): Knex.MigratorConfig {
  return { migrationSource: source, schemaName: MIGRATIONS_SCHEMA, tableName: KNEX_TABLE };
}

function translateKnexError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof PleError) return err;
  if (err.message.includes("already locked")) {
    return new PleError(
      "MIGRATION_LOCKED",
      `The migration lock (${MIGRATIONS_SCHEMA}.${LOCK_TABLE}) is set but no runner holds it. ${UNLOCK_HINT}`,
      { cause: err },
    );
  }
  if (err.message.includes("migration directory is corrupt")) {
    return new PleError(
      "MIGRATION_DRIFT",
      `Applied migrations are missing from the migrations folder: ${err.message.split(":").slice(1).join(":").trim()}`,
      { cause: err },
    );
  }
  return new PleError("MIGRATION_FAILED", `Migration run failed: ${err.message}`, { cause: err });
}

/**
 * Live run-log rows need a connection besides the runner's lock and the
 * migration's transaction: a server pool of at least three.
 */
function liveRunLog(db: PleDatabase): boolean {
  if (db.kind !== "server") return false;
  const pool = (db.knex.client as Knex.Client).config.pool as { max?: number } | undefined;
  return (pool?.max ?? 10) >= 3;
}

/**
 * Runs one knex migrator operation under the runner lock, with drift check and run log; on
 * the database's direct connection when it has one (DATABASE_DIRECT_URL): the runner's lock
 * is a session advisory lock, which a pooler in transaction mode would hand to another client
 * after the first statement, and a non-transactional migration needs its session throughout.
 */
async function runMigrator(
  db: PleDatabase,
  opts: MigrationOptions,
  direction: "up" | "down",
  operation: (migrator: Knex.Migrator, config: Knex.MigratorConfig) => Promise<void>,
): Promise<MigrationRun> {
  if (db.kind !== "server" || db.directUrl === undefined) {
    return runMigratorOn(db, opts, direction, operation);
  }
  const direct = await openDatabase({ url: db.directUrl, poolMax: 3 });
  try {
    return await runMigratorOn(direct, opts, direction, operation);
  } finally {
    await direct.close();
  }
}

async function runMigratorOn(
  db: PleDatabase,
  opts: MigrationOptions,
  direction: "up" | "down",
  operation: (migrator: Knex.Migrator, config: Knex.MigratorConfig) => Promise<void>,
): Promise<MigrationRun> {
  const dir = opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const files = readMigrationFiles(dir);
  return withRunnerLock(db, opts, async () => {
    await ensureBookkeeping(db);
    if (!opts.allowDrift) {
      const status = await migrationStatus(db, { migrationsDir: dir });
      if (status.drift.length > 0) {
        throw new PleError(
          "MIGRATION_DRIFT",
          `Applied migration files changed since they ran: ${status.drift.join(", ")}. Restore them (a change belongs in a new migration), or run with allowDrift.`,
          { details: { drift: status.drift } },
        );
      }
    }
    const log = new RunLog(db, liveRunLog(db));
    const source = new SqlMigrationSource(files, log);
    try {
      await operation(db.knex.migrate, migratorConfig(source));
    } catch (err) {
      throw translateKnexError(err);
    } finally {
      await log.settle();
    }
    return {
      direction,
      migrations: log.events
        .filter((e) => e.direction === direction && e.outcome === "success")
        .map((e) => e.migration),
    };
  });
}

/** Applies every pending migration. */
export function migrateLatest(db: PleDatabase, opts: MigrationOptions = {}): Promise<MigrationRun> {
  return runMigrator(db, opts, "up", async (m, config) => {
    await m.latest(config);
  });
}

/** Applies the next pending migration. */
export function migrateUp(db: PleDatabase, opts: MigrationOptions = {}): Promise<MigrationRun> {
  return runMigrator(db, opts, "up", async (m, config) => {
    await m.up(config);
  });
}

/** Rolls back the last applied migration. */
export function migrateDown(db: PleDatabase, opts: MigrationOptions = {}): Promise<MigrationRun> {
  return runMigrator(db, opts, "down", async (m, config) => {
    await m.down(config);
  });
}

/** The version a rollback goes down to, checked against the migration files. */
export function checkRollbackTarget(version: string, files: MigrationFile[]): string {
  const target = version.trim();
  if (!/^\d{1,6}$/.test(target)) {
    throw new PleError(
      "VALIDATION_FAILED",
      `version must be a migration number such as 003 (or 0 for all), got "${version}"`,
      { field: "version", details: { reason: "format" } },
    );
  }
  if (Number(target) !== 0 && !files.some((f) => Number(f.version) === Number(target))) {
    throw new PleError("VALIDATION_FAILED", `No migration has version ${target}`, {
      field: "version",
      details: { reason: "unknown_version", versions: files.map((f) => f.version) },
    });
  }
  return target;
}

/** Rolls back, newest first, every applied migration above `version` ("0" rolls back all). */
export async function rollbackTo(
  db: PleDatabase,
  version: string,
  opts: MigrationOptions = {},
): Promise<MigrationRun> {
  const target = checkRollbackTarget(
    version,
    readMigrationFiles(opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR),
  );
  return runMigrator(db, opts, "down", async (m, config) => {
    for (;;) {
      const applied = await appliedNames(db.knex);
      const last = applied.at(-1);
      if (last === undefined || Number(last.split("_")[0]) <= Number(target)) return;
      await m.down({ ...config, name: last });
    }
  });
}
