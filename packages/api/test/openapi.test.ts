import { readFile } from "node:fs/promises";
import { ERROR_CODES } from "@ple/core";
import { Validator } from "@seriousme/openapi-schema-validator";
import createClient from "openapi-fetch";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../src/rest/openapi.js";
import { restRoutes } from "../src/rest/routes.js";
import { appRouter } from "../src/root.js";
import { setupTestApi, startTestServer, type TestApi, type TestServer, unique } from "./helpers.js";
import type { paths } from "./openapi-types.js";

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

describe("GET /openapi.json", () => {
  it("serves an OpenAPI 3.1 document that a validator accepts", async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Record<string, unknown>;
    expect(document).toEqual(buildOpenApiDocument());
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("has the security schemes, every error code and every route", () => {
    const document = buildOpenApiDocument() as {
      paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>>;
      components: {
        securitySchemes: Record<string, unknown>;
        schemas: Record<string, { properties: { code: { enum: string[] } } }>;
        responses: Record<string, { description: string }>;
      };
    };
    expect(Object.keys(document.components.securitySchemes)).toEqual([
      "bearerAuth",
      "apiKeyHeader",
    ]);
    expect(document.components.schemas.Problem?.properties.code.enum).toEqual([...ERROR_CODES]);
    const described = Object.values(document.components.responses)
      .map((response) => response.description)
      .join(" ");
    for (const code of ERROR_CODES) expect(described).toContain(code);
    expect(document.paths["/v1/slots/{slot_uid}/link"]?.post?.operationId).toBe("slotsLink");
    expect(document.paths["/v1/health"]?.get?.security).toEqual([]);
  });

  it("every query and mutation of the router has a REST route, listed in the document", () => {
    // tRPC types _def.procedures like the nested router record; at run time it is flat, by path.
    const procedures = Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
    );
    const routed = new Set<string>(restRoutes.map((route) => route.procedure));
    const unrouted = procedures
      .filter(([path, procedure]) => procedure._def.type !== "subscription" && !routed.has(path))
      .map(([path]) => path);
    expect(unrouted, "add a route for each in src/rest/routes.ts").toEqual([]);
    // Subscriptions stay on tRPC (SSE): events.onChange has events.list as its REST page read.
    expect(
      procedures.filter(([, procedure]) => procedure._def.type === "subscription").map(([p]) => p),
    ).toEqual(["events.onChange"]);

    const document = buildOpenApiDocument() as {
      paths: Record<string, Record<string, { "x-ple-procedures": string[] }>>;
    };
    const documented = new Set(
      Object.values(document.paths).flatMap((item) =>
        Object.values(item).flatMap((operation) => operation["x-ple-procedures"]),
      ),
    );
    expect([...routed].filter((procedure) => !documented.has(procedure))).toEqual([]);
  });

  it("test/openapi-types.ts is what openapi-typescript generates now (pnpm --filter @ple/api openapi:types)", async () => {
    const fresh = astToString(await openapiTS(JSON.stringify(buildOpenApiDocument())));
    const committed = await readFile(new URL("./openapi-types.ts", import.meta.url), "utf8");
    expect(committed.slice(committed.indexOf("\n") + 1)).toBe(fresh);
  });
});

describe("a client generated from the document (openapi-typescript + openapi-fetch)", () => {
  it("creates, answers exists, links, and gets SLOT_CONFLICT as a typed problem", async () => {
    const ple = createClient<paths>({
      baseUrl: server.url,
      headers: { Authorization: `Bearer ${t.keys.write.key}` },
    });
    const name = unique("oapi");
    const created = await ple.POST("/v1/companies", {
      body: { company_name: `${name} Inc`, website: `https://www.${name}.example.com/` },
    });
    expect(created.response.status).toBe(201);
    const company = created.data;
    if (company === undefined) throw new Error("create failed");
    expect(company.status).toBe("created");

    const exists = await ple.POST("/v1/companies", {
      body: { company_name: "Other name", website: `${name}.example.com` },
    });
    expect(exists.response.status).toBe(200);
    expect(exists.data).toMatchObject({
      status: "exists",
      company: { company_uid: company.company.company_uid },
    });

    const ceo = company.slots.find((slot) => slot.role === "CEO")?.slot_uid ?? "";
    const people = await Promise.all(
      ["a", "b"].map((suffix) =>
        ple.POST("/v1/people", {
          body: { name: `Person ${suffix}`, email: `${suffix}.${name}@example.com` },
        }),
      ),
    );
    const [first, second] = people.map((answer) => answer.data?.person.person_id ?? "");

    const linked = await ple.POST("/v1/slots/{slot_uid}/link", {
      params: { path: { slot_uid: ceo } },
      body: { person_id: first ?? "" },
    });
    expect(linked.data?.slot).toMatchObject({ status: "filled", person_id: first });

    const conflict = await ple.POST("/v1/slots/{slot_uid}/link", {
      params: { path: { slot_uid: ceo } },
      body: { person_id: second ?? "" },
    });
    expect(conflict.response.status).toBe(409);
    expect(conflict.data).toBeUndefined();
    // The problem's code is typed: the enum of the document's Problem schema.
    const code: (typeof ERROR_CODES)[number] | undefined = conflict.error?.code;
    expect(code).toBe("SLOT_CONFLICT");
    expect(conflict.error?.details).toMatchObject({ person_id: first });

    const got = await ple.GET("/v1/companies", {
      params: { query: { website: `https://${name}.example.com` } },
    });
    expect(got.data).toMatchObject({ company: { company_uid: company.company.company_uid } });
  });
});

describe("the work queue and the change feed through the generated client", () => {
  it("claims, renews and releases leases; reads events of repeated types; a bad lease is a typed problem", async () => {
    const ple = createClient<paths>({
      baseUrl: server.url,
      headers: { Authorization: `Bearer ${t.keys.write.key}` },
    });
    const start = (await ple.GET("/v1/events", { params: { query: { limit: 1 } } })).data?.head;
    if (start === undefined) throw new Error("no head");
    const name = unique("queue");
    const created = await ple.POST("/v1/companies", {
      body: { company_name: `${name} Inc`, website: `${name}.example.com` },
    });
    expect(created.response.status).toBe(201);

    const worker = unique("worker");
    const claim = await ple.POST("/v1/slots/claims", {
      body: { worker, role: "CFO", limit: 1, lease_seconds: 30 },
    });
    const leased = claim.data?.claimed[0];
    if (leased === undefined) throw new Error("nothing claimed");
    expect(leased.lease).toMatchObject({ worker, slot_uid: leased.slot.slot_uid });
    const renew = await ple.POST("/v1/slots/claims/renew", {
      body: { worker, slot_uids: [leased.slot.slot_uid] },
    });
    expect(renew.data).toMatchObject({ renewed: [{ slot_uid: leased.slot.slot_uid }], lost: [] });
    const release = await ple.POST("/v1/slots/claims/release", {
      body: { worker, slot_uids: [leased.slot.slot_uid] },
    });
    expect(release.data).toEqual({ released: [leased.slot.slot_uid], not_held: [] });
    const tooLong = await ple.POST("/v1/slots/claims", {
      body: { worker, lease_seconds: 86_401 },
    });
    expect(tooLong.error).toMatchObject({ code: "VALIDATION_FAILED", field: "lease_seconds" });

    const feed = await ple.GET("/v1/events", {
      params: { query: { after: start, types: ["company.created", "slot.assigned"] } },
    });
    expect(feed.data?.events.map((event) => event.type)).toEqual(["company.created"]);
  });
});
