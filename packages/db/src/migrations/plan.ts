/**
 * Dry runs of the runner: the steps a `migrate` or `rollback` would take, the
 * table locks each statement takes, and for a rollback the data each step
 * drops. Nothing is changed.
 *
 * Locks are read from the statements (PostgreSQL's documented lock level of
 * each kind of DDL and DML), so a dry run never takes them. The data a
 * rollback drops is measured: its steps run inside one transaction that is
 * always rolled back, and the tables, columns and row counts before and after
 * each step are compared — a CASCADE, a DROP SCHEMA or a DELETE in a rollback
 * file is seen as surely as a plain DROP TABLE. A non-transactional rollback
 * (DROP INDEX CONCURRENTLY) runs there without CONCURRENTLY, which drops the
 * same objects. A short lock_timeout keeps the trial from queueing behind, or
 * in front of, live traffic.
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import { type PleDatabase, type Queryable, runScript } from "../database.js";
import { appliedNames, bookkeepingExists } from "./bookkeeping.js";
import { DEFAULT_MIGRATIONS_DIR, type MigrationFile, readMigrationFiles } from "./files.js";
import { checkRollbackTarget } from "./runner.js";
import { splitSqlStatements } from "./sql-script.js";

/** PostgreSQL's table lock modes, weakest first. */
export const LOCK_MODES = [
  "ROW EXCLUSIVE",
  "SHARE UPDATE EXCLUSIVE",
  "SHARE",
  "SHARE ROW EXCLUSIVE",
  "ACCESS EXCLUSIVE",
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/** What each lock mode holds up, in an operator's words. */
export const LOCK_BLOCKS: Record<LockMode, string> = {
  "ROW EXCLUSIVE": "reads and writes go on; DDL on the table waits",
  "SHARE UPDATE EXCLUSIVE": "reads and writes go on; other DDL and VACUUM wait",
  SHARE: "blocks writes, not reads",
  "SHARE ROW EXCLUSIVE": "blocks writes, not reads",
  "ACCESS EXCLUSIVE": "blocks reads and writes",
};

export interface PlannedLock {
  /** The relation, as the statement names it (e.g. marketing.company). */
  relation: string;
  mode: LockMode;
  blocks: string;
}

export interface RowsLost {
  table: string;
  rows: number;
}

export interface DataDropped {
  /** Tables the step drops, with the rows they held. */
  tables: RowsLost[];
  /** Columns the step drops from tables that stay, with the rows that lose a value. */
  columns: Array<RowsLost & { column: string }>;
  /** Rows the step deletes from tables that stay. */
  rows_deleted: RowsLost[];
}

export interface PlannedStep {
  migration: string;
  direction: "up" | "down";
  file: string;
  transactional: boolean;
  statements: number;
  /** The table locks its statements take (the strongest per relation). */
  locks: PlannedLock[];
  /** Statements whose locks cannot be read from the text (DO blocks): read them. */
  unanalysed: string[];
  /** Rollbacks only: what the step drops (measured, see above). */
  drops?: DataDropped;
}

export interface MigrationPlan {
  direction: "up" | "down";
  steps: PlannedStep[];
  /** Rollbacks: true when a step drops rows of user data (see planRollback's isUserData). */
  loses_data: boolean;
}

const NAME = String.raw`(?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?`;
const IF_EXISTS = String.raw`(?:IF\s+(?:NOT\s+)?EXISTS\s+)?`;
const ONLY = String.raw`(?:ONLY\s+)?`;

function relationName(raw: string): string {
  return raw
    .split(".")
    .map((part) => (part.startsWith('"') ? part.slice(1, -1) : part.toLowerCase()))
    .join(".");
}

function stronger(a: LockMode, b: LockMode): LockMode {
  return LOCK_MODES.indexOf(a) >= LOCK_MODES.indexOf(b) ? a : b;
}

function matchName(code: string, pattern: string): string | null {
  const m = new RegExp(pattern, "i").exec(code);
  return m?.[1] ? relationName(m[1]) : null;
}

/**
 * The table locks one statement takes, from PostgreSQL's documentation of each
 * command; `unknown` when the statement's effect cannot be read from its text.
 */
export function statementLocks(
  code: string,
  indexTables: ReadonlyMap<string, string> = new Map(),
): Array<{ relation: string; mode: LockMode }> | "unknown" {
  const c = code.replace(/\s+/g, " ").trim();
  const locks: Array<{ relation: string; mode: LockMode }> = [];
  const add = (relation: string | null, mode: LockMode) => {
    if (relation) locks.push({ relation, mode });
  };
  const references = () => {
    for (const m of c.matchAll(new RegExp(String.raw`\bREFERENCES\s+(${NAME})`, "gi"))) {
      if (m[1]) add(relationName(m[1]), "SHARE ROW EXCLUSIVE");
    }
  };
  if (/^DO\b/i.test(c)) return "unknown";
  if (/^CREATE\s+(?:UNLOGGED\s+|TEMP(?:ORARY)?\s+)?TABLE\b/i.test(c)) {
    references();
    return locks;
  }
  let m = new RegExp(
    String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?${IF_EXISTS}(?:${NAME}\s+)?ON\s+${ONLY}(${NAME})`,
    "i",
  ).exec(c);
  if (m?.[2]) {
    add(relationName(m[2]), m[1] ? "SHARE UPDATE EXCLUSIVE" : "SHARE");
    return locks;
  }
  m = /^DROP\s+INDEX\s+(CONCURRENTLY\s+)?(IF\s+EXISTS\s+)?(.+)$/i.exec(c);
  if (m?.[3]) {
    const mode: LockMode = m[1] ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE";
    for (const raw of m[3].replace(/\s+(CASCADE|RESTRICT)$/i, "").split(",")) {
      const index = relationName(raw.trim());
      const table = indexTables.get(index);
      // IF EXISTS on an index that is not there: a no-op that locks nothing.
      if (table !== undefined || !m[2]) add(table ?? index, mode);
    }
    return locks;
  }
  m = new RegExp(String.raw`^(?:DROP|TRUNCATE)\s+(?:TABLE\s+)?${IF_EXISTS}(.+)$`, "i").exec(c);
  if (m?.[1] && /^(?:DROP\s+TABLE|TRUNCATE)\b/i.test(c)) {
    for (const raw of m[1].replace(/\s+(CASCADE|RESTRICT|RESTART IDENTITY)$/i, "").split(",")) {
      add(relationName(raw.trim()), "ACCESS EXCLUSIVE");
    }
    return locks;
  }
  const altered = matchName(c, String.raw`^ALTER\s+TABLE\s+${IF_EXISTS}${ONLY}(${NAME})`);
  if (altered) {
    const actions = c.slice(c.search(new RegExp(NAME, "i")));
    let mode: LockMode = "ACCESS EXCLUSIVE";
    if (/^\S+\s+VALIDATE\s+CONSTRAINT\b/i.test(actions.replace(/^ONLY\s+/i, ""))) {
      mode = "SHARE UPDATE EXCLUSIVE";
    } else if (
      /\bADD\s+(?:CONSTRAINT\s+\S+\s+)?FOREIGN\s+KEY\b/i.test(c) &&
      !/,/.test(c.replace(/\([^)]*\)/g, ""))
    ) {
      mode = "SHARE ROW EXCLUSIVE";
    } else if (/^ALTER\s+TABLE\s+\S+\s+(?:ENABLE|DISABLE)\s+TRIGGER\b/i.test(c)) {
      mode = "SHARE ROW EXCLUSIVE";
    }
    add(altered, mode);
    references();
    return locks;
  }
  const triggered = matchName(
    c,
    String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+\S+\s+.*?\bON\s+(${NAME})`,
  );
  if (triggered) {
    add(triggered, "SHARE ROW EXCLUSIVE");
    return locks;
  }
  add(
    matchName(c, String.raw`^DROP\s+TRIGGER\s+${IF_EXISTS}\S+\s+ON\s+(${NAME})`),
    "ACCESS EXCLUSIVE",
  );
  add(matchName(c, String.raw`^INSERT\s+INTO\s+(${NAME})`), "ROW EXCLUSIVE");
  add(matchName(c, String.raw`^UPDATE\s+${ONLY}(${NAME})`), "ROW EXCLUSIVE");
  add(matchName(c, String.raw`^DELETE\s+FROM\s+${ONLY}(${NAME})`), "ROW EXCLUSIVE");
  add(
    matchName(c, String.raw`^COMMENT\s+ON\s+(?:TABLE|COLUMN)\s+(${NAME})`),
    "SHARE UPDATE EXCLUSIVE",
  );
  return locks;
}

function createdTables(script: string): Set<string> {
  const names = new Set<string>();
  for (const stmt of splitSqlStatements(script)) {
    const name = matchName(
      stmt.code.replace(/\s+/g, " ").trim(),
      String.raw`^CREATE\s+(?:UNLOGGED\s+)?TABLE\s+${IF_EXISTS}(${NAME})`,
    );
    if (name) names.add(name);
  }
  return names;
}

function firstLine(text: string): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

function planStep(
  file: MigrationFile,
  direction: "up" | "down",
  indexTables: ReadonlyMap<string, string>,
): PlannedStep {
  const script = (direction === "up" ? file.up : file.down) ?? "";
  const statements = splitSqlStatements(script);
  // A table the same script creates is new: nobody else waits on its lock.
  const fresh = createdTables(script);
  const strongest = new Map<string, LockMode>();
  const unanalysed: string[] = [];
  for (const stmt of statements) {
    const locks = statementLocks(stmt.code, indexTables);
    if (locks === "unknown") {
      unanalysed.push(firstLine(stmt.text));
      continue;
    }
    for (const { relation, mode } of locks) {
      if (fresh.has(relation)) continue;
      const had = strongest.get(relation);
      strongest.set(relation, had === undefined ? mode : stronger(had, mode));
    }
  }
  return {
    migration: file.name,
    direction,
    file: direction === "up" ? file.upPath : file.downPath,
    transactional: file.transactional,
    statements: statements.length,
    locks: [...strongest]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([relation, mode]) => ({ relation, mode, blocks: LOCK_BLOCKS[mode] })),
    unanalysed,
  };
}

async function indexTableMap(handle: Queryable): Promise<Map<string, string>> {
  const result = await handle.raw<{ rows: Array<{ index: string; table: string }> }>(
    `SELECT schemaname || '.' || indexname AS index, schemaname || '.' || tablename AS table
       FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
  );
  return new Map(result.rows.map((r) => [r.index, r.table]));
}

async function applied(db: PleDatabase): Promise<string[]> {
  return (await bookkeepingExists(db.knex)) ? appliedNames(db.knex) : [];
}

/** The pending migrations `migrateLatest` would apply, with the locks each takes. */
export async function planMigrate(
  db: PleDatabase,
  opts: { migrationsDir?: string } = {},
): Promise<MigrationPlan> {
  const files = readMigrationFiles(opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const done = new Set(await applied(db));
  const indexTables = await indexTableMap(db.knex);
  return {
    direction: "up",
    steps: files.filter((f) => !done.has(f.name)).map((f) => planStep(f, "up", indexTables)),
    loses_data: false,
  };
}

/** The applied migrations a rollback to `to` (default: the last one only) would undo, newest first. */
function rollbackFiles(
  files: MigrationFile[],
  appliedList: string[],
  to: string | undefined,
): MigrationFile[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const undo =
    to === undefined
      ? appliedList.slice(-1)
      : appliedList.filter((name) => Number(name.split("_")[0]) > Number(to));
  return undo.reverse().map((name) => {
    const file = byName.get(name);
    if (!file) {
      throw new PleError(
        "MIGRATION_DRIFT",
        `Applied migration ${name} is missing from the migrations folder`,
        { details: { migration: name } },
      );
    }
    return file;
  });
}

interface TableSnapshot {
  name: string;
  rows: number;
  columns: Set<string>;
}

async function snapshotTables(trx: Knex.Transaction): Promise<Map<number, TableSnapshot>> {
  const result = await trx.raw<{ rows: Array<{ oid: number; name: string; columns: string[] }> }>(
    `SELECT c.oid::int AS oid, n.nspname || '.' || c.relname AS name,
            array(SELECT a.attname::text FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'ple_migrations')
        AND n.nspname NOT LIKE 'pg\\_%'`,
  );
  const tables = new Map<number, TableSnapshot>();
  for (const row of result.rows) {
    const quoted = row.name
      .split(".")
      .map((p) => `"${p.replaceAll('"', '""')}"`)
      .join(".");
    const count = await trx.raw<{ rows: Array<{ n: number }> }>(
      `SELECT count(*)::int AS n FROM ${quoted}`,
    );
    tables.set(row.oid, {
      name: row.name,
      rows: count.rows[0]?.n ?? 0,
      columns: new Set(row.columns),
    });
  }
  return tables;
}

function compare(
  before: Map<number, TableSnapshot>,
  after: Map<number, TableSnapshot>,
): DataDropped {
  const dropped: DataDropped = { tables: [], columns: [], rows_deleted: [] };
  for (const [oid, was] of before) {
    const now = after.get(oid);
    if (!now) {
      dropped.tables.push({ table: was.name, rows: was.rows });
      continue;
    }
    for (const column of was.columns) {
      if (!now.columns.has(column)) {
        dropped.columns.push({ table: was.name, column, rows: was.rows });
      }
    }
    if (now.rows < was.rows)
      dropped.rows_deleted.push({ table: was.name, rows: was.rows - now.rows });
  }
  return dropped;
}

class TrialDone extends Error {}

/** Runs the rollback steps in a transaction that is rolled back; what each step dropped. */
async function trialRollback(db: PleDatabase, files: MigrationFile[]): Promise<DataDropped[]> {
  const measured: DataDropped[] = [];
  try {
    await db.knex.transaction(async (trx) => {
      if (db.kind === "server") await trx.raw("SET LOCAL lock_timeout = '3s'");
      let before = await snapshotTables(trx);
      for (const file of files) {
        const script = file.down ?? "";
        if (file.transactional) {
          await runScript(trx, script);
        } else {
          for (const stmt of splitSqlStatements(script)) {
            await runScript(trx, stmt.text.replace(/\bCONCURRENTLY\b/gi, ""));
          }
        }
        const after = await snapshotTables(trx);
        measured.push(compare(before, after));
        before = after;
      }
      throw new TrialDone();
    });
  } catch (err) {
    if (!(err instanceof TrialDone)) {
      throw new PleError(
        "MIGRATION_FAILED",
        `Could not measure what the rollback drops (its trial run, rolled back, failed): ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
  return measured;
}

/**
 * The rollback `rollbackTo(to)` (or, without `to`, `migrateDown`) would do:
 * its steps newest first, the locks each takes and the data each drops.
 * `isUserData` says which tables' rows count as lost (default: all).
 */
export async function planRollback(
  db: PleDatabase,
  options: { to?: string; migrationsDir?: string; isUserData?: (table: string) => boolean } = {},
): Promise<MigrationPlan> {
  const files = readMigrationFiles(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const to = options.to === undefined ? undefined : checkRollbackTarget(options.to, files);
  const undo = rollbackFiles(files, await applied(db), to);
  const indexTables = await indexTableMap(db.knex);
  const steps = undo.map((f) => planStep(f, "down", indexTables));
  const missing = undo.find((f) => f.down === null);
  if (missing) {
    throw new PleError(
      "MIGRATION_FAILED",
      `Migration ${missing.name} has no rollback file (expected ${missing.downPath})`,
      { details: { migration: missing.name, direction: "down", file: missing.downPath } },
    );
  }
  const measured = undo.length === 0 ? [] : await trialRollback(db, undo);
  const counts = options.isUserData ?? (() => true);
  let losesData = false;
  steps.forEach((step, i) => {
    const drops = measured[i] ?? { tables: [], columns: [], rows_deleted: [] };
    step.drops = drops;
    for (const t of [...drops.tables, ...drops.columns, ...drops.rows_deleted]) {
      if (t.rows > 0 && counts(t.table)) losesData = true;
    }
  });
  return { direction: "down", steps, loses_data: losesData };
}
