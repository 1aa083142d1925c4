/**
 * The API's HTTP server: tRPC under /trpc, a plain JSON /health, a request id
 * per request (X-Request-Id in and out), structured logs, a body size limit
 * and a graceful close() that lets in-flight requests finish.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { PleDatabase } from "@ple/db";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { ApiKeyCache } from "./api-key-cache.js";
import { createContext } from "./context.js";
import { DEFAULT_BODY_LIMIT_BYTES } from "./env.js";
import { describeError } from "./errors.js";
import { checkHealth } from "./health.js";
import { MAX_BATCH_SIZE } from "./limits.js";
import { createLogger, type Logger } from "./logger.js";
import { appRouter } from "./root.js";

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
  const requestIds = new WeakMap<http.IncomingMessage, string>();
  const actors = new WeakMap<http.IncomingMessage, string>();
  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | null = null;

  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: bodyLimitBytes,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: async ({ req, info }) => {
      const ctx = await createContext({
        req,
        info,
        db,
        requestId: requestIds.get(req),
        logger,
        apiKeys,
      });
      if (ctx.actor) actors.set(req, ctx.actor.keyId);
      return ctx;
    },
    responseMeta({ ctx }) {
      return { headers: ctx ? Object.fromEntries(ctx.responseHeaders) : {} };
    },
    onError({ error, path, ctx }) {
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
  });

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
    requestIds.set(req, requestId);
    res.setHeader("X-Request-Id", requestId);
    inFlight += 1;
    if (closing) res.setHeader("Connection", "close");
    res.on("close", () => {
      inFlight -= 1;
      const pathname = (req.url ?? "/").split("?")[0];
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
      if (closing) {
        // A keep-alive connection that just became idle would hold close() open.
        setImmediate(() => server.closeIdleConnections());
        if (inFlight === 0) drained?.();
      }
    });

    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname === "/health" && (req.method === "GET" || req.method === "HEAD")) {
      sendHealth(res).catch((error: unknown) => {
        logger.error({ requestId, err: error }, "health check failed");
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
      return;
    }
    if (pathname === "/trpc" || pathname.startsWith("/trpc/")) {
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > bodyLimitBytes) {
        // tRPC stops reading at the limit and answers PAYLOAD_TOO_LARGE; the
        // unread rest of the body makes the connection unusable afterwards.
        res.setHeader("Connection", "close");
      }
      trpcHandler(req, res);
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
