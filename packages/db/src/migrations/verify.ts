/**
 * verifyMigrations: on a scratch database, each migration in turn goes up,
 * down and up again; the catalog dump after its rollback must equal the dump
 * before it, and the dump after re-applying it must equal the first one.
 */
import { randomBytes } from "node:crypto";
import { PleError } from "@ple/core";
import { openDatabase, type PleDatabase } from "../database.js";
import { catalogDump, diffCatalogDumps } from "./catalog.js";
import { DEFAULT_MIGRATIONS_DIR, readMigrationFiles } from "./files.js";
import { migrateDown, migrateUp } from "./runner.js";

export interface MigrationVerification {
  migration: string;
  /** The rollback restored the schema as it was before the migration. */
  rollbackRestores: boolean;
  /** Applying it again produced the same schema as the first time. */
  reapplyIdentical: boolean;
  /** Catalog lines that differ ("- " before, "+ " after), at most 50. */
  differences: string[];
  /** Set when a step failed outright (verification stops there). */
  error?: string;
}

export interface VerifyReport {
  ok: boolean;
  scratch: "server" | "embedded";
  migrations: MigrationVerification[];
}

/** Creates an empty scratch database beside `db` (same server, or in memory), runs fn, removes it. */
async function withScratchDatabase<T>(
  db: PleDatabase,
  fn: (scratch: PleDatabase) => Promise<T>,
): Promise<T> {
  if (db.kind === "embedded" || db.url === undefined) {
    const scratch = await openDatabase({ memory: true });
    try {
      return await fn(scratch);
    } finally {
      await scratch.close();
    }
  }
  const name = `ple_verify_${randomBytes(6).toString("hex")}`;
  try {
    await db.knex.raw(`CREATE DATABASE ${name}`);
  } catch (err) {
    const reason = (err as { code?: unknown }).code === "42501" ? "permission denied" : "it failed";
    throw new PleError(
      "MIGRATION_FAILED",
      `verify needs a scratch database on the same server, but CREATE DATABASE ${name}: ${reason}. Run it as a user with CREATEDB, or against the embedded database.`,
      { cause: err },
    );
  }
  const url = new URL(db.url);
  url.pathname = `/${name}`;
  const scratch = await openDatabase({ url: url.toString(), poolMax: 3 });
  try {
    return await fn(scratch);
  } finally {
    await scratch.close();
    await db.knex.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/**
 * Proves every migration's rollback: up → down → up on a scratch database,
 * comparing catalog dumps. `db` only says where the scratch database lives;
 * it is never migrated.
 */
export async function verifyMigrations(
  db: PleDatabase,
  opts: { migrationsDir?: string } = {},
): Promise<VerifyReport> {
  const migrationsDir = opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const files = readMigrationFiles(migrationsDir);
  return withScratchDatabase(db, async (scratch) => {
    const results: MigrationVerification[] = [];
    let before = await catalogDump(scratch.knex);
    for (const file of files) {
      const step = async (run: typeof migrateUp, label: string) => {
        const outcome = await run(scratch, { migrationsDir });
        if (outcome.migrations.join() !== file.name) {
          throw new PleError(
            "MIGRATION_FAILED",
            `${label} was expected to run ${file.name}, ran ${outcome.migrations.join(", ") || "nothing"}`,
          );
        }
        return catalogDump(scratch.knex);
      };
      let applied: string[] | undefined;
      let rolledBack: string[] | undefined;
      try {
        applied = await step(migrateUp, "up");
        rolledBack = await step(migrateDown, "down");
        const reapplied = await step(migrateUp, "up again");
        const restoreDiff = diffCatalogDumps(before, rolledBack);
        const reapplyDiff = diffCatalogDumps(applied, reapplied);
        results.push({
          migration: file.name,
          rollbackRestores: restoreDiff.length === 0,
          reapplyIdentical: reapplyDiff.length === 0,
          differences: [
            ...restoreDiff.map((d) => `rollback: ${d}`),
            ...reapplyDiff.map((d) => `reapply: ${d}`),
          ].slice(0, 50),
        });
        before = reapplied;
      } catch (err) {
        const differences =
          rolledBack === undefined
            ? []
            : diffCatalogDumps(before, rolledBack).map((d) => `rollback: ${d}`);
        results.push({
          migration: file.name,
          rollbackRestores: rolledBack !== undefined && differences.length === 0,
          reapplyIdentical: false,
          differences: differences.slice(0, 50),
          error: err instanceof Error ? err.message : String(err),
        });
        break;
      }
    }
    return {
      ok: results.every((r) => r.rollbackRestores && r.reapplyIdentical),
      scratch: scratch.kind,
      migrations: results,
    };
  });
}
