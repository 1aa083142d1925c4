/**
 * packages/db/schema.sql: the schema every migration leads to, as one readable file — the live
 * definition of each table, function and trigger in one place, where the migrations spread it
 * over several files. Generated from a freshly migrated database by pg_dump (schema only, no
 * owners or privileges); a test fails when the migrations change and it was not regenerated.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DEFAULT_MIGRATIONS_DIR, readMigrationFiles } from "./migrations/files.js";

/** packages/db/schema.sql, from src/ (tests) and dist/ (built) alike. */
export const SCHEMA_SQL_PATH = fileURLToPath(new URL("../schema.sql", import.meta.url));

/** The one command that regenerates it. */
export const SCHEMA_DUMP_COMMAND = "pnpm --filter @ple/db schema:dump";

const CHECKSUM_LINE = /^-- forward migrations sha256: ([0-9a-f]{64})$/m;

/** sha256 over the forward migration files, names and contents: what schema.sql is built from. */
export function forwardMigrationsChecksum(dir: string = DEFAULT_MIGRATIONS_DIR): string {
  const hash = createHash("sha256");
  for (const file of readMigrationFiles(dir)) hash.update(`${file.name}\0${file.upChecksum}\n`);
  return hash.digest("hex");
}

/** The checksum schema.sql's header records (null: no header). */
export function recordedChecksum(schemaSql: string): string | null {
  return CHECKSUM_LINE.exec(schemaSql)?.[1] ?? null;
}

const run = promisify(execFile);

/**
 * The schema of the database at `url` as pg_dump writes it (without the runner's bookkeeping
 * schema), minus the lines that differ from run to run: pg_dump's and the server's version
 * and the random key of `\restrict`.
 */
export async function dumpSchemaSql(url: string): Promise<string> {
  const { stdout } = await run(
    "pg_dump",
    [
      "--schema-only",
      "--no-owner",
      "--no-privileges",
      "--exclude-schema=ple_migrations",
      "--dbname",
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .split("\n")
    .filter((line) => !/^-- Dumped (from|by) /.test(line) && !/^\\(un)?restrict\b/.test(line))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** schema.sql's full text: a header naming how it was made, then the dump. */
export function schemaSqlFile(dump: string, checksum: string): string {
  const versions = readMigrationFiles().map((f) => f.name);
  return [
    "-- packages/db/schema.sql — GENERATED, do not edit: the schema after every migration",
    `-- (${versions.join(", ")}), dumped by pg_dump --schema-only from a freshly migrated database.`,
    `-- Regenerate after changing or adding a migration: ${SCHEMA_DUMP_COMMAND}`,
    `-- forward migrations sha256: ${checksum}`,
    "",
    dump,
    "",
  ].join("\n");
}
