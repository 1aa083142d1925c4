/**
 * GET /openapi.json: the REST API as an OpenAPI 3.1 document, generated from the route table
 * and the schemas — inputs from the procedures' zod schemas (core's), answers from wire.ts — with
 * zod 4's own JSON Schema converter (draft 2020-12, OpenAPI 3.1's dialect).
 */
import { ERROR_CODES, type ErrorCode } from "@ple/core";
import {
  inputJsonSchema,
  inputSchemaOf,
  type JsonSchema,
  outputJsonSchema,
  procedureAt,
  propertiesOf,
} from "./json-schema.js";
import { httpStatusFor, Problem } from "./problem.js";
import { type RestRoute, restRoutes } from "./routes.js";

export type OpenApiDocument = Record<string, unknown>;

const COMPONENT_REF = "#/components/schemas/";

/**
 * A schema from zod with its `$defs` (the wire schemas with an id) moved to `defs` and its
 * `$ref`s pointing at components.schemas.
 */
function hoist(schema: JsonSchema, defs: Record<string, unknown>): JsonSchema {
  const { $schema: _dialect, $defs, ...rest } = schema;
  if ($defs !== null && typeof $defs === "object") {
    for (const [id, def] of Object.entries($defs)) defs[id] = relink(def);
  }
  return relink(rest) as JsonSchema;
}

function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === "$ref" && typeof item === "string" && item.startsWith("#/$defs/")
        ? COMPONENT_REF + item.slice("#/$defs/".length)
        : relink(item),
    ]),
  );
}

function pathParamsOf(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? "");
}

/** "companies.get" → "companiesGet". */
function camel(procedure: string): string {
  return procedure.replace(/\.(\w)/g, (_, letter: string) => letter.toUpperCase());
}

function pascal(name: string): string {
  return name.replace(/(?:^|_)(\w)/g, (_, letter: string) => letter.toUpperCase());
}

/** The codes sent with each HTTP status, from the same table the server uses. */
function codesByStatus(): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of ERROR_CODES) {
    const status = httpStatusFor(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

function without(schema: JsonSchema, names: string[]): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(propertiesOf(schema)).filter(([name]) => !names.includes(name)),
  );
  const required = Array.isArray(schema.required)
    ? (schema.required as string[]).filter((name) => !names.includes(name))
    : [];
  const { required: _required, ...rest } = schema;
  return { ...rest, properties, ...(required.length > 0 ? { required } : {}) };
}

function operation(
  entries: RestRoute[],
  defs: Record<string, unknown>,
  usedIds: Set<string>,
  statuses: number[],
): Record<string, unknown> {
  const first = entries[0];
  if (first === undefined) throw new Error("an operation needs a route");
  const pathParams = pathParamsOf(first.path);
  const merged = entries.length > 1;
  const parameters: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  let requestBody: Record<string, unknown> | undefined;
  let mutation = false;

  for (const entry of entries) {
    mutation ||= procedureAt(entry.procedure)._def.type === "mutation";
    const zodInput = inputSchemaOf(entry.procedure);
    const input =
      zodInput === null ? { type: "object", properties: {} } : inputJsonSchema(zodInput);
    const properties = propertiesOf(input);
    const required = new Set(Array.isArray(input.required) ? (input.required as string[]) : []);
    for (const name of pathParams) {
      if (seen.has(name)) continue;
      seen.add(name);
      parameters.push({
        name,
        in: "path",
        required: true,
        schema: hoist(properties[name] ?? { type: "string" }, defs),
      });
    }
    if (entry.method === "GET" || entry.method === "DELETE") {
      for (const [name, property] of Object.entries(properties)) {
        if (pathParams.includes(name) || seen.has(name)) continue;
        seen.add(name);
        parameters.push({
          name,
          in: "query",
          required: !merged && required.has(name),
          schema: hoist(property, defs),
        });
      }
    } else {
      const body =
        entry.bodyField !== undefined ? properties[entry.bodyField] : without(input, pathParams);
      const hasFields = body !== undefined && Object.keys(propertiesOf(body)).length > 0;
      if (hasFields) {
        requestBody = {
          required: entry.bodyField !== undefined || Array.isArray(body.required),
          content: { "application/json": { schema: hoist(body, defs) } },
        };
      }
    }
  }
  parameters.push({ $ref: "#/components/parameters/RequestId" });
  if (mutation) parameters.push({ $ref: "#/components/parameters/IdempotencyKey" });

  const answers = entries.map((entry) => hoist(outputJsonSchema(entry.response), defs));
  const answer = answers.length === 1 ? answers[0] : { anyOf: answers };
  const content = { "application/json": { schema: answer } };
  const responses: Record<string, unknown> = {};
  if (first.created === "always") {
    responses["201"] = { description: "Created.", content };
  } else {
    responses["200"] = { description: "OK.", content };
    if (first.created === "when-status-created") {
      responses["201"] = { description: 'Created (status "created").', content };
    }
  }
  for (const status of statuses) {
    responses[String(status)] = { $ref: `#/components/responses/Problem${status}` };
  }

  let operationId = camel(entries.map((entry) => entry.procedure).join("Or."));
  if (usedIds.has(operationId)) operationId += `By${pathParams.map(pascal).join("And")}`;
  usedIds.add(operationId);
  const procedures = entries.map((entry) => entry.procedure);
  return {
    operationId,
    tags: [first.path.split("/")[2] ?? "v1"],
    summary: entries.map((entry) => entry.summary).join(" Without those query parameters: "),
    description: `Calls the procedure ${procedures.map((p) => `\`${p}\``).join(" or ")} (tRPC: POST|GET /trpc/<procedure>).${
      merged
        ? ` With ${entries
            .flatMap((entry) => entry.whenQuery ?? [])
            .join(" or ")} it looks one record up; without, it lists.`
        : ""
    }`,
    "x-ple-procedures": procedures,
    ...(first.public === true ? { security: [] } : {}),
    parameters,
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the REST API. */
export function buildOpenApiDocument(): OpenApiDocument {
  const defs: Record<string, unknown> = {};
  const byStatus = codesByStatus();
  const statuses = [...byStatus.keys()];
  const paths: Record<string, Record<string, unknown>> = {};
  const usedIds = new Set<string>();
  const groups = new Map<string, RestRoute[]>();
  for (const route of restRoutes) {
    const key = `${route.path} ${route.method}`;
    groups.set(key, [...(groups.get(key) ?? []), route]);
  }
  for (const entries of groups.values()) {
    const first = entries[0];
    if (first === undefined) continue;
    const item = paths[first.path] ?? {};
    item[first.method.toLowerCase()] = operation(entries, defs, usedIds, statuses);
    paths[first.path] = item;
  }
  const problem = hoist(outputJsonSchema(Problem), defs);
  const responses = Object.fromEntries(
    [...byStatus].map(([status, codes]) => [
      `Problem${status}`,
      {
        description: `An error: ${codes.join(", ")}.`,
        content: {
          "application/problem+json": {
            schema: {
              allOf: [
                problem,
                { properties: { code: { enum: codes }, status: { const: status } } },
              ],
            },
          },
        },
      },
    ]),
  );
  return {
    openapi: "3.1.0",
    info: {
      title: "PLE API",
      version: "1.0.0",
      description:
        "Companies, their CEO/CFO/HR slots and the work queue of open ones, people, merges, history, the change feed and API keys. Every route calls the tRPC procedure named in its description; errors are RFC 9457 problems (application/problem+json) with PLE's stable `code`, `field`, `details` and `requestId`.",
    },
    tags: ["companies", "slots", "people", "history", "events", "keys", "health"].map((name) => ({
      name,
    })),
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b))),
      responses,
      parameters: {
        RequestId: {
          name: "X-Request-Id",
          in: "header",
          required: false,
          description:
            "Your id for this request (letters, digits, ._:-, at most 128); a new UUID otherwise. Sent back in X-Request-Id, in a problem's requestId and in the audit log.",
          schema: { type: "string", pattern: "^[A-Za-z0-9._:-]{1,128}$" },
        },
        IdempotencyKey: {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description:
            "Makes a write safe to retry: a repeat with the same key, route and body returns the first answer (header Idempotent-Replayed: true) without writing again; another body is IDEMPOTENCY_CONFLICT.",
          schema: { type: "string", minLength: 1, maxLength: 255 },
        },
      },
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "An API key (ple_…): Authorization: Bearer <key>.",
        },
        apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
    },
  };
}
