/**
 * @ple/db's configuration: the only module of this package that reads `process.env`.
 * DATABASE_URL picks a PostgreSQL server; without it the embedded PGlite database
 * lives in PLE_DATA_DIR. DATABASE_DIRECT_URL (optional) is the same database without a
 * pooler in between, for migrations. PLE_TEST_DATABASE_URL is the server the test helpers use.
 */
import { resolve } from "node:path";
import { z } from "zod";

const PostgresUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === "postgres:" || url.protocol === "postgresql:";
    } catch {
      return false;
    }
  }, "must be a postgres:// or postgresql:// URL (e.g. postgres://user@host:5432/dbname)");

const EnvSchema = z.object({
  DATABASE_URL: PostgresUrl.optional(),
  DATABASE_DIRECT_URL: PostgresUrl.optional(),
  PLE_DATA_DIR: z.string().trim().min(1).max(4096).optional(),
  PLE_TEST_DATABASE_URL: PostgresUrl.optional(),
});

export interface DbEnv {
  /** A PostgreSQL server to use; undefined means the embedded database. */
  databaseUrl: string | undefined;
  /**
   * A direct connection to the same database, for migrations, when DATABASE_URL goes through
   * a pooler in transaction mode (PgBouncer): the runner's session advisory lock and
   * non-transactional migrations need one session from start to end.
   */
  databaseDirectUrl: string | undefined;
  /** Folder of the embedded database (absolute). */
  dataDir: string;
  /** The server test databases are created on (connects to its maintenance database). */
  testDatabaseUrl: string;
}

export const DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** Bad configuration: one clear line naming the variable (never its value, which may hold a secret). */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

/**
 * Validates the variables a schema names, for every package's env.ts. Unset and
 * empty (or blank) mean the same: "not configured". The first problem fails
 * with one ConfigError naming the variable.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, source: NodeJS.ProcessEnv): z.infer<S> {
  const present = Object.fromEntries(
    Object.keys(schema.shape).flatMap((name) => {
      const value = source[name];
      return value === undefined || value.trim() === "" ? [] : [[name, value]];
    }),
  );
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ConfigError(String(issue?.path[0] ?? "environment"), issue?.message ?? "is invalid");
}

export function readDbEnv(source: NodeJS.ProcessEnv = process.env): DbEnv {
  const env = parseEnv(EnvSchema, source);
  return {
    databaseUrl: env.DATABASE_URL,
    databaseDirectUrl: env.DATABASE_DIRECT_URL,
    dataDir: resolve(env.PLE_DATA_DIR ?? ".ple-data"),
    testDatabaseUrl: env.PLE_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL,
  };
}
