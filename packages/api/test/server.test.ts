import http from "node:http";
import { createApiKey } from "@ple/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  logsWhen,
  postJson,
  setupTestApi,
  startTestServer,
  type TestApi,
  type TestServer,
} from "./helpers.js";

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

/** A GET sent as written (no URL normalisation by the client), with the raw headers and body. */
function rawGet(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function errorOf(body: unknown): { message: string; data: Record<string, unknown> } {
  return (body as { error: { json: { message: string; data: Record<string, unknown> } } }).error
    .json;
}

describe("HTTP server", () => {
  it("answers /health with the database and migration state", async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: "ok",
      database: { reachable: true },
      migrations: { current: true },
    });
  });

  it("gives every response a request id, keeping a well-formed one the caller sent", async () => {
    const own = await fetch(`${server.url}/health`, {
      headers: { "X-Request-Id": "trace-123.abc" },
    });
    expect(own.headers.get("x-request-id")).toBe("trace-123.abc");
    const generated = await fetch(`${server.url}/health`, {
      headers: { "X-Request-Id": "bad id!" },
    });
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers an unknown route with 404 and a JSON error", async () => {
    const response = await fetch(`${server.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("answers an unknown procedure with NOT_FOUND", async () => {
    const { status, body } = await postJson(
      server.url,
      "companies.explode",
      { json: {} },
      {
        Authorization: `Bearer ${t.keys.admin.key}`,
      },
    );
    expect(status).toBe(404);
    expect(errorOf(body).data.code).toBe("NOT_FOUND");
  });

  it("refuses a body over the limit with 413 PAYLOAD_TOO_LARGE and a clear message", async () => {
    const { status, body } = await postJson(
      server.url,
      "apiKeys.create",
      { json: { name: "x".repeat(10_000), role: "read" } },
      { Authorization: `Bearer ${t.keys.admin.key}` },
    );
    expect(status).toBe(413);
    const error = errorOf(body);
    expect(error.data.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error.message).toMatch(/larger than the API accepts/);
  });

  it("refuses a string over its length limit with VALIDATION_FAILED naming the field", async () => {
    const { status, body } = await postJson(
      server.url,
      "apiKeys.create",
      { json: { name: "x".repeat(101), role: "read" } },
      { Authorization: `Bearer ${t.keys.admin.key}` },
    );
    expect(status).toBe(400);
    expect(errorOf(body).data).toMatchObject({ code: "VALIDATION_FAILED", field: "name" });
  });

  it("answers malformed JSON with 400 and no internals", async () => {
    const { status, body } = await postJson(server.url, "apiKeys.create", "{not json", {
      Authorization: `Bearer ${t.keys.admin.key}`,
    });
    expect(status).toBe(400);
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/stack|node_modules|at .*\.ts/);
  });

  it("logs one structured line per request with e-mail addresses masked", async () => {
    const client = server.client(t.keys.write.key);
    await client.people.create.mutate({ name: "Log Person", email: "log.person@example.com" });
    await client.people.get.query({ email: "log.person@example.com" });
    await client.people.get.query({ email: "missing.person@example.com" }).catch(() => undefined);
    const lines = await logsWhen(
      server,
      (all) =>
        all.filter((line) => line.msg === "request" && line.path === "/trpc/people.get").length >=
        2,
    );
    const requests = lines.filter((line) => line.msg === "request");
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const line of requests) {
      expect(line).toMatchObject({ requestId: expect.any(String), method: expect.any(String) });
      expect(typeof line.durationMs).toBe("number");
    }
    expect(
      lines.some((line) => line.msg === "request rejected" && line.code === "PERSON_NOT_FOUND"),
    ).toBe(true);
    const text = server.logs.join("");
    expect(text).not.toContain("log.person@example.com");
    expect(text).not.toContain("missing.person@example.com");
  });

  it("sends a complete tRPC answer in one piece with its Content-Length", async () => {
    const response = await rawGet(server.url, "/trpc/health.check");
    expect(response.status).toBe(200);
    expect(response.headers["transfer-encoding"]).toBeUndefined();
    expect(Number(response.headers["content-length"])).toBe(Buffer.byteLength(response.body));
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(response.body)).toMatchObject({ result: { data: { json: {} } } });
  });

  it("still streams a JSONL batch (httpBatchStreamLink) chunk by chunk", async () => {
    const response = await rawGet(
      server.url,
      "/trpc/health.check,health.check?batch=1&input=%7B%7D",
      {
        "trpc-accept": "application/jsonl",
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers["transfer-encoding"]).toBe("chunked");
    expect(response.headers["content-length"]).toBeUndefined();
    const lines = response.body.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(response.body).toContain('"json"');
  });

  it("routes a path as URL parsing resolves it (dot segments, escapes)", async () => {
    const health = await rawGet(server.url, "/trpc/../health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: "ok" });
    const escaped = await rawGet(server.url, "/trpc/health.%63heck");
    expect(escaped.status).toBe(200);
    const trailing = await rawGet(server.url, "/trpc/health.check/");
    expect(trailing.status).toBe(200);
    const missing = await rawGet(server.url, "/nope/../nothing");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({
      error: { code: "NOT_FOUND", message: expect.stringContaining("/nothing") },
    });
  });

  it("refuses a batch of more than 50 calls", async () => {
    const paths = Array.from({ length: 51 }, () => "health.check").join(",");
    const response = await fetch(`${server.url}/trpc/${paths}?batch=1`);
    expect(response.status).toBe(400);
  });

  it("names the API key in the request's log line", async () => {
    await fetch(`${server.url}/trpc/apiKeys.whoami`, {
      headers: { Authorization: `Bearer ${t.keys.read.key}`, "X-Request-Id": "req-log-actor" },
    });
    const isLine = (l: Record<string, unknown>) =>
      l.msg === "request" && l.requestId === "req-log-actor";
    const line = (await logsWhen(server, (all) => all.some(isLine))).find(isLine);
    expect(line?.actor).toBe(t.keys.read.id);
  });

  it("never logs API keys", async () => {
    await fetch(`${server.url}/trpc/apiKeys.whoami`, {
      headers: { Authorization: `Bearer ${t.keys.read.key}` },
    });
    await fetch(`${server.url}/trpc/apiKeys.whoami`, {
      headers: { "X-API-Key": "ple_thisIsNotAKeyButLooksLikeOne1234567890" },
    });
    const logs = server.logs.join("");
    expect(logs).toContain('"msg":"request"');
    expect(logs).not.toContain(t.keys.read.key);
    expect(logs).not.toContain("ple_thisIsNotAKeyButLooksLikeOne1234567890");
  });
});

describe("graceful shutdown", () => {
  it("close() lets an in-flight request finish, then refuses new connections", async () => {
    const own = await startTestServer(t.db);
    const victim = await createApiKey(t.db.knex, { name: "to revoke", role: "read" });
    const admin = own.client(t.keys.admin.key);
    // Hold the key's row so the revoke blocks inside the database mid-request.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const lock = t.db.knex.transaction(async (trx) => {
      await trx("marketing.api_key").where({ id: victim.id }).forUpdate().select("id");
      locked();
      await held;
    });
    await isLocked;
    const inFlight = admin.apiKeys.revoke.mutate({ id: victim.id });
    await new Promise((resolve) => setTimeout(resolve, 200));
    let closed = false;
    const closing = own.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    release();
    await lock;
    const revoked = await inFlight;
    expect(revoked.revoked_at).toBeInstanceOf(Date);
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(`${own.url}/health`)).rejects.toThrow();
  });
});
