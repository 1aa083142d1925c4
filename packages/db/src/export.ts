/**
 * Export: companies, people or slots as CSV or JSON Lines, streamed with memory
 * flat in the row count. On a PostgreSQL server the rows come from one
 * `COPY (SELECT …) TO STDOUT` (pg-copy-streams); on the embedded database, which
 * has no COPY TO a client stream, from keyset batches of the same SELECT. Both
 * paths select the same text columns (timestamps in UTC as PostgreSQL's ISO
 * form `YYYY-MM-DD HH:MM:SS[.ffffff]+00`, booleans as true/false) in one
 * snapshot, and write them alike (PostgreSQL's
 * CSV quoting: a value is quoted when it holds a comma, quote, CR or LF, or is
 * empty; NULL is an empty unquoted field), so the output is the same byte for
 * byte. Rows come in UID order.
 *
 * The CSV columns are the names `ple import` reads, so an export of companies
 * and people imports back (people: company_name, website and apollo_company_id
 * are their company's, which import finds or creates; title gives the slot).
 * Values are written as stored — no spreadsheet-formula escaping, which would
 * change them on the way back.
 */
import type { ExportInput } from "@ple/core";
import type { Knex } from "knex";
import { to as copyTo } from "pg-copy-streams";
import type { PleDatabase } from "./database.js";
import { mapErrors } from "./errors.js";

// Timestamps and booleans in PostgreSQL's own text form, under TimeZone UTC and DateStyle ISO
// (set for the export's transaction): `2026-11-26 09:30:00.123456+00`, `true`/`false`.
// to_char into a `T…Z` form cost a third of the export's time (measured at 200k rows).
const ts = (column: string) => `${column}::text`;
const bool = (column: string) => `${column}::text`;

/** The export's session settings, local to its transaction. */
const EXPORT_SETTINGS = ["SET LOCAL TimeZone = 'UTC'", "SET LOCAL DateStyle = 'ISO, YMD'"];

interface ExportTable {
  /** Output column → SQL expression (text). */
  columns: ReadonlyArray<readonly [string, string]>;
  from: string;
  /** The unique order key (a UID column). */
  key: string;
}

const TABLES: Record<ExportInput["entity"], ExportTable> = {
  companies: {
    columns: [
      ["company_uid", "c.company_uid"],
      ["company_name", "c.company_name"],
      ["website", "c.website"],
      ["apollo_company_id", "c.apollo_company_id"],
      ["ein_raw", "c.ein_raw"],
      ["ein_valid", bool("c.ein_valid")],
      ["created_at", ts("c.created_at")],
      ["updated_at", ts("c.updated_at")],
    ],
    from: "marketing.company c",
    key: "c.company_uid",
  },
  people: {
    columns: [
      ["person_id", "p.person_id"],
      ["name", "p.name"],
      ["email", "p.email"],
      ["linkedin_url", "p.linkedin_url"],
      ["title", "p.title"],
      ["company_name", "c.company_name"],
      ["website", "c.website"],
      ["apollo_company_id", "c.apollo_company_id"],
      ["slot_uid", "s.slot_uid"],
      ["slot_status", "s.status"],
      ["validation_status", "p.validation_status"],
      ["validation_provider", "p.validation_provider"],
      ["validation_result_raw", "p.validation_result_raw"],
      ["validated_at", ts("p.validated_at")],
      ["source", "p.source"],
      ["created_at", ts("p.created_at")],
      ["updated_at", ts("p.updated_at")],
    ],
    from: `marketing.people p
      LEFT JOIN marketing.company c ON c.company_uid = p.company_uid
      LEFT JOIN marketing.company_slot s ON s.person_id = p.person_id`,
    key: "p.person_id",
  },
  slots: {
    columns: [
      ["slot_uid", "s.slot_uid"],
      ["company_uid", "s.company_uid"],
      ["company_name", "c.company_name"],
      ["website", "c.website"],
      ["role", "s.role"],
      ["status", "s.status"],
      ["person_id", "s.person_id"],
      ["person_name", "p.name"],
      ["person_email", "p.email"],
      ["created_at", ts("s.created_at")],
      ["updated_at", ts("s.updated_at")],
    ],
    from: `marketing.company_slot s
      JOIN marketing.company c ON c.company_uid = s.company_uid
      LEFT JOIN marketing.people p ON p.person_id = s.person_id`,
    key: "s.slot_uid",
  },
};

/** The columns of each export, in order (documented in the CLI's README). */
export const EXPORT_COLUMNS: Record<ExportInput["entity"], readonly string[]> = {
  companies: TABLES.companies.columns.map(([name]) => name),
  people: TABLES.people.columns.map(([name]) => name),
  slots: TABLES.slots.columns.map(([name]) => name),
};

/** The WHERE conditions of the filters, with their bindings. */
function conditions(input: ExportInput): { where: string[]; bindings: Array<string | Date> } {
  const where: string[] = [];
  const bindings: Array<string | Date> = [];
  const role = input.role;
  switch (input.entity) {
    case "companies":
      if (input.open_slots || role !== undefined) {
        where.push(
          `EXISTS (SELECT 1 FROM marketing.company_slot o WHERE o.company_uid = c.company_uid AND o.status = 'open'${role === undefined ? "" : " AND o.role = ?"})`,
        );
        if (role !== undefined) bindings.push(role);
      }
      if (input.since !== undefined) {
        where.push("c.created_at >= ?");
        bindings.push(input.since);
      }
      break;
    case "people":
      if (role !== undefined) {
        where.push("s.role = ?");
        bindings.push(role);
      }
      if (input.since !== undefined) {
        where.push("p.created_at >= ?");
        bindings.push(input.since);
      }
      break;
    case "slots":
      if (input.open_slots) where.push("s.status = 'open'");
      if (role !== undefined) {
        where.push("s.role = ?");
        bindings.push(role);
      }
      if (input.since !== undefined) {
        where.push("s.created_at >= ?");
        bindings.push(input.since);
      }
      break;
    default: {
      const never: never = input.entity;
      throw new Error(`unknown export ${String(never)}`);
    }
  }
  return { where, bindings };
}

/** The export's SELECT (rows as the output's text columns, or one JSON text column). */
function selectSql(input: ExportInput, extraWhere: string | null): string {
  const table = TABLES[input.entity];
  const { where } = conditions(input);
  const all = extraWhere === null ? where : [...where, extraWhere];
  const columns = table.columns.map(([name, expr]) => `${expr} AS ${name}`).join(", ");
  const body = `SELECT ${columns}, ${table.key} AS export_key FROM ${table.from}${all.length > 0 ? ` WHERE ${all.join(" AND ")}` : ""} ORDER BY ${table.key}`;
  const names = table.columns.map(([name]) => `r.${name}`).join(", ");
  return input.format === "jsonl"
    ? `SELECT (SELECT row_to_json(x) FROM (SELECT ${names}) x)::text AS line, r.export_key FROM (${body}) r ORDER BY r.export_key`
    : `SELECT ${names}, r.export_key FROM (${body}) r ORDER BY r.export_key`;
}

/** A CSV field as PostgreSQL's COPY … CSV writes it. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  if (text === "" || /[",\r\n]/.test(text) || text === "\\.") {
    return `"${text.replace(/"/g, '""')}"`;
  }
  return text;
}

export interface ExportSink {
  write(chunk: string | Buffer): boolean;
  once(event: "drain", listener: () => void): unknown;
}

export interface ExportProgress {
  rows: number;
  bytes: number;
}

export interface ExportResult {
  entity: ExportInput["entity"];
  format: ExportInput["format"];
  rows: number;
  bytes: number;
  /** How the rows were read: one COPY (server) or keyset batches (embedded). */
  method: "copy" | "batches";
}

async function put(out: ExportSink, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", resolve));
}

interface CopyConnection {
  query<T>(stream: T): T;
  query(sql: string): Promise<unknown>;
}

const NEWLINE = 0x0a;

function countNewlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

async function exportByCopy(
  knex: Knex,
  input: ExportInput,
  out: ExportSink,
  onProgress: ((p: ExportProgress) => void) | undefined,
): Promise<ExportResult> {
  const { bindings } = conditions(input);
  const names = TABLES[input.entity].columns.map(([name]) => name);
  const select = knex
    .raw(
      selectSql(input, null),
      bindings.map((b) => (b instanceof Date ? b.toISOString() : b)),
    )
    .toQuery();
  // COPY takes no bindings: knex has inlined them as escaped literals (toQuery).
  const projection = input.format === "jsonl" ? "q.line" : names.map((n) => `q.${n}`).join(", ");
  const copy =
    input.format === "jsonl"
      ? // One JSON text per line, unquoted: JSON escapes every control character, so no
        // value can hold the (unused) quote \x01, the delimiter \x02, CR or LF.
        `COPY (SELECT ${projection} FROM (${select}) q) TO STDOUT WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')`
      : `COPY (SELECT ${projection} FROM (${select}) q) TO STDOUT WITH (FORMAT csv, HEADER true)`;
  const client = knex.client as Knex.Client;
  const conn = (await client.acquireConnection()) as CopyConnection;
  let bytes = 0;
  let lines = 0;
  try {
    await conn.query(`BEGIN READ ONLY; ${EXPORT_SETTINGS.join("; ")}`);
    const stream = conn.query(copyTo(copy));
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (onProgress !== undefined) {
        lines += countNewlines(chunk);
        onProgress({ rows: input.format === "csv" ? Math.max(0, lines - 1) : lines, bytes });
      }
      await put(out, chunk);
    }
    await conn.query("COMMIT");
    return {
      entity: input.entity,
      format: input.format,
      rows: Number(stream.rowCount ?? 0),
      bytes,
      method: "copy",
    };
  } catch (err) {
    await Promise.resolve(conn.query("ROLLBACK")).catch(() => {});
    throw err;
  } finally {
    await client.releaseConnection(conn);
  }
}

async function exportByBatches(
  knex: Knex,
  input: ExportInput,
  out: ExportSink,
  onProgress: ((p: ExportProgress) => void) | undefined,
  batchSize: number,
): Promise<ExportResult> {
  const { bindings } = conditions(input);
  const names = TABLES[input.entity].columns.map(([name]) => name);
  const first = selectSql(input, null);
  const next = selectSql(input, `${TABLES[input.entity].key} > ?`);
  let rows = 0;
  let bytes = 0;
  if (input.format === "csv") {
    const header = `${names.map(csvField).join(",")}\n`;
    bytes += Buffer.byteLength(header);
    await put(out, header);
  }
  // One snapshot for every batch, as the server's single COPY has.
  await knex.transaction(
    async (trx) => {
      for (const setting of EXPORT_SETTINGS) await trx.raw(setting);
      let after: string | null = null;
      for (;;) {
        const sql: string = `${after === null ? first : next} LIMIT ${batchSize}`;
        const params: Array<string | Date> = after === null ? bindings : [...bindings, after];
        const result: { rows: Array<Record<string, unknown>> } = await trx.raw(sql, params);
        if (result.rows.length === 0) break;
        let chunk = "";
        for (const row of result.rows) {
          chunk +=
            input.format === "jsonl"
              ? `${String(row.line)}\n`
              : `${names.map((n) => csvField(row[n])).join(",")}\n`;
        }
        rows += result.rows.length;
        bytes += Buffer.byteLength(chunk);
        await put(out, chunk);
        onProgress?.({ rows, bytes });
        after = String(result.rows.at(-1)?.export_key);
        if (result.rows.length < batchSize) break;
      }
    },
    { isolationLevel: "repeatable read", readOnly: true },
  );
  return { entity: input.entity, format: input.format, rows, bytes, method: "batches" };
}

/**
 * Writes the export to `out` (which it does not end), honouring back-pressure:
 * memory stays flat whatever the row count. `onProgress` sees rows and bytes
 * written so far (on a server, rows counted from line ends: a value with a
 * line break counts more than once until the end, where `rows` is exact).
 */
export function exportRecords(
  db: PleDatabase,
  input: ExportInput,
  out: ExportSink,
  options: { onProgress?: (p: ExportProgress) => void; batchSize?: number } = {},
): Promise<ExportResult> {
  return mapErrors(() =>
    db.kind === "server"
      ? exportByCopy(db.knex, input, out, options.onProgress)
      : exportByBatches(db.knex, input, out, options.onProgress, options.batchSize ?? 2_000),
  );
}

/** How many rows the export will write (for a progress bar's total). */
export function exportCount(db: PleDatabase, input: ExportInput): Promise<number> {
  return mapErrors(async () => {
    const table = TABLES[input.entity];
    const { where, bindings } = conditions(input);
    const result = await db.knex.raw<{ rows: Array<{ n: string | number }> }>(
      `SELECT count(*) AS n FROM ${table.from}${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}`,
      bindings,
    );
    return Number(result.rows[0]?.n ?? 0);
  });
}
