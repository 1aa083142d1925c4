/**
 * The API server's configuration — the only file of @ple/api that reads
 * process.env. (DATABASE_URL and PLE_DATA_DIR belong to @ple/db's env.)
 */
import { parseEnv } from "@ple/db";
import { z } from "zod";
import { DEFAULT_API_KEY_CACHE_MS, MAX_API_KEY_CACHE_MS } from "./api-key-cache.js";
import { LOG_LEVELS } from "./logger.js";

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

const ApiEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  PLE_API_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_BODY_LIMIT_BYTES),
  PLE_API_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  /** How long an accepted API key is trusted before it is looked up again (0 = every request). */
  PLE_API_KEY_CACHE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_API_KEY_CACHE_MS)
    .default(DEFAULT_API_KEY_CACHE_MS),
});
export type ApiEnv = z.infer<typeof ApiEnv>;

/** Reads and validates the API's environment; a bad value fails with one line naming the variable. */
export function readApiEnv(env: NodeJS.ProcessEnv = process.env): ApiEnv {
  return parseEnv(ApiEnv, env);
}
