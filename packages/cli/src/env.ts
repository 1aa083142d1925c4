/**
 * The CLI's configuration: the only module of @ple/cli that reads `process.env`.
 * Database settings (DATABASE_URL, PLE_DATA_DIR) belong to @ple/db's env.ts; the API server's
 * (PORT, HOST, LOG_LEVEL) are read here through @ple/api's readApiEnv.
 */
import { userInfo } from "node:os";
import { type ApiEnv, readApiEnv } from "@ple/api";
import { parseEnv } from "@ple/db";
import { z } from "zod";

/** A retention period in whole days; empty or unset keeps rows forever. */
const Days = z
  .string()
  .trim()
  .regex(/^\d{1,6}$/, "must be a whole number of days (e.g. 365)")
  .transform(Number)
  .optional();

const EnvSchema = z.object({
  PLE_ACTOR: z.string().trim().min(1).max(200).optional(),
  PLE_RETENTION_HISTORY_DAYS: Days,
  PLE_RETENTION_AUDIT_DAYS: Days,
  PLE_RETENTION_REJECT_DAYS: Days,
  PLE_RETENTION_EVENT_DAYS: Days,
  NO_COLOR: z.string().optional(),
});

export interface RetentionPeriods {
  /** Closed history versions older than this many days are purged (null: keep forever). */
  historyDays: number | null;
  /** Audit log entries older than this many days are purged (null: keep forever). */
  auditDays: number | null;
  /** Import reject rows older than this many days are purged (null: keep forever). */
  rejectDays: number | null;
  /** Change-feed events older than this many days are purged (null: keep forever). */
  eventDays: number | null;
}

export interface CliEnv {
  /** Who the CLI acts as in the audit log: PLE_ACTOR, else `cli:<os user>`. */
  actor: string;
  retention: RetentionPeriods;
  /** The API server's settings (PORT, HOST, LOG_LEVEL, ...), read by @ple/api's own rules. */
  api: ApiEnv;
  color: boolean;
  /** The variables read, for @ple/db's own reader (DATABASE_URL, PLE_DATA_DIR). */
  source: NodeJS.ProcessEnv;
}

function osUser(): string {
  try {
    return userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}

export function readEnv(source: NodeJS.ProcessEnv = process.env): CliEnv {
  const env = parseEnv(EnvSchema, source);
  return {
    actor: env.PLE_ACTOR ?? `cli:${osUser()}`,
    retention: {
      historyDays: env.PLE_RETENTION_HISTORY_DAYS ?? null,
      auditDays: env.PLE_RETENTION_AUDIT_DAYS ?? null,
      rejectDays: env.PLE_RETENTION_REJECT_DAYS ?? null,
      eventDays: env.PLE_RETENTION_EVENT_DAYS ?? null,
    },
    api: readApiEnv(source),
    color: env.NO_COLOR === undefined,
    source,
  };
}
