/**
 * Backup and restore of every table of schema `marketing` (history and audit included) as a
 * portable archive: gzip'd JSON lines — a header (format, schema version = the applied
 * migrations), one line per row, one per sequence, and a footer with each table's row count
 * and sha256. The backup is read in one REPEATABLE READ, READ ONLY transaction, so it is one
 * consistent snapshot even while writes go on. A restore checks the archive against its own
 * footer first, refuses a database holding data unless forced, loads everything in one
 * transaction with triggers off (the rows already carry their history and audit), and
 * verifies the restored tables' counts and checksums before committing.
 *
 * Rows travel as PostgreSQL's own row_to_json text (timestamps in UTC) and go back through
 * json_populate_recordset, so values round-trip exactly and the checksums of the source and
 * the restored database agree byte for byte.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createGunzip, createGzip } from "node:zlib";
import { PleError } from "@ple/core";
import type { Knex } from "knex";
import type { Queryable } from "./database.js";

export const BACKUP_FORMAT = "ple-backup";
export const BACKUP_FORMAT_VERSION = 1;
const SCHEMA = "marketing";
const FETCH_SIZE = 1000;
const INSERT_BATCH = 500;

export interface TableChecksum {
  table: string;
  rows: number;
  sha256: string;
}

export interface SequenceValue {
  sequence: string;
  last_value: string;
  is_called: boolean;
}

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  format_version: number;
  created_at: string;
  /** The last applied migration, e.g. "008_import_speed". */
  schema_version: string | null;
  /** Every applied migration, in order. */
  migrations: string[];
  tables: string[];
}

export interface BackupResult {
  file: string;
  schema_version: string | null;
  created_at: string;
  tables: TableChecksum[];
  sequences: number;
  total_rows: number;
}

export interface RestoreOptions {
  /** Replace the data of a database that already holds some. */
  force?: boolean;
}

export interface RestoreResult {
  file: string;
  schema_version: string | null;
  tables: TableChecksum[];
  total_rows: number;
  /** True when the restored tables' counts and checksums matched the archive's. */
  verified: boolean;
}

/**
 * Tables that hold the migrator's own bookkeeping, or reference data a migration loads (the IDNA
 * and Unicode tables of 009): they come with the schema version, not with the data.
 */
function isBookkeeping(table: string): boolean {
  return (
    table.startsWith("knex_") ||
    table.startsWith("migration_") ||
    table.startsWith("idna_") ||
    table.startsWith("unicode_")
  );
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function qualified(table: string): string {
  return `${SCHEMA}.${quoteIdent(table)}`;
}

function rowsOf<T>(result: unknown): T[] {
  // node-postgres and PGlite both answer knex.raw with { rows }.
  if (typeof result === "object" && result !== null && "rows" in result) {
    const rows = (result as { rows: unknown }).rows;
    if (Array.isArray(rows)) return rows as T[];
  }
  return [];
}

/** The data tables of schema marketing, by name. */
export async function backupTables(q: Queryable): Promise<string[]> {
  const rows = rowsOf<{ table_name: string }>(
    await q.raw(
      `select c.relname as table_name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ? and c.relkind in ('r', 'p') and not c.relispartition
        order by c.relname collate "C"`,
      [SCHEMA],
    ),
  );
  return rows.map((r) => r.table_name).filter((t) => !isBookkeeping(t));
}

async function sequencesOf(q: Queryable): Promise<SequenceValue[]> {
  const names = rowsOf<{ sequence_name: string }>(
    await q.raw(
      `select c.relname as sequence_name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ? and c.relkind = 'S'
        order by c.relname collate "C"`,
      [SCHEMA],
    ),
  );
  const values: SequenceValue[] = [];
  for (const { sequence_name } of names) {
    if (isBookkeeping(sequence_name)) continue;
    const [row] = rowsOf<{ last_value: string; is_called: boolean }>(
      await q.raw(
        `select last_value::text as last_value, is_called from ${qualified(sequence_name)}`,
      ),
    );
    if (row) values.push({ sequence: sequence_name, ...row });
  }
  return values;
}

/** The applied migrations, oldest first, from knex's bookkeeping table wherever it lives. */
async function appliedMigrations(q: Queryable): Promise<string[]> {
  const tables = rowsOf<{ schema: string; name: string }>(
    await q.raw(
      `select n.nspname as schema, c.relname as name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relname = 'knex_migrations' and c.relkind = 'r'
        order by (n.nspname = ?) desc
        limit 1`,
      [SCHEMA],
    ),
  );
  const table = tables[0];
  if (!table) return [];
  const rows = rowsOf<{ name: string }>(
    await q.raw(
      `select name from ${quoteIdent(table.schema)}.${quoteIdent(table.name)} order by id`,
    ),
  );
  return rows.map((r) => r.name.replace(/\.sql$/, ""));
}

/**
 * Streams one table's rows as row_to_json text in a deterministic order, through a cursor so
 * a large table never sits in memory.
 */
async function* tableRows(trx: Knex.Transaction, table: string): AsyncGenerator<string> {
  const cursor = `ple_rows_${table}`.slice(0, 60);
  await trx.raw(
    `declare ${quoteIdent(cursor)} no scroll cursor for
       select r.row from (select row_to_json(t)::text as row from ${qualified(table)} t) r
        order by r.row collate "C"`,
  );
  try {
    for (;;) {
      const rows = rowsOf<{ row: string }>(
        await trx.raw(`fetch forward ${FETCH_SIZE} from ${quoteIdent(cursor)}`),
      );
      for (const r of rows) yield r.row;
      if (rows.length < FETCH_SIZE) break;
    }
  } finally {
    await trx.raw(`close ${quoteIdent(cursor)}`);
  }
}

/** Each table's row count and sha256 over its rows' JSON text, as the archive records them. */
export async function tableChecksums(trx: Knex.Transaction): Promise<TableChecksum[]> {
  await trx.raw("set local timezone = 'UTC'");
  const result: TableChecksum[] = [];
  for (const table of await backupTables(trx)) {
    const hash = createHash("sha256");
    let rows = 0;
    for await (const row of tableRows(trx, table)) {
      hash.update(row);
      hash.update("\n");
      rows++;
    }
    result.push({ table, rows, sha256: hash.digest("hex") });
  }
  return result;
}

/** Checksums of a live database, read in one snapshot. */
export async function databaseChecksums(knex: Knex): Promise<TableChecksum[]> {
  return knex.transaction(async (trx) => {
    await trx.raw("set transaction isolation level repeatable read, read only");
    return tableChecksums(trx);
  });
}

type ArchiveLine =
  | ({ type: "header" } & BackupHeader)
  | { type: "sequence"; sequence: string; last_value: string; is_called: boolean }
  | { type: "footer"; tables: TableChecksum[]; sequences: number };

/** Writes the archive to `file` (through a temporary file, renamed when complete). */
export async function writeBackup(knex: Knex, file: string): Promise<BackupResult> {
  const partial = `${file}.partial`;
  const gzip = createGzip();
  // The archive holds personal data and key hashes: readable by its owner only.
  const out = createWriteStream(partial, { mode: 0o600 });
  const piped = gzip.pipe(out);
  const write = async (line: string) => {
    if (!gzip.write(`${line}\n`)) await once(gzip, "drain");
  };
  try {
    const result = await knex.transaction(async (trx) => {
      await trx.raw("set transaction isolation level repeatable read, read only");
      await trx.raw("set local timezone = 'UTC'");
      const migrations = await appliedMigrations(trx);
      const tables = await backupTables(trx);
      const header: BackupHeader = {
        format: BACKUP_FORMAT,
        format_version: BACKUP_FORMAT_VERSION,
        created_at: new Date().toISOString(),
        schema_version: migrations.at(-1) ?? null,
        migrations,
        tables,
      };
      await write(JSON.stringify({ type: "header", ...header }));
      const checksums: TableChecksum[] = [];
      for (const table of tables) {
        const hash = createHash("sha256");
        let rows = 0;
        const prefix = `{"table":${JSON.stringify(table)},"row":`;
        for await (const row of tableRows(trx, table)) {
          hash.update(row);
          hash.update("\n");
          rows++;
          await write(`${prefix}${row}}`);
        }
        checksums.push({ table, rows, sha256: hash.digest("hex") });
      }
      const sequences = await sequencesOf(trx);
      for (const s of sequences) await write(JSON.stringify({ type: "sequence", ...s }));
      await write(
        JSON.stringify({ type: "footer", tables: checksums, sequences: sequences.length }),
      );
      return {
        file,
        schema_version: header.schema_version,
        created_at: header.created_at,
        tables: checksums,
        sequences: sequences.length,
        total_rows: checksums.reduce((n, t) => n + t.rows, 0),
      };
    });
    gzip.end();
    await once(piped, "finish");
    await rename(partial, file);
    return result;
  } catch (err) {
    gzip.destroy();
    out.destroy();
    await rm(partial, { force: true });
    throw err;
  }
}

const ROW_LINE = /^\{"table":"((?:[^"\\]|\\.)*)","row":(.*)\}$/s;

interface ArchiveReader {
  header: BackupHeader;
  lines: AsyncGenerator<{ table: string; row: string } | ArchiveLine>;
}

function badArchive(file: string, problem: string): PleError {
  return new PleError("VALIDATION_FAILED", `${file} is not a usable PLE backup: ${problem}`, {
    field: "file",
    details: { reason: "bad_archive" },
  });
}

async function openArchive(file: string): Promise<ArchiveReader> {
  const input = createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    input.once("open", () => resolve());
    input.once("error", (err) => reject(err));
  });
  try {
    await opened;
  } catch (err) {
    const code = err instanceof Error && "code" in err ? err.code : undefined;
    throw new PleError(
      "NOT_FOUND",
      `cannot read ${file}${code === "ENOENT" ? ": no such file" : ""}`,
      {
        field: "file",
        cause: err,
      },
    );
  }
  const gunzip = createGunzip();
  const lines = createInterface({ input: input.pipe(gunzip), crlfDelay: Number.POSITIVE_INFINITY });
  const iterator = lines[Symbol.asyncIterator]();
  let headerLine: IteratorResult<string>;
  try {
    headerLine = await iterator.next();
  } catch (err) {
    throw badArchive(file, err instanceof Error ? err.message : String(err));
  }
  if (headerLine.done) throw badArchive(file, "it is empty");
  let header: BackupHeader;
  try {
    const parsed = JSON.parse(headerLine.value) as { type?: unknown } & BackupHeader;
    if (parsed.type !== "header" || parsed.format !== BACKUP_FORMAT) throw new Error("no header");
    header = parsed;
  } catch {
    throw badArchive(file, "its first line is not a ple-backup header");
  }
  if (header.format_version !== BACKUP_FORMAT_VERSION) {
    throw badArchive(file, `format version ${header.format_version} is not supported`);
  }
  async function* rest() {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        const line = next.value;
        if (line === "") continue;
        const match = ROW_LINE.exec(line);
        if (match) {
          yield { table: JSON.parse(`"${match[1] ?? ""}"`) as string, row: match[2] ?? "" };
        } else {
          yield JSON.parse(line) as ArchiveLine;
        }
      }
    } catch (err) {
      if (err instanceof PleError) throw err;
      throw badArchive(file, err instanceof Error ? err.message : String(err));
    } finally {
      lines.close();
      input.destroy();
    }
  }
  return { header, lines: rest() };
}

/** Reads the archive through, checking every table's count and sha256 against its footer. */
export async function verifyArchive(
  file: string,
): Promise<{ header: BackupHeader; tables: TableChecksum[]; sequences: SequenceValue[] }> {
  const { header, lines } = await openArchive(file);
  const hashes = new Map<string, { hash: ReturnType<typeof createHash>; rows: number }>();
  const sequences: SequenceValue[] = [];
  let footer: TableChecksum[] | null = null;
  for await (const line of lines) {
    if ("row" in line) {
      let entry = hashes.get(line.table);
      if (!entry) {
        entry = { hash: createHash("sha256"), rows: 0 };
        hashes.set(line.table, entry);
      }
      entry.hash.update(line.row);
      entry.hash.update("\n");
      entry.rows++;
    } else if (line.type === "sequence") {
      sequences.push({
        sequence: line.sequence,
        last_value: line.last_value,
        is_called: line.is_called,
      });
    } else if (line.type === "footer") {
      footer = line.tables;
    }
  }
  if (footer === null) throw badArchive(file, "it has no footer (the backup did not finish)");
  for (const t of footer) {
    const got = hashes.get(t.table);
    const rows = got?.rows ?? 0;
    const sha = got ? got.hash.digest("hex") : createHash("sha256").digest("hex");
    if (rows !== t.rows || sha !== t.sha256) {
      throw badArchive(
        file,
        `table ${t.table} has ${rows} rows (sha256 ${sha.slice(0, 12)}…) but its footer says ${t.rows} (${t.sha256.slice(0, 12)}…)`,
      );
    }
  }
  for (const table of hashes.keys()) {
    if (!footer.some((t) => t.table === table)) {
      throw badArchive(file, `rows of table ${table} are not listed in its footer`);
    }
  }
  return { header, tables: footer, sequences };
}

async function insertRows(trx: Knex.Transaction, table: string, rows: string[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = rowsOf<{ column_name: string }>(
    await trx.raw(
      `select a.attname as column_name
         from pg_attribute a
        where a.attrelid = ?::regclass and a.attnum > 0 and not a.attisdropped
          and a.attgenerated = ''
        order by a.attnum`,
      [qualified(table)],
    ),
  ).map((c) => quoteIdent(c.column_name));
  const list = columns.join(", ");
  await trx.raw(
    `insert into ${qualified(table)} (${list}) overriding system value
       select ${list} from json_populate_recordset(null::${qualified(table)}, ?::json)`,
    [`[${rows.join(",")}]`],
  );
}

/**
 * Switches triggers and foreign-key checks off while a restore loads rows: the archive's rows
 * already carry their history and audit entries, and they arrive table by table in name
 * order, not in foreign-key order. A superuser sets session_replication_role = replica for
 * the transaction. The database's owner (managed PostgreSQL gives no superuser) disables the
 * tables' own triggers and makes their foreign keys deferred instead; resume() then checks
 * every foreign key at once and puts triggers and constraints back as they were — all inside
 * the restore's transaction, so a failure leaves nothing changed.
 */
async function holdChecksWhileLoading(
  trx: Knex.Transaction,
  tables: string[],
): Promise<{ resume(): Promise<void> }> {
  const [role] = rowsOf<{ superuser: string }>(
    await trx.raw("select current_setting('is_superuser') as superuser"),
  );
  if (role?.superuser === "on") {
    await trx.raw("set local session_replication_role = replica");
    return { resume: async () => {} };
  }
  const regclasses = tables.map(qualified);
  const triggers = rowsOf<{ rel: string; name: string; enabled: string }>(
    await trx.raw(
      `select t.tgrelid::regclass::text as rel, t.tgname as name, t.tgenabled as enabled
         from pg_trigger t
        where not t.tgisinternal and t.tgenabled <> 'D' and t.tgrelid = any(?::regclass[])`,
      [regclasses],
    ),
  );
  const foreignKeys = rowsOf<{ rel: string; name: string }>(
    await trx.raw(
      `select c.conrelid::regclass::text as rel, c.conname as name
         from pg_constraint c
        where c.contype = 'f' and not c.condeferrable and c.conrelid = any(?::regclass[])`,
      [regclasses],
    ),
  );
  try {
    for (const t of triggers) {
      await trx.raw(`alter table ${t.rel} disable trigger ${quoteIdent(t.name)}`);
    }
    for (const fk of foreignKeys) {
      await trx.raw(
        `alter table ${fk.rel} alter constraint ${quoteIdent(fk.name)} deferrable initially deferred`,
      );
    }
  } catch (err) {
    throw new PleError(
      "FORBIDDEN",
      "restore needs a superuser or the owner of the database's tables (the role that ran the migrations)",
      { cause: err },
    );
  }
  return {
    async resume() {
      await trx.raw("set constraints all immediate");
      const mode: Record<string, string> = { O: "", A: "always ", R: "replica " };
      for (const t of triggers) {
        await trx.raw(
          `alter table ${t.rel} enable ${mode[t.enabled] ?? ""}trigger ${quoteIdent(t.name)}`,
        );
      }
      for (const fk of foreignKeys) {
        await trx.raw(
          `alter table ${fk.rel} alter constraint ${quoteIdent(fk.name)} not deferrable`,
        );
      }
    },
  };
}

/**
 * Loads an archive into the database. The database must be at the archive's schema version
 * (the same applied migrations); it must hold no data unless `force` is given, in which case
 * its data is replaced. Everything happens in one transaction: a failed or unverifiable
 * restore leaves the database as it was.
 */
export async function restoreBackup(
  knex: Knex,
  file: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const archive = await verifyArchive(file);
  const { header } = archive;
  const expected = new Map(archive.tables.map((t) => [t.table, t]));
  return knex.transaction(async (trx) => {
    await trx.raw("set local timezone = 'UTC'");
    const migrations = await appliedMigrations(trx);
    if (migrations.join(",") !== header.migrations.join(",")) {
      throw new PleError(
        "MIGRATION_DRIFT",
        `the archive is at schema version ${header.schema_version ?? "(none)"} but the database is at ${migrations.at(-1) ?? "(none)"}; migrate the database to ${header.schema_version ?? "(none)"} first`,
        { details: { archive: header.migrations, database: migrations } },
      );
    }
    const tables = await backupTables(trx);
    const missing = header.tables.filter((t) => !tables.includes(t));
    if (missing.length > 0) {
      throw new PleError("MIGRATION_DRIFT", `the database lacks tables ${missing.join(", ")}`);
    }
    // Rows the migrations themselves seed (e.g. the slot transition table) are not "data":
    // a table counts as holding data when it has rows that differ from the archive's.
    const current = await tableChecksums(trx);
    const holding = current.filter((t) => t.rows > 0 && expected.get(t.table)?.sha256 !== t.sha256);
    if (holding.length > 0 && !options.force) {
      throw new PleError(
        "ALREADY_EXISTS",
        `the database already holds data (${holding.map((t) => `${t.table}: ${t.rows} rows`).join(", ")}); restore with --force to replace it`,
        { details: { tables: holding.map((t) => t.table) } },
      );
    }
    const loading = await holdChecksWhileLoading(trx, tables);
    await trx.raw(`truncate ${tables.map(qualified).join(", ")} restart identity cascade`);
    const { lines } = await openArchive(file);
    let pendingTable: string | null = null;
    let pending: string[] = [];
    const flush = async () => {
      if (pendingTable !== null) await insertRows(trx, pendingTable, pending);
      pending = [];
    };
    for await (const line of lines) {
      if ("row" in line) {
        if (line.table !== pendingTable || pending.length >= INSERT_BATCH) {
          await flush();
          pendingTable = line.table;
        }
        pending.push(line.row);
      } else if (line.type === "sequence") {
        await flush();
        await trx.raw("select setval(?::regclass, ?::bigint, ?)", [
          qualified(line.sequence),
          line.last_value,
          line.is_called,
        ]);
      }
    }
    await flush();
    await loading.resume();
    const restored = await tableChecksums(trx);
    for (const t of archive.tables) {
      const got = restored.find((r) => r.table === t.table);
      if (!got || got.rows !== t.rows || got.sha256 !== t.sha256) {
        throw new PleError(
          "INTERNAL",
          `verification failed for table ${t.table}: restored ${got?.rows ?? 0} rows, the archive has ${t.rows}; nothing was restored`,
        );
      }
    }
    return {
      file,
      schema_version: header.schema_version,
      tables: restored.filter((t) => expected.has(t.table)),
      total_rows: archive.tables.reduce((n, t) => n + t.rows, 0),
      verified: true,
    };
  });
}
