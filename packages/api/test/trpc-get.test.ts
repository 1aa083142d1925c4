/**
 * A single GET query is answered by trpc-get.ts instead of tRPC's Fetch adapter. The same
 * request sent with `Content-Type: application/json` (which tRPC reads exactly the same way)
 * still goes through resolveResponse, so each pair below must get the same status, headers,
 * body and log lines from both ways.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plainQueryOf } from "../src/trpc-get.js";
import {
  logsWhen,
  seedCompany,
  setupTestApi,
  startTestServer,
  type TestApi,
  type TestServer,
} from "./helpers.js";

let t: TestApi;
let server: TestServer;
let companyUid: string;

beforeAll(async () => {
  t = await setupTestApi();
  server = await startTestServer(t.db);
  companyUid = (await seedCompany(await t.as("write"))).company.company_uid;
});
afterAll(async () => {
  await server?.close();
  await t?.drop();
});

const q = (value: unknown) => encodeURIComponent(JSON.stringify(value));

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | null>;
  logs: Array<Record<string, unknown>>;
}

let sequence = 0;

async function get(pathAndQuery: string, headers: Record<string, string>): Promise<Answer> {
  sequence += 1;
  const requestId = `pair-${sequence}`;
  const response = await fetch(`${server.url}${pathAndQuery}`, {
    headers: { ...headers, "X-Request-Id": requestId },
  });
  const text = await response.text();
  // health.check's answer holds a latency and a time of its own.
  const body = text
    .replaceAll(requestId, "<id>")
    .replace(/"latency_ms":[\d.]+/, '"latency_ms":0')
    .replace(/"checked_at":"[^"]+"/, '"checked_at":"<time>"');
  const picked: Record<string, string | null> = {};
  for (const name of ["content-type", "vary", "allow", "x-request-id"]) {
    picked[name] = response.headers.get(name)?.replaceAll(requestId, "<id>") ?? null;
  }
  picked["content-length"] =
    response.headers.get("content-length") === String(Buffer.byteLength(text))
      ? "the body's"
      : response.headers.get("content-length");
  const lines = await logsWhen(server, (all) =>
    all.some((line) => line.requestId === requestId && line.msg === "request"),
  );
  // Sorted: the calls of a batch run concurrently, so their "request rejected" lines come in
  // the order their database look-ups finish, either way.
  const logs = lines
    .filter((line) => line.requestId === requestId)
    .map(({ time: _time, pid: _pid, hostname: _hostname, durationMs: _ms, ...rest }) => ({
      ...rest,
      requestId: "<id>",
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return { status: response.status, body, headers: picked, logs };
}

/** The fast way's answer and resolveResponse's answer to the same request. */
async function both(pathAndQuery: string, headers: Record<string, string> = {}) {
  const fast = await get(pathAndQuery, headers);
  const adapter = await get(pathAndQuery, { ...headers, "Content-Type": "application/json" });
  return { fast, adapter };
}

describe("a single GET query without the Fetch adapter", () => {
  const read = () => ({ Authorization: `Bearer ${t.keys.read.key}` });

  const cases: Array<[string, () => string, () => Record<string, string>, number]> = [
    ["a company", () => `/trpc/companies.get?input=${q({ company_uid: companyUid })}`, read, 200],
    [
      "in superjson's envelope",
      () => `/trpc/companies.get?input=${q({ json: { company_uid: companyUid } })}`,
      read,
      200,
    ],
    [
      "an unknown company",
      () => `/trpc/companies.get?input=${q({ company_uid: "CO-20260101-999999" })}`,
      read,
      404,
    ],
    [
      "no key",
      () => `/trpc/companies.get?input=${q({ company_uid: companyUid })}`,
      () => ({}),
      401,
    ],
    [
      "an unknown key",
      () => `/trpc/companies.get?input=${q({ company_uid: companyUid })}`,
      () => ({ Authorization: "Bearer ple_nope" }),
      401,
    ],
    [
      "a malformed Authorization",
      () => `/trpc/apiKeys.whoami`,
      () => ({ Authorization: "Basic abc" }),
      401,
    ],
    ["input that is not JSON", () => "/trpc/companies.get?input=%7Bnope", read, 400],
    [
      "input that is not JSON, and no key",
      () => "/trpc/companies.get?input=%7Bnope",
      () => ({}),
      401,
    ],
    ["no input", () => "/trpc/companies.get", read, 400],
    ["an empty input", () => "/trpc/companies.get?input=", read, 400],
    ["a null input", () => "/trpc/companies.get?input=null", read, 400],
    [
      "an unknown field",
      () => `/trpc/companies.get?input=${q({ company_uid: companyUid, uid: 1 })}`,
      read,
      400,
    ],
    [
      "a limit too large",
      () => `/trpc/companies.list?input=${q({ created_since: "2020-01-01", limit: 1_000_000 })}`,
      read,
      400,
    ],
    [
      "Dates in superjson's meta",
      () =>
        `/trpc/companies.list?input=${q({
          json: { limit: 2, created_since: "2020-01-01T00:00:00.000Z" },
          meta: { values: { created_since: ["Date"] } },
        })}`,
      read,
      200,
    ],
    ["a role too low", () => "/trpc/apiKeys.list", read, 403],
    ["a public query", () => "/trpc/health.check", () => ({}), 200],
    ["whoami", () => "/trpc/apiKeys.whoami", read, 200],
    [
      "other query parameters",
      () => `/trpc/companies.get?x=1&input=${q({ company_uid: companyUid })}&y`,
      read,
      200,
    ],
  ];

  const batch = (paths: string[], inputs: unknown) =>
    `/trpc/${paths.join(",")}?batch=1&input=${q(inputs)}`;
  cases.push(
    [
      "a batch of one (httpBatchLink)",
      () => batch(["companies.get"], { 0: { json: { company_uid: companyUid } } }),
      read,
      200,
    ],
    [
      "a batch of two",
      () =>
        batch(["companies.get", "apiKeys.whoami"], {
          0: { json: { company_uid: companyUid } },
        }),
      read,
      200,
    ],
    [
      "a batch of mixed outcomes (207)",
      () =>
        batch(["companies.get", "companies.get", "apiKeys.list"], {
          0: { json: { company_uid: companyUid } },
          1: { json: { company_uid: "CO-20260101-999999" } },
        }),
      read,
      207,
    ],
    [
      "a batch that all fails alike",
      () =>
        batch(["companies.get", "companies.get"], {
          0: { company_uid: "CO-20260101-999998" },
          1: { company_uid: "CO-20260101-999999" },
        }),
      read,
      404,
    ],
    ["a batch without a key", () => batch(["companies.get"], { 0: {} }), () => ({}), 401],
    ["a batch whose input is not an object", () => batch(["companies.get"], [1]), read, 400],
    [
      "a batch whose input is not JSON",
      () => "/trpc/companies.get,companies.get?batch=1&input=%7B",
      read,
      400,
    ],
    ["a batch without input", () => "/trpc/companies.get,health.check?batch=1", read, 207],
  );

  for (const [name, path, headers, status] of cases) {
    it(`${name}: the same answer and log lines as through resolveResponse`, async () => {
      const { fast, adapter } = await both(path(), headers());
      expect(fast.status).toBe(status);
      expect(fast).toEqual(adapter);
    });
  }

  it("an answer is the procedure's, Dates in superjson's meta", async () => {
    const { fast } = await both(
      `/trpc/companies.get?input=${q({ company_uid: companyUid })}`,
      read(),
    );
    const body = JSON.parse(fast.body) as {
      result: { data: { json: { company: { company_uid: string } }; meta: unknown } };
    };
    expect(body.result.data.json.company.company_uid).toBe(companyUid);
    expect(body.result.data.meta).toMatchObject({ values: { "company.created_at": ["Date"] } });
  });
});

describe("which requests take the short way", () => {
  const req = (url: string, headers: Record<string, string> = {}, method = "GET") => ({
    method,
    url,
    headers: { host: "127.0.0.1:3000", ...headers },
  });

  it("a GET with or without ?input=, alone or batched", () => {
    expect(plainQueryOf(req("/trpc/companies.get?input=%7B%7D"))).toEqual({
      input: "{}",
      batch: false,
    });
    expect(plainQueryOf(req("/trpc/companies.get"))).toEqual({ input: null, batch: false });
    expect(plainQueryOf(req("/trpc/companies.get?other=1"))).toEqual({ input: null, batch: false });
    expect(plainQueryOf(req("/trpc/a,b?batch=1&input=%7B%7D"))).toEqual({
      input: "{}",
      batch: true,
    });
    expect(plainQueryOf(req("/trpc/health.check", { host: "[::1]:80" }))).toEqual({
      input: null,
      batch: false,
    });
  });

  it("not bodies, content types, streaming, connection params, fragments or odd hosts", () => {
    const left = [
      req("/trpc/a?batch=0&input=%7B%7D"),
      req("/trpc/a?connectionParams=%7B%7D"),
      req("/trpc/a?input=1#x"),
      req("/trpc/a", {}, "POST"),
      req("/trpc/a", {}, "HEAD"),
      req("/trpc/a", { "content-type": "application/json" }),
      req("/trpc/a", { "content-length": "2" }),
      req("/trpc/a", { "transfer-encoding": "chunked" }),
      req("/trpc/a", { "trpc-accept": "application/jsonl" }),
      req("/trpc/a", { accept: "text/html, application/jsonl" }),
      req("/trpc/a", { host: "exa mple" }),
    ];
    for (const request of left) expect(plainQueryOf(request)).toBeUndefined();
  });
});
