/**
 * Migration 017: an UPDATE of company_slot records its changes through one statement-level
 * trigger. The same statements, run on a database at 016 (the four row-level triggers) and on one
 * at 017, must leave the same records: ended leases, change-feed events, slot_event rows, audit
 * rows and superseded versions, including several slots changed by one statement, a change that
 * changes nothing, a displacement and two changes of one slot in one transaction.
 */
import type { Knex } from "knex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { rollbackTo } from "../src/migrations/index.js";
import { createTestDatabase } from "../src/testing.js";
import { rows, sqlError } from "./sql-helpers.js";

interface Db {
  db: PleDatabase;
  drop: () => Promise<void>;
}

let before: Db; // at 016
let after: Db; // at 017

beforeAll(async () => {
  const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  before = a;
  after = b;
  await rollbackTo(before.db, "016");
});
afterAll(async () => {
  await before?.drop();
  await after?.drop();
});

/** The same companies, people and slot changes on either database (UIDs come out the same). */
async function scenario(db: PleDatabase): Promise<void> {
  const knex = db.knex;
  const companies: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const r = await rows<{ r: { company_uid: string } }>(
      knex,
      "SELECT marketing.insert_company_with_slots(?, ?, NULL, NULL) AS r",
      [`Slot Statement ${i}`, `slot-statement-${i}.com`],
    );
    companies.push(r[0]?.r.company_uid ?? "");
  }
  const people: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const r = await rows<{ r: { person_id: string } }>(
      knex,
      "SELECT marketing.insert_person(?, ?) AS r",
      [`Person ${i}`, `slot-statement-${i}@example.com`],
    );
    people.push(r[0]?.r.person_id ?? "");
  }
  const [c1, c2, c3] = companies;
  const [p1, p2, p3, p4, p5] = people;
  const as = async (actor: string, work: (trx: Knex.Transaction) => Promise<void>) =>
    knex.transaction(async (trx) => {
      await trx.raw("SELECT set_config('ple.actor', ?, true)", [actor]);
      await work(trx);
    });
  const update = (trx: Knex.Transaction, values: Array<[string, string, string | null]>) =>
    trx.raw(
      `UPDATE marketing.company_slot AS s SET status = v.status, person_id = v.person_id
         FROM json_to_recordset(?::json) AS v(slot_uid text, status text, person_id text)
        WHERE s.slot_uid = v.slot_uid`,
      [
        JSON.stringify(
          values.map(([slot_uid, status, person_id]) => ({ slot_uid, status, person_id })),
        ),
      ],
    );
  // A lease on c1's CEO slot, ended by the link below.
  await knex.raw(
    "INSERT INTO marketing.slot_lease (slot_uid, worker, expires_at) VALUES (?, 'w1', now() + interval '1 hour')",
    [`SL-${c1}-CEO`],
  );
  // Three links in one statement.
  await as("ops:one", (trx) =>
    update(trx, [
      [`SL-${c1}-CEO`, "filled", p1 ?? null],
      [`SL-${c2}-CFO`, "filled", p2 ?? null],
      [`SL-${c3}-HR`, "pending", p3 ?? null],
    ]).then(() => undefined),
  );
  // A displacement, a vacated slot, a confirmation and a change that changes nothing, in one.
  await as("ops:two", (trx) =>
    update(trx, [
      [`SL-${c1}-CEO`, "filled", p4 ?? null],
      [`SL-${c2}-CFO`, "open", null],
      [`SL-${c3}-HR`, "filled", p3 ?? null],
      [`SL-${c3}-CEO`, "open", null],
    ]).then(() => undefined),
  );
  // Two changes of one slot in one transaction fold into one version; a single-row UPDATE.
  await as("ops:three", async (trx) => {
    await update(trx, [[`SL-${c2}-CFO`, "pending", p5 ?? null]]);
    await update(trx, [[`SL-${c2}-CFO`, "filled", p5 ?? null]]);
  });
  await as("ops:four", async (trx) => {
    await trx.raw("SELECT marketing.vacate_slot(?)", [`SL-${c1}-CEO`]);
  });
}

const STAMPS = ["created_at", "updated_at"];
function unstamped(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !STAMPS.includes(k)));
}

/** Everything the slot changes recorded, without ids, times and transaction ids. */
async function records(db: PleDatabase) {
  const knex = db.knex;
  const audit = await rows<Record<string, unknown>>(
    knex,
    `SELECT operation, record_key, old_values, new_values, changed_columns, actor
       FROM marketing.audit_log WHERE table_name = 'company_slot' AND operation <> 'INSERT'
      ORDER BY record_key, audit_id`,
  );
  const versions = await rows<Record<string, unknown>>(
    knex,
    `SELECT slot_uid, operation, row_data, actor, history_id IS NULL AS current
       FROM marketing.company_slot_versions ORDER BY slot_uid, valid_from`,
  );
  const slotEvents = await rows<Record<string, unknown>>(
    knex,
    `SELECT slot_uid, company_uid, role, event, person_id, previous_person_id, actor
       FROM marketing.slot_event ORDER BY slot_uid, event_id`,
  );
  const feed = await rows<Record<string, unknown>>(
    knex,
    `SELECT type, uids, changes, actor FROM marketing.event
      WHERE type LIKE 'slot.%' ORDER BY uids ->> 'slot_uid', event_id`,
  );
  const positions = await rows<{ n: number; positioned: number }>(
    knex,
    // Every event numbered: positions are gapless, so the clock's head is the number of events.
    `SELECT count(*)::int AS n,
            (SELECT last_position FROM marketing.event_clock)::int AS positioned
       FROM marketing.event`,
  );
  const leases = await rows(knex, "SELECT slot_uid FROM marketing.slot_lease ORDER BY slot_uid");
  return {
    audit: audit.map((a) => ({
      ...a,
      old_values: unstamped(a.old_values),
      new_values: unstamped(a.new_values),
    })),
    versions: versions.map((v) => ({ ...v, row_data: unstamped(v.row_data) })),
    slotEvents,
    feed,
    positions,
    leases,
  };
}

describe("slot changes recorded per statement (017)", () => {
  it("leave the same leases, events, slot log, audit rows and versions as the row triggers of 016", async () => {
    await scenario(before.db);
    await scenario(after.db);
    const old = await records(before.db);
    const now = await records(after.db);
    expect(now).toEqual(old);
    // The scenario did what it says: 3 + 3 + 1 + 1 changes, a displacement as two log rows.
    expect(now.audit).toHaveLength(9);
    expect(now.slotEvents.map((e) => e.event)).toContain("DISPLACED");
    expect(now.feed.map((e) => e.type)).toEqual(
      expect.arrayContaining(["slot.assigned", "slot.displaced", "slot.vacated", "slot.proposed"]),
    );
    expect(now.leases).toEqual([]);
    const [p] = now.positions;
    expect(p?.positioned).toBe(p?.n);
  });

  it("refuses to change a slot's uid, company or role (VALIDATION_FAILED on slot_uid)", async () => {
    const knex = after.db.knex;
    const [slot] = await rows<{ slot_uid: string; company_uid: string }>(
      knex,
      "SELECT slot_uid, company_uid FROM marketing.company_slot WHERE role = 'HR' ORDER BY slot_uid LIMIT 1",
    );
    if (slot === undefined) throw new Error("no slot");
    const [other] = await rows<{ company_uid: string }>(
      knex,
      "SELECT company_uid FROM marketing.company WHERE company_uid <> ? LIMIT 1",
      [slot.company_uid],
    );
    const otherUid = other?.company_uid ?? "";
    const changes: Array<[string, string[]]> = [
      ["role = 'CFO', slot_uid = replace(slot_uid, '-HR', '-CFO')", []],
      ["company_uid = ?, slot_uid = 'SL-' || ? || '-HR'", [otherUid, otherUid]],
    ];
    for (const [set, bindings] of changes) {
      const e = await sqlError(
        knex.raw(`UPDATE marketing.company_slot SET ${set} WHERE slot_uid = ?`, [
          ...bindings,
          slot.slot_uid,
        ]),
      );
      expect(e.code).toBe("PL001");
      expect(e.column).toBe("slot_uid");
      expect(e.message).toContain("never changes");
    }
    const [still] = await rows(
      knex,
      "SELECT company_uid, role FROM marketing.company_slot WHERE slot_uid = ?",
      [slot.slot_uid],
    );
    expect(still).toEqual({ company_uid: slot.company_uid, role: "HR" });
  });
});
