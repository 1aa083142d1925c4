/**
 * The API server's configuration — the only file of @ple/api that reads
 * process.env. (DATABASE_URL and PLE_DATA_DIR belong to @ple/db's env.)
 */
import { parseEnv } from "@ple/db";
import { z } from "zod";
import { DEFAULT_API_KEY_CACHE_MS, MAX_API_KEY_CACHE_MS } from "./api-key-cache.js";
import { DEFAULT_RELAY_STREAM, DEFAULT_RELAY_SUBJECT } from "./event-relay.js";
import { LOG_LEVELS } from "./logger.js";

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Most API processes PLE_API_WORKERS may ask for. */
export const MAX_API_WORKERS = 64;

const ApiEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  PLE_API_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_BODY_LIMIT_BYTES),
  /**
   * API processes serving one port (node:cluster): the primary migrates, forks this many
   * workers and restarts one that crashes. More than 1 needs a PostgreSQL server (DATABASE_URL).
   */
  PLE_API_WORKERS: z.coerce.number().int().min(1).max(MAX_API_WORKERS).default(1),
  PLE_API_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  /** How long an accepted API key is trusted before it is looked up again (0 = every request). */
  PLE_API_KEY_CACHE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_API_KEY_CACHE_MS)
    .default(DEFAULT_API_KEY_CACHE_MS),
  /** The NATS server the change-feed relay publishes to; unset, `ple events relay` is off. */
  PLE_NATS_URL: z
    .string()
    .trim()
    .regex(/^(nats|tls|ws|wss):\/\/[^\s]+$/, "must be a nats:// URL (e.g. nats://127.0.0.1:4222)")
    .optional(),
  /** The JetStream stream the relay writes (created when missing). */
  PLE_NATS_STREAM: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, "must be letters, digits, '_' or '-' (e.g. PLE_EVENTS)")
    .default(DEFAULT_RELAY_STREAM),
  /** The subject prefix: an event goes to <prefix>.<type>, e.g. ple.events.company.created. */
  PLE_NATS_SUBJECT: z
    .string()
    .trim()
    .regex(
      /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
      "must be dot-separated tokens without wildcards (e.g. ple.events)",
    )
    .default(DEFAULT_RELAY_SUBJECT),
});
export type ApiEnv = z.infer<typeof ApiEnv>;

/** Reads and validates the API's environment; a bad value fails with one line naming the variable. */
export function readApiEnv(env: NodeJS.ProcessEnv = process.env): ApiEnv {
  return parseEnv(ApiEnv, env);
}
