import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Caller,
  rejectionOf,
  seedCompany,
  setupTestApi,
  type TestApi,
  unique,
} from "./helpers.js";

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

describe("people", () => {
  it("create normalises and is idempotent by email", async () => {
    const handle = unique("ada");
    const created = await writer.people.create({
      name: "  Ada   Lovelace ",
      email: ` ${handle.toUpperCase()}@Example.COM `,
      linkedin_url: "linkedin.com/in/ada-lovelace/",
      title: "CEO",
    });
    expect(created.status).toBe("created");
    expect(created.person).toMatchObject({
      name: "Ada Lovelace",
      email: `${handle}@example.com`,
      linkedin_url: "https://www.linkedin.com/in/ada-lovelace",
      validation_status: "pending",
      source: "manual",
    });
    expect(created.person.person_id).toMatch(/^PE-\d{8}-\d{6}$/);
    const again = await writer.people.create({
      name: "Someone Else",
      email: `${handle}@example.com`,
    });
    expect(again.status).toBe("exists");
    expect(again.person.person_id).toBe(created.person.person_id);
  });

  it("get finds a person by id or by email in any case; unknown is PERSON_NOT_FOUND", async () => {
    const handle = unique("grace");
    const { person } = await writer.people.create({
      name: "Grace Hopper",
      email: `${handle}@navy.example`,
    });
    expect((await reader.people.get({ person_id: person.person_id })).email).toBe(
      `${handle}@navy.example`,
    );
    expect(
      (await reader.people.get({ email: `${handle.toUpperCase()}@NAVY.example` })).person_id,
    ).toBe(person.person_id);
    const error = await rejectionOf(reader.people.get({ email: "nobody@nowhere.example" }));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.cause).toMatchObject({ code: "PERSON_NOT_FOUND", field: "email" });
  });

  it("a bad email is VALIDATION_FAILED naming the field", async () => {
    const error = await rejectionOf(writer.people.create({ name: "X", email: "not-an-email" }));
    expect(error.code).toBe("BAD_REQUEST");
  });

  it("list filters by company and validation status and pages with a cursor", async () => {
    const c = await seedCompany(writer);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const handle = unique("emp");
      const { person } = await writer.people.create({
        name: `Employee ${i}`,
        email: `${handle}@corp.example`,
        company_uid: c.company.company_uid,
      });
      ids.push(person.person_id);
    }
    const first = await reader.people.list({ company_uid: c.company.company_uid, limit: 2 });
    expect(first.items.map((p) => p.person_id)).toEqual(ids.slice(0, 2));
    expect(first.next_cursor).not.toBeNull();
    const second = await reader.people.list({
      company_uid: c.company.company_uid,
      limit: 2,
      cursor: first.next_cursor ?? undefined,
    });
    expect(second.items.map((p) => p.person_id)).toEqual(ids.slice(2));
    expect(second.next_cursor).toBeNull();
    const valid = await reader.people.list({
      company_uid: c.company.company_uid,
      validation_status: "valid",
    });
    expect(valid.items).toEqual([]);
  });

  it("update applies a patch; another person's email is ALREADY_EXISTS", async () => {
    const a = await writer.people.create({ name: "A Person", email: `${unique("a")}@x.example` });
    const b = await writer.people.create({ name: "B Person", email: `${unique("b")}@x.example` });
    const updated = await writer.people.update({
      person_id: a.person.person_id,
      patch: { title: "Chief Financial Officer" },
    });
    expect(updated.title).toBe("Chief Financial Officer");
    const error = await rejectionOf(
      writer.people.update({ person_id: a.person.person_id, patch: { email: b.person.email } }),
    );
    expect(error.code).toBe("CONFLICT");
    expect(error.cause).toMatchObject({ code: "ALREADY_EXISTS", field: "email" });
  });

  it("setValidation maps a verifier's word, keeps the raw result, and follows the transitions", async () => {
    const { person } = await writer.people.create({
      name: "V Person",
      email: `${unique("v")}@x.example`,
    });
    const checkedAt = new Date("2026-11-01T10:00:00Z");
    const risky = await writer.people.setValidation({
      person_id: person.person_id,
      result: "catch_all",
      provider: "millionverifier",
      checked_at: checkedAt,
    });
    expect(risky).toMatchObject({
      validation_status: "risky",
      validation_result_raw: "catch_all",
      validation_provider: "millionverifier",
    });
    expect(risky.validated_at?.toISOString()).toBe(checkedAt.toISOString());
    const valid = await writer.people.setValidation({
      person_id: person.person_id,
      status: "valid",
    });
    expect(valid.validation_status).toBe("valid");
    const error = await rejectionOf(
      writer.people.setValidation({ person_id: person.person_id, status: "throttled" }),
    );
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.cause).toMatchObject({
      code: "INVALID_TRANSITION",
      details: { from: "valid", to: "throttled" },
    });
  });

  it("slot gives the slot a person holds or is proposed for, else null", async () => {
    const c = await seedCompany(writer, 2);
    const [a, b] = c.people.map((p) => p.person_id);
    if (!a || !b) throw new Error("missing people");
    expect(await reader.people.slot({ person_id: a })).toBeNull();
    await writer.slots.link({ slot_uid: c.slot("CEO"), person_id: a });
    await writer.slots.propose({ slot_uid: c.slot("CFO"), person_id: b });
    expect(await reader.people.slot({ person_id: a })).toMatchObject({
      slot_uid: c.slot("CEO"),
      status: "filled",
    });
    expect(await reader.people.slot({ person_id: b })).toMatchObject({
      slot_uid: c.slot("CFO"),
      status: "pending",
    });
    const error = await rejectionOf(reader.people.slot({ person_id: "PE-20200101-000001" }));
    expect(error.cause).toMatchObject({ code: "PERSON_NOT_FOUND" });
  });
});
