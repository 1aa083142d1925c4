/**
 * The slot operations of migration 003: link, propose, confirm, reject,
 * vacate, displace and delete_company; the state machine also holds for
 * direct UPDATEs; one slot per person; the slot events; the link race.
 */
import type { Knex } from "knex";
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

/** A new company; returns its slot UIDs by role. */
async function company(): Promise<{ uid: string; CEO: string; CFO: string; HR: string }> {
  serial++;
  const { r } = await row<{ r: { company_uid: string } }>(
    db.knex,
    "SELECT marketing.insert_company_with_slots(?, ?, NULL, NULL) AS r",
    [`Slot Co ${serial}`, `slot-co-${serial}.com`],
  );
  const uid = r.company_uid;
  return { uid, CEO: `SL-${uid}-CEO`, CFO: `SL-${uid}-CFO`, HR: `SL-${uid}-HR` };
}

async function person(): Promise<string> {
  serial++;
  const { r } = await row<{ r: { person_id: string } }>(
    db.knex,
    "SELECT marketing.insert_person(?, ?) AS r",
    [`Person ${serial}`, `person-${serial}@example.com`],
  );
  return r.person_id;
}

async function link(personId: string, slotUid: string): Promise<boolean> {
  const { r } = await row<{ r: boolean }>(
    db.knex,
    "SELECT marketing.link_person_to_slot(?, ?) AS r",
    [personId, slotUid],
  );
  return r;
}

async function slot(slotUid: string): Promise<{ status: string; person_id: string | null }> {
  return row(db.knex, "SELECT status, person_id FROM marketing.company_slot WHERE slot_uid = ?", [
    slotUid,
  ]);
}

async function call<T>(fn: string, args: Knex.RawBinding[]): Promise<T> {
  const placeholders = args.map(() => "?").join(", ");
  const { r } = await row<{ r: T }>(db.knex, `SELECT marketing.${fn}(${placeholders}) AS r`, args);
  return r;
}

describe("link_person_to_slot", () => {
  it("fills an open slot and answers true, again true when repeated", async () => {
    const c = await company();
    const p = await person();
    expect(await link(p, c.CEO)).toBe(true);
    expect(await slot(c.CEO)).toEqual({ status: "filled", person_id: p });
    expect(await link(p, c.CEO)).toBe(true);
  });

  it("answers false when the slot is taken by someone else or the person holds another slot", async () => {
    const c = await company();
    const [a, b] = [await person(), await person()];
    expect(await link(a, c.CEO)).toBe(true);
    expect(await link(b, c.CEO)).toBe(false);
    expect(await link(a, c.CFO)).toBe(false);
    expect(await slot(c.CEO)).toEqual({ status: "filled", person_id: a });
    expect(await slot(c.CFO)).toEqual({ status: "open", person_id: null });
  });

  it("names the missing or malformed argument", async () => {
    const c = await company();
    const p = await person();
    expect(await sqlError(link("PE-20200101-999999", c.CEO))).toMatchObject({
      code: "PL005",
      column: "person_id",
    });
    expect(await sqlError(link(p, "SL-CO-20200101-999999-CEO"))).toMatchObject({
      code: "PL006",
      column: "slot_uid",
    });
    expect(await sqlError(link(p, "SL-CO-20200101-999999-CTO"))).toMatchObject({
      code: "PL001",
      column: "slot_uid",
      detail: "invalid_role",
    });
    expect(await sqlError(link(c.uid, c.CEO))).toMatchObject({
      code: "PL001",
      column: "person_id",
      detail: "wrong_kind",
    });
  });

  it("20 connections linking different people to one open slot: exactly one true", async () => {
    const c = await company();
    const people: string[] = [];
    for (let i = 0; i < 20; i++) people.push(await person());
    const clients = await Promise.all(people.map(() => connect(url)));
    try {
      const results = await Promise.all(
        clients.map(async (client, i) => {
          await client.query("BEGIN");
          const r = await client.query<{ r: boolean }>(
            "SELECT marketing.link_person_to_slot($1, $2) AS r",
            [people[i], c.CFO],
          );
          await client.query("SELECT pg_sleep(0.01)");
          await client.query("COMMIT");
          return r.rows[0]?.r;
        }),
      );
      expect(results.filter((r) => r === true)).toHaveLength(1);
      expect(results.filter((r) => r === false)).toHaveLength(19);
      const winner = people[results.indexOf(true)];
      expect(await slot(c.CFO)).toEqual({ status: "filled", person_id: winner });
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it("one person linked to different slots by 8 connections at once ends in exactly one", async () => {
    const companies: Array<Awaited<ReturnType<typeof company>>> = [];
    for (let i = 0; i < 8; i++) companies.push(await company());
    const p = await person();
    const clients = await Promise.all(companies.map(() => connect(url)));
    try {
      const results = await Promise.all(
        clients.map(async (client, i) => {
          const r = await client.query<{ r: boolean }>(
            "SELECT marketing.link_person_to_slot($1, $2) AS r",
            [p, companies[i]?.HR],
          );
          return r.rows[0]?.r;
        }),
      );
      expect(results.filter((r) => r === true)).toHaveLength(1);
      const held = await rows(
        db.knex,
        "SELECT slot_uid FROM marketing.company_slot WHERE person_id = ?",
        [p],
      );
      expect(held).toHaveLength(1);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });
});

describe("propose, confirm, reject, vacate, displace", () => {
  it("open → pending → filled → open, and pending → open on reject", async () => {
    const c = await company();
    const [a, b] = [await person(), await person()];
    expect(await call("propose_person_for_slot", [a, c.CEO])).toMatchObject({
      status: "pending",
      person_id: a,
    });
    expect(await call("confirm_slot", [c.CEO])).toMatchObject({ status: "filled", person_id: a });
    expect(await call("vacate_slot", [c.CEO])).toMatchObject({
      status: "open",
      person_id: null,
      vacated_person_id: a,
    });
    await call("propose_person_for_slot", [b, c.CEO]);
    expect(await call("reject_slot", [c.CEO])).toMatchObject({
      status: "open",
      rejected_person_id: b,
    });
    expect(await slot(c.CEO)).toEqual({ status: "open", person_id: null });
  });

  it("displaces explicitly and returns the displaced person", async () => {
    const c = await company();
    const [a, b, other] = [await person(), await person(), await person()];
    await link(a, c.CEO);
    await link(other, c.CFO);
    expect(await call("displace_slot_person", [c.CEO, b])).toMatchObject({
      status: "filled",
      person_id: b,
      displaced_person_id: a,
    });
    expect(await sqlError(call("displace_slot_person", [c.CEO, other]))).toMatchObject({
      code: "PL008",
      column: "person_id",
    });
    expect(await sqlError(call("displace_slot_person", [c.HR, a]))).toMatchObject({
      code: "PL002",
      column: "status",
    });
  });

  it("displaces only the expected occupant: PL003 naming the current one otherwise", async () => {
    const c = await company();
    const [a, b, d] = [await person(), await person(), await person()];
    await link(a, c.CEO);
    const conflict = await sqlError(call("displace_slot_person", [c.CEO, b, d]));
    expect(conflict).toMatchObject({ code: "PL003", column: "expected_person_id" });
    expect(JSON.parse(conflict.detail ?? "{}")).toMatchObject({
      slot_uid: c.CEO,
      person_id: a,
      expected_person_id: d,
    });
    expect(await slot(c.CEO)).toEqual({ status: "filled", person_id: a });
    expect(await call("displace_slot_person", [c.CEO, b, a])).toMatchObject({
      person_id: b,
      displaced_person_id: a,
    });
    // A NULL expectation is the plain displacement.
    expect(await call("displace_slot_person", [c.CEO, d, null])).toMatchObject({
      person_id: d,
      displaced_person_id: b,
    });
  });

  it("20 connections displacing one expected occupant: exactly one wins, 19 PL003", async () => {
    const c = await company();
    const first = await person();
    await link(first, c.HR);
    const people: string[] = [];
    for (let i = 0; i < 20; i++) people.push(await person());
    const clients = await Promise.all(people.map(() => connect(url)));
    try {
      const results = await Promise.all(
        clients.map(async (client, i) => {
          await client.query("BEGIN");
          try {
            await client.query("SELECT marketing.displace_slot_person($1, $2, $3)", [
              c.HR,
              people[i],
              first,
            ]);
            await client.query("SELECT pg_sleep(0.01)");
            await client.query("COMMIT");
            return "ok";
          } catch (err) {
            await client.query("ROLLBACK");
            return String((err as { code?: unknown }).code);
          }
        }),
      );
      expect(results.filter((r) => r === "ok")).toHaveLength(1);
      expect(results.filter((r) => r === "PL003")).toHaveLength(19);
      const winner = people[results.indexOf("ok")];
      expect(await slot(c.HR)).toEqual({ status: "filled", person_id: winner });
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it("refuses moves the state machine does not allow, with PL002 and {from, event}", async () => {
    const c = await company();
    const p = await person();
    const cases: Array<[string, Knex.RawBinding[], string, string]> = [
      ["confirm_slot", [c.CEO], "open", "confirm"],
      ["reject_slot", [c.CEO], "open", "reject"],
      ["vacate_slot", [c.CEO], "open", "vacate"],
    ];
    for (const [fn, args, from, event] of cases) {
      const e = await sqlError(call(fn, args));
      expect(e).toMatchObject({ code: "PL002", column: "status" });
      expect(JSON.parse(e.detail ?? "{}")).toMatchObject({ from, event, slot_uid: c.CEO });
    }
    await call("propose_person_for_slot", [p, c.CEO]);
    const e = await sqlError(call("vacate_slot", [c.CEO]));
    expect(JSON.parse(e.detail ?? "{}")).toMatchObject({ from: "pending", event: "vacate" });
    expect(e.message).toContain("allowed: confirm, reject");
  });

  it("a slot inserted without its uid gets SL-<company>-<role>; one given a uid keeps it (019)", async () => {
    const c = await company();
    await db.knex.raw("DELETE FROM marketing.company_slot WHERE slot_uid IN (?, ?)", [c.CFO, c.HR]);
    await db.knex.raw("INSERT INTO marketing.company_slot (company_uid, role) VALUES (?, 'CFO')", [
      c.uid,
    ]);
    await db.knex.raw(
      "INSERT INTO marketing.company_slot (slot_uid, company_uid, role) VALUES (?, ?, 'HR')",
      [c.HR, c.uid],
    );
    const slots = await rows<{ slot_uid: string; role: string; status: string }>(
      db.knex,
      "SELECT slot_uid, role, status FROM marketing.company_slot WHERE company_uid = ? ORDER BY role",
      [c.uid],
    );
    expect(slots).toEqual([
      { slot_uid: c.CEO, role: "CEO", status: "open" },
      { slot_uid: c.CFO, role: "CFO", status: "open" },
      { slot_uid: c.HR, role: "HR", status: "open" },
    ]);
    // A wrong uid is still refused (company_slot_uid_format); UPDATEs are checked by the
    // transition trigger as before ("the transition trigger also guards direct UPDATEs").
    const wrong = await sqlError(
      db.knex.raw(
        "INSERT INTO marketing.company_slot (slot_uid, company_uid, role) VALUES ('SL-X-CEO', ?, 'CEO')",
        [c.uid],
      ),
    );
    expect(wrong.code).toBe("23514");
  });

  it("propose refuses a taken slot (PL003) and a person who holds another slot (PL008)", async () => {
    const c = await company();
    const [a, b] = [await person(), await person()];
    await link(a, c.CEO);
    expect(await sqlError(call("propose_person_for_slot", [b, c.CEO]))).toMatchObject({
      code: "PL003",
      column: "slot_uid",
    });
    expect(await sqlError(call("propose_person_for_slot", [a, c.CFO]))).toMatchObject({
      code: "PL008",
      column: "person_id",
    });
  });

  it("the transition trigger also guards direct UPDATEs", async () => {
    const c = await company();
    const [a, b] = [await person(), await person()];
    await call("propose_person_for_slot", [a, c.CEO]);
    const e = await sqlError(
      db.knex.raw("UPDATE marketing.company_slot SET person_id = ? WHERE slot_uid = ?", [b, c.CEO]),
    );
    expect(e).toMatchObject({ code: "PL002", column: "status" });
    const check = await sqlError(
      db.knex.raw(
        "UPDATE marketing.company_slot SET status = 'filled', person_id = NULL WHERE slot_uid = ?",
        [c.CFO],
      ),
    );
    expect(check.code).toBe("23514");
    const unique = await sqlError(
      db.knex.raw(
        "UPDATE marketing.company_slot SET status = 'filled', person_id = ? WHERE slot_uid = ?",
        [a, c.HR],
      ),
    );
    expect(unique.message).toContain("company_slot_person_id_key");
  });
});

describe("slot events", () => {
  it("record each transition per slot and per person, with the actor", async () => {
    const c = await company();
    const [a, b] = [await person(), await person()];
    await db.knex.transaction(async (trx) => {
      await trx.raw("SELECT set_config('ple.actor', 'ops:jane', true)");
      await trx.raw("SELECT marketing.link_person_to_slot(?, ?)", [a, c.CEO]);
      await trx.raw("SELECT marketing.displace_slot_person(?, ?)", [c.CEO, b]);
      await trx.raw("SELECT marketing.vacate_slot(?)", [c.CEO]);
    });
    const bySlot = await rows(
      db.knex,
      "SELECT event, person_id, previous_person_id, actor FROM marketing.slot_event WHERE slot_uid = ? ORDER BY event_id",
      [c.CEO],
    );
    expect(bySlot).toEqual([
      { event: "ASSIGNED", person_id: a, previous_person_id: null, actor: "ops:jane" },
      { event: "DISPLACED", person_id: a, previous_person_id: a, actor: "ops:jane" },
      { event: "ASSIGNED", person_id: b, previous_person_id: a, actor: "ops:jane" },
      { event: "VACATED", person_id: b, previous_person_id: b, actor: "ops:jane" },
    ]);
    const forA = await rows<{ event: string }>(
      db.knex,
      "SELECT event FROM marketing.slot_event WHERE person_id = ? ORDER BY event_id",
      [a],
    );
    expect(forA.map((e) => e.event)).toEqual(["ASSIGNED", "DISPLACED"]);
    const e = await sqlError(
      db.knex.raw("DELETE FROM marketing.slot_event WHERE slot_uid = ?", [c.CEO]),
    );
    expect(e.message).toContain("append-only");
  });
});

describe("delete_company", () => {
  it("refuses a company with a filled slot (PL009) unless forced, which vacates first", async () => {
    const c = await company();
    const p = await person();
    await link(p, c.CFO);
    expect(await sqlError(call("delete_company", [c.uid]))).toMatchObject({
      code: "PL009",
      column: "company_uid",
    });
    const direct = await sqlError(
      db.knex.raw("DELETE FROM marketing.company WHERE company_uid = ?", [c.uid]),
    );
    expect(direct.code).toBe("PL009");
    expect(await call("delete_company", [c.uid, true])).toMatchObject({
      deleted: true,
      released: [{ slot_uid: c.CFO, person_id: p }],
    });
    const left = await rows(db.knex, "SELECT 1 FROM marketing.company_slot WHERE company_uid = ?", [
      c.uid,
    ]);
    expect(left).toEqual([]);
    const events = await rows<{ event: string }>(
      db.knex,
      "SELECT event FROM marketing.slot_event WHERE slot_uid = ? ORDER BY event_id",
      [c.CFO],
    );
    expect(events.map((e) => e.event)).toEqual(["ASSIGNED", "VACATED"]);
    expect(await sqlError(call("delete_company", [c.uid]))).toMatchObject({
      code: "PL004",
      column: "company_uid",
    });
  });

  it("a company without people goes at once", async () => {
    const c = await company();
    expect(await call("delete_company", [c.uid])).toMatchObject({ deleted: true, released: [] });
  });
});
