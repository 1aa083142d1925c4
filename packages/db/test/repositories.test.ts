import {
  CompanyCreateInput,
  CompanyListInput,
  CompanySearchInput,
  CompanyUidSchema,
  CompanyUpdateInput,
  isPleError,
  PersonCreateInput,
  PersonIdSchema,
  PersonUpdateInput,
  type PleError,
  SetValidationInput,
  SlotUidSchema,
} from "@ple/core";
import type { Knex } from "knex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queryable } from "../src/database.js";
import {
  auditTrail,
  confirmSlot,
  createCompany,
  createPerson,
  deleteCompany,
  displaceSlotPerson,
  getCompaniesWithSlots,
  getCompany,
  getCompanyWithSlots,
  getPerson,
  historyAsOf,
  linkPersonToSlot,
  listCompanies,
  listHistory,
  listImportRejects,
  listPeople,
  listSlots,
  openDatabase,
  proposePersonForSlot,
  recordImportRejects,
  rejectSlot,
  searchCompanies,
  setValidation,
  slotEvents,
  storedRejectText,
  updateCompany,
  updatePerson,
  vacateSlot,
  withActor,
} from "../src/index.js";
import { createTestDatabase, type TestDatabase } from "../src/testing.js";

let t: TestDatabase;
let q: Queryable;
beforeAll(async () => {
  t = await createTestDatabase();
  q = t.db.knex;
});
afterAll(() => t.drop());

async function caught(promise: Promise<unknown>): Promise<PleError> {
  try {
    await promise;
  } catch (err) {
    if (isPleError(err)) return err;
    throw err;
  }
  throw new Error("expected a PleError, got success");
}

let seq = 0;
async function company(
  name = `Company ${++seq}`,
  website = `company-${seq}-${Date.now()}.example`,
) {
  return createCompany(q, CompanyCreateInput.parse({ company_name: name, website }));
}
async function person(name = `Person ${++seq}`) {
  return (
    await createPerson(
      q,
      PersonCreateInput.parse({ name, email: `p${seq}-${Date.now()}@example.com` }),
    )
  ).person;
}

describe("companies", () => {
  it("creates a company with its three slots, canonical website, idempotently", async () => {
    const created = await createCompany(
      q,
      CompanyCreateInput.parse({
        company_name: "  Acme Widgets ",
        website: "https://www.Acme-Widgets.com/about?x=1",
        apollo_company_id: "apollo-acme",
        ein: "12-3456789",
      }),
    );
    expect(created.status).toBe("created");
    expect(created.company).toMatchObject({
      company_name: "Acme Widgets",
      website: "acme-widgets.com",
      apollo_company_id: "apollo-acme",
      ein_raw: "12-3456789",
      ein_valid: true,
    });
    expect(created.company.company_uid).toMatch(/^CO-\d{8}-\d{6}$/);
    expect(created.slots.map((s) => [s.role, s.status, s.slot_uid])).toEqual(
      ["CEO", "CFO", "HR"].map((role) => [
        role,
        "open",
        `SL-${created.company.company_uid}-${role}`,
      ]),
    );
    const again = await createCompany(
      q,
      CompanyCreateInput.parse({ company_name: "Acme again", website: "acme-widgets.com/" }),
    );
    expect(again).toMatchObject({ status: "exists", matched_by: "website" });
    expect(again.company.company_uid).toBe(created.company.company_uid);
    expect(again.company.company_name).toBe("Acme Widgets");

    for (const by of [
      { company_uid: created.company.company_uid },
      { website: "acme-widgets.com" },
      { apollo_company_id: "apollo-acme" },
    ]) {
      expect((await getCompany(q, by)).company_uid).toBe(created.company.company_uid);
    }
    const withSlots = await getCompanyWithSlots(q, { website: "acme-widgets.com" });
    expect(withSlots.slots).toHaveLength(3);
    const missing = await caught(getCompany(q, { website: "nope.example" }));
    expect(missing).toMatchObject({ code: "COMPANY_NOT_FOUND", field: "website" });
  });

  it("getCompaniesWithSlots: the pool's prepared statement answers as knex does in a transaction", async () => {
    const a = await company();
    const b = await company();
    const uids = [a.company.company_uid, b.company.company_uid, a.company.company_uid];
    const asked = [...uids, "CO-20200101-999999"];
    const pooled = await getCompaniesWithSlots(q, asked);
    const inTransaction = await (q as Knex).transaction((trx) => getCompaniesWithSlots(trx, asked));
    expect([...pooled.keys()].sort()).toEqual(
      [a.company.company_uid, b.company.company_uid].sort(),
    );
    expect(pooled).toEqual(inTransaction);
    expect(pooled.get(a.company.company_uid)).toEqual({ company: a.company, slots: a.slots });
    expect(pooled.get(b.company.company_uid)?.slots.map((s) => s.role)).toEqual([
      "CEO",
      "CFO",
      "HR",
    ]);
    // On a one-connection pool the named statement is visible to the next query.
    const single = await openDatabase({ url: t.db.url, poolMax: 1 });
    const seen: Array<{ sql: string; bindings: unknown }> = [];
    single.knex.on("query", (event: { sql: string; bindings: unknown }) => seen.push(event));
    try {
      expect((await getCompaniesWithSlots(single.knex, asked)).size).toBe(2);
      // knex's query event still reports the statement, with its bindings.
      expect(seen).toHaveLength(1);
      expect(seen[0]?.sql).toContain("ANY($1::text[])");
      expect(seen[0]?.bindings).toEqual([[a.company.company_uid, b.company.company_uid, asked[3]]]);
      expect((await getCompaniesWithSlots(single.knex, [b.company.company_uid])).size).toBe(1);
      const prepared = await single.knex.raw<{ rows: Array<{ name: string }> }>(
        "SELECT name FROM pg_prepared_statements",
      );
      expect(prepared.rows.map((r) => r.name)).toContain("ple_companies_with_slots_v1");
    } finally {
      await single.close();
    }
  });

  it("pages through companies with an opaque keyset cursor and filters on open slots", async () => {
    const mine: string[] = [];
    const since = new Date(Date.now() - 1000);
    for (let i = 0; i < 5; i++) mine.push((await company()).company.company_uid);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listCompanies(
        q,
        CompanyListInput.parse({ limit: 2, created_since: since, ...(cursor ? { cursor } : {}) }),
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.company_uid));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 20);
    expect(seen.filter((uid) => mine.includes(uid))).toEqual(mine);
    expect(new Set(seen).size).toBe(seen.length);

    const full = await company();
    const p1 = await person();
    const p2 = await person();
    const p3 = await person();
    for (const [slot, p] of full.slots.map((s, i) => [s, [p1, p2, p3][i]] as const)) {
      if (p) await linkPersonToSlot(q, { slot_uid: slot.slot_uid, person_id: p.person_id });
    }
    const noOpen = await listCompanies(
      q,
      CompanyListInput.parse({ limit: 500, has_open_slots: false }),
    );
    expect(noOpen.items.map((c) => c.company_uid)).toContain(full.company.company_uid);
    const open = await listCompanies(
      q,
      CompanyListInput.parse({ limit: 500, has_open_slots: true }),
    );
    expect(open.items.map((c) => c.company_uid)).not.toContain(full.company.company_uid);

    const bad = await caught(listCompanies(q, CompanyListInput.parse({ cursor: "not-a-cursor" })));
    expect(bad).toMatchObject({ code: "VALIDATION_FAILED", field: "cursor" });
  });

  it("searches names by trigram similarity, best match first", async () => {
    await company("Initech Software", "initech.example");
    await company("Initrode Holdings", "initrode.example");
    await company("Globex Corporation", "globex.example");
    const hits = await searchCompanies(q, CompanySearchInput.parse({ query: "initech softwar" }));
    expect(hits[0]?.company.company_name).toBe("Initech Software");
    expect(hits[0]?.score).toBeGreaterThan(0.3);
    expect(hits.map((h) => h.company.company_name)).not.toContain("Globex Corporation");
    const partial = await searchCompanies(q, CompanySearchInput.parse({ query: "globex" }));
    expect(partial.map((h) => h.company.company_name)).toContain("Globex Corporation");
  });

  it("updates a company and names the field of a conflict", async () => {
    const a = await company();
    const b = await company();
    const updated = await updateCompany(
      q,
      CompanyUpdateInput.parse({
        company_uid: a.company.company_uid,
        patch: { company_name: "Renamed Co", ein: "00-1234567" },
      }),
    );
    expect(updated).toMatchObject({
      company_name: "Renamed Co",
      ein_raw: "00-1234567",
      ein_valid: false,
    });
    const taken = await caught(
      updateCompany(
        q,
        CompanyUpdateInput.parse({
          company_uid: a.company.company_uid,
          patch: { website: b.company.website },
        }),
      ),
    );
    expect(taken).toMatchObject({ code: "ALREADY_EXISTS", field: "website" });
    expect(taken.message).not.toMatch(/UPDATE|marketing\./);
    const gone = await caught(
      updateCompany(
        q,
        CompanyUpdateInput.parse({
          company_uid: "CO-20200101-000001",
          patch: { company_name: "X" },
        }),
      ),
    );
    expect(gone).toMatchObject({ code: "COMPANY_NOT_FOUND", field: "company_uid" });
  });

  it("refuses to delete a company with a filled slot unless forced", async () => {
    const c = await company();
    const p = await person();
    const ceo = c.slots[0];
    if (!ceo) throw new Error("no CEO slot");
    await linkPersonToSlot(q, { slot_uid: ceo.slot_uid, person_id: p.person_id });
    const refused = await caught(
      deleteCompany(q, { company_uid: c.company.company_uid, force: false }),
    );
    expect(refused).toMatchObject({ code: "COMPANY_HAS_FILLED_SLOTS", field: "company_uid" });
    expect(refused.details).toMatchObject({ slot_uid: ceo.slot_uid, person_id: p.person_id });
    const deleted = await deleteCompany(q, { company_uid: c.company.company_uid, force: true });
    expect(deleted).toMatchObject({
      deleted: true,
      released: [{ slot_uid: ceo.slot_uid, person_id: p.person_id }],
    });
    expect(await q("marketing.company_slot").where({ company_uid: c.company.company_uid })).toEqual(
      [],
    );
    const empty = await company();
    expect(
      (await deleteCompany(q, { company_uid: empty.company.company_uid, force: false })).deleted,
    ).toBe(true);
    const missing = await caught(
      deleteCompany(q, { company_uid: CompanyUidSchema.parse("CO-20200101-000002"), force: false }),
    );
    expect(missing).toMatchObject({ code: "COMPANY_NOT_FOUND", field: "company_uid" });
  });
});

describe("people", () => {
  it("creates a person idempotently by normalised email, updates, lists", async () => {
    const c = await company();
    const input = PersonCreateInput.parse({
      name: " Ada Lovelace ",
      email: " Ada.Lovelace@Example.COM ",
      linkedin_url: "linkedin.com/in/ada-lovelace/",
      company_uid: c.company.company_uid,
      title: "CEO",
      source: "csv",
    });
    const created = await createPerson(q, input);
    expect(created.status).toBe("created");
    expect(created.person).toMatchObject({
      name: "Ada Lovelace",
      email: "ada.lovelace@example.com",
      linkedin_url: "https://www.linkedin.com/in/ada-lovelace",
      validation_status: "pending",
      company_uid: c.company.company_uid,
      source: "csv",
    });
    const again = await createPerson(
      q,
      PersonCreateInput.parse({ name: "Other", email: "ADA.LOVELACE@example.com" }),
    );
    expect(again).toMatchObject({
      status: "exists",
      person: { person_id: created.person.person_id, name: "Ada Lovelace" },
    });
    expect((await getPerson(q, { email: "ada.lovelace@example.com" })).person_id).toBe(
      created.person.person_id,
    );
    const other = await person();
    const clash = await caught(
      updatePerson(
        q,
        PersonUpdateInput.parse({
          person_id: other.person_id,
          patch: { email: "ada.lovelace@example.com" },
        }),
      ),
    );
    expect(clash).toMatchObject({ code: "ALREADY_EXISTS", field: "email" });
    const noCompany = await caught(
      updatePerson(
        q,
        PersonUpdateInput.parse({
          person_id: other.person_id,
          patch: { company_uid: "CO-20200101-000009" },
        }),
      ),
    );
    expect(noCompany).toMatchObject({ code: "COMPANY_NOT_FOUND", field: "company_uid" });
    const unknownCompany = await caught(
      createPerson(
        q,
        PersonCreateInput.parse({
          name: "X",
          email: "x-nc@example.com",
          company_uid: "CO-20200101-000009",
        }),
      ),
    );
    expect(unknownCompany).toMatchObject({ code: "COMPANY_NOT_FOUND", field: "company_uid" });
    const page = await listPeople(q, { limit: 1, company_uid: c.company.company_uid });
    expect(page.items.map((p) => p.person_id)).toEqual([created.person.person_id]);
    expect(page.next_cursor).toBeNull();
    const missing = await caught(
      getPerson(q, { person_id: PersonIdSchema.parse("PE-20200101-000001") }),
    );
    expect(missing).toMatchObject({ code: "PERSON_NOT_FOUND", field: "person_id" });
  });

  it("records a validation result along the allowed transitions only", async () => {
    const p = await person();
    const checked = await setValidation(
      q,
      SetValidationInput.parse({
        person_id: p.person_id,
        result: "catch_all",
        provider: "millionverifier",
      }),
    );
    expect(checked).toMatchObject({
      validation_status: "risky",
      validation_provider: "millionverifier",
      validation_result_raw: "catch_all",
    });
    expect(checked.validated_at).toBeInstanceOf(Date);
    const refused = await caught(
      setValidation(q, SetValidationInput.parse({ person_id: p.person_id, status: "throttled" })),
    );
    expect(refused).toMatchObject({ code: "INVALID_TRANSITION", field: "validation_status" });
  });
});

describe("slots", () => {
  it("links, refuses a second person or a second slot, vacates, proposes, confirms, rejects, displaces", async () => {
    const c = await company();
    const [ceo, cfo, hr] = c.slots;
    if (!ceo || !cfo || !hr) throw new Error("slots missing");
    const alice = await person("Alice");
    const bob = await person("Bob");
    const carol = await person("Carol");

    const linked = await linkPersonToSlot(q, {
      slot_uid: ceo.slot_uid,
      person_id: alice.person_id,
    });
    expect(linked).toMatchObject({
      changed: true,
      slot: { status: "filled", person_id: alice.person_id },
    });
    expect(
      (await linkPersonToSlot(q, { slot_uid: ceo.slot_uid, person_id: alice.person_id })).changed,
    ).toBe(false);

    const conflict = await caught(
      linkPersonToSlot(q, { slot_uid: ceo.slot_uid, person_id: bob.person_id }),
    );
    expect(conflict).toMatchObject({
      code: "SLOT_CONFLICT",
      field: "slot_uid",
      details: { person_id: alice.person_id },
    });
    const twice = await caught(
      linkPersonToSlot(q, { slot_uid: cfo.slot_uid, person_id: alice.person_id }),
    );
    expect(twice).toMatchObject({
      code: "PERSON_ALREADY_LINKED",
      field: "person_id",
      details: { slot_uid: ceo.slot_uid },
    });

    const vacated = await vacateSlot(q, { slot_uid: ceo.slot_uid });
    expect(vacated).toMatchObject({
      released_person_id: alice.person_id,
      slot: { status: "open", person_id: null },
    });

    expect(
      (await proposePersonForSlot(q, { slot_uid: cfo.slot_uid, person_id: bob.person_id })).slot
        .status,
    ).toBe("pending");
    expect((await confirmSlot(q, { slot_uid: cfo.slot_uid })).slot).toMatchObject({
      status: "filled",
      person_id: bob.person_id,
    });
    await proposePersonForSlot(q, { slot_uid: hr.slot_uid, person_id: carol.person_id });
    expect(await rejectSlot(q, { slot_uid: hr.slot_uid })).toMatchObject({
      released_person_id: carol.person_id,
      slot: { status: "open" },
    });

    const displaced = await displaceSlotPerson(q, {
      slot_uid: cfo.slot_uid,
      person_id: carol.person_id,
    });
    expect(displaced).toMatchObject({
      released_person_id: bob.person_id,
      slot: { status: "filled", person_id: carol.person_id },
    });

    const invalid = await caught(confirmSlot(q, { slot_uid: ceo.slot_uid }));
    expect(invalid).toMatchObject({ code: "INVALID_TRANSITION", field: "status" });
    const noSlot = await caught(
      vacateSlot(q, { slot_uid: SlotUidSchema.parse("SL-CO-20200101-000001-CEO") }),
    );
    expect(noSlot).toMatchObject({ code: "SLOT_NOT_FOUND", field: "slot_uid" });
    const noPerson = await caught(
      linkPersonToSlot(q, {
        slot_uid: hr.slot_uid,
        person_id: PersonIdSchema.parse("PE-20200101-000001"),
      }),
    );
    expect(noPerson).toMatchObject({ code: "PERSON_NOT_FOUND", field: "person_id" });

    expect(
      (await listSlots(q, { company_uid: c.company.company_uid })).map((s) => s.status),
    ).toEqual(["open", "filled", "open"]);
    const events = await slotEvents(q, { slot_uid: cfo.slot_uid });
    expect(events.map((e) => [e.event, e.person_id])).toEqual(
      expect.arrayContaining([
        ["PROPOSED", bob.person_id],
        ["CONFIRMED", bob.person_id],
        ["DISPLACED", bob.person_id],
        ["ASSIGNED", carol.person_id],
      ]),
    );
    const bobs = await slotEvents(q, { person_id: bob.person_id });
    expect(bobs.every((e) => e.person_id === bob.person_id)).toBe(true);
    const noCompany = await caught(
      listSlots(q, { company_uid: CompanyUidSchema.parse("CO-20200101-000003") }),
    );
    expect(noCompany).toMatchObject({ code: "COMPANY_NOT_FOUND", field: "company_uid" });
  });
});

describe("history, audit and actor", () => {
  it("withActor attributes changes; history answers as of a past time", async () => {
    const created = await withActor(
      t.db,
      { actor: "tester", requestId: "req-1", application: "vitest" },
      (trx) =>
        createCompany(
          trx,
          CompanyCreateInput.parse({ company_name: "Hist Co", website: "hist.example" }),
        ),
    );
    const uid = created.company.company_uid;
    const between = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await withActor(t.db, { actor: "editor", requestId: "req-2" }, (trx) =>
      updateCompany(
        trx,
        CompanyUpdateInput.parse({ company_uid: uid, patch: { company_name: "Hist Co 2" } }),
      ),
    );
    // A no-op update writes no history.
    await withActor(t.db, { actor: "noop" }, (trx) =>
      updateCompany(
        trx,
        CompanyUpdateInput.parse({ company_uid: uid, patch: { company_name: "Hist Co 2" } }),
      ),
    );

    const trail = await auditTrail(q, { uid, limit: 10 });
    expect(trail.map((e) => [e.operation, e.actor, e.request_id])).toEqual([
      ["UPDATE", "editor", "req-2"],
      ["INSERT", "tester", "req-1"],
    ]);
    expect(trail[1]?.application).toBe("vitest");
    expect(trail[0]?.changed_columns).toContain("company_name");

    const then = await historyAsOf(q, { uid, as_of: between });
    expect(then?.row_data).toMatchObject({ company_name: "Hist Co" });
    expect(then?.actor).toBe("tester");
    const now = await historyAsOf(q, { uid, as_of: new Date(Date.now() + 60_000) });
    expect(now).toMatchObject({
      row_data: { company_name: "Hist Co 2" },
      valid_to: null,
      actor: "editor",
    });
    expect(await historyAsOf(q, { uid, as_of: new Date("2000-01-01T00:00:00Z") })).toBeNull();
    expect((await listHistory(q, uid)).map((h) => h.row_data.company_name)).toEqual([
      "Hist Co",
      "Hist Co 2",
    ]);

    // The setting is transaction-local: a later plain change is not attributed to "editor".
    await updateCompany(
      q,
      CompanyUpdateInput.parse({ company_uid: uid, patch: { company_name: "Hist Co 3" } }),
    );
    const [latest] = await auditTrail(q, { uid, limit: 1 });
    expect(latest?.actor).not.toBe("editor");
    expect(latest?.actor).toMatch(/^db:/);
  });

  it("refuses an empty actor, naming the field", async () => {
    const err = await caught(withActor(t.db, { actor: " " }, async () => 1));
    expect(err).toMatchObject({ code: "VALIDATION_FAILED", field: "actor" });
  });

  it("rolls back everything done under withActor when fn throws", async () => {
    await expect(
      withActor(t.db, { actor: "tester" }, async (trx) => {
        await createCompany(
          trx,
          CompanyCreateInput.parse({ company_name: "Ghost", website: "ghost.example" }),
        );
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const gone = await caught(getCompany(q, { website: "ghost.example" }));
    expect(gone.code).toBe("COMPANY_NOT_FOUND");
  });
});

describe("import rejects", () => {
  it("keeps every rejected row with its reason", async () => {
    const stored = await recordImportRejects(q, [
      {
        source_file: "apollo.csv",
        row_number: 2,
        raw_row: "Acme,,",
        error_code: "VALIDATION_FAILED",
        field: "website",
        message: "The website is required",
      },
      {
        source_file: "apollo.csv",
        row_number: 5,
        raw_row: "x",
        error_code: "VALIDATION_FAILED",
        message: "Too few columns",
      },
    ]);
    expect(stored).toBe(2);
    const rows = await listImportRejects(q, { source_file: "apollo.csv" });
    expect(rows.map((r) => [r.row_number, r.field, r.error_code])).toEqual([
      [2, "website", "VALIDATION_FAILED"],
      [5, null, "VALIDATION_FAILED"],
    ]);
    const bad = await caught(
      recordImportRejects(q, [
        { source_file: "f", row_number: -1, raw_row: "", error_code: "INTERNAL", message: "m" },
      ]),
    );
    expect(bad).toMatchObject({ code: "VALIDATION_FAILED", field: "row_number" });
  });

  it("stores a row holding NUL bytes with each NUL as ␀", async () => {
    const raw = "Nul\u0000 Corp,nul\u0000.example";
    await recordImportRejects(q, [
      {
        source_file: "nul.csv",
        row_number: 1,
        raw_row: raw,
        error_code: "VALIDATION_FAILED",
        field: "website",
        message: "bad website nul\u0000.example",
      },
    ]);
    const [row] = await listImportRejects(q, { source_file: "nul.csv" });
    expect(row?.raw_row).toBe("Nul\u2400 Corp,nul\u2400.example");
    expect(row?.raw_row).toBe(storedRejectText(raw));
    expect(row?.message).toBe("bad website nul\u2400.example");
    expect(storedRejectText("no nul here")).toBe("no nul here");
  });
});
