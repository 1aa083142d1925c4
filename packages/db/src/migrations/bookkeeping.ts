/**
 * The runner's own bookkeeping (not product schema) in schema `ple_migrations`:
 * knex's two tables, the checksum of each applied file and the run log,
 * created up front so that two first runs do not race to create them.
 */
import type { PleDatabase, Queryable } from "../database.js";

export const MIGRATIONS_SCHEMA = "ple_migrations";
export const KNEX_TABLE = "knex_migrations";
export const LOCK_TABLE = "knex_migrations_lock";
export const CHECKSUM_TABLE = `${MIGRATIONS_SCHEMA}.migration_checksum`;
export const RUN_LOG_TABLE = `${MIGRATIONS_SCHEMA}.migration_run_log`;

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

export async function ensureBookkeeping(db: PleDatabase) {
  await db.execScript(BOOKKEEPING_SQL);
}

export async function bookkeepingExists(handle: Queryable): Promise<boolean> {
  const result = await handle.raw<{ rows: Array<{ present: boolean }> }>(
    "SELECT to_regclass(?) IS NOT NULL AND to_regclass(?) IS NOT NULL AS present",
    [`${MIGRATIONS_SCHEMA}.${KNEX_TABLE}`, CHECKSUM_TABLE],
  );
  return result.rows[0]?.present === true;
}

/** Names of the applied migrations, in the order they were applied. */
export async function appliedNames(handle: Queryable): Promise<string[]> {
  const rows: Array<{ name: string }> = await handle
    .withSchema(MIGRATIONS_SCHEMA)
    .from(KNEX_TABLE)
    .select("name")
    .orderBy("id");
  return rows.map((r) => r.name);
}
