/**
 * `ple doctor`: can we reach the database, which one is it, is its schema current (pending
 * migrations, drift, missing files), is the migration lock free, and does every slot holder work
 * for the slot's company. Exit code 1 when a check fails.
 */
import { isPleError } from "@ple/core";
import { listCompanyMismatches, migrationStatus, type PleDatabase, serverVersion } from "@ple/db";
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
  checks.push(await companyConsistency(db));
  report.ok = checks.every((c) => c.outcome !== "fail");
  return report;
}

/**
 * People whose stored company is not the company of the slot they hold or are proposed for
 * (written before migration 012 enforced the rule). A warning: the data is usable, the fix is
 * in the README.
 */
async function companyConsistency(db: PleDatabase): Promise<DoctorCheck> {
  const check = "person companies";
  try {
    const rows = await listCompanyMismatches(db.knex, 6);
    if (rows.length === 0) {
      return { check, outcome: "ok", detail: "every slot holder works for the slot's company" };
    }
    const shown = rows
      .slice(0, 5)
      .map((r) => `${r.person_id} (${r.company_uid ?? "no company"}) in ${r.slot_uid}`)
      .join(", ");
    return {
      check,
      outcome: "warn",
      detail: `${rows.length > 5 ? "more than 5" : rows.length} slot holder(s) stored with another company: ${shown}; fix each with \`ple slot vacate SLOT\` and, if they do work there, \`ple slot link SLOT PERSON --move\` (README: "A person's company")`,
    };
  } catch (err) {
    if (isPleError(err) && err.code === "INTERNAL") {
      return { check, outcome: "warn", detail: "not checked: the schema predates migration 012" };
    }
    return { check, outcome: "fail", detail: messageOf(err) };
  }
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
