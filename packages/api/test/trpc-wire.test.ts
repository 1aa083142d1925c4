import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  postJson,
  setupTestApi,
  startTestServer,
  type TestApi,
  type TestServer,
  unique,
} from "./helpers.js";

let t: TestApi;
let server: TestServer;

beforeAll(async () => {
  t = await setupTestApi();
  server = await startTestServer(t.db);
});
afterAll(async () => {
  await server?.close();
  await t?.drop();
});

type ErrorBody = { error: { json: { message: string; data: Record<string, unknown> } } };

describe("tRPC over plain HTTP", () => {
  it("takes an input without the {json: …} envelope, POST and GET", async () => {
    const name = unique("plain");
    const auth = { Authorization: `Bearer ${t.keys.write.key}` };
    const created = await postJson(
      server.url,
      "companies.create",
      { company_name: `${name} Inc`, website: `https://www.${name}.example.com/` },
      auth,
    );
    expect(created.status).toBe(200);
    const data = (created.body as { result: { data: { json: { status: string } } } }).result.data;
    expect(data.json.status).toBe("created");

    const input = encodeURIComponent(JSON.stringify({ website: `${name}.example.com` }));
    const got = await fetch(`${server.url}/trpc/companies.get?input=${input}`, { headers: auth });
    expect(got.status).toBe(200);
    const list = await fetch(
      `${server.url}/trpc/companies.list?input=${encodeURIComponent(JSON.stringify({ created_since: "2020-01-01", limit: 1 }))}`,
      { headers: auth },
    );
    expect(list.status).toBe(200);
  });

  it("still takes superjson's envelope (Dates in meta)", async () => {
    const body = {
      json: { limit: 1, created_since: "2020-01-01T00:00:00.000Z" },
      meta: { values: { created_since: ["Date"] } },
    };
    const answer = await fetch(
      `${server.url}/trpc/companies.list?input=${encodeURIComponent(JSON.stringify(body))}`,
      { headers: { Authorization: `Bearer ${t.keys.read.key}` } },
    );
    expect(answer.status).toBe(200);
  });

  it("a missing input gets a hint on how to send one", async () => {
    const answer = await fetch(`${server.url}/trpc/companies.create`, {
      method: "POST",
      headers: { Authorization: `Bearer ${t.keys.write.key}`, "Content-Type": "application/json" },
    });
    const error = ((await answer.json()) as ErrorBody).error.json;
    expect(answer.status).toBe(400);
    expect(error.data.code).toBe("VALIDATION_FAILED");
    expect(error.message).toContain("JSON body of a POST");
  });

  it("an unknown key names the expected one", async () => {
    const answer = await postJson(
      server.url,
      "companies.create",
      { company_name: "Acme", website: "acme-ein.example.com", ein_raw: "12-3456789" },
      { Authorization: `Bearer ${t.keys.write.key}` },
    );
    const error = (answer.body as ErrorBody).error.json;
    expect(error.data).toMatchObject({ code: "VALIDATION_FAILED", field: "ein_raw" });
    expect(error.message).toContain('"ein_raw" (did you mean "ein"?)');
    expect(error.message).toContain("company_name, website, apollo_company_id, ein");
  });

  it("PUT answers 405 METHOD_NOT_ALLOWED with Allow and the request id", async () => {
    const answer = await fetch(`${server.url}/trpc/companies.create`, {
      method: "PUT",
      headers: { "X-Request-Id": "put-1" },
    });
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe("GET, POST");
    const error = ((await answer.json()) as ErrorBody).error.json;
    expect(error.data).toMatchObject({ code: "METHOD_NOT_ALLOWED", requestId: "put-1" });
  });

  it("a GET of a mutation is METHOD_NOT_ALLOWED, not VALIDATION_FAILED", async () => {
    const answer = await fetch(`${server.url}/trpc/companies.create?input={}`, {
      headers: { Authorization: `Bearer ${t.keys.write.key}` },
    });
    expect(answer.status).toBe(405);
    const error = ((await answer.json()) as ErrorBody).error.json;
    expect(error.data.code).toBe("METHOD_NOT_ALLOWED");
    expect(error.data.requestId).toEqual(expect.any(String));
  });

  it("a POST without a JSON content type is 415 with the request id", async () => {
    const answer = await fetch(`${server.url}/trpc/companies.create`, {
      method: "POST",
      headers: { "X-Request-Id": "ct-1", "Content-Type": "text/plain" },
      body: "{}",
    });
    expect(answer.status).toBe(415);
    const error = ((await answer.json()) as ErrorBody).error.json;
    expect(error.data).toMatchObject({
      code: "UNSUPPORTED_MEDIA_TYPE",
      field: "Content-Type",
      requestId: "ct-1",
    });
  });
});
