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
  writer = await t.as("write", { requestId: "req-companies-1" });
  reader = await t.as("read");
});
afterAll(async () => {
  await t?.drop();
});

describe("companies", () => {
  it("create makes the company with CEO, CFO and HR slots, all open", async () => {
    const created = await writer.companies.create({
      company_name: "  Globex Corporation ",
      website: "https://WWW.Globex.example.com/about?x=1",
      apollo_company_id: "apollo-globex",
      ein: "12-3456789",
    });
    expect(created.status).toBe("created");
    expect(created.company).toMatchObject({
      company_name: "Globex Corporation",
      website: "globex.example.com",
      apollo_company_id: "apollo-globex",
      ein_raw: "12-3456789",
      ein_valid: true,
    });
    expect(created.company.company_uid).toMatch(/^CO-\d{8}-\d{6}$/);
    expect(created.company.created_at).toBeInstanceOf(Date);
    expect(created.slots.map((s) => [s.role, s.status])).toEqual([
      ["CEO", "open"],
      ["CFO", "open"],
      ["HR", "open"],
    ]);
  });

  it("create is idempotent: another form of a known website answers exists with the same company", async () => {
    const first = await writer.companies.create({
      company_name: "Initech",
      website: "initech.example.com",
    });
    const again = await writer.companies.create({
      company_name: "Initech Inc",
      website: "http://www.initech.example.com./",
    });
    expect(again.status).toBe("exists");
    expect(again.matched_by).toBe("website");
    expect(again.company.company_uid).toBe(first.company.company_uid);
    expect(again.company.company_name).toBe("Initech");
  });

  it("get finds a company by uid, by website in any form, and by Apollo id", async () => {
    const { company } = await writer.companies.create({
      company_name: "Umbrella",
      website: "umbrella.example.com",
      apollo_company_id: "apollo-umbrella",
    });
    for (const by of [
      { company_uid: company.company_uid },
      { website: "HTTPS://www.umbrella.example.com/careers" },
      { apollo_company_id: "apollo-umbrella" },
    ]) {
      const found = await reader.companies.get(by);
      expect(found.company.company_uid).toBe(company.company_uid);
      expect(found.slots).toHaveLength(3);
    }
  });

  it("get of an unknown company is COMPANY_NOT_FOUND naming the field", async () => {
    const error = await rejectionOf(reader.companies.get({ website: "nobody.example.com" }));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.cause).toMatchObject({ code: "COMPANY_NOT_FOUND", field: "website" });
  });

  it("get with two identifiers, or none, is VALIDATION_FAILED", async () => {
    const error = await rejectionOf(
      reader.companies.get({
        company_uid: "CO-20260101-000001",
        website: "a.example.com",
      } as never),
    );
    expect(error.code).toBe("BAD_REQUEST");
  });

  it("list pages through every company once, oldest first, with a cursor", async () => {
    for (let i = 0; i < 5; i++) await seedCompany(writer);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await reader.companies.list({ limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.company_uid));
      cursor = page.next_cursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined && pages < 50);
    const all = await reader.companies.list({ limit: 500 });
    expect(seen).toEqual(all.items.map((c) => c.company_uid));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(8);
  });

  it("list filters by open slots and creation time", async () => {
    const full = await seedCompany(writer, 3);
    for (const [i, role] of (["CEO", "CFO", "HR"] as const).entries()) {
      const person = full.people[i];
      if (!person) throw new Error("missing person");
      await writer.slots.link({ slot_uid: full.slot(role), person_id: person.person_id });
    }
    const withOpen = await reader.companies.list({ limit: 500, has_open_slots: true });
    const withoutOpen = await reader.companies.list({ limit: 500, has_open_slots: false });
    expect(withOpen.items.map((c) => c.company_uid)).not.toContain(full.company.company_uid);
    expect(withoutOpen.items.map((c) => c.company_uid)).toEqual([full.company.company_uid]);
    const future = await reader.companies.list({
      limit: 10,
      created_since: new Date(Date.now() + 60_000),
    });
    expect(future.items).toEqual([]);
  });

  it("search finds companies by a misspelt or partial name, best match first", async () => {
    await writer.companies.create({
      company_name: "Stark Industries",
      website: "stark.example.com",
    });
    await writer.companies.create({
      company_name: "Starkweather Farms",
      website: "starkweather.example.com",
    });
    const hits = await reader.companies.search({ query: "Stark Industrys", limit: 5 });
    expect(hits[0]?.company.company_name).toBe("Stark Industries");
    expect(hits[0]?.score).toBeGreaterThan(0);
    const partial = await reader.companies.search({ query: "weather", limit: 5 });
    expect(partial.map((h) => h.company.company_name)).toContain("Starkweather Farms");
  });

  it("search ranks names containing the query first and falls back to fuzzy matches only when none does", async () => {
    for (const [name, site] of [
      ["Quillfeather Labs", "quillfeather.example.com"],
      ["Quillfeather Labs International", "quillfeather-intl.example.com"],
      ["Quilfeathers Holdings", "quilfeathers.example.com"],
      ["50% Off Outlet_Co", "fifty-off.example.com"],
    ] as const) {
      await writer.companies.create({ company_name: name, website: site });
    }
    // Both names holding the word; the closer (shorter) one first; the near miss is not mixed in.
    const contained = await reader.companies.search({ query: "quillfeather labs", limit: 10 });
    expect(contained.map((h) => h.company.company_name)).toEqual([
      "Quillfeather Labs",
      "Quillfeather Labs International",
    ]);
    expect(contained[0]?.score).toBeGreaterThan(contained[1]?.score ?? 1);
    // No name holds the misspelling: the fuzzy matches, best first, scores in 0..1.
    const fuzzy = await reader.companies.search({ query: "Quilfeathr", limit: 10 });
    expect(fuzzy[0]?.company.company_name).toBe("Quilfeathers Holdings");
    expect(fuzzy.map((h) => h.company.company_name)).toContain("Quillfeather Labs");
    for (const hit of fuzzy) {
      expect(hit.score).toBeGreaterThanOrEqual(0.6);
      expect(hit.score).toBeLessThanOrEqual(1);
    }
    expect(fuzzy.map((h) => h.score)).toEqual([...fuzzy.map((h) => h.score)].sort((a, b) => b - a));
    // LIKE's wildcards are literal; a query without letters or digits still finds its substring.
    const literal = await reader.companies.search({ query: "% Off", limit: 10 });
    expect(literal.map((h) => h.company.company_name)).toEqual(["50% Off Outlet_Co"]);
    expect(
      (await reader.companies.search({ query: "%", limit: 10 })).map((h) => h.company.company_name),
    ).toEqual(["50% Off Outlet_Co"]);
    expect(await reader.companies.search({ query: "Zyxwvutsrq", limit: 10 })).toEqual([]);
    // The limit holds in both phases.
    expect(await reader.companies.search({ query: "quillfeather", limit: 1 })).toHaveLength(1);
    expect(await reader.companies.search({ query: "Quilfeathr", limit: 1 })).toHaveLength(1);
  });

  it("update changes the name; taking another company's website is ALREADY_EXISTS", async () => {
    const a = await seedCompany(writer);
    const b = await seedCompany(writer);
    const renamed = await writer.companies.update({
      company_uid: a.company.company_uid,
      patch: { company_name: "Renamed Ltd" },
    });
    expect(renamed.company_name).toBe("Renamed Ltd");
    const error = await rejectionOf(
      writer.companies.update({
        company_uid: a.company.company_uid,
        patch: { website: `https://${b.company.website}/` },
      }),
    );
    expect(error.code).toBe("CONFLICT");
    expect(error.cause).toMatchObject({ code: "ALREADY_EXISTS", field: "website" });
  });

  it("an empty patch is VALIDATION_FAILED", async () => {
    const a = await seedCompany(writer);
    const error = await rejectionOf(
      writer.companies.update({ company_uid: a.company.company_uid, patch: {} }),
    );
    expect(error.code).toBe("BAD_REQUEST");
  });

  it("delete refuses while a slot is filled, force needs admin, and the company is then gone", async () => {
    const c = await seedCompany(writer, 1);
    const person = c.people[0];
    if (!person) throw new Error("missing person");
    await writer.slots.link({ slot_uid: c.slot("CEO"), person_id: person.person_id });

    const refused = await rejectionOf(
      writer.companies.delete({ company_uid: c.company.company_uid }),
    );
    expect(refused.code).toBe("CONFLICT");
    expect(refused.cause).toMatchObject({ code: "COMPANY_HAS_FILLED_SLOTS" });

    const forbidden = await rejectionOf(
      writer.companies.delete({ company_uid: c.company.company_uid, force: true }),
    );
    expect(forbidden.code).toBe("FORBIDDEN");

    const admin = await t.as("admin");
    const deleted = await admin.companies.delete({
      company_uid: c.company.company_uid,
      force: true,
    });
    expect(deleted).toMatchObject({ company_uid: c.company.company_uid, deleted: true });
    expect(deleted.released).toEqual([{ slot_uid: c.slot("CEO"), person_id: person.person_id }]);
    const gone = await rejectionOf(reader.companies.get({ company_uid: c.company.company_uid }));
    expect(gone.cause).toMatchObject({ code: "COMPANY_NOT_FOUND" });
  });

  it("a company without filled slots is deleted by a write key", async () => {
    const c = await seedCompany(writer);
    const deleted = await writer.companies.delete({ company_uid: c.company.company_uid });
    expect(deleted.deleted).toBe(true);
  });

  it("every change is audited under the API key's id and the request id", async () => {
    const c = await writer.companies.create({
      company_name: "Audited",
      website: `${unique("audited")}.com`,
    });
    const trail = await reader.history.auditTrail({ uid: c.company.company_uid });
    expect(trail.length).toBeGreaterThan(0);
    for (const entry of trail) {
      expect(entry.actor).toBe(t.keys.write.id);
      expect(entry.request_id).toBe("req-companies-1");
      expect(entry.application).toBe("ple-api");
    }
  });

  it("a read key cannot write", async () => {
    const error = await rejectionOf(
      reader.companies.create({ company_name: "Nope", website: "nope.example.com" }),
    );
    expect(error.code).toBe("FORBIDDEN");
  });
});
