/**
 * `ple doctor`: can we reach the database, which one is it, is its schema current (pending
 * migrations, drift, missing files) and is the migration lock free. Exit code 1 when a check fails.
 */
import { isPleError } from "@ple/core";
import { migrationStatus, type PleDatabase, serverVersion } from "@ple/db";
import type { CommandSpec } from "../command.js";
import { renderTable } from "../output.js";

export type CheckOutcome = "ok" | "warn" | "fail";

export interface DoctorCheck {
  check: string;
  outcome: CheckOutcome;
  detail: string;
}

export interface DoctorReport {
  ok: boolean;
  database: {
    kind: PleDatabase["kind"] | null;
    location: string | null;
    server_version: string | null;
  };
  checks: DoctorCheck[];
}

/** A server URL without its password, for display. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

export async function doctor(openDb: () => Promise<PleDatabase>): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const report: DoctorReport = {
    ok: false,
    database: { kind: null, location: null, server_version: null },
    checks,
  };
  let db: PleDatabase;
  try {
    db = await openDb();
  } catch (err) {
    checks.push({ check: "open database", outcome: "fail", detail: messageOf(err) });
    return report;
  }
  report.database.kind = db.kind;
  report.database.location =
    db.kind === "server" ? redactUrl(db.url ?? "") : (db.dataDir ?? "(in memory)");
  checks.push({
    check: "database",
    outcome: "ok",
    detail: `${db.kind === "server" ? "PostgreSQL server" : "embedded (PGlite)"} at ${report.database.location}`,
  });
  try {
    const started = performance.now();
    report.database.server_version = await serverVersion(db.knex);
    const ms = Math.round(performance.now() - started);
    checks.push({
      check: "connection",
      outcome: "ok",
      detail: `PostgreSQL ${report.database.server_version ?? "?"}, answered in ${ms} ms`,
    });
  } catch (err) {
    checks.push({ check: "connection", outcome: "fail", detail: messageOf(err) });
    return report;
  }
  try {
    const status = await migrationStatus(db);
    checks.push({
      check: "schema version",
      outcome: status.pending.length === 0 ? "ok" : "warn",
      detail:
        status.pending.length === 0
          ? `${status.current ?? "(none)"}, up to date`
          : `${status.current ?? "(none)"}; ${status.pending.length} pending: ${status.pending.join(", ")} (run \`ple db migrate\`)`,
    });
    checks.push({
      check: "drift",
      outcome: status.drift.length + status.missing.length === 0 ? "ok" : "fail",
      detail:
        status.drift.length + status.missing.length === 0
          ? "applied migration files unchanged"
          : [
              status.drift.length > 0 ? `changed since applied: ${status.drift.join(", ")}` : "",
              status.missing.length > 0 ? `missing files: ${status.missing.join(", ")}` : "",
            ]
              .filter(Boolean)
              .join("; "),
    });
    checks.push({
      check: "migration lock",
      outcome: status.locked ? "warn" : "ok",
      detail: status.locked
        ? "set: a runner is active, or one crashed (`ple db unlock` if none is running)"
        : "free",
    });
  } catch (err) {
    checks.push({ check: "migrations", outcome: "fail", detail: messageOf(err) });
  }
  report.ok = checks.every((c) => c.outcome !== "fail");
  return report;
}

function messageOf(err: unknown): string {
  if (isPleError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export const doctorCommands: CommandSpec[] = [
  {
    path: ["doctor"],
    summary: "check the connection, server version, schema version, drift and migration lock",
    description: "Exit code 1 when a check fails (warnings, such as pending migrations, do not).",
    positionals: [],
    options: {},
    examples: ["ple doctor", "DATABASE_URL=postgres://app@db:5432/ple ple doctor --json"],
    async run(ctx) {
      const report = await doctor(() => ctx.db());
      const verdict = report.ok ? "All checks passed." : "Some checks FAILED (see above).";
      return {
        data: report,
        human: `${renderTable(report.checks.map((c) => ({ ...c, outcome: c.outcome.toUpperCase() })))}\n\n${verdict}`,
        exitCode: report.ok ? 0 : 1,
      };
    },
  },
];
