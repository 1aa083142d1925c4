/**
 * A single tRPC query sent as GET (`GET /trpc/<path>?input=<JSON>`: what httpLink and callers
 * without a tRPC client send), answered on node:http directly instead of through tRPC's Fetch
 * adapter. It is what resolveResponse does for such a request, step for step: the same context,
 * the procedure itself (so its middleware: key check, roles, error mapping), the input read
 * lazily as tRPC reads it, the same error formatter and onError, the same status, headers and
 * body (`{"result":{"data":…}}` or `{"error":…}` through the transformer).
 *
 * Measured reason (bench, `--cpu-prof` of the server under 32 lean callers of companies.get):
 * the Fetch Request/Response, Headers, AbortSignal.any and web streams that the adapter builds
 * per request were ~15% of the server's CPU, with GC for them on top; the server used
 * ~0.45 ms of CPU per request against ~0.17 ms for the same procedure over REST.
 *
 * Anything else (batches, POST, HEAD, a content type, a streaming accept, connection params,
 * an unusual URL or Host) is left to resolveResponse: handle() answers false and writes nothing.
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
import { appRouter } from "./root.js";

export interface TrpcGetOptions {
  /** The context of the request, as resolveResponse gets it (info.calls: the one call). */
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

/** A procedure path that decodeURIComponent leaves as it is. */
const PLAIN_PROCEDURE_PATH = /^[A-Za-z0-9_.]+$/;

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

/**
 * The `?input=` text of a request this module answers (null when it has none), or undefined
 * for a request left to resolveResponse: not a GET, a body, a content type, a streaming
 * accept, a batch, connection params, a fragment or an unusual Host.
 */
export function plainQueryInput(
  req: Pick<http.IncomingMessage, "method" | "url" | "headers">,
): string | null | undefined {
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
  if (queryAt === -1) return null;
  const search = url.slice(queryAt + 1);
  // new URL() would cut a fragment off; batch and connectionParams change the protocol.
  if (search.includes("#")) return undefined;
  const params = new URLSearchParams(search);
  if (params.has("batch") || params.has("connectionParams")) return undefined;
  return params.get("input");
}

export function createTrpcGetHandler(opts: TrpcGetOptions): TrpcGetHandler {
  const config = appRouter._def._config;
  const queries = new Map<string, AnyTRPCProcedure>();
  // tRPC types _def.procedures like the nested router record; at run time it is flat, by path.
  for (const [path, procedure] of Object.entries(
    appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>,
  )) {
    if (procedure._def.type === "query") queries.set(path, procedure);
  }

  async function answer(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    requestId: string,
    procedure: AnyTRPCProcedure,
    inputText: string | null,
    signal: AbortSignal,
  ): Promise<void> {
    // The input, read when the procedure asks for it (after the key check), once.
    let input: unknown;
    let inputRead = false;
    let reading: Promise<unknown> | null = null;
    const getRawInput = async (): Promise<unknown> => {
      if (inputRead) return input;
      reading ??= (async () => {
        const inputs: unknown = inputText ? JSON.parse(inputText) : undefined;
        return inputs === undefined ? undefined : config.transformer.input.deserialize(inputs);
      })().catch((cause: unknown) => {
        if (cause instanceof TRPCError) throw cause;
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: cause instanceof Error ? cause.message : "Invalid input",
          cause,
        });
      });
      input = await reading;
      inputRead = true;
      reading = null;
      return input;
    };
    const inputResult = () => (inputRead ? input : undefined);

    let ctx: Context | undefined;
    let ctxError: TRPCError | undefined;
    try {
      ctx = await opts.createContext(req, requestId, { calls: [path] });
    } catch (cause) {
      ctxError = getTRPCErrorFromUnknown(cause);
    }

    let body: string;
    let status: number;
    try {
      let untransformed: { result: { data: unknown } } | { error: unknown };
      try {
        if (ctxError !== undefined) throw ctxError;
        const data: unknown = await procedure({
          path,
          getRawInput,
          ctx,
          type: "query",
          signal,
          batchIndex: 0,
        });
        untransformed = { result: { data } };
        status = 200;
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        opts.onError({ error, path, ctx });
        const shape = getTRPCErrorShape({
          config,
          ctx,
          error,
          input: inputResult(),
          path,
          type: "query",
        });
        untransformed = { error: shape };
        status = statusOf(shape, error);
      }
      if ("result" in untransformed && isDataStream(untransformed.result.data)) {
        throw new TRPCError({
          code: "UNSUPPORTED_MEDIA_TYPE",
          message:
            "Cannot use stream-like response in non-streaming request - use httpBatchStreamLink",
        });
      }
      body = JSON.stringify(transformTRPCResponse(config, untransformed as never));
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
      status = statusOf(shape, error);
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
      if (!PLAIN_PROCEDURE_PATH.test(path)) return false;
      const procedure = queries.get(path);
      if (procedure === undefined) return false;
      const inputText = plainQueryInput(req);
      if (inputText === undefined) return false;
      // The adapter's request signal: aborted when the client goes away before the answer.
      const abort = new AbortController();
      res.once("close", () => {
        if (!res.writableEnded) abort.abort();
      });
      answer(req, res, path, requestId, procedure, inputText, abort.signal).catch(
        (cause: unknown) => opts.onFailure(req, res, path, requestId, cause),
      );
      return true;
    },
  };
}

/** The HTTP status of an error answer, as tRPC's getHTTPStatusCode gives it. */
function statusOf(shape: unknown, error: TRPCError): number {
  const data = isObject(shape) ? shape.data : undefined;
  return isObject(data) && typeof data.httpStatus === "number"
    ? data.httpStatus
    : getHTTPStatusCodeFromError(error);
}
