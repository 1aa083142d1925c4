/**
 * The API's HTTP server: tRPC under /trpc, REST under /v1 (rest/handler.ts) with its OpenAPI
 * document at /openapi.json, a plain JSON /health, a request id
 * per request (X-Request-Id in and out), structured logs, a body size limit
 * and a graceful close() that lets in-flight requests finish.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PleError } from "@ple/core";
import type { PleDatabase } from "@ple/db";
import {
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  type TRPCError,
  transformTRPCResponse,
} from "@trpc/server";
import {
  incomingMessageToRequest,
  internal_exceptionHandler,
} from "@trpc/server/adapters/node-http";
import { resolveResponse } from "@trpc/server/http";
import { ApiKeyCache } from "./api-key-cache.js";
import { type Context, createContext, createContextInner } from "./context.js";
import { DEFAULT_BODY_LIMIT_BYTES } from "./env.js";
import { describeError, toTRPCError } from "./errors.js";
import { checkHealth } from "./health.js";
import { MAX_BATCH_SIZE } from "./limits.js";
import { createLogger, type Logger } from "./logger.js";
import { createRestHandler } from "./rest/handler.js";
import { buildOpenApiDocument } from "./rest/openapi.js";
import { appRouter } from "./root.js";
import { createTrpcGetHandler } from "./trpc-get.js";

export interface CreateServerOptions {
  db: PleDatabase;
  logger?: Logger;
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** How long close() waits for in-flight requests before cutting connections (default 10 s). */
  shutdownTimeoutMs?: number;
  /**
   * How long an accepted API key is trusted without looking it up again, in ms
   * (default 5000, 0 = look up on every request). A key revoked outside this
   * process stops working within this time; one revoked through this API at once.
   */
  apiKeyCacheMs?: number;
}

export interface PleServer {
  /** The node http server (not listening until listen()). */
  server: http.Server;
  /** Starts listening; port 0 picks a free port. Resolves to the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting connections, waits for in-flight requests, then closes. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Paths that WHATWG URL parsing returns unchanged: no dot segments, no empty segments, no escapes. */
const PLAIN_PATH = /^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\/?)*$/;

/** The pathname of a request URL, as new URL() gives it, without parsing the common plain case. */
function pathnameOf(url: string): string {
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  return PLAIN_PATH.test(path) ? path : new URL(url, "http://localhost").pathname;
}

/** One leading and one trailing slash off, as tRPC's standalone adapter does. */
function trimSlashes(path: string): string {
  const start = path.startsWith("/") ? 1 : 0;
  const end = path.length > start && path.endsWith("/") ? path.length - 1 : path.length;
  return path.slice(start, end);
}

/**
 * Writes a tRPC Fetch Response to the node response. A complete JSON answer (every
 * non-streaming call) is sent in one piece with a Content-Length; a streamed one
 * (httpBatchStreamLink's JSONL, subscriptions) is written chunk by chunk as it comes.
 */
async function writeResponse(
  res: http.ServerResponse,
  response: Response,
  signal: AbortSignal,
): Promise<void> {
  if (res.statusCode === 200) res.statusCode = response.status;
  for (const [key, value] of response.headers) {
    if (key !== "set-cookie") res.setHeader(key, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  const body = response.body;
  if (body === null) {
    res.end();
    return;
  }
  const streamed =
    response.headers.has("transfer-encoding") ||
    response.headers.get("content-type")?.startsWith("text/event-stream") === true;
  if (!streamed) {
    const buffer = Buffer.from(await response.arrayBuffer());
    res.setHeader("Content-Length", buffer.byteLength);
    res.end(buffer);
    return;
  }
  const reader = body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) {
        await new Promise<void>((resume) => {
          const go = () => {
            res.off("drain", go);
            res.off("close", go);
            resume();
          };
          res.on("drain", go);
          res.on("close", go);
        });
      }
    }
  } catch (error) {
    if (!signal.aborted) {
      if (!res.headersSent) res.statusCode = 500;
      throw error;
    }
  } finally {
    signal.removeEventListener("abort", cancel);
    res.end();
  }
}

/** Content types tRPC reads a POST body as (JSON; its form-data and octet-stream inputs are unused here). */
const TRPC_CONTENT_TYPE = /^application\/json\s*(?:;|$)/i;

function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers["x-request-id"];
  const value = Array.isArray(given) ? given[0] : given;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}

export function createServer(opts: CreateServerOptions): PleServer {
  const { db } = opts;
  const logger = opts.logger ?? createLogger({ level: "silent" });
  const bodyLimitBytes = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 10_000;
  const apiKeys = new ApiKeyCache({ ttlMs: opts.apiKeyCacheMs });
  const actors = new WeakMap<http.IncomingMessage, string>();
  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | null = null;

  const trpcOptions = {
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    responseMeta({ ctx }: { ctx?: Context }) {
      return { headers: ctx ? Object.fromEntries(ctx.responseHeaders) : {} };
    },
    onError({ error, path, ctx }: { error: TRPCError; path?: string; ctx?: Context }) {
      const described = describeError(error, ctx?.requestId);
      const fields = {
        requestId: ctx?.requestId,
        path,
        code: described.code,
        actor: ctx?.actor?.keyId,
      };
      if (described.code === "INTERNAL") {
        logger.error({ ...fields, err: error.cause ?? error }, "request failed");
      } else {
        logger.info({ ...fields, message: described.message }, "request rejected");
      }
    },
  };

  /** The tRPC context of a request; its API key id is noted for the request log. */
  async function contextOf(
    req: http.IncomingMessage,
    requestId: string,
    info: { calls: readonly unknown[] } | undefined,
  ): Promise<Context> {
    const ctx = await createContext({ req, info, db, requestId, logger, apiKeys });
    if (ctx.actor) actors.set(req, ctx.actor.keyId);
    return ctx;
  }

  /** A single GET query without the Fetch adapter (trpc-get.ts); the rest through resolveResponse. */
  const trpcGet = createTrpcGetHandler({
    createContext: contextOf,
    onError: trpcOptions.onError,
    responseMeta: trpcOptions.responseMeta,
    onFailure(req, res, path, requestId, cause) {
      internal_exceptionHandler({
        req,
        res,
        path,
        createContext: ({ info }: { info?: { calls: readonly unknown[] } }) =>
          contextOf(req, requestId, info),
        ...trpcOptions,
      })(cause);
    },
  });

  /**
   * tRPC over node:http: what tRPC's standalone adapter does (its Fetch Request with the
   * body limit and the abort on disconnect, resolveResponse, its exception handler), with
   * the request's path taken from the URL once and a complete answer written in one piece.
   * A single GET query takes trpc-get.ts's shorter way to the same answer.
   */
  function handleTrpc(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    requestId: string,
  ): void {
    if (trpcGet.handle(req, res, path, requestId)) return;
    const context = ({ info }: { info?: { calls: readonly unknown[] } }) =>
      contextOf(req, requestId, info);
    const run = async () => {
      const request = incomingMessageToRequest(req, res, { maxBodySize: bodyLimitBytes });
      const response = await resolveResponse({
        ...trpcOptions,
        req: request,
        path,
        error: null,
        createContext: context,
      });
      await writeResponse(res, response, request.signal);
    };
    run().catch(
      internal_exceptionHandler({ req, res, path, createContext: context, ...trpcOptions }),
    );
  }

  /**
   * A tRPC error envelope for a request refused before tRPC creates its context (wrong method or
   * content type), so the answer still carries the request id and a PLE code.
   */
  async function sendTrpcRefusal(
    res: http.ServerResponse,
    error: PleError,
    path: string,
    requestId: string,
  ): Promise<void> {
    const trpcError = toTRPCError(getTRPCErrorFromUnknown(error));
    const ctx = await createContextInner({ db, actor: null, requestId, logger });
    const shape = getTRPCErrorShape({
      config: appRouter._def._config,
      error: trpcError,
      type: "unknown",
      path,
      input: undefined,
      ctx,
    });
    const body = JSON.stringify(transformTRPCResponse(appRouter._def._config, { error: shape }));
    res.statusCode = shape.data.httpStatus;
    res.setHeader("Content-Type", "application/json");
    res.setHeader("Content-Length", Buffer.byteLength(body));
    res.end(body);
    logger.info(
      { requestId, path, code: shape.data.code, message: shape.message },
      "request rejected",
    );
  }

  /** Why tRPC would refuse this request before creating a context, if it would. */
  function trpcRefusal(req: http.IncomingMessage): PleError | null {
    if (req.method !== "GET" && req.method !== "POST") {
      return new PleError(
        "METHOD_NOT_ALLOWED",
        `${req.method} is not allowed on /trpc: a query is GET (or POST), a mutation is POST.`,
        { details: { reason: "method_not_allowed", allowed: ["GET", "POST"] } },
      );
    }
    const contentType = req.headers["content-type"];
    if (req.method === "POST" && !TRPC_CONTENT_TYPE.test(contentType ?? "")) {
      return new PleError(
        "UNSUPPORTED_MEDIA_TYPE",
        contentType === undefined
          ? "A POST to /trpc needs 'Content-Type: application/json'."
          : `A POST to /trpc must be JSON ('Content-Type: application/json'), not '${contentType}'.`,
        { field: "Content-Type", details: { reason: "unsupported_media_type" } },
      );
    }
    return null;
  }

  const rest = createRestHandler({
    db,
    logger,
    apiKeys,
    bodyLimitBytes,
    onActor: (req, keyId) => actors.set(req, keyId),
  });
  let openApiJson: string | undefined;

  async function sendHealth(res: http.ServerResponse): Promise<void> {
    const health = await checkHealth(db, logger);
    res.statusCode = health.status === "ok" ? 200 : 503;
    res.setHeader("Content-Type", "application/json");
    res.setHeader("Cache-Control", "no-store");
    res.end(JSON.stringify(health));
  }

  function sendNotFound(res: http.ServerResponse, pathname: string): void {
    res.statusCode = 404;
    res.setHeader("Content-Type", "application/json");
    res.end(
      JSON.stringify({
        error: {
          code: "NOT_FOUND",
          message: `No route ${pathname}; use /trpc/<procedure> or /health.`,
        },
      }),
    );
  }

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req);
    res.setHeader("X-Request-Id", requestId);
    inFlight += 1;
    if (closing) res.setHeader("Connection", "close");
    const pathname = pathnameOf(req.url ?? "/");
    res.on("close", () => {
      inFlight -= 1;
      if (logger.isLevelEnabled("info")) {
        logger.info(
          {
            requestId,
            method: req.method,
            path: pathname,
            status: res.statusCode,
            actor: actors.get(req),
            durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          },
          "request",
        );
      }
      if (closing) {
        // A keep-alive connection that just became idle would hold close() open.
        setImmediate(() => server.closeIdleConnections());
        if (inFlight === 0) drained?.();
      }
    });

    if (pathname === "/health" && (req.method === "GET" || req.method === "HEAD")) {
      sendHealth(res).catch((error: unknown) => {
        logger.error({ requestId, err: error }, "health check failed");
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
      return;
    }
    if (pathname === "/v1" || pathname.startsWith("/v1/")) {
      rest(req, res, pathname, requestId);
      return;
    }
    if (pathname === "/openapi.json" && (req.method === "GET" || req.method === "HEAD")) {
      openApiJson ??= JSON.stringify(buildOpenApiDocument());
      res.setHeader("Content-Type", "application/json");
      res.setHeader("Content-Length", Buffer.byteLength(openApiJson));
      res.end(req.method === "HEAD" ? undefined : openApiJson);
      return;
    }
    if (pathname === "/trpc" || pathname.startsWith("/trpc/")) {
      const path = trimSlashes(trimSlashes(pathname).slice("trpc".length));
      const refusal = trpcRefusal(req);
      if (refusal !== null) {
        if (refusal.code === "METHOD_NOT_ALLOWED") res.setHeader("Allow", "GET, POST");
        sendTrpcRefusal(res, refusal, path, requestId).catch((error: unknown) => {
          logger.error({ requestId, err: error }, "refusal failed");
          if (!res.headersSent) res.statusCode = 500;
          res.end();
        });
        return;
      }
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > bodyLimitBytes) {
        // tRPC stops reading at the limit and answers PAYLOAD_TOO_LARGE; the
        // unread rest of the body makes the connection unusable afterwards.
        res.setHeader("Connection", "close");
      }
      handleTrpc(req, res, path, requestId);
      return;
    }
    sendNotFound(res, pathname);
  });

  return {
    server,
    listen(port = 0, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    close() {
      closing = true;
      apiKeys.close();
      return new Promise((resolve, reject) => {
        const drainedPromise = new Promise<void>((done) => {
          if (inFlight === 0) done();
          else drained = done;
        });
        const timer = setTimeout(() => server.closeAllConnections(), shutdownTimeoutMs);
        timer.unref();
        server.close((error) => {
          clearTimeout(timer);
          if (error && (error as NodeJS.ErrnoException).code !== "ERR_SERVER_NOT_RUNNING") {
            reject(error);
          } else {
            drainedPromise.then(() => resolve(), reject);
          }
        });
        server.closeIdleConnections();
      });
    },
  };
}
