/**
 * Opening a database: a PostgreSQL server through a knex pg pool when a URL is
 * given (or DATABASE_URL is set), else an embedded PGlite database in a local
 * data folder. Both carry the same migrations and SQL functions.
 */
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { pgcrypto } from "@electric-sql/pglite/contrib/pgcrypto";
import knexFactory, { type Knex } from "knex";
import ClientPgLite from "knex-pglite";
import { readDbEnv } from "./env.js";

export type DatabaseKind = "server" | "embedded";

export interface PleDatabase {
  knex: Knex;
  kind: DatabaseKind;
  /** The server URL (kind "server"). */
  url?: string;
  /**
   * A direct connection to the same database when `url` goes through a pooler in transaction
   * mode (DATABASE_DIRECT_URL): the migration runner opens it for its run.
   */
  directUrl?: string;
  /** The data folder of an embedded database; undefined when it lives in memory. */
  dataDir?: string;
  /** The PGlite instance of an embedded database (e.g. for dumpDataDir). */
  pglite?: PGlite;
  /** Runs a multi-statement SQL script (no bindings) on one connection. */
  execScript(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A postgres:// URL; overrides DATABASE_URL. */
  url?: string;
  /** Folder of the embedded database; overrides PLE_DATA_DIR. */
  dataDir?: string;
  /** An in-memory embedded database (tests); ignores url and dataDir. */
  memory?: boolean;
  /** Start the in-memory database from a PGlite dumpDataDir() tarball instead of an empty one. */
  loadDataDir?: Blob;
  /** Largest number of pooled server connections (default 10). */
  poolMax?: number;
  /** The same database without a pooler in between, for migrations; overrides DATABASE_DIRECT_URL. */
  directUrl?: string;
}

/** A knex handle or a transaction on it: what repositories and scripts accept. */
export type Queryable = Knex | Knex.Transaction;

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<PleDatabase> {
  if (opts.memory) return openEmbedded(undefined, opts.loadDataDir);
  const fromEnv = opts.url === undefined && opts.dataDir === undefined ? readDbEnv() : undefined;
  const url = opts.url ?? fromEnv?.databaseUrl;
  if (url !== undefined) {
    const db = openServer(url, opts.poolMax ?? 10);
    const directUrl = opts.directUrl ?? fromEnv?.databaseDirectUrl;
    if (directUrl !== undefined && directUrl !== url) db.directUrl = directUrl;
    return db;
  }
  return openEmbedded(opts.dataDir ?? readDbEnv().dataDir);
}

/**
 * knex prefixes a failed query's error message with the SQL text (and its
 * bindings). The driver's own message is kept here first, so errors shown to
 * users (toPleError) never carry SQL.
 */
export const DRIVER_MESSAGE = Symbol.for("ple.driverMessage");

function keepDriverMessage(err: unknown): never {
  if (err instanceof Error && !(DRIVER_MESSAGE in err)) {
    Object.defineProperty(err, DRIVER_MESSAGE, { value: err.message, enumerable: false });
  }
  throw err;
}

type QueryCallback = (err: unknown, result: unknown) => void;

/** Wraps a node-postgres connection's query() so its errors keep the driver's message. */
function tagConnectionErrors(conn: { query: (...args: unknown[]) => unknown }) {
  const query = conn.query.bind(conn);
  conn.query = (...args: unknown[]) => {
    const last = args.at(-1);
    if (typeof last === "function") {
      const callback = last as QueryCallback;
      return query(...args.slice(0, -1), (err: unknown, result: unknown) => {
        if (err instanceof Error && !(DRIVER_MESSAGE in err)) {
          Object.defineProperty(err, DRIVER_MESSAGE, { value: err.message, enumerable: false });
        }
        callback(err, result);
      });
    }
    const result = query(...args);
    return result instanceof Promise ? result.catch(keepDriverMessage) : result;
  };
}

// knex would print its warnings (e.g. "migration failed") to the console; the
// errors reach the caller as PleErrors, and a CLI's --json output stays clean.
const silentLog = { warn() {}, error() {}, deprecate() {}, debug() {} };

function openServer(url: string, poolMax: number): PleDatabase {
  const knex = knexFactory({
    client: "pg",
    log: silentLog,
    connection: { connectionString: url, application_name: "ple" },
    pool: {
      min: 0,
      max: poolMax,
      afterCreate: (
        conn: { query: (...args: unknown[]) => unknown },
        done: (err: unknown, conn: unknown) => void,
      ) => {
        tagConnectionErrors(conn);
        done(null, conn);
      },
    },
  });
  return {
    knex,
    kind: "server",
    url,
    execScript: (sql) => runScript(knex, sql),
    close: () => knex.destroy(),
  };
}

// pg_trgm: name search (migration 005); pgcrypto: the suppression list's HMAC (migration 012).
const extensions = { pg_trgm, pgcrypto };

// initdb of PGlite takes seconds; in-memory databases (tests, verify's
// scratch database) start from one freshly initialised image per process.
let freshImage: Promise<Blob> | undefined;

function freshEmbeddedImage(): Promise<Blob> {
  if (freshImage === undefined) {
    freshImage = (async () => {
      const pglite = await PGlite.create({ extensions });
      try {
        return await pglite.dumpDataDir("none");
      } finally {
        await pglite.close();
      }
    })();
    freshImage.catch(() => {
      freshImage = undefined;
    });
  }
  return freshImage;
}

async function openEmbedded(dataDir: string | undefined, loadDataDir?: Blob): Promise<PleDatabase> {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const pglite =
    dataDir !== undefined
      ? await PGlite.create({ dataDir, extensions })
      : await PGlite.create({
          extensions,
          loadDataDir: loadDataDir ?? (await freshEmbeddedImage()),
        });
  tagConnectionErrors(pglite as unknown as { query: (...args: unknown[]) => unknown });
  const knex = knexFactory({
    client: ClientPgLite,
    log: silentLog,
    dialect: "postgres",
    // knex-pglite takes an existing instance through a connection function.
    connection: (() => ({ pglite })) as unknown as Knex.StaticConnectionConfig,
  });
  const db: PleDatabase = {
    knex,
    kind: "embedded",
    pglite,
    execScript: (sql) => runScript(knex, sql),
    close: async () => {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
  if (dataDir !== undefined) db.dataDir = dataDir;
  return db;
}

interface PgliteConnection {
  exec(sql: string): Promise<unknown>;
}
interface PgConnection {
  query(sql: string): Promise<unknown>;
}

function isPglite(conn: unknown): conn is PgliteConnection {
  return (
    typeof conn === "object" &&
    conn !== null &&
    "exec" in conn &&
    typeof conn.exec === "function" &&
    "waitReady" in conn
  );
}

function isPgConnection(conn: unknown): conn is PgConnection {
  return (
    typeof conn === "object" && conn !== null && "query" in conn && typeof conn.query === "function"
  );
}

/**
 * Runs a multi-statement SQL script on the handle's connection (inside its
 * transaction when given one). knex would rewrite `?` as bindings and PGlite's
 * knex dialect sends prepared statements, which reject several statements, so
 * the script goes straight to the driver: node-postgres' simple query protocol
 * (no bindings) on a server, PGlite's own exec() on the embedded database.
 */
export async function runScript(handle: Queryable, sql: string): Promise<void> {
  const client = handle.client as Knex.Client;
  const conn: unknown = await client.acquireConnection();
  try {
    if (isPglite(conn)) await conn.exec(sql);
    else if (isPgConnection(conn)) await conn.query(sql);
    else throw new Error("runScript: unsupported database connection");
  } finally {
    await client.releaseConnection(conn);
  }
}

/**
 * The clients whose named prepared statements failed as a pooler in transaction mode makes
 * them fail (PgBouncer before 1.21, or without max_prepared_statements): a statement prepared
 * on one server connection is missing on the next (26000) or already there (42P05). From then
 * on queryPrepared declines and the caller's statement goes unnamed through knex.
 */
const preparedUnsupported = new WeakSet<object>();
const POOLER_PREPARED_ERRORS = new Set(["26000", "42P05"]);

interface PgPreparedConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs one statement as a named prepared statement of node-postgres on a pooled connection
 * of a PostgreSQL server, so the server parses and plans it once per connection instead of
 * on every call (knex sends unnamed statements). For hot, fixed statements only: `name`
 * must always go with the same `text`. Returns null when the handle cannot do this — a
 * transaction, whose statements must stay on its own connection, the embedded
 * database, or a pooler that loses prepared statements (preparedUnsupported) — and the
 * caller then runs the statement through knex.
 */
export async function queryPrepared(
  q: Queryable,
  name: string,
  text: string,
  values: unknown[],
): Promise<unknown[] | null> {
  if ("isTransaction" in q && q.isTransaction === true) return null;
  const client = q.client as Knex.Client;
  if (client.config?.client !== "pg" || preparedUnsupported.has(client)) return null;
  const conn: unknown = await client.acquireConnection();
  try {
    if (isPglite(conn) || !isPgConnection(conn)) return null;
    // knex's query events, as for its own statements, so listeners (logs, tests) see this one too.
    const event = {
      __knexUid: (conn as { __knexUid?: string }).__knexUid,
      method: "raw",
      sql: text,
      bindings: values,
      prepared: name,
    };
    client.emit("query", event);
    try {
      const result = await (conn as unknown as PgPreparedConnection).query({ name, text, values });
      client.emit("query-response", result.rows, event);
      return result.rows;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && POOLER_PREPARED_ERRORS.has(code)) {
        // Nothing ran: the caller sends the statement again, unnamed.
        preparedUnsupported.add(client);
        return null;
      }
      client.emit("query-error", error, event);
      throw error;
    }
  } finally {
    await client.releaseConnection(conn);
  }
}

/** The PostgreSQL server's version string (PGlite reports the version it embeds). */
export async function serverVersion(handle: Queryable): Promise<string | null> {
  const result = await handle.raw<{ rows: Array<{ version: string }> }>(
    "select current_setting('server_version') as version",
  );
  return result.rows[0]?.version ?? null;
}
