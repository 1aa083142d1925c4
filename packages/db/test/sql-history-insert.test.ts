/**
 * Inserts are recorded per statement (marketing.record_insert, migration 004,
 * from the statement's transition table): each inserted row gets exactly one
 * audit row, with the transaction's actor, request id, application and txid,
 * numbered in the order the statement inserted the rows. Since 015 the audit
 * row carries no values and no history row is stored: the row is its current
 * version, which the versions views show with the insert's actor, request id
 * and txid; later changes in the same transaction still fold into that version.
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../src/testing.js";
import { connect } from "./sql-helpers.js";

let client: pg.Client;
let drop: () => Promise<void>;

beforeAll(async () => {
  const t = await createTestDatabase();
  drop = t.drop;
  client = await connect(t.url);
});
afterAll(async () => {
  await client.end();
  await drop();
});

async function all<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await client.query<T>(sql, params)).rows;
}

describe("inserts recorded per statement", () => {
  it("a many-row statement writes one audit row per row and gives each row one version, with the transaction's settings", async () => {
    await client.query("BEGIN");
    await client.query(
      `SELECT set_config('ple.actor', 'cli:import', true), set_config('ple.request_id', 'req-bulk', true),
              set_config('ple.application', 'ple-cli', true)`,
    );
    const [tx] = await all<{ txid: string }>("SELECT txid_current()::text AS txid");
    const created = await all<{ company_uid: string }>(
      `WITH c AS (
         INSERT INTO marketing.company (company_uid, company_name, website)
         SELECT marketing.gen_company_uid(), 'Many ' || g, 'many' || g || '.example'
           FROM generate_series(1, 5) AS g
         RETURNING company_uid
       ), s AS (
         INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
         SELECT 'SL-' || c.company_uid || '-' || r, c.company_uid, r
           FROM c CROSS JOIN unnest(ARRAY['CEO', 'CFO', 'HR']) AS r
       )
       SELECT company_uid FROM c ORDER BY company_uid`,
    );
    await client.query("COMMIT");
    const uids = created.map((c) => c.company_uid);
    expect(uids).toHaveLength(5);

    const audit = await all<Record<string, unknown>>(
      `SELECT a.table_name, a.record_key, a.operation, a.old_values IS NULL AS no_old,
              a.changed_columns, a.actor, a.request_id, a.application, a.txid::text AS txid,
              a.new_values IS NULL AS no_new
         FROM marketing.audit_log AS a
        WHERE a.record_key = ANY($1) OR a.record_key IN (
                SELECT slot_uid FROM marketing.company_slot WHERE company_uid = ANY($1))
        ORDER BY a.audit_id`,
      [uids],
    );
    expect(audit).toHaveLength(20);
    for (const entry of audit) {
      expect(entry).toMatchObject({
        operation: "INSERT",
        no_old: true,
        changed_columns: null,
        actor: "cli:import",
        request_id: "req-bulk",
        application: "ple-cli",
        txid: tx?.txid,
        no_new: true,
      });
    }
    expect(
      audit
        .filter((a) => a.table_name === "company")
        .map((a) => a.record_key)
        .sort(),
    ).toEqual(uids);

    const versions = await all<Record<string, unknown>>(
      `SELECT h.operation, h.actor, h.request_id, h.txid::text AS txid, h.valid_to = 'infinity' AS current,
              h.valid_from = c.updated_at AS from_updated_at, h.row_data = to_jsonb(c) AS same_row
         FROM marketing.company_versions AS h JOIN marketing.company AS c USING (company_uid)
        WHERE h.company_uid = ANY($1)
       UNION ALL
       SELECT h.operation, h.actor, h.request_id, h.txid::text, h.valid_to = 'infinity',
              h.valid_from = s.updated_at, h.row_data = to_jsonb(s)
         FROM marketing.company_slot_versions AS h JOIN marketing.company_slot AS s USING (slot_uid)
        WHERE s.company_uid = ANY($1)`,
      [uids],
    );
    expect(versions).toHaveLength(20);
    for (const version of versions) {
      expect(version).toEqual({
        operation: "INSERT",
        actor: "cli:import",
        request_id: "req-bulk",
        txid: tx?.txid,
        current: true,
        from_updated_at: true,
        same_row: true,
      });
    }
    const [stored] = await all<{ n: number }>(
      `SELECT (SELECT count(*) FROM marketing.company_history WHERE company_uid = ANY($1))::int
            + (SELECT count(*) FROM marketing.company_slot_history AS h
                 JOIN marketing.company_slot AS s USING (slot_uid) WHERE s.company_uid = ANY($1))::int AS n`,
      [uids],
    );
    expect(stored).toEqual({ n: 0 });
  });

  it("audit ids follow the order the statement inserted its rows, for every table", async () => {
    const created = await all<{ company_uid: string }>(
      `WITH c AS (
         INSERT INTO marketing.company (company_uid, company_name, website)
         SELECT u.uid, 'Order ' || g, 'order' || (10 - g) || '.example'
           FROM generate_series(1, 6) AS g
           JOIN marketing.gen_company_uids(6) WITH ORDINALITY AS u(uid, n) ON u.n = g
          ORDER BY g
         RETURNING company_uid
       ), s AS (
         INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
         SELECT 'SL-' || c.company_uid || '-' || r, c.company_uid, r
           FROM c CROSS JOIN unnest(ARRAY['HR', 'CEO', 'CFO']) AS r
          ORDER BY c.company_uid DESC, r
       )
       SELECT company_uid FROM c`,
    );
    const uids = created.map((c) => c.company_uid).sort();
    expect(uids).toHaveLength(6);
    const people = await all<{ person_id: string; email: string }>(
      `INSERT INTO marketing.people (person_id, name, email)
       SELECT marketing.gen_person_uid(), 'Order ' || g, 'order' || (10 - g) || '@example.com'
         FROM generate_series(1, 4) AS g
        ORDER BY g
       RETURNING person_id, email`,
    );
    const slots = uids
      .slice()
      .reverse()
      .flatMap((uid) => ["CEO", "CFO", "HR"].map((role) => `SL-${uid}-${role}`));
    const personIds = people.map((p) => p.person_id).sort();
    const logged = async (table: string, keys: string[]) =>
      (
        await all<{ record_key: string }>(
          `SELECT record_key FROM marketing.audit_log
            WHERE table_name = $1 AND record_key = ANY($2) ORDER BY audit_id`,
          [table, keys],
        )
      ).map((a) => a.record_key);
    expect(await logged("company", uids)).toEqual(uids);
    expect(await logged("company_slot", slots)).toEqual(slots);
    expect(await logged("people", personIds)).toEqual(personIds);
    const versioned = async (table: string, key: string, keys: string[]) =>
      (
        await all<{ k: string; same_row: boolean }>(
          `SELECT h.${key} AS k, h.row_data = to_jsonb(t) AND h.history_id IS NULL AS same_row
             FROM marketing.${table}_versions AS h JOIN marketing.${table} AS t USING (${key})
            WHERE h.${key} = ANY($1) ORDER BY h.${key} COLLATE "C"`,
          [keys],
        )
      ).map((h) => (h.same_row ? h.k : `${h.k} differs`));
    expect(await versioned("company", "company_uid", uids)).toEqual(uids);
    expect(await versioned("company_slot", "slot_uid", slots)).toEqual(slots.slice().sort());
    expect(await versioned("people", "person_id", personIds)).toEqual(personIds);
    const [peopleAudit] = await all<{ n: number; same: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE a.new_values IS NULL)::int AS no_values
         FROM marketing.audit_log AS a JOIN marketing.people AS p ON p.person_id = a.record_key
        WHERE a.table_name = 'people' AND a.record_key = ANY($1)`,
      [personIds],
    );
    expect(peopleAudit).toEqual({ n: 4, no_values: 4 });
  });

  it("an insert and an update in one transaction make one version; a later transaction a second", async () => {
    await client.query("BEGIN");
    const [c] = await all<{ company_uid: string }>(
      `INSERT INTO marketing.company (company_uid, company_name, website)
       VALUES (marketing.gen_company_uid(), 'Fold', 'fold.example') RETURNING company_uid`,
    );
    const uid = c?.company_uid;
    await client.query(
      "UPDATE marketing.company SET company_name = 'Fold 2' WHERE company_uid = $1",
      [uid],
    );
    await client.query("COMMIT");
    await client.query(
      "UPDATE marketing.company SET company_name = 'Fold 3' WHERE company_uid = $1",
      [uid],
    );
    const versions = await all<{ operation: string; name: string; current: boolean }>(
      `SELECT operation, row_data ->> 'company_name' AS name, valid_to = 'infinity' AS current
         FROM marketing.company_versions WHERE company_uid = $1 ORDER BY valid_from`,
      [uid],
    );
    expect(versions).toEqual([
      { operation: "INSERT", name: "Fold 2", current: false },
      { operation: "UPDATE", name: "Fold 3", current: true },
    ]);
    const audit = await all<{ operation: string }>(
      "SELECT operation FROM marketing.audit_log WHERE record_key = $1 ORDER BY audit_id",
      [uid],
    );
    expect(audit.map((a) => a.operation)).toEqual(["INSERT", "UPDATE", "UPDATE"]);
  });

  it("a statement that inserts nothing writes nothing", async () => {
    const [before] = await all<{ audit: string; history: string }>(
      `SELECT (SELECT count(*) FROM marketing.audit_log)::text AS audit,
              (SELECT count(*) FROM marketing.company_history)::text AS history`,
    );
    await client.query(
      `INSERT INTO marketing.company (company_uid, company_name, website)
       SELECT marketing.gen_company_uid(), 'Again', 'fold.example'
       ON CONFLICT DO NOTHING`,
    );
    const [after] = await all<{ audit: string; history: string }>(
      `SELECT (SELECT count(*) FROM marketing.audit_log)::text AS audit,
              (SELECT count(*) FROM marketing.company_history)::text AS history`,
    );
    expect(after).toEqual(before);
  });
});
