/**
 * @ple/db's configuration: the only module of this package that reads `process.env`.
 * DATABASE_URL picks a PostgreSQL server; without it the embedded PGlite database
 * lives in PLE_DATA_DIR. PLE_TEST_DATABASE_URL is the server the test helpers use.
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
  PLE_DATA_DIR: z.string().trim().min(1).max(4096).optional(),
  PLE_TEST_DATABASE_URL: PostgresUrl.optional(),
});

export interface DbEnv {
  /** A PostgreSQL server to use; undefined means the embedded database. */
  databaseUrl: string | undefined;
  /** Folder of the embedded database (absolute). */
  dataDir: string;
  /** The server test databases are created on (connects to its maintenance database). */
  testDatabaseUrl: string;
}

export const DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** Bad configuration: one clear line naming the variable. */
export class DbConfigError extends Error {
  override name = "DbConfigError";
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

export function readDbEnv(source: NodeJS.ProcessEnv = process.env): DbEnv {
  // Unset and empty mean the same: "not configured".
  const present = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ""),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? "environment");
    throw new DbConfigError(variable, issue?.message ?? "is invalid");
  }
  const env = parsed.data;
  return {
    databaseUrl: env.DATABASE_URL,
    dataDir: resolve(env.PLE_DATA_DIR ?? ".ple-data"),
    testDatabaseUrl: env.PLE_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL,
  };
}
