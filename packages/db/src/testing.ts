/**
 * @ple/db/testing — fresh databases for tests. Each test file gets its own
 * database cloned (CREATE DATABASE … TEMPLATE) from a migrated template named
 * by a hash of the migration files; the template is built once, under an
 * advisory lock, so parallel vitest workers and projects share it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type PleDatabase } from "./database.js";
import { readDbEnv } from "./env.js";
import { DEFAULT_MIGRATIONS_DIR, migrationSetChecksum } from "./migrations/files.js";
import { migrateLatest } from "./migrations/runner.js";

export interface TestDatabase {
  /** URL of the fresh database. */
  url: string;
  db: PleDatabase;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Folder of the SQL pairs (default: this package's `migrations/`). */
  migrationsDir?: string;
  /** Clone an empty (unmigrated) database instead. */
  empty?: boolean;
  /** Largest pool size of the returned database (default 10). */
  poolMax?: number;
}

/** Bump when the runner's own bookkeeping changes, so old templates are not reused. */
const RUNNER_VERSION = "2";
/** Advisory lock key (two int4s): "PLE" and 2 for building templates. */
const TEMPLATE_LOCK = "5262917, 2";
/** Templates and test databases older than this are removed when a template is built. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function urlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: "ple-testing" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  const result = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  return (result.rowCount ?? 0) > 0;
}

/** Drops test databases and templates left behind long ago (crashed test runs). */
async function dropStale(client: pg.Client, keep: string) {
  const result = await client.query<{ datname: string; comment: string | null }>(
    `SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database
      WHERE (datname LIKE 'ple\\_tpl\\_%' OR datname LIKE 'ple\\_test\\_%') AND datname <> $1`,
    [keep],
  );
  for (const row of result.rows) {
    const created = Date.parse(row.comment?.replace(/^ple test database created /, "") ?? "");
    if (Number.isNaN(created) || Date.now() - created < STALE_AFTER_MS) continue;
    await client.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`).catch(() => {});
  }
}

async function ensureTemplate(
  adminUrl: string,
  name: string,
  migrationsDir: string,
  empty: boolean,
) {
  await withAdmin(adminUrl, async (client) => {
    if (await databaseExists(client, name)) return;
    await client.query(`SELECT pg_advisory_lock(${TEMPLATE_LOCK})`);
    try {
      if (await databaseExists(client, name)) return;
      const building = `${name}_building`;
      await client.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await client.query(`CREATE DATABASE "${building}" TEMPLATE template0`);
      if (!empty) {
        const db = await openDatabase({ url: urlFor(adminUrl, building), poolMax: 3 });
        try {
          await migrateLatest(db, { migrationsDir, lockTimeoutMs: 120_000 });
        } finally {
          await db.close();
        }
      }
      // Only a complete template carries the final name.
      await client.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
      await client.query(
        `COMMENT ON DATABASE "${name}" IS 'ple test database created ${new Date().toISOString()}'`,
      );
      await dropStale(client, name);
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${TEMPLATE_LOCK})`);
    }
  });
}

/** A fresh database cloned from the migrated template (built on first use). */
export async function createTestDatabase(opts: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = readDbEnv().testDatabaseUrl;
  const migrationsDir = opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const empty = opts.empty === true;
  const hash = empty ? "empty" : migrationSetChecksum(migrationsDir).slice(0, 16);
  const template = `ple_tpl_${hash}_r${RUNNER_VERSION}`;
  await ensureTemplate(adminUrl, template, migrationsDir, empty);

  const name = `ple_test_${process.pid}_${randomBytes(5).toString("hex")}`;
  await withAdmin(adminUrl, async (client) => {
    // Cloning fails while another session is connected to the template (for
    // a moment, another clone); retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        break;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code !== "55006" || attempt >= 50) throw err;
        await sleep(100 + Math.random() * 200);
      }
    }
    await client.query(
      `COMMENT ON DATABASE "${name}" IS 'ple test database created ${new Date().toISOString()}'`,
    );
  });

  const url = urlFor(adminUrl, name);
  const db = await openDatabase({ url, poolMax: opts.poolMax ?? 10 });
  let dropped = false;
  return {
    url,
    db,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await db.close();
      await withAdmin(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
    },
  };
}

export interface EmbeddedTestDatabase {
  db: PleDatabase;
  drop(): Promise<void>;
}

// PGlite's initdb takes seconds; a process builds each kind of embedded
// database once and starts the next ones from its dumped data folder.
const embeddedImages = new Map<string, Promise<Blob>>();

async function buildEmbeddedImage(
  migrationsDir: string | undefined,
  empty: boolean,
): Promise<Blob> {
  const db = await openDatabase({ memory: true });
  try {
    if (!empty) await migrateLatest(db, migrationsDir === undefined ? {} : { migrationsDir });
    if (db.pglite === undefined) throw new Error("embedded database without PGlite");
    const image = await db.pglite.dumpDataDir("none");
    return image;
  } finally {
    await db.close();
  }
}

/** A fresh in-memory embedded (PGlite) database, migrated unless `empty`. */
export async function createEmbeddedTestDatabase(
  opts: Pick<TestDatabaseOptions, "migrationsDir" | "empty"> = {},
): Promise<EmbeddedTestDatabase> {
  const empty = opts.empty === true;
  const key = empty ? "empty" : migrationSetChecksum(opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  let image = embeddedImages.get(key);
  if (image === undefined) {
    image = buildEmbeddedImage(opts.migrationsDir, empty);
    embeddedImages.set(key, image);
    image.catch(() => embeddedImages.delete(key));
  }
  const db = await openDatabase({ memory: true, loadDataDir: await image });
  return { db, drop: () => db.close() };
}
