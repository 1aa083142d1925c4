/** @ple/api — the tRPC API: router, context, HTTP server. The typed client is @ple/api/client. */
export { type ApiActor, type Context, createContext, createContextInner } from "./context.js";
export { type ApiEnv, ApiEnvError, readApiEnv } from "./env.js";
export { describeError, type PleErrorData, trpcCodeFor } from "./errors.js";
export { createLogger, type Logger } from "./logger.js";
export { type AppRouter, appRouter, createCaller } from "./root.js";
export { type CreateServerOptions, createServer, type PleServer } from "./server.js";
export { createCallerFactory } from "./trpc.js";
