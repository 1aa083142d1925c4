/**
 * The runner's lock: a session advisory lock on a PostgreSQL server, an
 * in-process flag on the single-connection embedded database; and clearing
 * knex's own lock row left set by a crashed runner.
 */
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import type { PleDatabase } from "../database.js";
import { bookkeepingExists, LOCK_TABLE, MIGRATIONS_SCHEMA } from "./bookkeeping.js";

/** Advisory lock key (two int4s): "PLE" and 1 for the migration runner. */
const ADVISORY_LOCK = [0x504c45, 1] as const;
const DEFAULT_LOCK_TIMEOUT_MS = 15_000;
const LOCK_POLL_MS = 200;

export const UNLOCK_HINT =
  "If no runner is active (a crashed one left the lock), clear it with `ple db unlock` (unlockMigrations) and retry.";

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
export async function withRunnerLock<T>(
  db: PleDatabase,
  opts: { lockTimeoutMs?: number },
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
