/**
 * Database helpers of the suite: a test database per file, counts, and a
 * table-by-table comparison of two databases that maps UIDs to natural keys and
 * ignores what legitimately differs between two runs (timestamps, serial ids,
 * transaction and request ids).
 */
import { type PleDatabase, toPleError } from "@ple/db";
import pg from "pg";

export const MARKETING_TABLES = [
  "company",
  "company_slot",
  "people",
  "company_history",
  "company_slot_history",
  "people_history",
  "audit_log",
  "slot_event",
  "import_reject",
  "api_key",
  "idempotency_key",
  "pii_erasure",
] as const;

export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: "ple-reliability" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function rowCounts(db: PleDatabase): Promise<Record<string, number>> {
  const parts = MARKETING_TABLES.map(
    (t) => `SELECT '${t}' AS t, count(*)::int AS n FROM marketing.${t}`,
  ).join(" UNION ALL ");
  const result = await db.knex.raw<{ rows: Array<{ t: string; n: number }> }>(parts);
  return Object.fromEntries(result.rows.map((r) => [r.t, r.n]));
}

/** Columns whose values differ between two equal runs: time, serial ids, transactions, requests. */
const VOLATILE = new Set([
  "audit_id",
  "history_id",
  "event_id",
  "id",
  "txid",
  "request_id",
  "created_at",
  "updated_at",
  "valid_from",
  "valid_to",
  "at",
  "validated_at",
  "erased_at",
  "last_used_at",
  "revoked_at",
]);

const UID = /\b(?:CO|PE)-\d{8}-\d{6}\b/g;

function normalise(value: unknown, keys: Map<string, string>): unknown {
  if (typeof value === "string") return value.replace(UID, (uid) => keys.get(uid) ?? `?${uid}`);
  if (value instanceof Date) return "<time>";
  if (Array.isArray(value)) return value.map((v) => normalise(v, keys));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (VOLATILE.has(key)) continue;
      out[key] = normalise((value as Record<string, unknown>)[key], keys);
    }
    return out;
  }
  return value;
}

/** Each table's rows as canonical strings (UIDs replaced by website / email), sorted. */
export async function canonicalTables(
  db: PleDatabase,
  tables: readonly string[],
): Promise<Map<string, string[]>> {
  const keys = new Map<string, string>();
  const companies = await db.knex.raw<{ rows: Array<{ company_uid: string; website: string }> }>(
    "SELECT company_uid, website FROM marketing.company",
  );
  for (const c of companies.rows) keys.set(c.company_uid, `company<${c.website}>`);
  const people = await db.knex.raw<{ rows: Array<{ person_id: string; email: string }> }>(
    "SELECT person_id, email FROM marketing.people",
  );
  for (const p of people.rows) keys.set(p.person_id, `person<${p.email}>`);
  const out = new Map<string, string[]>();
  for (const table of tables) {
    const rows = await db.knex.raw<{ rows: Array<Record<string, unknown>> }>(
      `SELECT * FROM marketing.${table}`,
    );
    out.set(table, rows.rows.map((r) => JSON.stringify(normalise(r, keys))).sort());
  }
  return out;
}

export interface TableComparison {
  table: string;
  expected: number;
  actual: number;
  /** Rows of the expected side missing from the actual side. */
  lost: string[];
  /** Rows of the actual side not on the expected side. */
  extra: string[];
}

/** Multiset difference of the canonical rows, table by table. */
export async function compareDatabases(
  expected: PleDatabase,
  actual: PleDatabase,
  tables: readonly string[],
): Promise<TableComparison[]> {
  const [want, got] = await Promise.all([
    canonicalTables(expected, tables),
    canonicalTables(actual, tables),
  ]);
  return tables.map((table) => {
    const a = want.get(table) ?? [];
    const b = got.get(table) ?? [];
    const remaining = new Map<string, number>();
    for (const row of b) remaining.set(row, (remaining.get(row) ?? 0) + 1);
    const lost: string[] = [];
    for (const row of a) {
      const n = remaining.get(row) ?? 0;
      if (n === 0) lost.push(row);
      else remaining.set(row, n - 1);
    }
    const extra = [...remaining].flatMap(([row, n]) => Array<string>(n).fill(row));
    return { table, expected: a.length, actual: b.length, lost, extra };
  });
}

/** The PLE code an error maps to, as the API would report it. */
export function pleCodeOf(error: unknown): string {
  return toPleError(error).code;
}
