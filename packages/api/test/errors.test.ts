/**
 * Every error code's path over real HTTP: the PLE code in error.data, the HTTP
 * status, the field — and never SQL, a stack trace or an e-mail address.
 */
import { ERROR_CODES, type ErrorCode } from "@ple/core";
import { createApiKey, openDatabase } from "@ple/db";
import { createTestDatabase } from "@ple/db/testing";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trpcCodeFor } from "../src/errors.js";
import { createServer } from "../src/server.js";
import {
  postJson,
  seedCompany,
  setupTestApi,
  startTestServer,
  type TestApi,
  type TestServer,
  unique,
} from "./helpers.js";

let t: TestApi;
let server: TestServer;
const bodies: string[] = [];

beforeAll(async () => {
  t = await setupTestApi();
  server = await startTestServer(t.db, { bodyLimitBytes: 64 * 1024 });
});
afterAll(async () => {
  await server?.close();
  await t?.drop();
});

interface ErrorBody {
  message: string;
  data: { code: ErrorCode; field: string | null; httpStatus: number; details: unknown };
}

async function call(
  procedure: string,
  input: unknown,
  opts: { key?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; error: ErrorBody | null; body: unknown }> {
  const key = opts.key === undefined ? t.keys.admin.key : opts.key;
  const headers: Record<string, string> = { ...opts.headers };
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  const { status, body } = await postJson(server.url, procedure, { json: input }, headers);
  bodies.push(JSON.stringify(body));
  const error = (body as { error?: { json: ErrorBody } }).error?.json ?? null;
  return { status, error, body };
}

async function query(
  procedure: string,
  input: unknown,
): Promise<{ status: number; error: ErrorBody | null }> {
  const url = `${server.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const response = await fetch(url, { headers: { Authorization: `Bearer ${t.keys.read.key}` } });
  const text = await response.text();
  bodies.push(text);
  return {
    status: response.status,
    error: (JSON.parse(text) as { error?: { json: ErrorBody } }).error?.json ?? null,
  };
}

describe("error codes over HTTP", () => {
  it("VALIDATION_FAILED → 400 naming the field", async () => {
    const { status, error } = await call("companies.create", {
      company_name: "X",
      website: "not a site",
    });
    expect(status).toBe(400);
    expect(error?.data).toMatchObject({ code: "VALIDATION_FAILED", field: "website" });
    expect(error?.message).toMatch(/website/);
  });

  it("a string over its limit → 400 VALIDATION_FAILED naming the field", async () => {
    const { status, error } = await call("companies.create", {
      company_name: "N".repeat(301),
      website: "long-name.example.com",
    });
    expect(status).toBe(400);
    expect(error?.data).toMatchObject({ code: "VALIDATION_FAILED", field: "company_name" });
  });

  it("an unknown field → 400 VALIDATION_FAILED", async () => {
    const { status, error } = await call("companies.create", {
      company_name: "X",
      website: "x.example.com",
      colour: "red",
    });
    expect(status).toBe(400);
    expect(error?.data.code).toBe("VALIDATION_FAILED");
  });

  it("COMPANY_NOT_FOUND, PERSON_NOT_FOUND, SLOT_NOT_FOUND → 404", async () => {
    const company = await query("companies.get", { company_uid: "CO-20200101-000001" });
    expect(company.status).toBe(404);
    expect(company.error?.data).toMatchObject({ code: "COMPANY_NOT_FOUND", field: "company_uid" });
    const person = await query("people.get", { email: "jane.doe@example.com" });
    expect(person.status).toBe(404);
    expect(person.error?.data).toMatchObject({ code: "PERSON_NOT_FOUND", field: "email" });
    const slot = await call("slots.confirm", { slot_uid: "SL-CO-20200101-000001-HR" });
    expect(slot.status).toBe(404);
    expect(slot.error?.data.code).toBe("SLOT_NOT_FOUND");
  });

  it("a PII value in an error is masked: no e-mail address in the response", async () => {
    const person = await query("people.get", { email: "jane.doe@example.com" });
    expect(JSON.stringify(person.error)).not.toContain("jane.doe@example.com");
    expect(person.error?.message).toContain("j***@example.com");
  });

  it("SLOT_CONFLICT and PERSON_ALREADY_LINKED → 409; INVALID_TRANSITION → 400", async () => {
    const c = await seedCompany(await t.as("write"), 2);
    const [a, b] = c.people.map((p) => p.person_id);
    expect((await call("slots.link", { slot_uid: c.slot("CEO"), person_id: a })).status).toBe(200);
    const conflict = await call("slots.link", { slot_uid: c.slot("CEO"), person_id: b });
    expect(conflict.status).toBe(409);
    expect(conflict.error?.data).toMatchObject({
      code: "SLOT_CONFLICT",
      details: { person_id: a },
    });
    const linked = await call("slots.link", { slot_uid: c.slot("CFO"), person_id: a });
    expect(linked.status).toBe(409);
    expect(linked.error?.data.code).toBe("PERSON_ALREADY_LINKED");
    const transition = await call("slots.reject", { slot_uid: c.slot("HR") });
    expect(transition.status).toBe(400);
    expect(transition.error?.data.code).toBe("INVALID_TRANSITION");
  });

  it("COMPANY_HAS_FILLED_SLOTS and ALREADY_EXISTS → 409", async () => {
    const c = await seedCompany(await t.as("write"), 1);
    await call("slots.link", { slot_uid: c.slot("HR"), person_id: c.people[0]?.person_id });
    const filled = await call("companies.delete", { company_uid: c.company.company_uid });
    expect(filled.status).toBe(409);
    expect(filled.error?.data.code).toBe("COMPANY_HAS_FILLED_SLOTS");
    const other = await seedCompany(await t.as("write"));
    const exists = await call("companies.update", {
      company_uid: other.company.company_uid,
      patch: { website: c.company.website },
    });
    expect(exists.status).toBe(409);
    expect(exists.error?.data).toMatchObject({ code: "ALREADY_EXISTS", field: "website" });
  });

  it("IDEMPOTENCY_CONFLICT → 409", async () => {
    const headers = { "Idempotency-Key": unique("idem-") };
    await call(
      "people.create",
      { name: "Idem One", email: `${unique("i")}@x.example` },
      { headers },
    );
    const conflict = await call(
      "people.create",
      { name: "Idem Two", email: `${unique("i")}@x.example` },
      { headers },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.error?.data.code).toBe("IDEMPOTENCY_CONFLICT");
  });

  it("UNAUTHORIZED → 401, FORBIDDEN → 403", async () => {
    const anonymous = await call(
      "companies.create",
      { company_name: "A", website: "a.example.com" },
      { key: null },
    );
    expect(anonymous.status).toBe(401);
    expect(anonymous.error?.data.code).toBe("UNAUTHORIZED");
    const reader = await call(
      "companies.create",
      { company_name: "A", website: "a.example.com" },
      { key: t.keys.read.key },
    );
    expect(reader.status).toBe(403);
    expect(reader.error?.data.code).toBe("FORBIDDEN");
  });

  it("PAYLOAD_TOO_LARGE → 413", async () => {
    const big = await call("companies.create", {
      company_name: "A",
      website: "a.example.com",
      pad: "x".repeat(70_000),
    });
    expect(big.status).toBe(413);
    expect(big.error?.data.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("NOT_FOUND → 404 for an unknown procedure", async () => {
    const missing = await call("companies.frobnicate", {});
    expect(missing.status).toBe(404);
    expect(missing.error?.data.code).toBe("NOT_FOUND");
  });

  it("a database that cannot be reached → 503 DATABASE_UNAVAILABLE, nothing from the driver", async () => {
    // A server whose database pool is gone: every query fails inside the driver.
    const broken = await openDatabase({ url: new URL(t.db.url ?? "").toString() });
    await broken.close();
    const api = createServer({ db: broken });
    const url = await api.listen(0);
    try {
      const response = await fetch(`${url}/trpc/apiKeys.whoami`, {
        headers: { Authorization: `Bearer ${t.keys.read.key}`, "X-Request-Id": "req-broken" },
      });
      const text = await response.text();
      bodies.push(text);
      expect(response.status).toBe(503);
      const error = (JSON.parse(text) as { error: { json: ErrorBody } }).error.json;
      expect(error.data.code).toBe("DATABASE_UNAVAILABLE");
      expect(error.message).not.toMatch(/pool|knex|acquire/i);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({
        status: "unavailable",
        database: { reachable: false },
      });
    } finally {
      await api.close();
    }
  });

  it("INTERNAL → 500 with a generic message and the request id, nothing from the database", async () => {
    // A database whose api_key table is missing: the key look-up fails with an
    // error no PLE code describes.
    const own = await createTestDatabase();
    const key = await createApiKey(own.db.knex, { name: "orphan", role: "read" });
    await own.db.knex.raw("ALTER TABLE marketing.api_key RENAME TO api_key_gone");
    const api = createServer({ db: own.db, apiKeyCacheMs: 0 });
    const url = await api.listen(0);
    try {
      const response = await fetch(`${url}/trpc/apiKeys.whoami`, {
        headers: { Authorization: `Bearer ${key.key}`, "X-Request-Id": "req-broken" },
      });
      const text = await response.text();
      bodies.push(text);
      expect(response.status).toBe(500);
      const error = (JSON.parse(text) as { error: { json: ErrorBody } }).error.json;
      expect(error.data.code).toBe("INTERNAL");
      expect(error.message).toBe("Internal server error. Request id: req-broken.");
    } finally {
      await api.close();
      await own.drop();
    }
  });

  it("no response carried SQL, a stack trace or a file path", () => {
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) {
      expect(body).not.toMatch(/\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET)\b/i);
      expect(body).not.toMatch(/marketing\.|node_modules|\.ts:\d+|\bat [\w.]+ \(/);
      expect(body).not.toMatch(/"stack"/);
    }
  });
});

describe("the PLE code → HTTP status table", () => {
  const expected: Record<ErrorCode, number> = {
    VALIDATION_FAILED: 400,
    INVALID_TRANSITION: 400,
    COMPANY_NOT_FOUND: 404,
    PERSON_NOT_FOUND: 404,
    SLOT_NOT_FOUND: 404,
    NOT_FOUND: 404,
    SLOT_CONFLICT: 409,
    PERSON_ALREADY_LINKED: 409,
    COMPANY_HAS_FILLED_SLOTS: 409,
    COMPANY_MISMATCH: 409,
    SUPPRESSED: 409,
    ALREADY_EXISTS: 409,
    IDEMPOTENCY_CONFLICT: 409,
    IDENTITY_CONFLICT: 409,
    MERGE_CONFLICT: 409,
    MIGRATION_LOCKED: 409,
    UNAUTHORIZED: 401,
    FORBIDDEN: 403,
    PAYLOAD_TOO_LARGE: 413,
    METHOD_NOT_ALLOWED: 405,
    UNSUPPORTED_MEDIA_TYPE: 415,
    RATE_LIMITED: 429,
    DATABASE_UNAVAILABLE: 503,
    UID_EXHAUSTED: 500,
    MIGRATION_DRIFT: 500,
    MIGRATION_FAILED: 500,
    INTERNAL: 500,
  };
  it.each(ERROR_CODES.map((code) => [code]))("%s", (code) => {
    const status = getHTTPStatusCodeFromError(new TRPCError({ code: trpcCodeFor(code) }));
    expect(status).toBe(expected[code]);
  });
});
