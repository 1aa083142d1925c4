/**
 * Before the suite: the built `ple` binary must exist (the root script builds it) and
 * old per-check results are cleared. After it: the per-check figures are merged into
 * reliability/.results/last-run.json (and summary.md, the tables of docs/RELIABILITY.md)
 * and printed as a table.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AREAS, type CheckFigures, RESULTS_DIR } from "./metrics.js";
import { PLE_BIN } from "./ple-binary.js";

const SUMMARY_FILE = join(RESULTS_DIR, "last-run.json");
const started = Date.now();

export function setup(): void {
  if (!existsSync(PLE_BIN)) {
    throw new Error(`${PLE_BIN} is missing: run \`pnpm build\` (pnpm test:reliability does).`);
  }
  rmSync(RESULTS_DIR, { recursive: true, force: true });
}

type Totals = Omit<CheckFigures, "area" | "check">;

function total(checks: CheckFigures[]): Totals {
  const sum: Totals = { cases: 0, faults: 0, rowsCompared: 0, rowsLost: 0, unhandledErrors: 0 };
  for (const c of checks) {
    sum.cases += c.cases;
    sum.faults += c.faults;
    sum.rowsCompared += c.rowsCompared;
    sum.rowsLost += c.rowsLost;
    sum.unhandledErrors += c.unhandledErrors;
  }
  return sum;
}

/** The tables of docs/RELIABILITY.md, ready to paste. */
function markdown(
  areas: Array<{ area: string } & Totals>,
  checks: CheckFigures[],
  sum: Totals,
): string {
  const row = (label: string, t: Totals) =>
    `| ${label} | ${t.cases} | ${t.faults} | ${t.rowsCompared} | ${t.rowsLost} | ${t.unhandledErrors} |`;
  const head = (first: string) => [
    `| ${first} | cases tried | faults injected | rows compared | rows lost | unhandled errors |`,
    "|---|---:|---:|---:|---:|---:|",
  ];
  return [
    ...head("area"),
    ...areas.map((a) => row(a.area, a)),
    row("**total**", sum),
    "",
    ...head("check"),
    ...checks.map((c) => row(`${c.area}: ${c.check}`, c)),
    "",
  ].join("\n");
}

export function teardown(): void {
  if (!existsSync(RESULTS_DIR)) return;
  const checks = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith(".json") && f !== "last-run.json")
    .map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), "utf8")) as CheckFigures)
    .sort(
      (a, b) => AREAS.indexOf(a.area) - AREAS.indexOf(b.area) || a.check.localeCompare(b.check),
    );
  const areas = AREAS.map((area) => ({ area, ...total(checks.filter((c) => c.area === area)) }));
  const summary = {
    finished_at: new Date().toISOString(),
    duration_s: Math.round((Date.now() - started) / 1000),
    total: total(checks),
    areas,
    checks,
  };
  writeFileSync(SUMMARY_FILE, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, "summary.md"), markdown(areas, checks, summary.total));
  const line = (a: { area: string } & Totals) =>
    `${a.area.padEnd(14)} ${String(a.cases).padStart(7)} ${String(a.faults).padStart(7)} ${String(a.rowsCompared).padStart(9)} ${String(a.rowsLost).padStart(5)} ${String(a.unhandledErrors).padStart(10)}`;
  console.log(
    [
      "",
      `Reliability figures (${checks.length} checks, ${summary.duration_s} s) → ${SUMMARY_FILE}`,
      "area             cases  faults  rows cmp  lost  unhandled",
      ...areas.map(line),
      line({ area: "total", ...summary.total }),
    ].join("\n"),
  );
}
