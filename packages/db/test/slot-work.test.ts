/**
 * Open slots as a work queue: listing them with their companies, and leases —
 * disjoint under concurrent claims, handed out again once expired, ended when
 * the slot leaves `open` — on the server and on the embedded database.
 */
import {
  type ClaimedSlot,
  isPleError,
  PersonCreateInput,
  SlotClaimInput,
  SlotListOpenInput,
  SlotReleaseInput,
  SlotRenewInput,
} from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import {
  claimSlots,
  createPerson,
  linkPersonToSlot,
  listOpenSlots,
  purgeExpiredSlotLeases,
  releaseSlotLeases,
  renewSlotLeases,
  vacateSlot,
} from "../src/index.js";
import { migrateLatest } from "../src/migrations/runner.js";
import { createEmbeddedTestDatabase, createTestDatabase } from "../src/testing.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `n` companies (3n open slots), named Co 0001 … and created in that order. */
async function seedCompanies(db: PleDatabase, n: number): Promise<void> {
  await db.knex.raw(
    `SELECT marketing.insert_company_with_slots('Co ' || lpad(i::text, 4, '0'), 'co' || i || '.example', NULL, NULL)
       FROM generate_series(1, ?) AS i ORDER BY i`,
    [n],
  );
}

const claim = (db: PleDatabase, input: Record<string, unknown>) =>
  claimSlots(db.knex, SlotClaimInput.parse(input));
const uids = (claimed: ClaimedSlot[]) => claimed.map((c) => c.slot.slot_uid);

describe("open slots and leases on a PostgreSQL server", () => {
  let test: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: PleDatabase;
  beforeAll(async () => {
    test = await createTestDatabase({ poolMax: 12 });
    db = test.db;
    // 334 companies: 1,002 open slots; two are filled below, leaving 1,000.
    await seedCompanies(db, 334);
  });
  afterAll(async () => {
    await test?.drop();
  });

  it("listOpen gives each open slot with its company; the cursor keeps the role filter", async () => {
    const first = await listOpenSlots(db.knex, SlotListOpenInput.parse({ role: "CFO", limit: 2 }));
    expect(first.items).toHaveLength(2);
    expect(first.items.every((i) => i.slot.role === "CFO" && i.slot.status === "open")).toBe(true);
    expect(first.items[0]?.company.company_name).toBe("Co 0001");
    expect(first.items[0]?.slot.company_uid).toBe(first.items[0]?.company.company_uid);
    expect(first.items[0]?.lease).toBeNull();
    const cursor = first.next_cursor;
    expect(cursor).not.toBeNull();
    // The cursor alone continues the CFO list.
    const next = await listOpenSlots(db.knex, SlotListOpenInput.parse({ cursor, limit: 500 }));
    expect(next.items.every((i) => i.slot.role === "CFO")).toBe(true);
    expect(next.items[0]?.company.company_name).toBe("Co 0003");
    expect(next.items).toHaveLength(332);
    expect(next.next_cursor).toBeNull();
    // A different filter with that cursor is refused, naming the filter.
    const mismatch = await listOpenSlots(
      db.knex,
      SlotListOpenInput.parse({ cursor, role: "HR" }),
    ).catch((e: unknown) => e);
    expect(isPleError(mismatch) && mismatch.field).toBe("role");
    const garbage = await listOpenSlots(
      db.knex,
      SlotListOpenInput.parse({ cursor: "bm90IGEgY3Vyc29y" }),
    ).catch((e: unknown) => e);
    expect(isPleError(garbage) && garbage.field).toBe("cursor");
  });

  it("ten workers claiming at once from 1,000 open slots get disjoint sets covering all", async () => {
    // Fill two slots so exactly 1,000 stay open.
    const first = await listOpenSlots(db.knex, SlotListOpenInput.parse({ limit: 2 }));
    for (const [i, item] of first.items.entries()) {
      const { person } = await createPerson(
        db.knex,
        PersonCreateInput.parse({ name: `Filled ${i}`, email: `filled${i}@example.com` }),
      );
      await linkPersonToSlot(db.knex, {
        slot_uid: item.slot.slot_uid,
        person_id: person.person_id,
      });
    }
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, w) =>
        claim(db, { worker: `worker-${w}`, limit: 100, lease_seconds: 600 }),
      ),
    );
    const all = results.flatMap(uids);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(1000);
    for (const [w, claimed] of results.entries()) {
      expect(
        claimed.every((c) => c.lease.worker === `worker-${w}` && c.slot.status === "open"),
      ).toBe(true);
      expect(claimed.every((c) => c.company.company_uid === c.slot.company_uid)).toBe(true);
    }
    // While those leases live, nothing is left to claim.
    expect(await claim(db, { worker: "late", limit: 10 })).toEqual([]);
    const page = await listOpenSlots(db.knex, SlotListOpenInput.parse({ limit: 1 }));
    expect(page.items[0]?.lease?.worker).toMatch(/^worker-\d$/);

    // Releasing gives slots back; only the holder can release or renew.
    const held = uids(results[0] ?? []).slice(0, 3);
    const stranger = await releaseSlotLeases(
      db.knex,
      SlotReleaseInput.parse({ slot_uids: held, worker: "worker-1" }),
    );
    expect(stranger).toEqual({ released: [], not_held: [...held].sort() });
    const renewed = await renewSlotLeases(
      db.knex,
      SlotRenewInput.parse({ slot_uids: held, worker: "worker-0", lease_seconds: 900 }),
    );
    expect(renewed.renewed.map((l) => l.slot_uid)).toEqual([...held].sort());
    expect(renewed.lost).toEqual([]);
    const released = await releaseSlotLeases(
      db.knex,
      SlotReleaseInput.parse({ slot_uids: held, worker: "worker-0" }),
    );
    expect(released.released).toEqual([...held].sort());
    const again = await claim(db, { worker: "late", limit: 10 });
    expect(uids(again).sort()).toEqual([...held].sort());
    await db.knex("marketing.slot_lease").delete();
  });

  it("a slot whose lease expired is handed out again; renewing it then reports it lost", async () => {
    const [mine] = await claim(db, { worker: "slow", limit: 1, lease_seconds: 1 });
    expect(mine).toBeDefined();
    if (mine === undefined) return;
    const meanwhile = await claim(db, { worker: "other", limit: 1 });
    expect(uids(meanwhile)).not.toContain(mine.slot.slot_uid);
    await sleep(1_100);
    const [taken] = await claim(db, { worker: "fast", limit: 1 });
    expect(taken?.slot.slot_uid).toBe(mine.slot.slot_uid);
    expect(taken?.lease.worker).toBe("fast");
    const renewed = await renewSlotLeases(
      db.knex,
      SlotRenewInput.parse({ slot_uids: [mine.slot.slot_uid], worker: "slow" }),
    );
    expect(renewed).toEqual({ renewed: [], lost: [mine.slot.slot_uid] });
    await db.knex("marketing.slot_lease").delete();
  });

  it("a lease never changes the slot and ends when the slot leaves open", async () => {
    const [leased] = await claim(db, { worker: "w", limit: 1, role: "HR" });
    if (leased === undefined) throw new Error("nothing claimed");
    expect(leased.slot.role).toBe("HR");
    const slotRow = await db
      .knex("marketing.company_slot")
      .where({ slot_uid: leased.slot.slot_uid })
      .first();
    expect(slotRow).toMatchObject({ status: "open", person_id: null });
    const { person } = await createPerson(
      db.knex,
      PersonCreateInput.parse({ name: "Hana Researcher", email: "hana@example.com" }),
    );
    await linkPersonToSlot(db.knex, {
      slot_uid: leased.slot.slot_uid,
      person_id: person.person_id,
    });
    expect(await db.knex("marketing.slot_lease").where({ slot_uid: leased.slot.slot_uid })).toEqual(
      [],
    );
    // Vacated, it is open and free again.
    await vacateSlot(db.knex, { slot_uid: leased.slot.slot_uid });
    const [back] = await claim(db, { worker: "w2", limit: 1, role: "HR" });
    expect(back?.slot.slot_uid).toBe(leased.slot.slot_uid);
    await db.knex("marketing.slot_lease").delete();
  });

  it("expired leases are purged; bad claim input names the field", async () => {
    await claim(db, { worker: "p", limit: 2, lease_seconds: 1 });
    await sleep(1_100);
    expect(await purgeExpiredSlotLeases(db.knex, { dryRun: true })).toBe(2);
    expect(await purgeExpiredSlotLeases(db.knex)).toBe(2);
    expect(await db.knex("marketing.slot_lease").count({ n: "*" }).first()).toEqual({ n: "0" });
    const bad = await db.knex
      .raw("SELECT * FROM marketing.claim_open_slots('w', 'CTO', 1, 10)")
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: "PL001", column: "role" });
    expect(SlotClaimInput.safeParse({ worker: " ", limit: 1 }).success).toBe(false);
  });
});

describe("leases on the embedded database (one connection)", () => {
  let db: PleDatabase;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const test = await createEmbeddedTestDatabase({ empty: true });
    db = test.db;
    drop = test.drop;
    await migrateLatest(db);
    await seedCompanies(db, 20);
  });
  afterAll(async () => {
    await drop?.();
  });

  it("claims at once are disjoint and an expired lease is handed out again", async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, w) =>
        claim(db, { worker: `e${w}`, limit: 12, lease_seconds: 1 }),
      ),
    );
    const all = results.flatMap(uids);
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
    expect(await claim(db, { worker: "late", limit: 1 })).toEqual([]);
    await sleep(1_100);
    expect(await claim(db, { worker: "late", limit: 60 })).toHaveLength(60);
    const page = await listOpenSlots(db.knex, SlotListOpenInput.parse({ role: "CEO", limit: 5 }));
    expect(page.items.map((i) => i.lease?.worker)).toEqual([
      "late",
      "late",
      "late",
      "late",
      "late",
    ]);
  });
});
