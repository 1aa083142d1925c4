/**
 * Migrations 005 and 016 and the unique constraints: the API's and the imports' look-ups use indexes
 * (EXPLAIN on a few thousand rows, with sequential scans priced out so the
 * answer does not depend on table statistics).
 */
import type { Knex } from "knex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { createTestDatabase } from "../src/testing.js";
import { rows } from "./sql-helpers.js";

let db: PleDatabase;
let drop: () => Promise<void>;

beforeAll(async () => {
  const t = await createTestDatabase();
  db = t.db;
  drop = t.drop;
  await db.knex.raw(
    `SELECT marketing.insert_company_with_slots('Index Co ' || g, 'index-' || g || '.example.com', 'apollo-' || g, NULL)
       FROM generate_series(1, 2000) AS g`,
  );
  await db.knex.raw(
    `SELECT marketing.insert_person('Person ' || g, 'person-' || g || '@example.com',
                                    'https://www.linkedin.com/in/person-' || g)
       FROM generate_series(1, 2000) AS g`,
  );
  await db.knex.raw("ANALYZE");
});
afterAll(async () => {
  await drop();
});

/** The plan of a query as text, sequential scans disabled for this transaction only. */
async function plan(sql: string, bindings: Knex.RawBinding[] = []): Promise<string> {
  return db.knex.transaction(async (trx) => {
    await trx.raw("SET LOCAL enable_seqscan = off");
    const lines = await rows<{ "QUERY PLAN": string }>(trx, `EXPLAIN ${sql}`, bindings);
    return lines.map((l) => l["QUERY PLAN"]).join("\n");
  });
}

describe("look-ups use their indexes", () => {
  const cases: Array<[string, string, Knex.RawBinding[], string]> = [
    [
      "company by website",
      "SELECT * FROM marketing.company WHERE website = ?",
      ["index-7.example.com"],
      "company_website_key",
    ],
    [
      "company by Apollo id",
      "SELECT * FROM marketing.company WHERE apollo_company_id = ?",
      ["apollo-7"],
      "company_apollo_company_id_key",
    ],
    [
      "person by email",
      "SELECT * FROM marketing.people WHERE email = ?",
      ["person-7@example.com"],
      "people_email_key",
    ],
    [
      "person by LinkedIn URL (match_person's identity check, 016)",
      "SELECT person_id FROM marketing.people WHERE linkedin_url = ? AND person_id <> ? ORDER BY person_id LIMIT 1",
      ["https://www.linkedin.com/in/person-7", "PE-20261126-000007"],
      "people_linkedin_url_idx",
    ],
    [
      "people holding a batch's LinkedIn URLs (bulk import, 016)",
      `SELECT r.i, p.person_id
         FROM json_to_recordset(?::json) AS r(i integer, linkedin_url text)
         JOIN marketing.people AS p ON p.linkedin_url = r.linkedin_url`,
      [JSON.stringify([{ i: 0, linkedin_url: "https://www.linkedin.com/in/person-7" }])],
      "people_linkedin_url_idx",
    ],
    [
      "company name search",
      "SELECT * FROM marketing.company WHERE company_name ILIKE ?",
      ["%co 17%"],
      "company_name_trgm_idx",
    ],
    [
      "company name search, fuzzy (word similarity)",
      "SELECT * FROM marketing.company WHERE ? OPERATOR(public.<%) company_name",
      ["Indx Co 17"],
      "company_name_trgm_idx",
    ],
    [
      "person name (any case)",
      "SELECT * FROM marketing.people WHERE lower(name) = lower(?)",
      ["person 7"],
      "people_lower_name_idx",
    ],
    [
      "company page after a cursor",
      "SELECT * FROM marketing.company WHERE (created_at, company_uid) > (now() - interval '1 day', 'CO-00010101-000001') ORDER BY created_at, company_uid LIMIT 50",
      [],
      "company_created_at_uid_idx",
    ],
    [
      "companies with an open CFO slot",
      "SELECT company_uid FROM marketing.company_slot WHERE status = 'open' AND role = 'CFO' AND company_uid = ?",
      ["CO-20261126-000007"],
      "company_slot_open_idx",
    ],
    [
      "a record's audit trail",
      "SELECT * FROM marketing.audit_log WHERE table_name = 'company' AND record_key = ? ORDER BY at",
      ["CO-20261126-000007"],
      "audit_log_record_idx",
    ],
    [
      "a company as of a time",
      "SELECT * FROM marketing.company_history WHERE company_uid = ? AND valid_from <= now() ORDER BY valid_from DESC LIMIT 1",
      ["CO-20261126-000007"],
      "company_history_uid_valid_from_idx",
    ],
    [
      "slot events of a person",
      "SELECT * FROM marketing.slot_event WHERE person_id = ? ORDER BY at",
      ["PE-20261126-000007"],
      "slot_event_person_id_idx",
    ],
  ];

  for (const [what, sql, bindings, index] of cases) {
    it(`${what} → ${index}`, async () => {
      const text = await plan(sql, bindings);
      expect(text).toContain(index);
      expect(text).not.toContain("Seq Scan");
    });
  }

  it("every index of migrations 005 and 016 is valid", async () => {
    const invalid = await rows(
      db.knex,
      `SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'marketing' AND NOT i.indisvalid`,
    );
    expect(invalid).toEqual([]);
  });
});
