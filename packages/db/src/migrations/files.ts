/**
 * The migration files: `migrations/NNN_name.sql` forward and
 * `migrations/rollback/NNN_rollback.sql` reverse. A forward file whose first
 * line is `-- ple:transaction=false` runs outside a transaction.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PleError } from "@ple/core";

/** packages/db/migrations, from src/migrations (tests) and dist/migrations (built) alike. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));

const FORWARD_FILE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;
/** The first line that makes a migration non-transactional. */
export const NON_TRANSACTIONAL = /^--\s*ple:transaction\s*=\s*false\s*$/i;

export interface MigrationFile {
  /** The migration's name as recorded by knex, e.g. "001_initial_schema". */
  name: string;
  /** Its number, e.g. "001". */
  version: string;
  upPath: string;
  downPath: string;
  up: string;
  /** The rollback script; null when the rollback file is missing. */
  down: string | null;
  /** sha256 (hex) of the forward file. */
  upChecksum: string;
  /** sha256 (hex) of the rollback file, null when missing. */
  downChecksum: string | null;
  transactional: boolean;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function rollbackPath(dir: string, version: string): string {
  return join(dir, "rollback", `${version}_rollback.sql`);
}

/** Every forward migration in the folder, in version order. */
export function readMigrationFiles(dir: string = DEFAULT_MIGRATIONS_DIR): MigrationFile[] {
  if (!existsSync(dir)) return [];
  const files: MigrationFile[] = [];
  const seen = new Map<string, string>();
  for (const entry of readdirSync(dir).sort()) {
    const match = FORWARD_FILE.exec(entry);
    if (!match) continue;
    const version = match[1] ?? "";
    const other = seen.get(version);
    if (other !== undefined) {
      throw new PleError(
        "MIGRATION_FAILED",
        `Two migrations share version ${version}: ${other} and ${entry}`,
        {
          details: { version, files: [other, entry] },
        },
      );
    }
    seen.set(version, entry);
    const upPath = join(dir, entry);
    const downPath = rollbackPath(dir, version);
    const up = readFileSync(upPath, "utf8");
    const down = existsSync(downPath) ? readFileSync(downPath, "utf8") : null;
    const firstLine = up.split("\n", 1)[0] ?? "";
    files.push({
      name: entry.slice(0, -".sql".length),
      version,
      upPath,
      downPath,
      up,
      down,
      upChecksum: sha256(up),
      downChecksum: down === null ? null : sha256(down),
      transactional: !NON_TRANSACTIONAL.test(firstLine.trim()),
    });
  }
  return files;
}

/** One sha256 over every migration file (forward and rollback): names a migrated template. */
export function migrationSetChecksum(dir: string = DEFAULT_MIGRATIONS_DIR): string {
  const hash = createHash("sha256");
  for (const file of readMigrationFiles(dir)) {
    hash.update(`${file.name}\0${file.upChecksum}\0${file.downChecksum ?? "-"}\n`);
  }
  return hash.digest("hex");
}
