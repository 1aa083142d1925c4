/**
 * The migration runner: knex's Migrator over the SQL pairs, with knex's
 * bookkeeping and lock tables in the `ple_migrations` schema, a sha256 of each
 * applied file (drift detection), a run log, a bounded wait for a concurrent
 * runner and re-runnable non-transactional migrations.
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import { type PleDatabase, type Queryable, runScript } from "../database.js";
import { DEFAULT_MIGRATIONS_DIR, type MigrationFile, readMigrationFiles } from "./files.js";
import { lineAt, splitSqlStatements } from "./sql-script.js";

export const MIGRATIONS_SCHEMA = "ple_migrations";
const KNEX_TABLE = "knex_migrations";
const LOCK_TABLE = "knex_migrations_lock";
const CHECKSUM_TABLE = `${MIGRATIONS_SCHEMA}.migration_checksum`;
const RUN_LOG_TABLE = `${MIGRATIONS_SCHEMA}.migration_run_log`;

/** Advisory lock key (two int4s): "PLE" and 1 for the migration runner. */
const ADVISORY_LOCK = [0x504c45, 1] as const;
const DEFAULT_LOCK_TIMEOUT_MS = 15_000;
const LOCK_POLL_MS = 200;

const UNLOCK_HINT =
  "If no runner is active (a crashed one left the lock), clear it with `ple db unlock` (unlockMigrations) and retry.";

// The runner's own bookkeeping (not product schema): knex's two tables,
// created here up front so that two first runs do not race to create them.
const BOOKKEEPING_SQL = `
CREATE SCHEMA IF NOT EXISTS ${MIGRATIONS_SCHEMA};
CREATE TABLE IF NOT EXISTS ${MIGRATIONS_SCHEMA}.${KNEX_TABLE} (
  id serial PRIMARY KEY, name varchar(255), batch integer, migration_time timestamptz
);
CREATE TABLE IF NOT EXISTS ${MIGRATIONS_SCHEMA}.${LOCK_TABLE} ("index" serial PRIMARY KEY, is_locked integer);
INSERT INTO ${MIGRATIONS_SCHEMA}.${LOCK_TABLE} (is_locked)
  SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM ${MIGRATIONS_SCHEMA}.${LOCK_TABLE});
CREATE TABLE IF NOT EXISTS ${CHECKSUM_TABLE} (
  name text PRIMARY KEY,
  up_sha256 text NOT NULL,
  down_sha256 text,
  transactional boolean NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${RUN_LOG_TABLE} (
  id bigserial PRIMARY KEY,
  migration text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('up', 'down')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  outcome text NOT NULL CHECK (outcome IN ('running', 'success', 'failed', 'rolled_back')),
  error text,
  duration_ms integer
);
`;

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

export interface MigrationStatusEntry {
  name: string;
  version: string;
  applied: boolean;
  batch: number | null;
  appliedAt: Date | null;
  transactional: boolean | null;
  /** sha256 of the forward file as applied (null: pending, or applied before checksums). */
  appliedChecksum: string | null;
  /** sha256 of the forward file now (null: the file is gone). */
  fileChecksum: string | null;
  /** True when an applied migration's forward or rollback file changed since it was applied. */
  drift: boolean;
}

export interface MigrationStatus {
  entries: MigrationStatusEntry[];
  applied: string[];
  pending: string[];
  /** Applied migrations whose files changed since. */
  drift: string[];
  /** Applied migrations whose forward file no longer exists. */
  missing: string[];
  /** The highest applied version, or null. */
  current: string | null;
  /** True when knex's lock row is set (a runner is active, or one crashed). */
  locked: boolean;
}

export interface RunLogEntry {
  migration: string;
  direction: "up" | "down";
  started_at: Date;
  /** Null while running — and forever for a run that crashed. */
  finished_at: Date | null;
  /** "running" left behind means the runner died during this migration. */
  outcome: "running" | "success" | "failed" | "rolled_back";
  error: string | null;
  duration_ms: number | null;
}

// ---------------------------------------------------------------------------
// Locking

const embeddedLocks = new WeakSet<object>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lockedError(waitedMs: number): PleError {
  return new PleError(
    "MIGRATION_LOCKED",
    `Another migration runner holds the lock on this database (waited ${Math.round(waitedMs / 1000)} s). ${UNLOCK_HINT}`,
    { details: { waited_ms: waitedMs } },
  );
}

interface AdvisoryConnection {
  query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/**
 * Runs fn while holding the runner's lock: a session advisory lock on its own
 * pooled connection (server) or an in-process flag (the single-connection
 * embedded database). Waits at most lockTimeoutMs for another runner.
 */
async function withRunnerLock<T>(
  db: PleDatabase,
  opts: MigrationOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const timeout = opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const started = Date.now();
  if (db.kind === "embedded") {
    while (embeddedLocks.has(db.knex)) {
      if (Date.now() - started >= timeout) throw lockedError(Date.now() - started);
      await sleep(LOCK_POLL_MS / 2);
    }
    embeddedLocks.add(db.knex);
    try {
      return await fn();
    } finally {
      embeddedLocks.delete(db.knex);
    }
  }
  const client = db.knex.client as Knex.Client;
  const conn = (await client.acquireConnection()) as AdvisoryConnection;
  try {
    const [a, b] = ADVISORY_LOCK;
    for (;;) {
      const res = await conn.query(`SELECT pg_try_advisory_lock(${a}, ${b}) AS locked`);
      if (res.rows[0]?.locked === true) break;
      if (Date.now() - started >= timeout) throw lockedError(Date.now() - started);
      await sleep(LOCK_POLL_MS);
    }
    try {
      return await fn();
    } finally {
      await conn.query(`SELECT pg_advisory_unlock(${a}, ${b})`);
    }
  } finally {
    await client.releaseConnection(conn);
  }
}

// ---------------------------------------------------------------------------
// Running one migration file

interface PgErrorLike {
  message: string;
  code?: string;
  position?: string | number;
}

function asPgError(err: unknown): PgErrorLike {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; position?: unknown };
    const out: PgErrorLike = { message: e.message };
    if (typeof e.code === "string") out.code = e.code;
    if (typeof e.position === "string" || typeof e.position === "number") out.position = e.position;
    return out;
  }
  return { message: String(err) };
}

function failure(
  file: MigrationFile,
  direction: "up" | "down",
  err: unknown,
  script: string,
  offsetLine: number,
): PleError {
  if (err instanceof PleError) return err;
  const pg = asPgError(err);
  const position = pg.position === undefined ? Number.NaN : Number(pg.position);
  const line = Number.isFinite(position) ? offsetLine + lineAt(script, position - 1) - 1 : null;
  const path = direction === "up" ? file.upPath : file.downPath;
  const where = line === null ? path : `${path}:${line}`;
  return new PleError(
    "MIGRATION_FAILED",
    `Migration ${file.name} (${direction}) failed at ${where}: ${pg.message}`,
    {
      details: { migration: file.name, direction, file: path, line, sqlstate: pg.code ?? null },
      cause: err,
    },
  );
}

/** Names of the indexes a script creates (so a crashed CONCURRENTLY build can be cleaned up). */
function createdIndexNames(script: string): string[] {
  const names: string[] = [];
  const pattern =
    /\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)/gi;
  for (const stmt of splitSqlStatements(script)) {
    for (const m of stmt.code.matchAll(pattern)) {
      const qualified = m[1] ?? "";
      const last = qualified.split(".").pop() ?? "";
      names.push(last.startsWith('"') ? last.slice(1, -1) : last.toLowerCase());
    }
  }
  return names;
}

/**
 * Drops INVALID indexes (left by a crashed CREATE INDEX CONCURRENTLY) that the
 * script creates, so a non-transactional migration can simply run again.
 */
export async function dropInvalidIndexes(handle: Queryable, script: string): Promise<string[]> {
  const names = createdIndexNames(script);
  if (names.length === 0) return [];
  const result = await handle.raw<{ rows: Array<{ schema: string; name: string }> }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid AND c.relname = ANY(?)`,
    [names],
  );
  const dropped: string[] = [];
  for (const row of result.rows) {
    const qualified = `"${row.schema.replaceAll('"', '""')}"."${row.name.replaceAll('"', '""')}"`;
    await runScript(handle, `DROP INDEX CONCURRENTLY IF EXISTS ${qualified}`);
    dropped.push(`${row.schema}.${row.name}`);
  }
  return dropped;
}

async function runStatements(handle: Queryable, file: MigrationFile, direction: "up" | "down") {
  const script = (direction === "up" ? file.up : file.down) ?? "";
  for (const stmt of splitSqlStatements(script)) {
    try {
      await runScript(handle, stmt.text);
    } catch (err) {
      const leading = stmt.text.length - stmt.text.trimStart().length;
      const firstLine = stmt.line - (lineAt(stmt.text, leading) - 1);
      throw failure(file, direction, err, stmt.text, firstLine);
    }
  }
}

async function applyFile(handle: Queryable, file: MigrationFile, direction: "up" | "down") {
  if (direction === "down" && file.down === null) {
    throw new PleError(
      "MIGRATION_FAILED",
      `Migration ${file.name} has no rollback file (expected ${file.downPath})`,
      { details: { migration: file.name, direction, file: file.downPath } },
    );
  }
  if (file.transactional) {
    const script = (direction === "up" ? file.up : file.down) ?? "";
    try {
      await runScript(handle, script);
    } catch (err) {
      throw failure(file, direction, err, script, 1);
    }
  } else {
    await dropInvalidIndexes(handle, file.up);
    try {
      await runStatements(handle, file, direction);
    } catch (err) {
      const base = failure(file, direction, err, file.up, 1);
      if (direction === "up" && file.down !== null) {
        // Leave nothing half-applied: undo what the failed run managed, best effort.
        await undoPartialRun(handle, file);
        throw new PleError(
          base.code,
          `${base.message} (its partial changes were undone with ${file.downPath})`,
          { details: base.details, cause: base.cause },
        );
      }
      throw base;
    }
    await dropInvalidIndexes(handle, file.up);
  }
  if (direction === "up") {
    await handle.raw(
      `INSERT INTO ${CHECKSUM_TABLE} (name, up_sha256, down_sha256, transactional)
       VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET up_sha256 = EXCLUDED.up_sha256,
         down_sha256 = EXCLUDED.down_sha256, transactional = EXCLUDED.transactional, applied_at = now()`,
      [file.name, file.upChecksum, file.downChecksum, file.transactional],
    );
  } else {
    await handle.raw(`DELETE FROM ${CHECKSUM_TABLE} WHERE name = ?`, [file.name]);
  }
}

async function undoPartialRun(handle: Queryable, file: MigrationFile) {
  for (const stmt of splitSqlStatements(file.down ?? "")) {
    try {
      await runScript(handle, stmt.text);
    } catch {
      // Objects the failed run never created: nothing to undo.
    }
  }
  await dropInvalidIndexes(handle, file.up).catch(() => []);
}

interface RunEvent {
  id: string | null;
  migration: string;
  direction: "up" | "down";
  started_at: Date;
  finished_at: Date | null;
  outcome: RunLogEntry["outcome"];
  error: string | null;
}

/**
 * The run log. On a server each migration's row is written when it starts
 * (on its own connection, outside the migration's transaction) and completed
 * when it ends, so a crashed runner leaves a "running" row. The embedded
 * database has one connection, held by the migration's transaction, so its
 * rows are written when the run ends.
 */
class RunLog {
  readonly events: RunEvent[] = [];

  constructor(
    private readonly db: PleDatabase,
    private readonly live: boolean,
  ) {}

  async start(migration: string, direction: "up" | "down"): Promise<RunEvent> {
    const event: RunEvent = {
      id: null,
      migration,
      direction,
      started_at: new Date(),
      finished_at: null,
      outcome: "running",
      error: null,
    };
    if (this.live) {
      const [row] = await this.db
        .knex(RUN_LOG_TABLE)
        .insert({ migration, direction, started_at: event.started_at, outcome: "running" })
        .returning("id");
      event.id = String((row as { id: unknown } | undefined)?.id ?? "");
    }
    this.events.push(event);
    return event;
  }

  async finish(event: RunEvent, outcome: "success" | "failed", error: string | null) {
    event.finished_at = new Date();
    event.outcome = outcome;
    event.error = error;
    if (this.live && event.id !== null)
      await this.db.knex(RUN_LOG_TABLE).where({ id: event.id }).update(row(event));
  }

  /** After the run: marks successes undone by a rolled-back batch; writes buffered rows. */
  async settle() {
    if (this.events.length === 0) return;
    const applied = new Set(await appliedNames(this.db.knex));
    for (const event of this.events) {
      const undone =
        event.direction === "up" ? !applied.has(event.migration) : applied.has(event.migration);
      if (event.outcome === "success" && undone) {
        event.outcome = "rolled_back";
        if (this.live && event.id !== null) {
          await this.db
            .knex(RUN_LOG_TABLE)
            .where({ id: event.id })
            .update({ outcome: "rolled_back" });
        }
      }
    }
    if (!this.live) await this.db.knex(RUN_LOG_TABLE).insert(this.events.map(row));
  }
}

function row(event: RunEvent) {
  return {
    migration: event.migration,
    direction: event.direction,
    started_at: event.started_at,
    finished_at: event.finished_at,
    outcome: event.outcome,
    error: event.error,
    duration_ms:
      event.finished_at === null ? null : event.finished_at.getTime() - event.started_at.getTime(),
  };
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

// ---------------------------------------------------------------------------
// Public API

async function ensureBookkeeping(db: PleDatabase) {
  await db.execScript(BOOKKEEPING_SQL);
}

async function appliedNames(handle: Queryable): Promise<string[]> {
  const rows: Array<{ name: string }> = await handle
    .withSchema(MIGRATIONS_SCHEMA)
    .from(KNEX_TABLE)
    .select("name")
    .orderBy("id");
  return rows.map((r) => r.name);
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

/** Runs one knex migrator operation under the runner lock, with drift check and run log. */
async function runMigrator(
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

/** Rolls back, newest first, every applied migration above `version` ("0" rolls back all). */
export async function rollbackTo(
  db: PleDatabase,
  version: string,
  opts: MigrationOptions = {},
): Promise<MigrationRun> {
  const target = version.trim();
  if (!/^\d{1,6}$/.test(target)) {
    throw new PleError(
      "VALIDATION_FAILED",
      `version must be a migration number such as 003 (or 0 for all), got "${version}"`,
      { field: "version", details: { reason: "format" } },
    );
  }
  const files = readMigrationFiles(opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  if (Number(target) !== 0 && !files.some((f) => Number(f.version) === Number(target))) {
    throw new PleError("VALIDATION_FAILED", `No migration has version ${target}`, {
      field: "version",
      details: { reason: "unknown_version", versions: files.map((f) => f.version) },
    });
  }
  return runMigrator(db, opts, "down", async (m, config) => {
    for (;;) {
      const applied = await appliedNames(db.knex);
      const last = applied.at(-1);
      if (last === undefined || Number(last.split("_")[0]) <= Number(target)) return;
      await m.down({ ...config, name: last });
    }
  });
}

async function bookkeepingExists(handle: Queryable): Promise<boolean> {
  const result = await handle.raw<{ rows: Array<{ present: boolean }> }>(
    "SELECT to_regclass(?) IS NOT NULL AND to_regclass(?) IS NOT NULL AS present",
    [`${MIGRATIONS_SCHEMA}.${KNEX_TABLE}`, CHECKSUM_TABLE],
  );
  return result.rows[0]?.present === true;
}

/** Applied and pending migrations, recorded and current checksums, drift and the lock state. */
export async function migrationStatus(
  db: PleDatabase,
  opts: Pick<MigrationOptions, "migrationsDir"> = {},
): Promise<MigrationStatus> {
  const files = readMigrationFiles(opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const byName = new Map(files.map((f) => [f.name, f]));
  interface AppliedRow {
    name: string;
    batch: number;
    migration_time: Date | null;
    up_sha256: string | null;
    down_sha256: string | null;
    transactional: boolean | null;
  }
  let appliedRows: AppliedRow[] = [];
  let locked = false;
  if (await bookkeepingExists(db.knex)) {
    const result = await db.knex.raw<{ rows: AppliedRow[] }>(
      `SELECT k.name, k.batch, k.migration_time, c.up_sha256, c.down_sha256, c.transactional
         FROM ${MIGRATIONS_SCHEMA}.${KNEX_TABLE} k
         LEFT JOIN ${CHECKSUM_TABLE} c ON c.name = k.name
        ORDER BY k.id`,
    );
    appliedRows = result.rows;
    const lock = await db.knex.raw<{ rows: Array<{ locked: boolean }> }>(
      `SELECT coalesce(bool_or(is_locked = 1), false) AS locked FROM ${MIGRATIONS_SCHEMA}.${LOCK_TABLE}`,
    );
    locked = lock.rows[0]?.locked === true;
  }
  const entries: MigrationStatusEntry[] = [];
  const appliedSet = new Set<string>();
  for (const row of appliedRows) {
    appliedSet.add(row.name);
    const file = byName.get(row.name);
    const upDrift =
      row.up_sha256 !== null && file !== undefined && row.up_sha256 !== file.upChecksum;
    const downDrift =
      row.up_sha256 !== null && file !== undefined && row.down_sha256 !== file.downChecksum;
    entries.push({
      name: row.name,
      version: row.name.split("_")[0] ?? row.name,
      applied: true,
      batch: row.batch,
      appliedAt: row.migration_time,
      transactional: row.transactional ?? file?.transactional ?? null,
      appliedChecksum: row.up_sha256,
      fileChecksum: file?.upChecksum ?? null,
      drift: upDrift || downDrift,
    });
  }
  for (const file of files) {
    if (appliedSet.has(file.name)) continue;
    entries.push({
      name: file.name,
      version: file.version,
      applied: false,
      batch: null,
      appliedAt: null,
      transactional: file.transactional,
      appliedChecksum: null,
      fileChecksum: file.upChecksum,
      drift: false,
    });
  }
  const applied = entries.filter((e) => e.applied);
  return {
    entries,
    applied: applied.map((e) => e.name),
    pending: entries.filter((e) => !e.applied).map((e) => e.name),
    drift: entries.filter((e) => e.drift).map((e) => e.name),
    missing: applied.filter((e) => e.fileChecksum === null).map((e) => e.name),
    current: applied.at(-1)?.version ?? null,
    locked,
  };
}

/**
 * Clears knex's migration lock left set by a runner that crashed part-way
 * through a non-transactional batch. Only run it when no runner is active.
 */
export async function unlockMigrations(db: PleDatabase): Promise<{ wasLocked: boolean }> {
  if (!(await bookkeepingExists(db.knex))) return { wasLocked: false };
  const status = await db.knex.raw<{ rows: Array<{ locked: boolean }> }>(
    `SELECT coalesce(bool_or(is_locked = 1), false) AS locked FROM ${MIGRATIONS_SCHEMA}.${LOCK_TABLE}`,
  );
  await db.knex.raw(`UPDATE ${MIGRATIONS_SCHEMA}.${LOCK_TABLE} SET is_locked = 0`);
  return { wasLocked: status.rows[0]?.locked === true };
}

/** The run log, newest first. */
export async function migrationRunLog(db: PleDatabase, limit = 100): Promise<RunLogEntry[]> {
  if (!(await bookkeepingExists(db.knex))) return [];
  return db
    .knex(RUN_LOG_TABLE)
    .select(
      "migration",
      "direction",
      "started_at",
      "finished_at",
      "outcome",
      "error",
      "duration_ms",
    )
    .orderBy("id", "desc")
    .limit(limit);
}
