/**
 * `pnpm --filter @ple/api start`: opens the database (embedded PGlite when DATABASE_URL is
 * unset), starts the API through startApi (the start-up `ple serve` and `ple start` use too)
 * and shuts down gracefully on SIGTERM/SIGINT.
 */
import { isPleError } from "@ple/core";
import { ConfigError, listApiKeys, openDatabase } from "@ple/db";
import { readApiEnv } from "./env.js";
import { startApi } from "./start.js";

async function main(): Promise<void> {
  const env = readApiEnv();
  const db = await openDatabase();
  const { url, server, logger } = await startApi({ db, env }).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
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
