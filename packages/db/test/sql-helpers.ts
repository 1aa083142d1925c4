/** Shared helpers of the SQL-level tests (sql-*.test.ts): queries, raised errors, core's vectors. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Knex } from "knex";
import pg from "pg";
import type { Queryable } from "../src/database.js";

/** The rows of a query (knex `?` bindings), on a server or an embedded database. */
export async function rows<T>(
  handle: Queryable,
  sql: string,
  bindings: readonly Knex.RawBinding[] = [],
): Promise<T[]> {
  const result = await handle.raw<{ rows: T[] }>(sql, bindings);
  return result.rows;
}

/** The single row of a query; fails the test when there is none. */
export async function row<T>(
  handle: Queryable,
  sql: string,
  bindings: readonly Knex.RawBinding[] = [],
): Promise<T> {
  const [first] = await rows<T>(handle, sql, bindings);
  if (first === undefined) throw new Error(`no row from: ${sql}`);
  return first;
}

/** What a test needs of a PostgreSQL error: SQLSTATE, COLUMN, DETAIL and the message. */
export interface SqlError {
  code: string | undefined;
  column: string | undefined;
  detail: string | undefined;
  message: string;
}

function field(err: object, name: string): string | undefined {
  const value: unknown = (err as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

/** Awaits a promise that must fail with a database error and returns that error's fields. */
export async function sqlError(promise: Promise<unknown>): Promise<SqlError> {
  try {
    await promise;
  } catch (err) {
    if (typeof err !== "object" || err === null) throw err;
    return {
      code: field(err, "code"),
      column: field(err, "column"),
      detail: field(err, "detail"),
      message: err instanceof Error ? err.message : String(err),
    };
  }
  throw new Error("expected the statement to fail, but it succeeded");
}

/** A dedicated server connection (for races, which need many sessions at once). */
export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: "ple-sql-test" });
  await client.connect();
  return client;
}

export interface Vector<I = unknown, O = unknown> {
  input: I;
  output?: O;
  error?: string;
}

const require = createRequire(import.meta.url);

/** One of @ple/core's shared vector files (vectors/README.md). */
export function loadVectors<I = unknown, O = unknown>(name: string): Vector<I, O>[] {
  const path = require.resolve(`@ple/core/vectors/${name}.json`);
  return JSON.parse(readFileSync(path, "utf8")) as Vector<I, O>[];
}

/** PostgreSQL text cannot hold U+0000, so vectors with it cannot reach a SQL function. */
export function containsNul(value: unknown): boolean {
  return JSON.stringify(value).includes("\\u0000");
}
