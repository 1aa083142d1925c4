/**
 * Health: the database answers and its migrations are current (none pending,
 * none drifted or missing). Shared by the health.check procedure and GET /health.
 */
import { migrationStatus, type PleDatabase } from "@ple/db";
import type { Logger } from "./logger.js";

export interface Health {
  status: "ok" | "degraded" | "unavailable";
  database: { reachable: boolean; kind: PleDatabase["kind"]; latency_ms: number | null };
  migrations: {
    current: boolean;
    version: string | null;
    pending: string[];
    drift: string[];
    missing: string[];
  } | null;
  checked_at: Date;
}

export async function checkHealth(db: PleDatabase, logger?: Logger | null): Promise<Health> {
  const started = performance.now();
  try {
    const status = await migrationStatus(db);
    const latency = Math.round((performance.now() - started) * 10) / 10;
    const current =
      status.pending.length === 0 && status.drift.length === 0 && status.missing.length === 0;
    return {
      status: current ? "ok" : "degraded",
      database: { reachable: true, kind: db.kind, latency_ms: latency },
      migrations: {
        current,
        version: status.current,
        pending: status.pending,
        drift: status.drift,
        missing: status.missing,
      },
      checked_at: new Date(),
    };
  } catch (error) {
    // The reason (host, credentials, SQL) goes to the server's log, never into the answer.
    logger?.warn({ err: error }, "health check: database unreachable");
    return {
      status: "unavailable",
      database: { reachable: false, kind: db.kind, latency_ms: null },
      migrations: null,
      checked_at: new Date(),
    };
  }
}
