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

function person(c: Awaited<ReturnType<typeof seedCompany>>, i: number): string {
  const p = c.people[i];
  if (!p) throw new Error(`no person ${i}`);
  return p.person_id;
}

describe("slots", () => {
  it("list gives a company's CEO, CFO and HR slots; an unknown company is COMPANY_NOT_FOUND", async () => {
    const c = await seedCompany(writer);
    const slots = await reader.slots.list({ company_uid: c.company.company_uid });
    expect(slots.map((s) => s.slot_uid)).toEqual([
      `SL-${c.company.company_uid}-CEO`,
      `SL-${c.company.company_uid}-CFO`,
      `SL-${c.company.company_uid}-HR`,
    ]);
    const error = await rejectionOf(reader.slots.list({ company_uid: "CO-20200101-000001" }));
    expect(error.cause).toMatchObject({ code: "COMPANY_NOT_FOUND", field: "company_uid" });
  });

  it("link fills an open slot; a second person gets SLOT_CONFLICT naming the occupant", async () => {
    const c = await seedCompany(writer, 2);
    const linked = await writer.slots.link({ slot_uid: c.slot("CEO"), person_id: person(c, 0) });
    expect(linked.slot).toMatchObject({ status: "filled", person_id: person(c, 0) });
    expect(linked.changed).toBe(true);

    const error = await rejectionOf(
      writer.slots.link({ slot_uid: c.slot("CEO"), person_id: person(c, 1) }),
    );
    expect(error.code).toBe("CONFLICT");
    expect(error.cause).toMatchObject({
      code: "SLOT_CONFLICT",
      details: { person_id: person(c, 0), status: "filled" },
    });
  });

  it("a person holds one slot at a time: PERSON_ALREADY_LINKED", async () => {
    const c = await seedCompany(writer, 1);
    await writer.slots.link({ slot_uid: c.slot("CEO"), person_id: person(c, 0) });
    const error = await rejectionOf(
      writer.slots.link({ slot_uid: c.slot("CFO"), person_id: person(c, 0) }),
    );
    expect(error.code).toBe("CONFLICT");
    expect(error.cause).toMatchObject({ code: "PERSON_ALREADY_LINKED", field: "person_id" });
  });

  it("propose → confirm fills; propose → reject reopens and names who was rejected", async () => {
    const c = await seedCompany(writer, 2);
    const proposed = await writer.slots.propose({
      slot_uid: c.slot("CFO"),
      person_id: person(c, 0),
    });
    expect(proposed.slot).toMatchObject({ status: "pending", person_id: person(c, 0) });
    const confirmed = await writer.slots.confirm({ slot_uid: c.slot("CFO") });
    expect(confirmed.slot).toMatchObject({ status: "filled", person_id: person(c, 0) });

    await writer.slots.propose({ slot_uid: c.slot("HR"), person_id: person(c, 1) });
    const rejected = await writer.slots.reject({ slot_uid: c.slot("HR") });
    expect(rejected.slot).toMatchObject({ status: "open", person_id: null });
    expect(rejected.released_person_id).toBe(person(c, 1));
  });

  it("vacate (unlink) opens a filled slot; displace swaps the person and names who was displaced", async () => {
    const c = await seedCompany(writer, 2);
    await writer.slots.link({ slot_uid: c.slot("CEO"), person_id: person(c, 0) });
    const displaced = await writer.slots.displace({
      slot_uid: c.slot("CEO"),
      person_id: person(c, 1),
    });
    expect(displaced.slot).toMatchObject({ status: "filled", person_id: person(c, 1) });
    expect(displaced.released_person_id).toBe(person(c, 0));
    const vacated = await writer.slots.vacate({ slot_uid: c.slot("CEO") });
    expect(vacated.slot).toMatchObject({ status: "open", person_id: null });
    expect(vacated.released_person_id).toBe(person(c, 1));
  });

  it("displace with expected_person_id: SLOT_CONFLICT naming the occupant unless it is still there", async () => {
    const c = await seedCompany(writer, 3);
    await writer.slots.link({ slot_uid: c.slot("CFO"), person_id: person(c, 0) });
    const stale = await rejectionOf(
      writer.slots.displace({
        slot_uid: c.slot("CFO"),
        person_id: person(c, 1),
        expected_person_id: person(c, 2),
      }),
    );
    expect(stale.code).toBe("CONFLICT");
    expect(stale.cause).toMatchObject({
      code: "SLOT_CONFLICT",
      field: "expected_person_id",
      details: { person_id: person(c, 0), expected_person_id: person(c, 2) },
    });
    const displaced = await writer.slots.displace({
      slot_uid: c.slot("CFO"),
      person_id: person(c, 1),
      expected_person_id: person(c, 0),
    });
    expect(displaced.slot).toMatchObject({ status: "filled", person_id: person(c, 1) });
    expect(displaced.released_person_id).toBe(person(c, 0));
    const malformed = await rejectionOf(
      writer.slots.displace({
        slot_uid: c.slot("CFO"),
        person_id: person(c, 2),
        expected_person_id: "nobody",
      }),
    );
    expect(malformed.code).toBe("BAD_REQUEST");
  });

  it("a move the state machine forbids is INVALID_TRANSITION with from and event", async () => {
    const c = await seedCompany(writer);
    const confirmOpen = await rejectionOf(writer.slots.confirm({ slot_uid: c.slot("CEO") }));
    expect(confirmOpen.code).toBe("BAD_REQUEST");
    expect(confirmOpen.cause).toMatchObject({ code: "INVALID_TRANSITION" });
    const vacateOpen = await rejectionOf(writer.slots.vacate({ slot_uid: c.slot("CEO") }));
    expect(vacateOpen.cause).toMatchObject({ code: "INVALID_TRANSITION" });
  });

  it("an unknown slot or person is SLOT_NOT_FOUND / PERSON_NOT_FOUND", async () => {
    const c = await seedCompany(writer, 1);
    const noSlot = await rejectionOf(
      writer.slots.link({ slot_uid: "SL-CO-20200101-000001-CEO", person_id: person(c, 0) }),
    );
    expect(noSlot.code).toBe("NOT_FOUND");
    expect(noSlot.cause).toMatchObject({ code: "SLOT_NOT_FOUND" });
    const noPerson = await rejectionOf(
      writer.slots.link({ slot_uid: c.slot("HR"), person_id: "PE-20200101-000001" }),
    );
    expect(noPerson.code).toBe("NOT_FOUND");
    expect(noPerson.cause).toMatchObject({ code: "PERSON_NOT_FOUND" });
  });

  it("a malformed slot uid is VALIDATION_FAILED before any database work", async () => {
    const error = await rejectionOf(writer.slots.confirm({ slot_uid: "SL-nope" as never }));
    expect(error.code).toBe("BAD_REQUEST");
  });
});
