/** slots.listOpen, claim, renew, release through the router, with the roles they need. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Caller, rejectionOf, seedCompany, setupTestApi, type TestApi } from "./helpers.js";

let t: TestApi;
let writer: Caller;
let reader: Caller;

beforeAll(async () => {
  t = await setupTestApi();
  writer = await t.as("write");
  reader = await t.as("read");
});
afterAll(async () => {
  await t?.drop();
});

describe("open slots as a work queue", () => {
  it("listOpen pages open slots with companies; next_cursor keeps the role filter", async () => {
    const a = await seedCompany(writer, 1);
    const b = await seedCompany(writer, 0);
    await writer.slots.link({ slot_uid: a.slot("CEO"), person_id: a.people[0]?.person_id ?? "" });
    const first = await reader.slots.listOpen({ role: "CEO", limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.items[0]?.slot.slot_uid).toBe(b.slot("CEO"));
    expect(first.items[0]?.company.company_uid).toBe(b.company.company_uid);
    const all = await reader.slots.listOpen({ limit: 500 });
    expect(all.items.map((i) => i.slot.slot_uid)).not.toContain(a.slot("CEO"));
    expect(all.items.map((i) => i.slot.slot_uid)).toContain(a.slot("CFO"));
    if (first.next_cursor !== null) {
      const rest = await reader.slots.listOpen({ cursor: first.next_cursor });
      expect(rest.items.every((i) => i.slot.role === "CEO")).toBe(true);
      const error = await rejectionOf(
        reader.slots.listOpen({ cursor: first.next_cursor, role: "HR" }),
      );
      expect(error.cause).toMatchObject({ code: "VALIDATION_FAILED", field: "role" });
    }
  });

  it("claim needs a write key; two workers get disjoint leases; release gives slots back", async () => {
    const denied = await rejectionOf(reader.slots.claim({ worker: "r", limit: 1 }));
    expect(denied.cause).toMatchObject({ code: "FORBIDDEN" });
    const one = await writer.slots.claim({
      worker: "one",
      limit: 2,
      role: "CFO",
      lease_seconds: 60,
    });
    const two = await writer.slots.claim({ worker: "two", limit: 50, role: "CFO" });
    const uidsOne = one.claimed.map((c) => c.slot.slot_uid);
    expect(uidsOne).toHaveLength(2);
    for (const c of two.claimed) expect(uidsOne).not.toContain(c.slot.slot_uid);
    expect(one.claimed[0]?.lease.expires_at).toBeInstanceOf(Date);
    const renewed = await writer.slots.renew({
      worker: "one",
      slot_uids: uidsOne,
      lease_seconds: 120,
    });
    expect(renewed.renewed).toHaveLength(2);
    const released = await writer.slots.release({ worker: "one", slot_uids: uidsOne });
    expect(released).toEqual({ released: [...uidsOne].sort(), not_held: [] });
    const error = await rejectionOf(writer.slots.claim({ worker: "", limit: 1 }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(String(error.message)).toContain("worker");
  });
});

describe("list cursors keep their filters", () => {
  it("companies.list next_cursor alone continues the has_open_slots list; people.list by without_slot", async () => {
    for (let i = 0; i < 3; i++) await seedCompany(writer, 0);
    const full = await seedCompany(writer, 3);
    for (const [i, role] of (["CEO", "CFO", "HR"] as const).entries()) {
      await writer.slots.link({
        slot_uid: full.slot(role),
        person_id: full.people[i]?.person_id ?? "",
      });
    }
    const seen: string[] = [];
    let page = await reader.companies.list({ has_open_slots: false, limit: 1 });
    seen.push(...page.items.map((c) => c.company_uid));
    while (page.next_cursor !== null) {
      page = await reader.companies.list({ cursor: page.next_cursor, limit: 1 });
      seen.push(...page.items.map((c) => c.company_uid));
    }
    expect(seen).toEqual([full.company.company_uid]);
    const open = await reader.companies.list({ has_open_slots: true, limit: 1 });
    const mismatch = await rejectionOf(
      reader.companies.list({ cursor: open.next_cursor ?? "", has_open_slots: false }),
    );
    expect(mismatch.cause).toMatchObject({ code: "VALIDATION_FAILED", field: "has_open_slots" });
    const free = await reader.people.list({ without_slot: true, limit: 500 });
    expect(free.items.map((p) => p.person_id)).not.toContain(full.people[0]?.person_id);
  });
});
