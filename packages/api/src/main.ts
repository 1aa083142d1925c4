/**
 * `pnpm --filter @ple/api start`: opens the database (embedded PGlite when
 * DATABASE_URL is unset), applies pending migrations, serves the API and
 * shuts down gracefully on SIGTERM/SIGINT.
 */
import { ConfigError, listApiKeys, migrateLatest, openDatabase } from "@ple/db";
import { readApiEnv } from "./env.js";
import { createLogger } from "./logger.js";
import { createServer } from "./server.js";

async function main(): Promise<void> {
  const env = readApiEnv();
  const logger = createLogger({ level: env.LOG_LEVEL });
  const db = await openDatabase();
  await migrateLatest(db);
  const api = createServer({
    db,
    logger,
    bodyLimitBytes: env.PLE_API_BODY_LIMIT_BYTES,
    shutdownTimeoutMs: env.PLE_API_SHUTDOWN_TIMEOUT_MS,
    apiKeyCacheMs: env.PLE_API_KEY_CACHE_MS,
  });
  const url = await api.listen(env.PORT, env.HOST);
  logger.info({ url, database: db.kind }, "PLE API listening");
  process.stdout.write(`PLE API listening on ${url} (database: ${db.kind})\n`);
  if ((await listApiKeys(db.knex)).length === 0) {
    process.stdout.write(
      "No API key exists yet: create the first admin key with `ple apikey create --name ops --role admin` (see packages/api/README.md).\n",
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: draining in-flight requests");
    api
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

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : String(error);
  process.stderr.write(`ple-api: ${message}\n`);
  process.exit(1);
});
