/**
 * Migration 004: version history with "as of" look-ups, the append-only
 * audit log with the transaction's actor, no history for updates that
 * change nothing, and the import-rejects table.
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { createTestDatabase } from "../src/testing.js";
import { connect, row, rows, sqlError } from "./sql-helpers.js";

let db: PleDatabase;
let drop: () => Promise<void>;
let client: pg.Client;

beforeAll(async () => {
  const t = await createTestDatabase();
  db = t.db;
  drop = t.drop;
  client = await connect(t.url);
});
afterAll(async () => {
  await client.end();
  await drop();
});

let serial = 0;

async function one<T>(sql: string, params: unknown[] = []): Promise<T> {
  const result = await client.query(sql, params);
  const first = result.rows[0] as T | undefined;
  if (first === undefined) throw new Error(`no row from: ${sql}`);
  return first;
}

async function newCompany(): Promise<string> {
  serial++;
  const { r } = await one<{ r: { company_uid: string } }>(
    "SELECT marketing.insert_company_with_slots($1, $2, NULL, NULL) AS r",
    [`History ${serial}`, `history-${serial}.com`],
  );
  return r.company_uid;
}

async function newPerson(): Promise<string> {
  serial++;
  const { r } = await one<{ r: { person_id: string } }>(
    "SELECT marketing.insert_person($1, $2) AS r",
    [`Person ${serial}`, `history-person-${serial}@example.com`],
  );
  return r.person_id;
}

/**
 * The database clock now, as text: history uses the server's microseconds,
 * which a JavaScript Date would round to milliseconds.
 */
async function clock(): Promise<string> {
  const { t } = await one<{ t: string }>("SELECT clock_timestamp()::text AS t");
  return t;
}

async function asOf(fn: string, uid: string, at: string): Promise<Array<Record<string, unknown>>> {
  const result = await client.query(`SELECT * FROM marketing.${fn}($1, $2::timestamptz)`, [
    uid,
    at,
  ]);
  return result.rows;
}

async function counts(uid: string): Promise<{ history: number; audit: number }> {
  return one(
    `SELECT (SELECT count(*)::int FROM marketing.company_versions WHERE company_uid = $1) AS history,
            (SELECT count(*)::int FROM marketing.audit_log WHERE table_name = 'company' AND record_key = $1) AS audit`,
    [uid],
  );
}

describe("as of", () => {
  it("company_as_of returns the company as it was at each past time, nothing before or after it existed", async () => {
    const before = await clock();
    const uid = await newCompany();
    const afterCreate = await clock();
    await client.query(
      "UPDATE marketing.company SET company_name = 'Renamed Once' WHERE company_uid = $1",
      [uid],
    );
    const afterFirst = await clock();
    await client.query(
      "UPDATE marketing.company SET company_name = 'Renamed Twice' WHERE company_uid = $1",
      [uid],
    );
    const afterSecond = await clock();

    expect(await asOf("company_as_of", uid, before)).toEqual([]);
    expect((await asOf("company_as_of", uid, afterCreate))[0]).toMatchObject({
      company_uid: uid,
      company_name: `History ${serial}`,
    });
    expect((await asOf("company_as_of", uid, afterFirst))[0]).toMatchObject({
      company_name: "Renamed Once",
    });
    expect((await asOf("company_as_of", uid, afterSecond))[0]).toMatchObject({
      company_name: "Renamed Twice",
    });

    const { updated_at } = await one<{ updated_at: string }>(
      "SELECT updated_at::text AS updated_at FROM marketing.company WHERE company_uid = $1",
      [uid],
    );
    expect((await asOf("company_as_of", uid, updated_at))[0]).toMatchObject({
      company_name: "Renamed Twice",
    });

    await client.query("SELECT marketing.delete_company($1)", [uid]);
    expect(await asOf("company_as_of", uid, await clock())).toEqual([]);
    expect((await asOf("company_as_of", uid, afterSecond))[0]).toMatchObject({
      company_name: "Renamed Twice",
    });
  });

  it("slot_as_of, company_slots_as_of and person_as_of follow links and validation changes", async () => {
    const uid = await newCompany();
    const person = await newPerson();
    const beforeLink = await clock();
    await client.query("SELECT marketing.link_person_to_slot($1, $2)", [person, `SL-${uid}-CFO`]);
    await client.query(
      "UPDATE marketing.people SET validation_status = 'valid' WHERE person_id = $1",
      [person],
    );
    const afterLink = await clock();

    expect((await asOf("slot_as_of", `SL-${uid}-CFO`, beforeLink))[0]).toMatchObject({
      status: "open",
      person_id: null,
    });
    expect((await asOf("slot_as_of", `SL-${uid}-CFO`, afterLink))[0]).toMatchObject({
      status: "filled",
      person_id: person,
    });
    const slots = await asOf("company_slots_as_of", uid, afterLink);
    expect(slots.map((s) => [s.role, s.status])).toEqual([
      ["CEO", "open"],
      ["CFO", "filled"],
      ["HR", "open"],
    ]);
    expect((await asOf("person_as_of", person, beforeLink))[0]).toMatchObject({
      validation_status: "pending",
    });
    expect((await asOf("person_as_of", person, afterLink))[0]).toMatchObject({
      validation_status: "valid",
    });
  });

  it("several changes in one transaction make one version", async () => {
    const uid = await newCompany();
    await client.query("BEGIN");
    await client.query(
      "UPDATE marketing.company SET company_name = 'Step 1' WHERE company_uid = $1",
      [uid],
    );
    await client.query(
      "UPDATE marketing.company SET company_name = 'Step 2' WHERE company_uid = $1",
      [uid],
    );
    await client.query("COMMIT");
    const versions = await rows<{ name: string; current: boolean }>(
      db.knex,
      `SELECT row_data ->> 'company_name' AS name, valid_to = 'infinity' AS current
         FROM marketing.company_versions WHERE company_uid = ? ORDER BY valid_from`,
      [uid],
    );
    expect(versions).toEqual([
      { name: `History ${serial}`, current: false },
      { name: "Step 2", current: true },
    ]);
  });
});

describe("updates that change nothing", () => {
  it("write no history, no audit row and keep updated_at", async () => {
    const uid = await newCompany();
    const before = await counts(uid);
    const stamp = await one<{ updated_at: Date }>(
      "SELECT updated_at FROM marketing.company WHERE company_uid = $1",
      [uid],
    );
    await client.query(
      "UPDATE marketing.company SET company_name = company_name WHERE company_uid = $1",
      [uid],
    );
    // A non-canonical spelling of the same website normalises back to the stored value.
    await client.query(
      "UPDATE marketing.company SET website = 'HTTPS://WWW.' || website || '/' WHERE company_uid = $1",
      [uid],
    );
    await client.query("UPDATE marketing.company_slot SET status = status WHERE company_uid = $1", [
      uid,
    ]);
    expect(await counts(uid)).toEqual(before);
    const after = await one<{ updated_at: Date }>(
      "SELECT updated_at FROM marketing.company WHERE company_uid = $1",
      [uid],
    );
    expect(after.updated_at).toEqual(stamp.updated_at);

    await client.query(
      "UPDATE marketing.company SET company_name = 'Changed' WHERE company_uid = $1",
      [uid],
    );
    expect(await counts(uid)).toEqual({ history: before.history + 1, audit: before.audit + 1 });
  });
});

describe("audit log", () => {
  it("carries the actor, request id and application set with set_config(..., true), and only for that transaction", async () => {
    const uid = await newCompany();
    await client.query("BEGIN");
    await client.query(
      `SELECT set_config('ple.actor', 'apikey:ops', true), set_config('ple.request_id', 'req-42', true),
              set_config('ple.application', 'ple-api', true)`,
    );
    await client.query(
      "UPDATE marketing.company SET apollo_company_id = 'ap-9' WHERE company_uid = $1",
      [uid],
    );
    await client.query("COMMIT");
    await client.query(
      "UPDATE marketing.company SET company_name = 'Later' WHERE company_uid = $1",
      [uid],
    );

    const entries = await rows<Record<string, unknown>>(
      db.knex,
      `SELECT operation, changed_columns, actor, request_id, application, old_values ->> 'apollo_company_id' AS old_apollo,
              new_values ->> 'apollo_company_id' AS new_apollo, txid IS NOT NULL AS has_txid
         FROM marketing.audit_log WHERE table_name = 'company' AND record_key = ? ORDER BY audit_id`,
      [uid],
    );
    expect(entries).toEqual([
      expect.objectContaining({ operation: "INSERT", actor: "db:postgres", has_txid: true }),
      {
        operation: "UPDATE",
        changed_columns: ["apollo_company_id", "updated_at"],
        actor: "apikey:ops",
        request_id: "req-42",
        application: "ple-api",
        old_apollo: null,
        new_apollo: "ap-9",
        has_txid: true,
      },
      expect.objectContaining({
        operation: "UPDATE",
        changed_columns: ["company_name", "updated_at"],
        actor: "db:postgres",
        request_id: null,
        application: "ple-sql-test",
      }),
    ]);
    const history = await one<{ actor: string; request_id: string | null }>(
      `SELECT actor, request_id FROM marketing.company_versions
        WHERE company_uid = $1 AND row_data ->> 'apollo_company_id' = 'ap-9'`,
      [uid],
    );
    expect(history).toEqual({ actor: "apikey:ops", request_id: "req-42" });
  });

  it("records deletes with the old values", async () => {
    const uid = await newCompany();
    await client.query("SELECT marketing.delete_company($1)", [uid]);
    const deletes = await rows<{ table_name: string; old_name: string | null }>(
      db.knex,
      `SELECT table_name, old_values ->> 'company_name' AS old_name FROM marketing.audit_log
        WHERE operation = 'DELETE' AND (record_key = ? OR old_values ->> 'company_uid' = ?) ORDER BY audit_id`,
      [uid, uid],
    );
    expect(deletes.map((d) => d.table_name).sort()).toEqual([
      "company",
      "company_slot",
      "company_slot",
      "company_slot",
    ]);
    expect(deletes.find((d) => d.table_name === "company")?.old_name).toBe(`History ${serial}`);
  });

  it("is append-only: UPDATE, DELETE and TRUNCATE are refused", async () => {
    await newCompany();
    for (const sql of [
      "UPDATE marketing.audit_log SET actor = 'someone else'",
      "DELETE FROM marketing.audit_log",
      "TRUNCATE marketing.audit_log",
    ]) {
      const e = await sqlError(client.query(sql));
      expect(e.code).toBe("42501");
      expect(e.message).toContain("audit_log is append-only");
    }
  });

  it("lets a maintenance transaction (retention, PII erasure) rewrite it", async () => {
    const uid = await newCompany();
    await client.query("BEGIN");
    await client.query("SELECT set_config('ple.audit_maintenance', 'on', true)");
    const r = await client.query(
      "UPDATE marketing.audit_log SET new_values = new_values - 'company_name' WHERE record_key = $1",
      [uid],
    );
    await client.query("COMMIT");
    expect(r.rowCount).toBe(1);
    const e = await sqlError(
      client.query("DELETE FROM marketing.audit_log WHERE record_key = $1", [uid]),
    );
    expect(e.code).toBe("42501");
  });
});

describe("import rejects", () => {
  it("keeps a rejected row with its file, row number, raw text and reason", async () => {
    await client.query(
      `INSERT INTO marketing.import_reject (source_file, row_number, raw_row, error_code, field, message)
       VALUES ('companies.csv', 7, 'Acme,localhost,,', 'VALIDATION_FAILED', 'website', 'localhost is not a public domain')`,
    );
    const stored = await row<Record<string, unknown>>(
      db.knex,
      "SELECT source_file, row_number, raw_row, error_code, field, created_at IS NOT NULL AS dated FROM marketing.import_reject",
    );
    expect(stored).toEqual({
      source_file: "companies.csv",
      row_number: 7,
      raw_row: "Acme,localhost,,",
      error_code: "VALIDATION_FAILED",
      field: "website",
      dated: true,
    });
  });
});
