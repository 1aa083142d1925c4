import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Caller, seedCompany, setupTestApi, type TestApi } from "./helpers.js";

let t: TestApi;
let writer: Caller;
let reader: Caller;

beforeAll(async () => {
  t = await setupTestApi();
  writer = await t.as("write", { requestId: "req-history" });
  reader = await t.as("read");
});
afterAll(async () => {
  await t?.drop();
});

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("history", () => {
  it("asOf gives a company's state at a past time, and null before it existed", async () => {
    const before = new Date();
    await pause();
    const c = await seedCompany(writer);
    await pause();
    const between = new Date();
    await pause();
    await writer.companies.update({
      company_uid: c.company.company_uid,
      patch: { company_name: "Renamed Co" },
    });

    const old = await reader.history.asOf({ uid: c.company.company_uid, as_of: between });
    expect(old?.row_data.company_name).toBe(c.company.company_name);
    expect(old?.actor).toBe(t.keys.write.id);
    const now = await reader.history.asOf({ uid: c.company.company_uid, as_of: new Date() });
    expect(now?.row_data.company_name).toBe("Renamed Co");
    expect(await reader.history.asOf({ uid: c.company.company_uid, as_of: before })).toBeNull();

    const versions = await reader.history.versions({ uid: c.company.company_uid });
    expect(versions.map((v) => v.operation)).toEqual(["INSERT", "UPDATE"]);
  });

  it("auditTrail lists a record's changes with actor, request id and changed columns", async () => {
    const c = await seedCompany(writer);
    await writer.companies.update({
      company_uid: c.company.company_uid,
      patch: { company_name: "Audit Co" },
    });
    const trail = await reader.history.auditTrail({ uid: c.company.company_uid });
    expect(trail.map((e) => e.operation)).toEqual(["UPDATE", "INSERT"]);
    expect(trail[0]?.changed_columns).toContain("company_name");
    expect(trail.every((e) => e.actor === t.keys.write.id && e.request_id === "req-history")).toBe(
      true,
    );
  });

  it("slotEvents lists assignment events per slot and per person", async () => {
    const c = await seedCompany(writer, 2);
    const [a, b] = c.people.map((p) => p.person_id);
    if (!a || !b) throw new Error("missing people");
    await writer.slots.link({ slot_uid: c.slot("CEO"), person_id: a });
    await writer.slots.displace({ slot_uid: c.slot("CEO"), person_id: b });
    await writer.slots.vacate({ slot_uid: c.slot("CEO") });

    const bySlot = await reader.history.slotEvents({ slot_uid: c.slot("CEO") });
    expect(bySlot.map((e) => [e.event, e.person_id])).toEqual(
      expect.arrayContaining([
        ["ASSIGNED", a],
        ["DISPLACED", a],
        ["VACATED", b],
      ]),
    );
    expect(bySlot.every((e) => e.actor === t.keys.write.id)).toBe(true);
    const byPerson = await reader.history.slotEvents({ person_id: a });
    expect(byPerson.map((e) => e.event)).toEqual(["ASSIGNED", "DISPLACED"]);
  });

  it("a malformed uid is VALIDATION_FAILED", async () => {
    await expect(reader.history.auditTrail({ uid: "XX-1" as never })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});
