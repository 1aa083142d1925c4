/**
 * @ple/api — the tRPC API: router, context, HTTP server, REST routes and their OpenAPI
 * document. The typed client is @ple/api/client (shipped alone as @ple/client).
 */
export {
  ApiKeyCache,
  DEFAULT_API_KEY_CACHE_MS,
  forgetApiKey,
  MAX_API_KEY_CACHE_MS,
} from "./api-key-cache.js";
export { type ClusterPrimary, joinCluster, startClusterPrimary } from "./cluster.js";
export { type ApiActor, type Context, createContext, createContextInner } from "./context.js";
export { type ApiEnv, readApiEnv } from "./env.js";
export { describeError, type PleErrorData, trpcCodeFor } from "./errors.js";
export {
  DEFAULT_RELAY_STREAM,
  DEFAULT_RELAY_SUBJECT,
  type EventRelayOptions,
  type RelayBatch,
  type RelaySummary,
  runEventRelay,
} from "./event-relay.js";
export { checkHealth, type Health } from "./health.js";
export { MAX_BATCH_SIZE } from "./limits.js";
export {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogDestination,
  type LogFormat,
  type Logger,
  type LogLevel,
} from "./logger.js";
export { buildOpenApiDocument, type OpenApiDocument } from "./rest/openapi.js";
export { type ProcedurePath, type RestRoute, restRoutes } from "./rest/routes.js";
export { type AppRouter, appRouter, createCaller } from "./root.js";
export { EVENT_POLL_MS } from "./routers/events.js";
export { type CreateServerOptions, createServer, type PleServer } from "./server.js";
export {
  prepareDatabase,
  type StartApiOptions,
  type StartedApi,
  startApi,
  workersRefused,
} from "./start.js";
export { createCallerFactory } from "./trpc.js";
