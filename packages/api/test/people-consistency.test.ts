/**
 * One company per person through the API (slots.link/propose set it or refuse COMPANY_MISMATCH
 * unless move), erasure over the API (admin; the tombstone; on the embedded database while this
 * server holds it) and the suppression list at people.create.
 */
import { createApiKey, migrateLatest, openDatabase, type PleDatabase } from "@ple/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPleClient } from "../src/client.js";
import { createServer, type PleServer } from "../src/server.js";
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
let admin: Caller;

beforeAll(async () => {
  t = await setupTestApi();
  writer = await t.as("write");
  admin = await t.as("admin");
});
afterAll(async () => {
  await t?.drop();
});

describe("a person's company over the API", () => {
  it("linking sets an empty company, so people.list by company finds the CEO", async () => {
    const c = await seedCompany(writer, 2);
    const [ceo, cfo] = c.people;
    if (!ceo || !cfo) throw new Error("seed");
    expect(ceo.company_uid).toBeNull();
    await writer.slots.link({ slot_uid: c.slot("CEO"), person_id: ceo.person_id });
    await writer.slots.propose({ slot_uid: c.slot("CFO"), person_id: cfo.person_id });
    const listed = await writer.people.list({ company_uid: c.company.company_uid });
    expect(listed.items.map((p) => p.person_id).sort()).toEqual(
      [ceo.person_id, cfo.person_id].sort(),
    );
  });

  it("another company's person: COMPANY_MISMATCH naming both, unless move: true", async () => {
    const a = await seedCompany(writer);
    const b = await seedCompany(writer);
    const { person } = await writer.people.create({
      name: "Moving Person",
      email: `${unique("mover")}@example.com`,
      company_uid: a.company.company_uid,
    });
    const refused = await rejectionOf(
      writer.slots.link({ slot_uid: b.slot("CEO"), person_id: person.person_id }),
    );
    expect(refused.code).toBe("CONFLICT");
    expect(refused.cause).toMatchObject({
      code: "COMPANY_MISMATCH",
      field: "company_uid",
      details: { company_uid: a.company.company_uid, slot_company_uid: b.company.company_uid },
    });
    expect(String(refused.message)).toContain(a.company.company_uid);
    expect(String(refused.message)).toContain(b.company.company_uid);

    const moved = await writer.slots.link({
      slot_uid: b.slot("CEO"),
      person_id: person.person_id,
      move: true,
    });
    expect(moved.slot).toMatchObject({ status: "filled", person_id: person.person_id });
    const after = await writer.people.get({ person_id: person.person_id });
    expect(after.company_uid).toBe(b.company.company_uid);
    const trail = await admin.history.auditTrail({ uid: person.person_id });
    const move = trail.find((e) => e.changed_columns?.includes("company_uid"));
    expect(move).toMatchObject({ operation: "UPDATE", actor: expect.stringMatching(/^ak_/) });
  });
});

describe("people.erase", () => {
  it("is admin only", async () => {
    const c = await seedCompany(writer, 1);
    const id = c.people[0]?.person_id ?? "";
    const refused = await rejectionOf(writer.people.erase({ person_id: id, reason: "test" }));
    expect(refused.code).toBe("FORBIDDEN");
  });

  it("answers the tombstone; the same email in another case is then SUPPRESSED", async () => {
    const handle = unique("erase");
    const { person } = await writer.people.create({
      name: "Erin Erased",
      email: `${handle}@example.com`,
      linkedin_url: `https://www.linkedin.com/in/${handle}`,
    });
    const erased = await admin.people.erase({
      person_id: person.person_id,
      reason: "  GDPR Art. 17 request 42 ",
    });
    expect(erased).toMatchObject({
      status: "erased",
      person_id: person.person_id,
      tombstone: {
        person_id: person.person_id,
        reason: "GDPR Art. 17 request 42",
        actor: expect.stringMatching(/^ak_/),
      },
    });
    expect(JSON.stringify(erased)).not.toContain(handle);
    const again = await admin.people.erase({ person_id: person.person_id, reason: "again" });
    expect(again.status).toBe("already_erased");

    const refused = await rejectionOf(
      writer.people.create({ name: "Erin Again", email: `${handle.toUpperCase()}@Example.COM` }),
    );
    expect(refused.code).toBe("CONFLICT");
    expect(refused.cause).toMatchObject({ code: "SUPPRESSED", field: "email" });
    expect(String(refused.message)).not.toContain(handle);
  });
});

describe("people.erase on the embedded database while the API serves it", () => {
  let db: PleDatabase;
  let api: PleServer;
  let url: string;
  let key: string;

  // Migrating PGlite takes a while on a busy machine: done in the hook (hookTimeout).
  beforeAll(async () => {
    db = await openDatabase({ memory: true });
    await migrateLatest(db);
    key = (await createApiKey(db.knex, { name: "embedded admin", role: "admin" })).key;
    api = createServer({ db });
    url = await api.listen(0);
  });
  afterAll(async () => {
    await api?.close();
    await db?.close();
  });

  it("erases over HTTP and refuses the identity afterwards", async () => {
    const ple = createPleClient({ url, apiKey: key });
    const { person } = await ple.people.create.mutate({
      name: "Embedded Erin",
      email: "embedded.erin@example.com",
    });
    const erased = await ple.people.erase.mutate({
      person_id: person.person_id,
      reason: "asked by email",
    });
    expect(erased).toMatchObject({ status: "erased", tombstone: { reason: "asked by email" } });
    const gone = await ple.people.get.query({ person_id: person.person_id });
    expect(gone).toMatchObject({ name: "Erased person", linkedin_url: null });
    expect(gone.email).not.toContain("embedded.erin");
    const refused = await rejectionOf(
      ple.people.create.mutate({ name: "Erin", email: "Embedded.Erin@example.com" }),
    );
    expect(refused).toMatchObject({ data: { code: "SUPPRESSED", field: "email" } });
  });
});
