/**
 * Migration 015: history stores superseded versions only. An UPDATE or DELETE stores the
 * version it ends, with who began that version and from when; the versions views add the live
 * row as the current version. Rolling 015 back stores the current versions again (and the
 * INSERT audit rows' values); applying it again gives every reader the same versions.
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { migrateLatest, rollbackTo } from "../src/index.js";
import { createTestDatabase } from "../src/testing.js";
import { connect } from "./sql-helpers.js";

let client: pg.Client;
let db: PleDatabase;
let drop: () => Promise<void>;

beforeAll(async () => {
  const t = await createTestDatabase();
  drop = t.drop;
  db = t.db;
  client = await connect(t.url);
});
afterAll(async () => {
  await client.end();
  await drop();
});

async function all<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await client.query<T>(sql, params)).rows;
}

async function asActor(actor: string, sql: string, params: unknown[] = []) {
  await client.query("BEGIN");
  await client.query("SELECT set_config('ple.actor', $1, true)", [actor]);
  const result = await client.query(sql, params);
  await client.query("COMMIT");
  return result.rows;
}

const VERSION_COLUMNS = `company_uid AS uid, valid_from, valid_to, operation, row_data, actor, request_id, txid::text AS txid`;

describe("superseded versions", () => {
  it("an update stores the version it ends, as its inserter made it; a delete stores the last", async () => {
    const [created] = await asActor(
      "test:ana",
      `INSERT INTO marketing.company (company_uid, company_name, website)
       VALUES (marketing.gen_company_uid(), 'Kept Co', 'kept.example') RETURNING company_uid, created_at`,
    );
    const uid = created?.company_uid as string;
    expect(
      await all("SELECT count(*)::int AS n FROM marketing.company_history WHERE company_uid = $1", [
        uid,
      ]),
    ).toEqual([{ n: 0 }]);

    await asActor(
      "test:bo",
      "UPDATE marketing.company SET company_name = 'Kept Co 2' WHERE company_uid = $1",
      [uid],
    );
    const versions = await all<Record<string, unknown>>(
      `SELECT history_id IS NULL AS live, operation, actor, row_data ->> 'company_name' AS name,
              valid_from, CASE WHEN valid_to = 'infinity' THEN NULL ELSE valid_to END AS valid_to
         FROM marketing.company_versions WHERE company_uid = $1 ORDER BY valid_from`,
      [uid],
    );
    expect(versions).toMatchObject([
      { live: false, operation: "INSERT", actor: "test:ana", name: "Kept Co" },
      { live: true, operation: "UPDATE", actor: "test:bo", name: "Kept Co 2", valid_to: null },
    ]);
    // Contiguous: the stored version began at the insert and ends where the current one begins.
    expect(versions[0]?.valid_from).toEqual(created?.created_at);
    expect(versions[0]?.valid_to).toEqual(versions[1]?.valid_from);

    await asActor("test:cy", "SELECT marketing.delete_company($1)", [uid]);
    const after = await all<{ operation: string; actor: string; name: string; open: boolean }>(
      `SELECT operation, actor, row_data ->> 'company_name' AS name, valid_to = 'infinity' AS open
         FROM marketing.company_versions WHERE company_uid = $1 ORDER BY valid_from`,
      [uid],
    );
    expect(after).toEqual([
      { operation: "INSERT", actor: "test:ana", name: "Kept Co", open: false },
      { operation: "UPDATE", actor: "test:bo", name: "Kept Co 2", open: false },
    ]);
  });

  it("rolling 015 back stores the current versions again; up again reads the same versions", async () => {
    const [c] = await asActor(
      "test:ana",
      `INSERT INTO marketing.company (company_uid, company_name, website)
       VALUES (marketing.gen_company_uid(), 'Trip Co', 'trip.example') RETURNING company_uid`,
    );
    await asActor(
      "test:bo",
      "UPDATE marketing.company SET company_name = 'Trip Co 2' WHERE company_uid = $1",
      [c?.company_uid],
    );
    await asActor(
      "test:ana",
      `INSERT INTO marketing.company (company_uid, company_name, website)
       VALUES (marketing.gen_company_uid(), 'Still Co', 'still.example')`,
    );
    const every = `SELECT ${VERSION_COLUMNS} FROM marketing.company_versions ORDER BY 1, 2`;
    const before = await all(every);
    expect(before.length).toBeGreaterThanOrEqual(3);

    await rollbackTo(db, "014");
    // 014's shape: one stored current version per live company, its values on the INSERT audit row.
    expect(
      await all(`SELECT ${VERSION_COLUMNS} FROM marketing.company_history ORDER BY 1, 2`),
    ).toEqual(before);
    expect(
      await all(
        `SELECT count(*)::int AS n FROM marketing.company AS c
          WHERE (SELECT count(*) FROM marketing.company_history AS h
                  WHERE h.company_uid = c.company_uid AND h.valid_to = 'infinity') <> 1`,
      ),
    ).toEqual([{ n: 0 }]);
    expect(
      await all(
        "SELECT count(*)::int AS n FROM marketing.audit_log WHERE operation = 'INSERT' AND new_values IS NULL",
      ),
    ).toEqual([{ n: 0 }]);

    await migrateLatest(db);
    expect(await all(every)).toEqual(before);
    expect(
      await all(
        "SELECT count(*)::int AS n FROM marketing.company_history WHERE valid_to = 'infinity'",
      ),
    ).toEqual([{ n: 0 }]);
  });
});
