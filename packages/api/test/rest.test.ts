import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as wire from "../src/rest/wire.js";
import { setupTestApi, startTestServer, type TestApi, type TestServer, unique } from "./helpers.js";

let t: TestApi;
let server: TestServer;

beforeAll(async () => {
  t = await setupTestApi();
  server = await startTestServer(t.db, { bodyLimitBytes: 4096 });
});
afterAll(async () => {
  await server?.close();
  await t?.drop();
});

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== undefined) headers.Authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers["Content-Type"] ??= "application/json";
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body:
      opts.body === undefined
        ? undefined
        : typeof opts.body === "string"
          ? opts.body
          : JSON.stringify(opts.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
  };
}

function problemOf(answer: Answer): Record<string, unknown> {
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  return answer.body as Record<string, unknown>;
}

const write = () => t.keys.write.key;
const read = () => t.keys.read.key;

async function newCompany() {
  const name = unique("rest");
  const answer = await call("POST", "/v1/companies", {
    key: write(),
    body: { company_name: `${name} Inc`, website: `https://www.${name}.example.com/` },
  });
  return { name, answer, body: wire.CreateCompanyResult.parse(answer.body) };
}

async function newPerson() {
  const handle = unique("jane");
  const answer = await call("POST", "/v1/people", {
    key: write(),
    body: { name: `Jane ${handle}`, email: `${handle}@example.com` },
  });
  return wire.CreatePersonResult.parse(answer.body).person;
}

describe("REST /v1 companies", () => {
  it("creates (201), answers exists (200) for another form of the website, with ISO dates", async () => {
    const { name, answer, body } = await newCompany();
    expect(answer.status).toBe(201);
    expect(body.status).toBe("created");
    expect(body.company.website).toBe(`${name}.example.com`);
    expect(body.company.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(body.slots.map((slot) => slot.role).sort()).toEqual(["CEO", "CFO", "HR"]);

    const again = await call("POST", "/v1/companies", {
      key: write(),
      body: { company_name: "Other", website: `http://${name}.example.com` },
    });
    expect(again.status).toBe(200);
    expect(wire.CreateCompanyResult.parse(again.body)).toMatchObject({
      status: "exists",
      matched_by: "website",
      company: { company_uid: body.company.company_uid },
    });
  });

  it("gets by uid and by ?website=, lists, searches, updates and deletes", async () => {
    const { name, body } = await newCompany();
    const uid = body.company.company_uid;
    const byUid = await call("GET", `/v1/companies/${uid}`, { key: read() });
    expect(byUid.status).toBe(200);
    expect(wire.CompanyWithSlots.parse(byUid.body).company.company_uid).toBe(uid);

    const byWebsite = await call(
      "GET",
      `/v1/companies?website=${encodeURIComponent(`https://WWW.${name}.example.com/x`)}`,
      { key: read() },
    );
    expect(wire.CompanyWithSlots.parse(byWebsite.body).company.company_uid).toBe(uid);

    const page = await call("GET", "/v1/companies?limit=2&has_open_slots=true", { key: read() });
    expect(page.status).toBe(200);
    expect(wire.CompanyPage.parse(page.body).items.length).toBeLessThanOrEqual(2);

    const hits = await call("GET", `/v1/companies/search?query=${name}`, { key: read() });
    expect(wire.CompanySearchHits.parse(hits.body)[0]?.company.company_uid).toBe(uid);

    const patched = await call("PATCH", `/v1/companies/${uid}`, {
      key: write(),
      body: { company_name: `${name} Renamed` },
    });
    expect(wire.WireCompany.parse(patched.body).company_name).toBe(`${name} Renamed`);

    const slots = await call("GET", `/v1/companies/${uid}/slots`, { key: read() });
    expect(wire.Slots.parse(slots.body)).toHaveLength(3);

    const deleted = await call("DELETE", `/v1/companies/${uid}?force=false`, { key: write() });
    expect(wire.DeleteCompanyResult.parse(deleted.body)).toMatchObject({ deleted: true });
    const gone = problemOf(await call("GET", `/v1/companies/${uid}`, { key: read() }));
    expect(gone).toMatchObject({ status: 404, code: "COMPANY_NOT_FOUND", field: "company_uid" });
  });

  it("answers a validation error as a problem naming the field, with the request id", async () => {
    const answer = await call("POST", "/v1/companies", {
      key: write(),
      body: { company_name: "Acme", website: "not a website" },
      headers: { "X-Request-Id": "rest-test-1" },
    });
    expect(answer.status).toBe(400);
    expect(problemOf(answer)).toMatchObject({
      type: "urn:ple:error:VALIDATION_FAILED",
      title: "Validation failed",
      status: 400,
      code: "VALIDATION_FAILED",
      field: "website",
      instance: "/v1/companies",
      requestId: "rest-test-1",
    });
    expect(answer.headers.get("x-request-id")).toBe("rest-test-1");
  });

  it("names the expected field for an unknown one (ein_raw → ein)", async () => {
    const answer = await call("POST", "/v1/companies", {
      key: write(),
      body: { company_name: "Acme", website: "acme-ein.example.com", ein_raw: "12-3456789" },
    });
    const problem = problemOf(answer);
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.field).toBe("ein_raw");
    expect(problem.detail).toContain('did you mean "ein"?');
  });

  it("reads query parameters as the input's numbers and booleans, and refuses bad ones by name", async () => {
    const answer = await call("GET", "/v1/companies?limit=abc", { key: read() });
    expect(problemOf(answer)).toMatchObject({ status: 400, field: "limit" });
    const unknown = await call("GET", "/v1/companies?colour=red", { key: read() });
    expect(problemOf(unknown)).toMatchObject({ status: 400, field: "colour" });
  });
});

describe("REST /v1 slots and people", () => {
  it("links a person, answers SLOT_CONFLICT naming the occupant, vacates, and lists events", async () => {
    const { body } = await newCompany();
    const ceo = body.slots.find((slot) => slot.role === "CEO")?.slot_uid ?? "";
    const jane = await newPerson();
    const john = await newPerson();
    const linked = await call("POST", `/v1/slots/${ceo}/link`, {
      key: write(),
      body: { person_id: jane.person_id },
    });
    expect(linked.status).toBe(200);
    expect(wire.SlotChange.parse(linked.body)).toMatchObject({
      changed: true,
      slot: { status: "filled", person_id: jane.person_id },
    });

    const conflict = await call("POST", `/v1/slots/${ceo}/link`, {
      key: write(),
      body: { person_id: john.person_id },
    });
    expect(conflict.status).toBe(409);
    expect(problemOf(conflict)).toMatchObject({
      code: "SLOT_CONFLICT",
      details: { person_id: jane.person_id },
    });

    const slot = await call("GET", `/v1/people/${jane.person_id}/slot`, { key: read() });
    expect(wire.WireSlot.parse(slot.body).slot_uid).toBe(ceo);

    const vacated = await call("POST", `/v1/slots/${ceo}/vacate`, { key: write() });
    expect(wire.SlotChange.parse(vacated.body).released_person_id).toBe(jane.person_id);

    const events = await call("GET", `/v1/slots/${ceo}/events`, { key: read() });
    expect(
      wire.WireSlotEvent.array()
        .parse(events.body)
        .map((e) => e.event),
    ).toEqual(expect.arrayContaining(["ASSIGNED", "VACATED"]));
    const none = await call("GET", `/v1/people/${jane.person_id}/slot`, { key: read() });
    expect(none).toMatchObject({ status: 200, body: null });
  });

  it("refuses a path parameter contradicted by the body", async () => {
    const { body } = await newCompany();
    const ceo = body.slots[0]?.slot_uid ?? "";
    const other = body.slots[1]?.slot_uid ?? "";
    const person = await newPerson();
    const answer = await call("POST", `/v1/slots/${ceo}/link`, {
      key: write(),
      body: { slot_uid: other, person_id: person.person_id },
    });
    expect(problemOf(answer)).toMatchObject({ status: 400, field: "slot_uid" });
  });

  it("gets a person by id and ?email=, patches and records a validation", async () => {
    const person = await newPerson();
    const byId = await call("GET", `/v1/people/${person.person_id}`, { key: read() });
    expect(wire.WirePerson.parse(byId.body).email).toBe(person.email);
    const byEmail = await call(
      "GET",
      `/v1/people?email=${encodeURIComponent(person.email.toUpperCase())}`,
      { key: read() },
    );
    expect(wire.WirePerson.parse(byEmail.body).person_id).toBe(person.person_id);
    const list = await call("GET", "/v1/people?limit=1", { key: read() });
    expect(wire.PersonPage.parse(list.body).items).toHaveLength(1);
    const patched = await call("PATCH", `/v1/people/${person.person_id}`, {
      key: write(),
      body: { title: "Chief Executive Officer" },
    });
    expect(wire.WirePerson.parse(patched.body).title).toBe("Chief Executive Officer");
    const validated = await call("POST", `/v1/people/${person.person_id}/validation`, {
      key: write(),
      body: { result: "ok", provider: "millionverifier", checked_at: "2026-11-26T10:00:00Z" },
    });
    expect(wire.WirePerson.parse(validated.body)).toMatchObject({
      validation_status: "valid",
      validated_at: "2026-11-26T10:00:00.000Z",
    });
  });
});

describe("REST /v1 history and keys", () => {
  it("serves versions, as-of and the audit trail with the key as actor", async () => {
    const { body } = await newCompany();
    const uid = body.company.company_uid;
    const versions = await call("GET", `/v1/history/${uid}`, { key: read() });
    expect(wire.WireHistoryEntry.array().parse(versions.body)).toHaveLength(1);
    const asOf = await call(
      "GET",
      `/v1/history/${uid}/as-of?as_of=${encodeURIComponent(new Date().toISOString())}`,
      { key: read() },
    );
    expect(wire.WireHistoryEntry.parse(asOf.body).uid).toBe(uid);
    const audit = await call("GET", `/v1/history/${uid}/audit?limit=5`, { key: read() });
    const rows = wire.WireAuditEntry.array().parse(audit.body);
    expect(rows[0]).toMatchObject({ actor: t.keys.write.id, application: "ple-api" });
  });

  it("keys: whoami, admin-only list, create (201) and revoke that works at once", async () => {
    const me = await call("GET", "/v1/keys/me", { key: read() });
    expect(wire.ApiKey.parse(me.body).id).toBe(t.keys.read.id);
    const forbidden = await call("GET", "/v1/keys", { key: write() });
    expect(problemOf(forbidden)).toMatchObject({ status: 403, code: "FORBIDDEN" });
    const created = await call("POST", "/v1/keys", {
      key: t.keys.admin.key,
      body: { name: "rest temp", role: "read" },
    });
    expect(created.status).toBe(201);
    const newKey = wire.CreatedApiKey.parse(created.body);
    expect((await call("GET", "/v1/keys/me", { key: newKey.key })).status).toBe(200);
    const revoked = await call("POST", `/v1/keys/${newKey.id}/revoke`, { key: t.keys.admin.key });
    expect(wire.ApiKey.parse(revoked.body).revoked_at).not.toBeNull();
    const refused = await call("GET", "/v1/keys/me", { key: newKey.key });
    expect(problemOf(refused)).toMatchObject({
      status: 401,
      code: "UNAUTHORIZED",
      details: { reason: "invalid_key" },
    });
    const keys = await call("GET", "/v1/keys?include_revoked=true", { key: t.keys.admin.key });
    expect(
      wire.ApiKey.array()
        .parse(keys.body)
        .some((key) => key.id === newKey.id),
    ).toBe(true);
  });

  it("no key → 401 problem; health needs none", async () => {
    expect(problemOf(await call("GET", "/v1/companies"))).toMatchObject({
      status: 401,
      code: "UNAUTHORIZED",
      details: { reason: "missing_key" },
    });
    const health = await call("GET", "/v1/health");
    expect(wire.Health.parse(health.body).status).toBe("ok");
  });
});

describe("REST /v1 transport", () => {
  it("replays a write with the same Idempotency-Key and refuses the key with another body", async () => {
    const name = unique("idem");
    const body = { company_name: `${name} Inc`, website: `${name}.example.com` };
    const headers = { "Idempotency-Key": `rest-${name}` };
    const first = await call("POST", "/v1/companies", { key: write(), body, headers });
    const second = await call("POST", "/v1/companies", { key: write(), body, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    const other = await call("POST", "/v1/companies", {
      key: write(),
      body: { ...body, company_name: "Else" },
      headers,
    });
    expect(problemOf(other)).toMatchObject({ status: 409, code: "IDEMPOTENCY_CONFLICT" });
  });

  it("405 METHOD_NOT_ALLOWED with Allow on a known path, 404 NOT_FOUND on an unknown one", async () => {
    const put = await call("PUT", "/v1/companies", { key: write(), body: {} });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("POST, GET");
    expect(problemOf(put)).toMatchObject({
      code: "METHOD_NOT_ALLOWED",
      requestId: expect.any(String),
    });
    const missing = await call("GET", "/v1/nothing", { key: read() });
    expect(problemOf(missing)).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });

  it("415 for a body that is not JSON, 400 for broken JSON, 413 over the body limit", async () => {
    const text = await call("POST", "/v1/companies", {
      key: write(),
      body: "company_name=Acme",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(problemOf(text)).toMatchObject({ status: 415, code: "UNSUPPORTED_MEDIA_TYPE" });
    const broken = await call("POST", "/v1/companies", { key: write(), body: "{not json" });
    expect(problemOf(broken)).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    const big = await call("POST", "/v1/companies", {
      key: write(),
      body: { company_name: "x".repeat(5000), website: "big.example.com" },
    });
    expect(problemOf(big)).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
  });
});

describe("REST /v1 merges and erasure", () => {
  async function linked(role: "CEO" | "CFO" | "HR") {
    const { body } = await newCompany();
    const slot = body.slots.find((s) => s.role === role)?.slot_uid ?? "";
    const person = await newPerson();
    await call("POST", `/v1/slots/${slot}/link`, {
      key: write(),
      body: { person_id: person.person_id },
    });
    return { company: body.company, slot, person };
  }

  it("merges companies: MERGE_CONFLICT without prefer, a dry run, then the merge and its log", async () => {
    const keep = await linked("CEO");
    const drop = await linked("CEO");
    const path = `/v1/companies/${keep.company.company_uid}/merge`;
    const conflict = await call("POST", path, {
      key: write(),
      body: { drop: drop.company.company_uid },
    });
    expect(conflict.status).toBe(409);
    expect(problemOf(conflict)).toMatchObject({ code: "MERGE_CONFLICT", field: "prefer" });

    const dry = await call("POST", path, {
      key: write(),
      body: { drop: drop.company.company_uid, prefer: { CEO: "drop" }, dry_run: true },
    });
    expect(dry.status).toBe(200);
    expect(wire.CompanyMergeResult.parse(dry.body)).toMatchObject({
      entity: "company",
      dry_run: true,
      released: [expect.objectContaining({ person_id: keep.person.person_id })],
    });
    const untouched = await call("GET", `/v1/companies/${drop.company.company_uid}`, {
      key: read(),
    });
    expect(wire.CompanyWithSlots.parse(untouched.body).company.company_uid).toBe(
      drop.company.company_uid,
    );

    const merged = await call("POST", path, {
      key: write(),
      body: { drop: drop.company.company_uid, prefer: { CEO: "drop" } },
    });
    const result = wire.CompanyMergeResult.parse(merged.body);
    expect(result).toMatchObject({ dry_run: false, keep: keep.company.company_uid });
    expect(result.company_slots.find((s) => s.role === "CEO")?.person_id).toBe(
      drop.person.person_id,
    );
    const resolved = await call("GET", `/v1/companies/${drop.company.company_uid}`, {
      key: read(),
    });
    expect(wire.CompanyWithSlots.parse(resolved.body)).toMatchObject({
      company: { company_uid: keep.company.company_uid },
      merged_from: drop.company.company_uid,
    });
    const log = await call("GET", `/v1/history/${drop.company.company_uid}/merges`, {
      key: read(),
    });
    expect(wire.WireMergeRecord.array().parse(log.body)).toEqual([
      expect.objectContaining({
        entity: "company",
        kept_uid: keep.company.company_uid,
        dropped_uid: drop.company.company_uid,
        actor: t.keys.write.id,
      }),
    ]);
    const badUid = await call("GET", "/v1/history/nonsense/merges", { key: read() });
    expect(problemOf(badUid)).toMatchObject({ status: 400, field: "uid" });
  });

  it("merges people: MERGE_CONFLICT when both hold slots; the dropped id resolves to the kept person", async () => {
    const a = await linked("CFO");
    const b = await linked("CFO");
    const conflict = await call("POST", `/v1/people/${a.person.person_id}/merge`, {
      key: write(),
      body: { drop: b.person.person_id },
    });
    expect(conflict.status).toBe(409);
    expect(problemOf(conflict).code).toBe("MERGE_CONFLICT");

    const loose = await newPerson();
    const merged = await call("POST", `/v1/people/${a.person.person_id}/merge`, {
      key: write(),
      body: { drop: loose.person_id },
    });
    expect(merged.status).toBe(200);
    expect(wire.PersonMergeResult.parse(merged.body)).toMatchObject({
      entity: "person",
      keep: a.person.person_id,
      drop: loose.person_id,
      person: { person_id: a.person.person_id },
    });
    const found = await call("GET", `/v1/people/${loose.person_id}`, { key: read() });
    expect(wire.WirePerson.parse(found.body).person_id).toBe(a.person.person_id);
    const log = await call("GET", `/v1/history/${a.person.person_id}/merges`, { key: read() });
    expect(wire.WireMergeRecord.array().parse(log.body)).toEqual([
      expect.objectContaining({ entity: "person", dropped_uid: loose.person_id }),
    ]);
  });

  it("erases a person (admin only, FORBIDDEN for a write key); the e-mail is then SUPPRESSED", async () => {
    const { person } = await linked("HR");
    const path = `/v1/people/${person.person_id}/erase`;
    const forbidden = await call("POST", path, { key: write(), body: { reason: "request 7" } });
    expect(forbidden.status).toBe(403);
    expect(problemOf(forbidden)).toMatchObject({ code: "FORBIDDEN" });

    const erased = await call("POST", path, {
      key: t.keys.admin.key,
      body: { reason: "request 7" },
    });
    expect(erased.status).toBe(200);
    const answer = wire.PersonErasure.parse(erased.body);
    expect(answer).toMatchObject({
      status: "erased",
      person_id: person.person_id,
      counts: { slots_vacated: 1 },
      tombstone: { person_id: person.person_id, actor: t.keys.admin.id, reason: "request 7" },
    });
    expect(JSON.stringify(erased.body)).not.toContain(person.email);
    const again = await call("POST", path, { key: t.keys.admin.key, body: { reason: "again" } });
    expect(wire.PersonErasure.parse(again.body).status).toBe("already_erased");

    const suppressed = await call("POST", "/v1/people", {
      key: write(),
      body: { name: "Jane Again", email: person.email.toUpperCase() },
    });
    expect(suppressed.status).toBe(409);
    expect(problemOf(suppressed)).toMatchObject({ code: "SUPPRESSED", field: "email" });
  });
});

describe("REST /v1 the open-slot work queue", () => {
  it("lists open slots, claims disjoint leases per worker, renews, releases; replays a claim by Idempotency-Key", async () => {
    for (let i = 0; i < 3; i++) await newCompany();
    const open = await call("GET", "/v1/slots/open?role=HR&limit=2", { key: read() });
    const page = wire.OpenSlotPage.parse(open.body);
    expect(page.items).toHaveLength(2);
    expect(page.items.every((item) => item.slot.role === "HR" && item.slot.status === "open")).toBe(
      true,
    );
    const badRole = await call("GET", "/v1/slots/open?role=CTO", { key: read() });
    expect(problemOf(badRole)).toMatchObject({ status: 400, field: "role" });

    const w1 = unique("worker");
    const w2 = unique("worker");
    const headers = { "Idempotency-Key": `claim-${w1}` };
    const body = { worker: w1, role: "HR", limit: 2, lease_seconds: 60 };
    const first = await call("POST", "/v1/slots/claims", { key: write(), body, headers });
    expect(first.status).toBe(200);
    const claimed = wire.SlotClaimResult.parse(first.body).claimed;
    expect(claimed).toHaveLength(2);
    expect(claimed.every((c) => c.lease.worker === w1 && c.slot.role === "HR")).toBe(true);
    const replay = await call("POST", "/v1/slots/claims", { key: write(), body, headers });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);

    const mine = claimed.map((c) => c.slot.slot_uid);
    const other = await call("POST", "/v1/slots/claims", {
      key: write(),
      body: { worker: w2, role: "HR", limit: 1000 },
    });
    const theirs = wire.SlotClaimResult.parse(other.body).claimed.map((c) => c.slot.slot_uid);
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.filter((uid) => mine.includes(uid))).toEqual([]);

    const readOnly = await call("POST", "/v1/slots/claims", { key: read(), body: { worker: w1 } });
    expect(problemOf(readOnly)).toMatchObject({ status: 403, code: "FORBIDDEN" });
    const noWorker = await call("POST", "/v1/slots/claims", { key: write(), body: { limit: 1 } });
    expect(problemOf(noWorker)).toMatchObject({ status: 400, field: "worker" });

    const renewed = await call("POST", "/v1/slots/claims/renew", {
      key: write(),
      body: { worker: w1, slot_uids: [...mine, theirs[0]], lease_seconds: 120 },
    });
    const renewal = wire.SlotRenewResult.parse(renewed.body);
    expect(renewal.renewed.map((lease) => lease.slot_uid).sort()).toEqual([...mine].sort());
    expect(renewal.lost).toEqual([theirs[0]]);
    const empty = await call("POST", "/v1/slots/claims/renew", {
      key: write(),
      body: { worker: w1, slot_uids: [] },
    });
    expect(problemOf(empty)).toMatchObject({ status: 400, field: "slot_uids" });

    const released = await call("POST", "/v1/slots/claims/release", {
      key: write(),
      body: { worker: w1, slot_uids: [...mine, theirs[0]] },
    });
    const release = wire.SlotReleaseResult.parse(released.body);
    expect([...release.released].sort()).toEqual([...mine].sort());
    expect(release.not_held).toEqual([theirs[0]]);
    const wrongMethod = await call("GET", "/v1/slots/claims", { key: read() });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
  });
});

describe("REST /v1 the change feed", () => {
  it("pages events after a position, filters by repeated types, and refuses an unknown type", async () => {
    const start = wire.EventPage.parse(
      (await call("GET", "/v1/events?limit=1", { key: read() })).body,
    ).head;
    const { body } = await newCompany();
    const person = await newPerson();
    const all = await call("GET", `/v1/events?after=${start}`, { key: read() });
    const feed = wire.EventPage.parse(all.body);
    expect(feed.events.map((event) => event.type)).toEqual(
      expect.arrayContaining(["company.created", "person.created"]),
    );
    expect(feed.events.every((event) => event.position > start)).toBe(true);
    expect(feed.next).toBe(feed.head);

    const filtered = await call(
      "GET",
      `/v1/events?after=${start}&types=company.created&types=person.created&limit=10`,
      { key: read() },
    );
    const events = wire.EventPage.parse(filtered.body).events;
    expect(events.map((event) => [event.type, event.actor])).toEqual([
      ["company.created", t.keys.write.id],
      ["person.created", t.keys.write.id],
    ]);
    expect(events[0]?.uids).toMatchObject({ company_uid: body.company.company_uid });
    expect(events[1]?.uids).toMatchObject({ person_id: person.person_id });

    const one = await call("GET", `/v1/events?after=${start}&types=person.created`, {
      key: read(),
    });
    expect(wire.EventPage.parse(one.body).events.map((event) => event.type)).toEqual([
      "person.created",
    ]);
    const unknown = await call("GET", "/v1/events?types=company.renamed", { key: read() });
    expect(problemOf(unknown)).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    expect(problemOf(unknown).field).toBe("types.0");
    const anonymous = await call("GET", "/v1/events");
    expect(problemOf(anonymous)).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
  });
});
