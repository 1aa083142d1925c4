/** Migration status: applied and pending migrations, recorded and current checksums, drift, the lock. */
import type { PleDatabase } from "../database.js";
import {
  bookkeepingExists,
  CHECKSUM_TABLE,
  KNEX_TABLE,
  LOCK_TABLE,
  MIGRATIONS_SCHEMA,
} from "./bookkeeping.js";
import { DEFAULT_MIGRATIONS_DIR, readMigrationFiles } from "./files.js";

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

/** Applied and pending migrations, recorded and current checksums, drift and the lock state. */
export async function migrationStatus(
  db: PleDatabase,
  opts: { migrationsDir?: string } = {},
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
