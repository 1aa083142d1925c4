/**
 * companies.create / people.create with on_existing, IDENTITY_CONFLICT, and companies.merge /
 * people.merge over the router: codes, roles, merged_from and the merge in the history.
 */
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
  writer = await t.as("write", { requestId: "req-merge-1" });
  reader = await t.as("read");
});
afterAll(async () => {
  await t?.drop();
});

describe("create with on_existing", () => {
  it("skip by default; fill sets empty fields; update overwrites; with the changed fields", async () => {
    const site = `${unique("trailing")}.example.com`;
    const first = await writer.companies.create({ company_name: "Trailing Dot", website: site });
    const skip = await writer.companies.create({
      company_name: "Trailing Dot Renamed",
      website: `${site}.`,
      apollo_company_id: "apollo-new-123",
      ein: "12-3456789",
    });
    expect(skip).toMatchObject({ status: "exists", changed: [] });
    expect(skip.company.apollo_company_id).toBeNull();
    const fill = await writer.companies.create({
      company_name: "Trailing Dot Renamed",
      website: `${site}.`,
      apollo_company_id: "apollo-new-123",
      ein: "12-3456789",
      on_existing: "fill",
    });
    expect(fill).toMatchObject({
      status: "updated",
      changed: ["apollo_company_id", "ein"],
      company: { company_uid: first.company.company_uid, company_name: "Trailing Dot" },
    });
    const update = await writer.companies.create({
      company_name: "Trailing Dot Renamed",
      website: site,
      on_existing: "update",
    });
    expect(update).toMatchObject({ status: "updated", changed: ["company_name"] });
    const trail = await reader.history.auditTrail({ uid: first.company.company_uid });
    expect(trail.filter((e) => e.operation === "UPDATE")).toHaveLength(2);
    expect(trail[0]?.request_id).toBe("req-merge-1");
    const again = await writer.companies.create({
      company_name: "Trailing Dot Renamed",
      website: site,
      on_existing: "update",
    });
    expect(again.status).toBe("unchanged");
    expect(await reader.history.auditTrail({ uid: first.company.company_uid })).toHaveLength(
      trail.length,
    );
  });

  it("people.create fills an empty title", async () => {
    const email = `${unique("ann")}@example.com`;
    await writer.people.create({ name: "Ann", email });
    const filled = await writer.people.create({
      name: "Ann B",
      email,
      title: "CFO",
      on_existing: "fill",
    });
    expect(filled).toMatchObject({
      status: "updated",
      changed: ["title"],
      person: { name: "Ann" },
    });
  });

  it("an unknown on_existing is a bad request naming the field", async () => {
    const error = await rejectionOf(
      writer.companies.create({
        company_name: "X",
        website: "x.example.com",
        on_existing: "merge" as never,
      }),
    );
    expect(error.code).toBe("BAD_REQUEST");
    expect(String(error.message)).toContain("on_existing");
  });

  it("a website of one company with the Apollo id of another is IDENTITY_CONFLICT (409)", async () => {
    const a = await seedCompany(writer);
    const b = await writer.companies.create({
      company_name: "Bee",
      website: `${unique("bee")}.example.com`,
      apollo_company_id: unique("apollo-bee"),
    });
    const error = await rejectionOf(
      writer.companies.create({
        company_name: "Either",
        website: a.company.website,
        apollo_company_id: String(b.company.apollo_company_id),
      }),
    );
    expect(error.code).toBe("CONFLICT");
    expect(error.cause).toMatchObject({
      code: "IDENTITY_CONFLICT",
      details: { company_uids: [a.company.company_uid, b.company.company_uid] },
    });
  });
});

describe("merge", () => {
  it("needs the write role", async () => {
    const error = await rejectionOf(
      reader.companies.merge({ keep: "CO-20260101-000001", drop: "CO-20260101-000002" }),
    );
    expect(error.code).toBe("FORBIDDEN");
  });

  it("companies.merge: MERGE_CONFLICT without prefer, then with it; the dropped keys resolve", async () => {
    const keep = await seedCompany(writer, 1);
    const drop = await seedCompany(writer, 1);
    const [kp] = keep.people;
    const [dp] = drop.people;
    if (!kp || !dp) throw new Error("no people");
    await writer.slots.link({ slot_uid: keep.slot("CEO"), person_id: kp.person_id });
    await writer.slots.link({ slot_uid: drop.slot("CEO"), person_id: dp.person_id });
    const ids = { keep: keep.company.company_uid, drop: drop.company.company_uid };
    const conflict = await rejectionOf(writer.companies.merge(ids));
    expect(conflict.code).toBe("CONFLICT");
    expect(conflict.cause).toMatchObject({ code: "MERGE_CONFLICT", field: "prefer" });
    expect(String(conflict.message)).toContain(kp.person_id);
    expect(String(conflict.message)).toContain(dp.person_id);

    const dry = await writer.companies.merge({ ...ids, prefer: { CEO: "drop" }, dry_run: true });
    expect(dry.released).toEqual([expect.objectContaining({ person_id: kp.person_id })]);
    expect((await reader.companies.get({ company_uid: ids.drop })).merged_from).toBeUndefined();
    const merged = await writer.companies.merge({ ...ids, prefer: { CEO: "drop" } });
    expect(merged.company_slots[0]).toMatchObject({ role: "CEO", person_id: dp.person_id });

    const byUid = await reader.companies.get({ company_uid: ids.drop });
    expect(byUid).toMatchObject({ company: { company_uid: ids.keep }, merged_from: ids.drop });
    const bySite = await reader.companies.get({ website: `https://${drop.company.website}/` });
    expect(bySite).toMatchObject({ company: { company_uid: ids.keep }, merged_from: ids.drop });
    const merges = await reader.history.merges({ uid: ids.drop });
    expect(merges).toEqual([
      expect.objectContaining({
        kept_uid: ids.keep,
        dropped_uid: ids.drop,
        actor: expect.any(String),
      }),
    ]);
    expect((await reader.history.versions({ uid: ids.drop })).length).toBeGreaterThan(0);
  });

  it("people.merge: the dropped email resolves to the person kept", async () => {
    const keep = await writer.people.create({ name: "Bo", email: `${unique("bo")}@example.com` });
    const drop = await writer.people.create({ name: "Bo", email: `${unique("bo2")}@example.com` });
    const merged = await writer.people.merge({
      keep: keep.person.person_id,
      drop: drop.person.person_id,
    });
    expect(merged.person.person_id).toBe(keep.person.person_id);
    const found = await reader.people.get({ email: drop.person.email });
    expect(found.person_id).toBe(keep.person.person_id);
  });
});
