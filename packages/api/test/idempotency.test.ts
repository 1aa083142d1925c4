import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPleClient } from "../src/client.js";
import {
  type Caller,
  postJson,
  rejectionOf,
  seedCompany,
  setupTestApi,
  startTestServer,
  type TestApi,
  type TestServer,
  unique,
} from "./helpers.js";

let t: TestApi;
let server: TestServer;
let writer: Caller;

beforeAll(async () => {
  t = await setupTestApi();
  server = await startTestServer(t.db);
  writer = await t.as("write");
});
afterAll(async () => {
  await server?.close();
  await t?.drop();
});

describe("Idempotency-Key", () => {
  it("a replay returns the first result without running the mutation again", async () => {
    const c = await seedCompany(writer, 1);
    const personId = c.people[0]?.person_id ?? "";
    const client = server.client(t.keys.write.key);
    const key = unique("link-");
    const first = await client.slots.link.mutate(
      { slot_uid: c.slot("CEO"), person_id: personId },
      { context: { idempotencyKey: key } },
    );
    expect(first.slot.status).toBe("filled");
    // Vacate in between: a re-run would fill the slot again, a replay leaves it open.
    await client.slots.vacate.mutate({ slot_uid: c.slot("CEO") });
    const replay = await client.slots.link.mutate(
      { slot_uid: c.slot("CEO"), person_id: personId },
      { context: { idempotencyKey: key } },
    );
    expect(replay).toEqual(first);
    expect(replay.slot.updated_at).toBeInstanceOf(Date);
    const slots = await client.slots.list.query({ company_uid: c.company.company_uid });
    expect(slots.find((s) => s.role === "CEO")?.status).toBe("open");
  });

  it("a replay over plain HTTP says so in Idempotent-Replayed", async () => {
    const body = {
      json: { company_name: "Replay Co", website: `${unique("replay")}.example.com` },
    };
    const headers = {
      Authorization: `Bearer ${t.keys.write.key}`,
      "Idempotency-Key": unique("k-"),
    };
    const first = await postJson(server.url, "companies.create", body, headers);
    const second = await postJson(server.url, "companies.create", body, headers);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
  });

  it("the same key with a different body is IDEMPOTENCY_CONFLICT (409)", async () => {
    const headers = {
      Authorization: `Bearer ${t.keys.write.key}`,
      "Idempotency-Key": unique("k-"),
    };
    const website = `${unique("conflict")}.example.com`;
    const first = await postJson(
      server.url,
      "companies.create",
      { json: { company_name: "One", website } },
      headers,
    );
    expect(first.status).toBe(200);
    const second = await postJson(
      server.url,
      "companies.create",
      { json: { company_name: "Two", website } },
      headers,
    );
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({
      error: { json: { data: { code: "IDEMPOTENCY_CONFLICT", field: "Idempotency-Key" } } },
    });
  });

  it("the same key on another procedure is IDEMPOTENCY_CONFLICT", async () => {
    const key = unique("k-");
    const c = await seedCompany(writer);
    const keyed = await t.as("write", { idempotencyKey: key });
    await keyed.companies.update({
      company_uid: c.company.company_uid,
      patch: { company_name: "Once" },
    });
    const again = await t.as("write", { idempotencyKey: key });
    const error = await rejectionOf(again.companies.delete({ company_uid: c.company.company_uid }));
    expect(error.code).toBe("CONFLICT");
    expect(error.cause).toMatchObject({
      code: "IDEMPOTENCY_CONFLICT",
      details: { reason: "different_procedure" },
    });
  });

  it("keys belong to one API key: another key's same Idempotency-Key is independent", async () => {
    const key = unique("shared-");
    const asWriter = await t.as("write", { idempotencyKey: key });
    const asAdmin = await t.as("admin", { idempotencyKey: key });
    const a = await asWriter.people.create({
      name: "Writer Person",
      email: `${unique("w")}@x.example`,
    });
    const b = await asAdmin.people.create({
      name: "Admin Person",
      email: `${unique("a")}@x.example`,
    });
    expect(a.person.person_id).not.toBe(b.person.person_id);
  });

  it("a failed mutation records nothing, so a retry with the same key runs for real", async () => {
    const c = await seedCompany(writer, 2);
    const [a, b] = c.people.map((p) => p.person_id);
    if (!a || !b) throw new Error("missing people");
    await writer.slots.link({ slot_uid: c.slot("HR"), person_id: a });
    const key = unique("retry-");
    const failing = await t.as("write", { idempotencyKey: key });
    const error = await rejectionOf(failing.slots.link({ slot_uid: c.slot("HR"), person_id: b }));
    expect(error.cause).toMatchObject({ code: "SLOT_CONFLICT" });
    await writer.slots.vacate({ slot_uid: c.slot("HR") });
    const retry = await t.as("write", { idempotencyKey: key });
    const linked = await retry.slots.link({ slot_uid: c.slot("HR"), person_id: b });
    expect(linked.slot.person_id).toBe(b);
  });

  it("concurrent requests with one key run the mutation once and all get its result", async () => {
    const key = unique("concurrent-");
    const website = `${unique("concurrent")}.example.com`;
    const clients = Array.from({ length: 5 }, () =>
      createPleClient({ url: server.url, apiKey: t.keys.write.key }),
    );
    const results = await Promise.all(
      clients.map((client) =>
        client.companies.create.mutate(
          { company_name: "Concurrent Co", website },
          { context: { idempotencyKey: key } },
        ),
      ),
    );
    // Without the key, four of these would answer "exists"; with it, all replay the one "created".
    expect(results.map((r) => r.status)).toEqual(Array(5).fill("created"));
    expect(new Set(results.map((r) => r.company.company_uid)).size).toBe(1);
  });

  it("a key longer than 255 characters is VALIDATION_FAILED", async () => {
    const keyed = await t.as("write", { idempotencyKey: "k".repeat(256) });
    const error = await rejectionOf(
      keyed.people.create({ name: "Long Key", email: `${unique("l")}@x.example` }),
    );
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.cause).toMatchObject({ code: "VALIDATION_FAILED", field: "Idempotency-Key" });
  });

  it("a batch of several calls under one Idempotency-Key is refused", async () => {
    const response = await fetch(`${server.url}/trpc/people.create,people.create?batch=1`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${t.keys.write.key}`,
        "Idempotency-Key": unique("batch-"),
      },
      body: JSON.stringify({
        0: { json: { name: "Batch One", email: `${unique("b")}@x.example` } },
        1: { json: { name: "Batch Two", email: `${unique("b")}@x.example` } },
      }),
    });
    const body = (await response.json()) as Array<{
      error?: { json: { data: Record<string, unknown> } };
    }>;
    expect(body).toHaveLength(2);
    for (const item of body) {
      expect(item.error?.json.data).toMatchObject({
        code: "VALIDATION_FAILED",
        field: "Idempotency-Key",
      });
    }
  });
});
