/**
 * `pnpm --filter @ple/api start`: opens the database (embedded PGlite when DATABASE_URL is
 * unset), starts the API through startApi (the start-up `ple serve` and `ple start` use too)
 * and shuts down gracefully on SIGTERM/SIGINT.
 *
 * With PLE_API_WORKERS=N (N > 1, a PostgreSQL server only) this process becomes the primary
 * of a cluster (cluster.ts): it applies pending migrations once, forks N workers that serve
 * one port, restarts a crashed one, and on SIGTERM lets every worker drain, then exits.
 */
import { isPleError } from "@ple/core";
import { ConfigError, listApiKeys, openDatabase, readDbEnv } from "@ple/db";
import { isClusterWorker, joinCluster, startClusterPrimary } from "./cluster.js";
import { type ApiEnv, readApiEnv } from "./env.js";
import { createLogger } from "./logger.js";
import { prepareDatabase, startApi, workersRefused } from "./start.js";

const NO_KEY_HINT =
  "No API key exists yet: create the first admin key with `ple apikey create --name ops --role admin` (see packages/api/README.md).\n";

/** The cluster's primary: migrate once, fork the workers, stop them on SIGTERM/SIGINT. */
async function primary(env: ApiEnv): Promise<void> {
  const logger = createLogger({ level: env.LOG_LEVEL });
  // Refused before the embedded database is opened (and its folder created).
  if (readDbEnv().databaseUrl === undefined) throw workersRefused(env, "embedded");
  const db = await openDatabase({ poolMax: 3 });
  let noKeys: boolean;
  try {
    const migrated = await prepareDatabase(db);
    if (migrated.length > 0) logger.info({ migrated }, "migrations applied");
    noKeys = (await listApiKeys(db.knex)).length === 0;
  } finally {
    await db.close();
  }
  const cluster = await startClusterPrimary({
    workers: env.PLE_API_WORKERS,
    shutdownTimeoutMs: env.PLE_API_SHUTDOWN_TIMEOUT_MS,
    log: (message, fields) => logger.warn(fields, message),
  }).catch((error: unknown) => {
    const code = (error as { exitCode?: unknown }).exitCode;
    process.stderr.write(`ple-api: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(typeof code === "number" ? code : 1);
  });
  process.stdout.write(
    `PLE API listening on ${cluster.url} (database: server, ${env.PLE_API_WORKERS} workers)\n`,
  );
  if (noKeys) process.stdout.write(NO_KEY_HINT);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: every worker drains its in-flight requests");
    void cluster.stop().then((ok) => process.exit(ok ? 0 : 1));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

/** One API process: alone, or one of a cluster's workers (which does not migrate). */
async function single(env: ApiEnv, worker: boolean): Promise<void> {
  const db = await openDatabase();
  let stop: (signal: string) => void = () => undefined;
  const tellListening = worker ? joinCluster(() => stop("primary gone")) : undefined;
  const { url, server, logger } = await startApi({
    db,
    env,
    ...(worker ? { migrate: false } : {}),
  }).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  if (tellListening !== undefined) {
    tellListening(url);
  } else {
    process.stdout.write(`PLE API listening on ${url} (database: ${db.kind})\n`);
    if ((await listApiKeys(db.knex)).length === 0) process.stdout.write(NO_KEY_HINT);
  }

  let stopping = false;
  stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: draining in-flight requests");
    server
      .close()
      .then(() => db.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

async function main(): Promise<void> {
  const env = readApiEnv();
  if (isClusterWorker()) return single(env, true);
  if (env.PLE_API_WORKERS > 1) return primary(env);
  return single(env, false);
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError
      ? error.message
      : isPleError(error)
        ? `${error.code}: ${error.message}`
        : String(error);
  process.stderr.write(`ple-api: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
