/**
 * Migration 012: a person's company is the company of their slot (set when empty, refused as
 * PL121 COMPANY_MISMATCH when it differs unless the person is moved), also under 20 concurrent
 * links; the suppression list (HMAC of the erased email and LinkedIn URL) refuses an erased
 * identity at every door with PL122 SUPPRESSED, and adding or removing an entry is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { createTestDatabase } from "../src/testing.js";
import { connect, row, rows, sqlError } from "./sql-helpers.js";

let db: PleDatabase;
let url: string;
let drop: () => Promise<void>;

beforeAll(async () => {
  const t = await createTestDatabase();
  db = t.db;
  url = t.url;
  drop = t.drop;
});
afterAll(async () => {
  await drop();
});

let serial = 0;

async function company(): Promise<{ uid: string; CEO: string; CFO: string; HR: string }> {
  serial++;
  const { r } = await row<{ r: { company_uid: string } }>(
    db.knex,
    "SELECT marketing.insert_company_with_slots(?, ?, NULL, NULL) AS r",
    [`Consistency Co ${serial}`, `consistency-co-${serial}.com`],
  );
  const uid = r.company_uid;
  return { uid, CEO: `SL-${uid}-CEO`, CFO: `SL-${uid}-CFO`, HR: `SL-${uid}-HR` };
}

async function person(companyUid: string | null = null, email?: string): Promise<string> {
  serial++;
  const { r } = await row<{ r: { person_id: string } }>(
    db.knex,
    "SELECT marketing.insert_person(?, ?, NULL, ?) AS r",
    [`Person ${serial}`, email ?? `consistency-${serial}@example.com`, companyUid],
  );
  return r.person_id;
}

async function companyOf(personId: string): Promise<string | null> {
  const { company_uid } = await row<{ company_uid: string | null }>(
    db.knex,
    "SELECT company_uid FROM marketing.people WHERE person_id = ?",
    [personId],
  );
  return company_uid;
}

async function link(personId: string, slotUid: string, move?: boolean): Promise<boolean> {
  const sql =
    move === undefined
      ? "SELECT marketing.link_person_to_slot(?, ?) AS r"
      : "SELECT marketing.link_person_to_slot(?, ?, ?) AS r";
  const args = move === undefined ? [personId, slotUid] : [personId, slotUid, move];
  const { r } = await row<{ r: boolean }>(db.knex, sql, args);
  return r;
}

describe("a person's company is the company of their slot", () => {
  it("linking or proposing a person without a company sets it", async () => {
    const c = await company();
    const [a, b] = [await person(), await person()];
    expect(await link(a, c.CEO)).toBe(true);
    expect(await companyOf(a)).toBe(c.uid);
    await db.knex.raw("SELECT marketing.propose_person_for_slot(?, ?)", [b, c.CFO]);
    expect(await companyOf(b)).toBe(c.uid);
  });

  it("another company is refused with COMPANY_MISMATCH naming both; nothing changes", async () => {
    const [a, b] = [await company(), await company()];
    const p = await person(a.uid);
    const refused = await sqlError(link(p, b.CEO));
    expect(refused).toMatchObject({ code: "PL121", column: "company_uid" });
    expect(refused.message).toContain(a.uid);
    expect(refused.message).toContain(b.uid);
    expect(JSON.parse(refused.detail ?? "{}")).toEqual({
      person_id: p,
      company_uid: a.uid,
      slot_uid: b.CEO,
      slot_company_uid: b.uid,
    });
    expect(
      await sqlError(db.knex.raw("SELECT marketing.propose_person_for_slot(?, ?)", [p, b.CFO])),
    ).toMatchObject({ code: "PL121" });
    expect(await companyOf(p)).toBe(a.uid);
    const slots = await rows<{ status: string }>(
      db.knex,
      "SELECT status FROM marketing.company_slot WHERE company_uid = ?",
      [b.uid],
    );
    expect(slots.map((s) => s.status)).toEqual(["open", "open", "open"]);
  });

  it("move: false is the same refusal", async () => {
    const [a, b] = [await company(), await company()];
    const p = await person(a.uid);
    expect(await sqlError(link(p, b.CEO, false))).toMatchObject({ code: "PL121" });
    expect(await companyOf(p)).toBe(a.uid);
  });

  it("move: true links across companies and audits the company change", async () => {
    const [a, b] = [await company(), await company()];
    const p = await person(a.uid);
    expect(await link(p, b.CEO, true)).toBe(true);
    expect(await companyOf(p)).toBe(b.uid);
    const audit = await rows<{ old: string; new: string; changed: string[] }>(
      db.knex,
      `SELECT old_values->>'company_uid' AS old, new_values->>'company_uid' AS new,
              changed_columns AS changed
         FROM marketing.audit_log
        WHERE table_name = 'people' AND record_key = ? AND operation = 'UPDATE'`,
      [p],
    );
    expect(audit).toEqual([
      { old: a.uid, new: b.uid, changed: expect.arrayContaining(["company_uid"]) },
    ]);
    // The move was for that call only.
    const q = await person(a.uid);
    expect(await sqlError(link(q, b.CFO))).toMatchObject({ code: "PL121" });
  });

  it("a slot holder's company cannot be changed to another company or cleared", async () => {
    const [a, b] = [await company(), await company()];
    const p = await person();
    expect(await link(p, a.HR)).toBe(true);
    for (const next of [b.uid, null]) {
      const refused = await sqlError(
        db.knex.raw("UPDATE marketing.people SET company_uid = ? WHERE person_id = ?", [next, p]),
      );
      expect(refused).toMatchObject({ code: "PL121", column: "company_uid" });
      expect(refused.message).toContain(a.HR);
    }
    await db.knex.raw("SELECT marketing.vacate_slot(?)", [a.HR]);
    await db.knex.raw("UPDATE marketing.people SET company_uid = ? WHERE person_id = ?", [
      b.uid,
      p,
    ]);
    expect(await companyOf(p)).toBe(b.uid);
  });

  it("person_company_mismatch lists rows stored before the rule", async () => {
    const [a, b] = [await company(), await company()];
    const p = await person(a.uid);
    await db.knex.transaction(async (trx) => {
      await trx.raw("SET LOCAL session_replication_role = replica");
      await trx.raw(
        "UPDATE marketing.company_slot SET status = 'filled', person_id = ? WHERE slot_uid = ?",
        [p, b.CEO],
      );
    });
    expect(
      await rows(db.knex, "SELECT * FROM marketing.person_company_mismatch WHERE person_id = ?", [
        p,
      ]),
    ).toEqual([
      {
        person_id: p,
        company_uid: a.uid,
        slot_uid: b.CEO,
        slot_company_uid: b.uid,
        status: "filled",
      },
    ]);
    await db.knex.transaction(async (trx) => {
      await trx.raw("SET LOCAL session_replication_role = replica");
      await trx.raw(
        "UPDATE marketing.company_slot SET status = 'open', person_id = NULL WHERE slot_uid = ?",
        [b.CEO],
      );
    });
  });

  it("20 connections linking one company-less person into 20 companies: one link, its company", async () => {
    const companies: Array<Awaited<ReturnType<typeof company>>> = [];
    for (let i = 0; i < 20; i++) companies.push(await company());
    const p = await person();
    const clients = await Promise.all(companies.map(() => connect(url)));
    try {
      const results = await Promise.all(
        clients.map(async (client, i) => {
          await client.query("BEGIN");
          const r = await client.query<{ r: boolean }>(
            "SELECT marketing.link_person_to_slot($1, $2) AS r",
            [p, companies[i]?.CEO],
          );
          await client.query("SELECT pg_sleep(0.01)");
          await client.query("COMMIT");
          return r.rows[0]?.r;
        }),
      );
      expect(results.filter((r) => r === true)).toHaveLength(1);
      expect(results.filter((r) => r === false)).toHaveLength(19);
      const winner = companies[results.indexOf(true)];
      expect(await companyOf(p)).toBe(winner?.uid);
      expect(await rows(db.knex, "SELECT * FROM marketing.person_company_mismatch")).toEqual([]);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it("20 concurrent links of company A's people into company B: all COMPANY_MISMATCH unless moved", async () => {
    const [a, b] = [await company(), await company()];
    const targets: string[] = [];
    for (let i = 0; i < 7; i++) {
      const c = i === 0 ? b : await company();
      targets.push(c.CEO, c.CFO, c.HR);
    }
    const people: string[] = [];
    for (let i = 0; i < 20; i++) people.push(await person(a.uid));
    const clients = await Promise.all(people.map(() => connect(url)));
    try {
      const results = await Promise.all(
        clients.map(async (client, i) => {
          const move = i % 4 === 0;
          await client.query("BEGIN");
          try {
            const r = await client.query<{ r: boolean }>(
              "SELECT marketing.link_person_to_slot($1, $2, $3) AS r",
              [people[i], targets[i], move],
            );
            await client.query("COMMIT");
            return { move, linked: r.rows[0]?.r, code: undefined };
          } catch (err) {
            await client.query("ROLLBACK");
            return { move, linked: undefined, code: (err as { code?: string }).code };
          }
        }),
      );
      expect(results.filter((r) => !r.move).map((r) => r.code)).toEqual(Array(15).fill("PL121"));
      expect(results.filter((r) => r.move).map((r) => r.linked)).toEqual(Array(5).fill(true));
      for (const [i, person] of people.entries()) {
        const slotCompany = targets[i]?.replace(/^SL-(.*)-[A-Z]+$/, "$1");
        expect(await companyOf(person)).toBe(i % 4 === 0 ? slotCompany : a.uid);
      }
      expect(await rows(db.knex, "SELECT * FROM marketing.person_company_mismatch")).toEqual([]);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });
});

describe("the suppression list", () => {
  async function erase(personId: string) {
    return row<{ r: { status: string } }>(db.knex, "SELECT marketing.erase_person(?, ?) AS r", [
      personId,
      "asked to be forgotten",
    ]);
  }

  it("an erased person's email and LinkedIn URL are refused at insert, in any case", async () => {
    const { r } = await row<{ r: { person_id: string } }>(
      db.knex,
      "SELECT marketing.insert_person(?, ?, ?) AS r",
      ["Zora Quill", "zora.quill@example.org", "https://www.linkedin.com/in/zora-quill"],
    );
    expect((await erase(r.person_id)).r.status).toBe("erased");
    const entries = await rows<{
      kind: string;
      person_id: string;
      reason: string;
      identity_hash: string;
    }>(
      db.knex,
      "SELECT kind, person_id, reason, identity_hash FROM marketing.suppression WHERE person_id = ? ORDER BY kind",
      [r.person_id],
    );
    expect(entries.map((e) => [e.kind, e.reason])).toEqual([
      ["email", "erased"],
      ["linkedin_url", "erased"],
    ]);
    expect(entries.every((e) => /^[0-9a-f]{64}$/.test(e.identity_hash))).toBe(true);
    const { reason } = await row<{ reason: string }>(
      db.knex,
      "SELECT reason FROM marketing.pii_erasure WHERE person_id = ?",
      [r.person_id],
    );
    expect(reason).toBe("asked to be forgotten");

    const again = await sqlError(
      db.knex.raw("SELECT marketing.insert_person(?, ?)", ["Zora Q", "  ZORA.Quill@Example.ORG "]),
    );
    expect(again).toMatchObject({ code: "PL122", column: "email" });
    expect(again.message).not.toContain("zora");
    const byUrl = await sqlError(
      db.knex.raw("SELECT marketing.insert_person(?, ?, ?)", [
        "Zora Q",
        "zq@elsewhere.example",
        "http://linkedin.com/in/zora-quill/",
      ]),
    );
    expect(byUrl).toMatchObject({ code: "PL122", column: "linkedin_url" });
    const other = await person();
    expect(
      await sqlError(
        db.knex.raw("UPDATE marketing.people SET email = ? WHERE person_id = ?", [
          "zora.quill@example.org",
          other,
        ]),
      ),
    ).toMatchObject({ code: "PL122" });
    expect(
      await sqlError(
        db.knex.raw(
          `INSERT INTO marketing.people (person_id, name, email)
           VALUES (marketing.gen_person_uid(), 'Z', 'zora.quill@example.org')`,
        ),
      ),
    ).toMatchObject({ code: "PL122" });
  });

  it("a rejected import row of a suppressed person keeps no copy", async () => {
    await db.knex.raw(
      `INSERT INTO marketing.import_reject (source_file, row_number, raw_row, error_code, field, message)
       VALUES ('people.csv', 2, 'Zora,zora.quill@example.org', 'SUPPRESSED', 'email', 'suppressed')`,
    );
    const { raw_row } = await row<{ raw_row: string }>(
      db.knex,
      "SELECT raw_row FROM marketing.import_reject WHERE source_file = 'people.csv' AND row_number = 2",
    );
    expect(raw_row).toBe("[suppressed]");
  });

  it("suppress_identity and unsuppress_identity add and remove entries, audited without the value", async () => {
    const added = await row<{ r: { status: string; identity_hash: string; kind: string } }>(
      db.knex,
      "SELECT marketing.suppress_identity(?, ?) AS r",
      ["Olga.Objects@Example.com", "objected by phone"],
    );
    expect(added.r).toMatchObject({ status: "added", kind: "email" });
    expect(
      (
        await row<{ r: { status: string } }>(
          db.knex,
          "SELECT marketing.suppress_identity(?, ?) AS r",
          ["olga.objects@example.com", "again"],
        )
      ).r.status,
    ).toBe("exists");
    expect(
      await sqlError(
        db.knex.raw("SELECT marketing.insert_person(?, ?)", ["Olga", "olga.objects@example.com"]),
      ),
    ).toMatchObject({ code: "PL122" });
    expect(
      await sqlError(
        db.knex.raw("SELECT marketing.unsuppress_identity(?, ?)", [
          "olga.objects@example.com",
          " ",
        ]),
      ),
    ).toMatchObject({ code: "PL001", column: "reason" });
    const removed = await row<{ r: { status: string; identity_hash: string } }>(
      db.knex,
      "SELECT marketing.unsuppress_identity(?, ?) AS r",
      ["OLGA.objects@example.com", "consent given again"],
    );
    expect(removed.r).toMatchObject({ status: "removed", identity_hash: added.r.identity_hash });
    const audit = await rows<{ operation: string; values: string }>(
      db.knex,
      `SELECT operation, coalesce(old_values, new_values)::text AS values FROM marketing.audit_log
        WHERE table_name = 'suppression' AND record_key = ? ORDER BY audit_id`,
      [added.r.identity_hash],
    );
    expect(audit.map((a) => a.operation)).toEqual(["INSERT", "DELETE"]);
    expect(audit[1]?.values).toContain("consent given again");
    expect(audit.some((a) => a.values.includes("olga"))).toBe(false);
    await db.knex.raw("SELECT marketing.insert_person(?, ?)", ["Olga", "olga.objects@example.com"]);
  });
});
