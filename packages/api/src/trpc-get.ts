/**
 * tRPC queries sent as GET — one (`GET /trpc/<path>?input=<JSON>`, what httpLink and callers
 * without a tRPC client send) or a batch (`GET /trpc/<a>,<b>?batch=1&input=…`, httpBatchLink) —
 * answered on node:http directly instead of through tRPC's Fetch adapter. It is what
 * resolveResponse does for such a request, step for step: the same context, each procedure
 * itself (so its middleware: key check, roles, error mapping), the inputs read lazily as tRPC
 * reads them, the same error formatter and onError, the same status (207 for a batch of mixed
 * outcomes), headers and body (`{"result":{"data":…}}` or `{"error":…}`, an array for a batch,
 * through the transformer).
 *
 * Measured reason (bench, `--cpu-prof` of the server under 32 lean callers of companies.get):
 * the Fetch Request/Response, Headers, AbortSignal.any and web streams that the adapter builds
 * per request were ~15% of the server's CPU, with GC for them on top; the server used
 * ~0.45 ms of CPU per request against ~0.17 ms for the same procedure over REST.
 *
 * Anything else (POST, HEAD, a mutation, subscription or unknown path, a batch over the size
 * limit, a content type, a streaming accept, connection params, an unusual URL or Host) is left
 * to resolveResponse: handle() answers false and writes nothing.
 */
import type http from "node:http";
import {
  type AnyTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  TRPCError,
  transformTRPCResponse,
} from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { Context } from "./context.js";
import { MAX_BATCH_SIZE } from "./limits.js";
import { appRouter } from "./root.js";

export interface TrpcGetOptions {
  /** The context of the request, as resolveResponse gets it (info.calls: one entry per call). */
  createContext(
    req: http.IncomingMessage,
    requestId: string,
    info: { calls: readonly unknown[] },
  ): Promise<Context>;
  onError(opts: { error: TRPCError; path?: string; ctx?: Context }): void;
  responseMeta(opts: { ctx?: Context }): { headers?: Record<string, string> };
  /** What the adapter does with an error thrown while answering (its exception handler). */
  onFailure(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    requestId: string,
    cause: unknown,
  ): void;
}

export interface TrpcGetHandler {
  /** Answers the request and returns true, or returns false (and writes nothing) to leave it to resolveResponse. */
  handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    requestId: string,
  ): boolean;
}

/** Procedure paths (comma-separated in a batch) that decodeURIComponent leaves as they are. */
const PLAIN_PROCEDURE_PATHS = /^[A-Za-z0-9_.,]+$/;

/** A Host that new URL() accepts unchanged (tRPC's adapter answers BAD_REQUEST "Invalid URL" otherwise). */
const PLAIN_HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** tRPC's isObject (codes.ts). */
function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && !Array.isArray(value) && typeof value === "object";
}

function isAsyncIterable(value: unknown): boolean {
  return isObject(value) && Symbol.asyncIterator in value;
}

function isPromise(value: unknown): boolean {
  return (
    (isObject(value) || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function" &&
    typeof (value as { catch?: unknown }).catch === "function"
  );
}

/** tRPC's isDataStream: a result only httpBatchStreamLink could carry. */
function isDataStream(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (isAsyncIterable(value)) return true;
  const values = Object.values(value);
  return values.some(isPromise) || values.some(isAsyncIterable);
}

/** Whether the request's Accept asks for JSONL streaming (tRPC's getAcceptHeader). */
function acceptsJsonl(accept: string | undefined): boolean {
  return accept?.split(",").some((type) => type.trim() === "application/jsonl") === true;
}

/** What a request answered here asks for: its `?input=` text (null without one) and whether it is a batch. */
export interface PlainQuery {
  input: string | null;
  batch: boolean;
}

/**
 * The query of a request this module answers, or undefined for a request left to
 * resolveResponse: not a GET, a body, a content type, a streaming accept, a `batch` other than
 * 1, connection params, a fragment or an unusual Host.
 */
export function plainQueryOf(
  req: Pick<http.IncomingMessage, "method" | "url" | "headers">,
): PlainQuery | undefined {
  const { headers } = req;
  if (
    req.method !== "GET" ||
    headers["content-type"] !== undefined ||
    headers["content-length"] !== undefined ||
    headers["transfer-encoding"] !== undefined ||
    headers["trpc-accept"] !== undefined ||
    acceptsJsonl(headers.accept) ||
    (headers.host !== undefined && !PLAIN_HOST.test(headers.host))
  ) {
    return undefined;
  }
  const url = req.url ?? "";
  const queryAt = url.indexOf("?");
  if (queryAt === -1) return { input: null, batch: false };
  const search = url.slice(queryAt + 1);
  // new URL() would cut a fragment off; connectionParams changes the protocol.
  if (search.includes("#")) return undefined;
  const params = new URLSearchParams(search);
  const batch = params.get("batch");
  if ((batch !== null && batch !== "1") || params.has("connectionParams")) return undefined;
  return { input: params.get("input"), batch: batch === "1" };
}

type Outcome = [error: TRPCError, data: undefined] | [error: undefined, data: unknown];
type RpcResponse = { result: { data: unknown } } | { error: unknown };

export function createTrpcGetHandler(opts: TrpcGetOptions): TrpcGetHandler {
  const config = appRouter._def._config;
  const queries = new Map<string, AnyTRPCProcedure>();
  // tRPC types _def.procedures like the nested router record; at run time it is flat, by path.
  for (const [path, procedure] of Object.entries(
    appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>,
  )) {
    if (procedure._def.type === "query") queries.set(path, procedure);
  }

  /** The inputs by call index, parsed once when a procedure first asks (tRPC's getInputs memo). */
  function inputReader(query: PlainQuery, count: number) {
    let inputs: Record<number, unknown> | undefined;
    let reading: Promise<Record<number, unknown>> | null = null;
    const parse = async (): Promise<Record<number, unknown>> => {
      const parsed: unknown = query.input ? JSON.parse(query.input) : undefined;
      const byIndex: Record<number, unknown> = {};
      if (parsed === undefined) return byIndex;
      if (!query.batch) {
        byIndex[0] = config.transformer.input.deserialize(parsed);
        return byIndex;
      }
      if (!isObject(parsed)) {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: '"input" needs to be an object when doing a batch call',
        });
      }
      for (let index = 0; index < count; index++) {
        const input = parsed[index];
        if (input !== undefined) byIndex[index] = config.transformer.input.deserialize(input);
      }
      return byIndex;
    };
    return {
      async read(index: number): Promise<unknown> {
        if (inputs === undefined) {
          reading ??= parse().catch((cause: unknown) => {
            if (cause instanceof TRPCError) throw cause;
            throw new TRPCError({
              code: "BAD_REQUEST",
              message: cause instanceof Error ? cause.message : "Invalid input",
              cause,
            });
          });
          inputs = await reading;
          reading = null;
        }
        return inputs[index];
      },
      /** The input of a call if it has been read. */
      result: (index: number): unknown => inputs?.[index],
    };
  }

  async function answer(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    requestId: string,
    paths: string[],
    procedures: AnyTRPCProcedure[],
    query: PlainQuery,
    signal: AbortSignal,
  ): Promise<void> {
    const inputs = inputReader(query, paths.length);
    let ctx: Context | undefined;
    let ctxError: TRPCError | undefined;
    try {
      ctx = await opts.createContext(req, requestId, { calls: paths });
    } catch (cause) {
      ctxError = getTRPCErrorFromUnknown(cause);
    }

    const calls = procedures.map(async (procedure, index): Promise<Outcome> => {
      const path = paths[index] as string;
      try {
        if (ctxError !== undefined) throw ctxError;
        const data: unknown = await procedure({
          path,
          getRawInput: () => inputs.read(index),
          ctx,
          type: "query",
          signal,
          batchIndex: index,
        });
        return [undefined, data];
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        opts.onError({ error, path, ctx });
        return [error, undefined];
      }
    });
    const errorResponse = (error: TRPCError, index: number): RpcResponse => ({
      error: getTRPCErrorShape({
        config,
        ctx,
        error,
        input: inputs.result(index),
        path: paths[index],
        type: "query",
      }),
    });

    let body: string;
    let status: number;
    try {
      if (!query.batch) {
        const [error, data] = await (calls[0] as Promise<Outcome>);
        if (error === undefined && isDataStream(data)) throw streamError();
        const response = error === undefined ? { result: { data } } : errorResponse(error, 0);
        status = statusOf([response], [error]);
        body = JSON.stringify(transformTRPCResponse(config, response as never));
      } else {
        const outcomes = (await Promise.all(calls)).map(
          (outcome): Outcome =>
            outcome[0] === undefined && isDataStream(outcome[1])
              ? [streamError(), undefined]
              : outcome,
        );
        const responses = outcomes.map(([error, data], index) =>
          error === undefined ? { result: { data } } : errorResponse(error, index),
        );
        status = statusOf(
          responses,
          outcomes.map(([error]) => error),
        );
        body = JSON.stringify(transformTRPCResponse(config, responses as never));
      }
    } catch (cause) {
      // What resolveResponse's outer catch does (caughtErrorToData): no path, the context.
      const error = getTRPCErrorFromUnknown(cause);
      opts.onError({ error, ctx });
      const shape = getTRPCErrorShape({
        config,
        ctx,
        error,
        input: undefined,
        path: undefined,
        type: "query",
      });
      body = JSON.stringify(transformTRPCResponse(config, { error: shape }));
      status = statusOf([{ error: shape }], [error]);
    }

    res.statusCode = status;
    res.setHeader("vary", "trpc-accept, accept");
    res.setHeader("content-type", "application/json");
    const headers = opts.responseMeta({ ctx }).headers;
    if (headers !== undefined) {
      for (const [name, value] of Object.entries(headers)) {
        if (typeof value === "string") res.setHeader(name.toLowerCase(), value);
      }
    }
    res.setHeader("content-length", Buffer.byteLength(body));
    res.end(body);
  }

  return {
    handle(req, res, path, requestId) {
      if (!PLAIN_PROCEDURE_PATHS.test(path)) return false;
      const query = plainQueryOf(req);
      if (query === undefined) return false;
      const paths = query.batch ? path.split(",") : [path];
      if (paths.length > MAX_BATCH_SIZE) return false;
      const procedures: AnyTRPCProcedure[] = [];
      for (const one of paths) {
        const procedure = queries.get(one);
        if (procedure === undefined) return false;
        procedures.push(procedure);
      }
      // The adapter's request signal: aborted when the client goes away before the answer.
      const abort = new AbortController();
      res.once("close", () => {
        if (!res.writableEnded) abort.abort();
      });
      answer(req, res, requestId, paths, procedures, query, abort.signal).catch((cause: unknown) =>
        opts.onFailure(req, res, path, requestId, cause),
      );
      return true;
    },
  };
}

function streamError(): TRPCError {
  return new TRPCError({
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: "Cannot use stream-like response in non-streaming request - use httpBatchStreamLink",
  });
}

/** The HTTP status of an answer, as tRPC's getHTTPStatusCode gives it (207 for mixed outcomes). */
function statusOf(responses: RpcResponse[], errors: Array<TRPCError | undefined>): number {
  const statuses = new Set(
    responses.map((response, index) => {
      if (!("error" in response)) return 200;
      const data = isObject(response.error) ? response.error.data : undefined;
      if (isObject(data) && typeof data.httpStatus === "number") return data.httpStatus;
      const error = errors[index];
      return error === undefined ? 500 : getHTTPStatusCodeFromError(error);
    }),
  );
  return statuses.size === 1 ? (statuses.values().next().value as number) : 207;
}
