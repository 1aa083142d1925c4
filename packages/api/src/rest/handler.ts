/**
 * Serves the route table (routes.ts) over HTTP: matches the method and path, builds the
 * procedure's input from the path parameters, the query string and the JSON body, and calls the
 * tRPC procedure on the server (callTRPCProcedure, what createCaller does) with the request's own
 * context — the same API key check, roles, audit actor, Idempotency-Key and limits as /trpc.
 * Answers are plain JSON (Dates as ISO 8601 strings); errors are RFC 9457 problems.
 */
import type http from "node:http";
import { PleError } from "@ple/core";
import type { PleDatabase } from "@ple/db";
import { callTRPCProcedure, getTRPCErrorFromUnknown } from "@trpc/server";
import type { ApiKeyCache } from "../api-key-cache.js";
import { createContext } from "../context.js";
import { describeError, toTRPCError } from "../errors.js";
import type { Logger } from "../logger.js";
import { appRouter } from "../root.js";
import { inputJsonSchema, inputSchemaOf, procedureAt, propertiesOf } from "./json-schema.js";
import { sendProblem, toProblem } from "./problem.js";
import { type HttpMethod, type RestRoute, restRoutes } from "./routes.js";

type Segment = { literal: string } | { param: string };
type ScalarType = "integer" | "number" | "boolean" | "string";

interface CompiledRoute {
  route: RestRoute;
  segments: Segment[];
  type: "query" | "mutation";
  /** What each input field's query-string text is read as. */
  queryTypes: Map<string, QueryField>;
}

/** An array field is given by repeating its parameter (`?types=a&types=b`, OpenAPI's default). */
interface QueryField {
  type: ScalarType;
  array: boolean;
}

function scalarTypeOf(schema: Record<string, unknown> | undefined): ScalarType {
  const type = schema?.type;
  const types = Array.isArray(type) ? type : [type];
  if (types.includes("integer")) return "integer";
  if (types.includes("number")) return "number";
  if (types.includes("boolean")) return "boolean";
  return "string";
}

function queryFieldOf(schema: Record<string, unknown> | undefined): QueryField {
  if (schema?.type === "array") {
    const items = schema.items;
    return {
      type: scalarTypeOf(
        items !== null && typeof items === "object"
          ? (items as Record<string, unknown>)
          : undefined,
      ),
      array: true,
    };
  }
  return { type: scalarTypeOf(schema), array: false };
}

function compile(route: RestRoute): CompiledRoute {
  const segments = route.path
    .split("/")
    .slice(1)
    .map((part): Segment => {
      const param = /^\{(\w+)\}$/.exec(part)?.[1];
      return param === undefined ? { literal: part } : { param };
    });
  const type = procedureAt(route.procedure)._def.type;
  if (type === "subscription")
    throw new Error(`${route.procedure}: subscriptions have no REST route`);
  const schema = inputSchemaOf(route.procedure);
  const properties = schema === null ? {} : propertiesOf(inputJsonSchema(schema));
  const queryTypes = new Map<string, QueryField>(
    Object.entries(properties).map(([name, property]) => [name, queryFieldOf(property)]),
  );
  return { route, segments, type, queryTypes };
}

function matchPath(segments: Segment[], parts: string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as Segment;
    const part = parts[index] ?? "";
    if ("literal" in segment) {
      if (segment.literal !== part) return null;
    } else {
      if (part === "") return null;
      params[segment.param] = part;
    }
  }
  return params;
}

function readQueryValue(text: string, type: ScalarType): unknown {
  switch (type) {
    case "integer":
    case "number":
      return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    case "boolean":
      return text === "true" ? true : text === "false" ? false : text;
    case "string":
      return text;
    default: {
      const unhandled: never = type;
      return unhandled;
    }
  }
}

/**
 * new URL(url, base).searchParams without parsing and normalising the rest of the URL on every
 * request: the same parameters, except that new URL() cuts a fragment off (then it is used).
 */
function searchParamsOf(url: string): URLSearchParams {
  const queryAt = url.indexOf("?");
  if (queryAt === -1) return new URLSearchParams();
  const search = url.slice(queryAt + 1);
  return search.includes("#")
    ? new URL(url, "http://localhost").searchParams
    : new URLSearchParams(search);
}

const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

function bodyError(message: string, reason: string): PleError {
  return new PleError("VALIDATION_FAILED", message, { details: { reason } });
}

/** The request body, at most `limit` bytes (PAYLOAD_TOO_LARGE beyond it). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () =>
      new PleError(
        "PAYLOAD_TOO_LARGE",
        "Request body is larger than the API accepts (limit set by PLE_API_BODY_LIMIT_BYTES, 1 MiB by default).",
        { details: { limit_bytes: limit } },
      );
    if (Number(req.headers["content-length"] ?? 0) > limit) {
      reject(tooLarge());
      return;
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        req.removeAllListeners("data");
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export interface RestHandlerOptions {
  db: PleDatabase;
  logger: Logger;
  apiKeys: ApiKeyCache;
  bodyLimitBytes: number;
  /** Told the API key id of each authenticated request (for the request log). */
  onActor(req: http.IncomingMessage, keyId: string): void;
}

export type RestHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathname: string,
  requestId: string,
) => void;

export function createRestHandler(opts: RestHandlerOptions): RestHandler {
  const compiled = restRoutes.map(compile);

  async function bodyOf(req: http.IncomingMessage): Promise<unknown> {
    const raw = await readBody(req, opts.bodyLimitBytes);
    if (raw.byteLength === 0) return undefined;
    const contentType = req.headers["content-type"] ?? "";
    if (!JSON_CONTENT_TYPE.test(contentType)) {
      throw new PleError(
        "UNSUPPORTED_MEDIA_TYPE",
        contentType === ""
          ? "The body needs 'Content-Type: application/json'."
          : `The body must be JSON ('Content-Type: application/json'), not '${contentType}'.`,
        { field: "Content-Type", details: { reason: "unsupported_media_type" } },
      );
    }
    try {
      return JSON.parse(raw.toString("utf8"));
    } catch {
      throw bodyError("The body is not valid JSON.", "invalid_json");
    }
  }

  function inputOf(
    entry: CompiledRoute,
    params: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
  ): Record<string, unknown> {
    const input: Record<string, unknown> = {};
    for (const [name, text] of query) {
      const field = entry.queryTypes.get(name) ?? { type: "string", array: false };
      const value = readQueryValue(text, field.type);
      const before = input[name];
      input[name] = !field.array ? value : Array.isArray(before) ? [...before, value] : [value];
    }
    if (body !== undefined) {
      const field = entry.route.bodyField;
      if (field !== undefined) input[field] = body;
      else if (body === null || typeof body !== "object" || Array.isArray(body)) {
        throw bodyError("The body must be a JSON object.", "invalid_type");
      } else Object.assign(input, body);
    }
    for (const [name, value] of Object.entries(params)) {
      if (name in input && input[name] !== value) {
        throw new PleError(
          "VALIDATION_FAILED",
          `${name} is given by the path (${value}); leave it out of the body or make it the same.`,
          { field: name, details: { reason: "conflicts_with_path" } },
        );
      }
      input[name] = value;
    }
    return input;
  }

  async function handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    pathname: string,
    requestId: string,
  ): Promise<void> {
    const method = req.method ?? "GET";
    const trimmed =
      pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
    let parts: string[];
    try {
      parts = trimmed.split("/").slice(1).map(decodeURIComponent);
    } catch {
      throw new PleError("VALIDATION_FAILED", "The path is not valid percent-encoding.", {
        details: { reason: "invalid_syntax" },
      });
    }
    const matches = compiled.flatMap((entry) => {
      const params = matchPath(entry.segments, parts);
      return params === null ? [] : [{ entry, params }];
    });
    if (matches.length === 0) {
      throw new PleError("NOT_FOUND", `No route ${trimmed}; the routes are in /openapi.json.`, {
        details: { reason: "no_route" },
      });
    }
    const allowed = [...new Set(matches.map(({ entry }) => entry.route.method))];
    const wanted = (method === "HEAD" ? "GET" : method) as HttpMethod;
    const query = searchParamsOf(req.url ?? "/");
    const match = matches.find(
      ({ entry }) =>
        entry.route.method === wanted &&
        (entry.route.whenQuery === undefined ||
          entry.route.whenQuery.some((name) => query.has(name))),
    );
    if (match === undefined) {
      res.setHeader("Allow", allowed.join(", "));
      throw new PleError(
        "METHOD_NOT_ALLOWED",
        `${method} is not allowed on ${trimmed}; use ${allowed.join(" or ")}.`,
        { details: { reason: "method_not_allowed", allowed } },
      );
    }
    const { entry, params } = match;
    const body = wanted === "POST" || wanted === "PATCH" ? await bodyOf(req) : undefined;
    const input = inputOf(entry, params, query, body);
    const ctx = await createContext({
      req,
      db: opts.db,
      requestId,
      logger: opts.logger,
      apiKeys: opts.apiKeys,
    });
    if (ctx.actor) opts.onActor(req, ctx.actor.keyId);
    let output: unknown;
    try {
      output = await callTRPCProcedure({
        router: appRouter,
        path: entry.route.procedure,
        getRawInput: async () => input,
        ctx,
        type: entry.type,
        signal: undefined,
        batchIndex: 0,
      });
    } finally {
      for (const [name, value] of ctx.responseHeaders) res.setHeader(name, value);
    }
    const created =
      entry.route.created === "always" ||
      (entry.route.created === "when-status-created" &&
        typeof output === "object" &&
        output !== null &&
        "status" in output &&
        output.status === "created");
    const text = JSON.stringify(output ?? null);
    res.statusCode = created ? 201 : 200;
    res.setHeader("Content-Type", "application/json");
    res.setHeader("Content-Length", Buffer.byteLength(text));
    res.end(method === "HEAD" ? undefined : text);
  }

  return (req, res, pathname, requestId) => {
    handle(req, res, pathname, requestId).catch((cause: unknown) => {
      const error = toTRPCError(getTRPCErrorFromUnknown(cause));
      const described = describeError(error, requestId);
      const problem = toProblem(described, requestId, pathname);
      const fields = { requestId, path: pathname, code: described.code };
      if (described.code === "INTERNAL") {
        opts.logger.error({ ...fields, err: error.cause ?? error }, "request failed");
      } else {
        opts.logger.info({ ...fields, message: described.message }, "request rejected");
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (problem.code === "PAYLOAD_TOO_LARGE") res.setHeader("Connection", "close");
      sendProblem(res, problem);
    });
  };
}
