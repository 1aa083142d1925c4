/**
 * The API's one start-up, used by its own main (`pnpm --filter @ple/api start`), `ple serve`
 * and `ple start`: every setting of ApiEnv is applied here, so the three cannot drift apart.
 *
 * Pending migrations: applied at start-up, under the migration runner's lock (several
 * instances starting together apply them once). A database whose applied migration files
 * changed since (drift) is refused, and so is one newer than these files: `ple db status`
 * says why.
 */
import { PleError } from "@ple/core";
import { ConfigError, migrateLatest, migrationStatus, type PleDatabase } from "@ple/db";
import { isClusterWorker } from "./cluster.js";
import type { ApiEnv } from "./env.js";
import { createLogger, type LogDestination, type Logger } from "./logger.js";
import { createServer, type PleServer } from "./server.js";

export interface StartApiOptions {
  db: PleDatabase;
  /** The API's settings (readApiEnv); callers may override PORT and HOST from flags. */
  env: ApiEnv;
  /** Where the logs go (default stdout); a terminal gets readable lines, anything else JSON. */
  logDestination?: LogDestination;
  /**
   * Apply pending migrations first (default true). A cluster's workers pass false: their
   * primary migrated before forking them. The database is still refused when it has
   * migrations these files do not know.
   */
  migrate?: boolean;
}

export interface StartedApi {
  url: string;
  server: PleServer;
  logger: Logger;
  /** Migrations applied at start-up. */
  migrated: string[];
}

/**
 * PLE_API_WORKERS > 1 outside the API's own main (`ple serve`, `ple start`, a program calling
 * startApi): one process is all these start, and the embedded database cannot have more.
 */
export function workersRefused(env: ApiEnv, kind: PleDatabase["kind"]): ConfigError {
  return new ConfigError(
    "PLE_API_WORKERS",
    kind === "embedded"
      ? `${env.PLE_API_WORKERS} API processes need a PostgreSQL server (set DATABASE_URL): the embedded database belongs to one process; unset PLE_API_WORKERS or set it to 1`
      : `this start-up runs one API process; for ${env.PLE_API_WORKERS}, start the API's own main (\`pnpm --filter @ple/api start\`, i.e. node packages/api/dist/main.js), or unset PLE_API_WORKERS`,
  );
}

/**
 * Applies pending migrations (unless `migrate` is false) and refuses a database that has
 * migrations these files do not know. Returns the migrations applied.
 */
export async function prepareDatabase(
  db: PleDatabase,
  opts: { migrate?: boolean } = {},
): Promise<string[]> {
  const run = opts.migrate === false ? { migrations: [] as string[] } : await migrateLatest(db);
  const status = await migrationStatus(db);
  if (status.missing.length > 0) {
    throw new PleError(
      "MIGRATION_DRIFT",
      `the database has migrations these files do not know (${status.missing.join(", ")}): run the version of PLE that applied them, or see \`ple db status\``,
      { details: { missing: status.missing } },
    );
  }
  return run.migrations;
}

/** Applies pending migrations, then serves the API with every setting of `env`. */
export async function startApi(options: StartApiOptions): Promise<StartedApi> {
  const { db, env } = options;
  if (env.PLE_API_WORKERS > 1 && !isClusterWorker()) throw workersRefused(env, db.kind);
  const logger = createLogger({
    level: env.LOG_LEVEL,
    ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
  });
  const migrated = await prepareDatabase(db, options.migrate === false ? { migrate: false } : {});
  const server = createServer({
    db,
    logger,
    bodyLimitBytes: env.PLE_API_BODY_LIMIT_BYTES,
    shutdownTimeoutMs: env.PLE_API_SHUTDOWN_TIMEOUT_MS,
    apiKeyCacheMs: env.PLE_API_KEY_CACHE_MS,
  });
  let url: string;
  try {
    url = await server.listen(env.PORT, env.HOST);
  } catch (err) {
    const code = err instanceof Error && "code" in err ? err.code : undefined;
    if (code === "EADDRINUSE") {
      throw new PleError(
        "VALIDATION_FAILED",
        `port ${env.PORT} on ${env.HOST} is in use: set PORT (or --port) to a free one`,
        { field: "port", details: { reason: "in_use" } },
      );
    }
    throw err;
  }
  logger.info({ url, database: db.kind, migrated }, "PLE API listening");
  return { url, server, logger, migrated };
}
