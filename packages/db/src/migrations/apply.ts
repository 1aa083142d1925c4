/**
 * Applying one migration file in one direction: the whole script in the
 * migration's transaction, or statement by statement for a non-transactional
 * one (undoing a failed run's partial changes), then its checksum row; errors
 * name the file and line.
 */
import { PleError } from "@ple/core";
import { type Queryable, runScript } from "../database.js";
import { CHECKSUM_TABLE } from "./bookkeeping.js";
import type { MigrationFile } from "./files.js";
import { lineAt, splitSqlStatements } from "./sql-script.js";

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

export async function applyFile(handle: Queryable, file: MigrationFile, direction: "up" | "down") {
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
