/**
 * The CLI's configuration: the only module of @ple/cli that reads `process.env`.
 * Database settings (DATABASE_URL, PLE_DATA_DIR) belong to @ple/db's env.ts; the API server's
 * (PORT, HOST, LOG_LEVEL, ...) to @ple/api's readApiEnv. Each setting is read when a command
 * first uses it, so a bad value fails only the commands that use it: `PORT=abc ple db status`
 * works, `PORT=abc ple serve` names PORT.
 */

import { userInfo } from "node:os";
import { resolve } from "node:path";
import { type ApiEnv, readApiEnv } from "@ple/api";
import { ConfigError, parseEnv, type RetentionPeriods, retentionSettings } from "@ple/db";
import { z } from "zod";

const ActorSchema = z.object({ PLE_ACTOR: z.string().trim().min(1).max(200).optional() });
const BackupSchema = z.object({ PLE_BACKUP_DIR: z.string().trim().min(1).max(4096).optional() });
const ColorSchema = z.object({ NO_COLOR: z.string().optional() });

/** A retention period: whole days, or `forever`. */
const DAYS = /^\d{1,6}$/;

export interface CliEnv {
  /** Who the CLI acts as in the audit log: PLE_ACTOR, else `cli:<os user>`. */
  readonly actor: string;
  /** Days per retention setting (PLE_RETENTION_*_DAYS) that is set; unset ones take their default. */
  readonly retention: RetentionPeriods;
  /** The API server's settings (PORT, HOST, LOG_LEVEL, ...), read by @ple/api's own rules. */
  readonly api: ApiEnv;
  /** Where guarded commands write their safety backups: PLE_BACKUP_DIR, else ./ple-backups. */
  readonly backupDir: string;
  readonly color: boolean;
  /** The variables read, for @ple/db's own reader (DATABASE_URL, PLE_DATA_DIR). */
  readonly source: NodeJS.ProcessEnv;
}

function osUser(): string {
  try {
    return userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}

function readRetention(source: NodeJS.ProcessEnv): RetentionPeriods {
  const periods: Record<string, number | null> = {};
  for (const { setting } of retentionSettings()) {
    const value = source[setting]?.trim();
    if (value === undefined || value === "") continue;
    if (value.toLowerCase() === "forever") periods[setting] = null;
    else if (DAYS.test(value)) periods[setting] = Number(value);
    else throw new ConfigError(setting, "must be a whole number of days (e.g. 365) or forever");
  }
  return periods;
}

/** The settings, each read (and validated) on first use. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): CliEnv {
  const cache = new Map<string, unknown>();
  const once = <T>(key: string, read: () => T): T => {
    if (!cache.has(key)) cache.set(key, read());
    return cache.get(key) as T;
  };
  return {
    get actor() {
      return once("actor", () => parseEnv(ActorSchema, source).PLE_ACTOR ?? `cli:${osUser()}`);
    },
    get retention() {
      return once("retention", () => readRetention(source));
    },
    get api() {
      return once("api", () => readApiEnv(source));
    },
    get backupDir() {
      return once("backupDir", () =>
        resolve(parseEnv(BackupSchema, source).PLE_BACKUP_DIR ?? "ple-backups"),
      );
    },
    get color() {
      return parseEnv(ColorSchema, source).NO_COLOR === undefined;
    },
    source,
  };
}
