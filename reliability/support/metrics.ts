/**
 * What each reliability check tried and found, written as one JSON file per check
 * under reliability/.results; the global teardown merges them into last-run.json,
 * the figures docs/RELIABILITY.md reports.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const RESULTS_DIR = fileURLToPath(new URL("../.results", import.meta.url));

export const AREAS = ["concurrency", "faults", "hostile input", "security"] as const;
export type Area = (typeof AREAS)[number];

export interface CheckFigures {
  area: Area;
  check: string;
  /** Inputs, calls, runs or scenarios tried. */
  cases: number;
  /** Faults injected: processes killed, backends terminated, server stops, races provoked. */
  faults: number;
  /** Rows compared against an expectation (a clean run, the acknowledged writes, a snapshot). */
  rowsCompared: number;
  /** Rows that should be there and are not. Must be 0. */
  rowsLost: number;
  /** Unhandled errors: an INTERNAL error, an HTTP 500, a crash, an untyped exception. Must be 0. */
  unhandledErrors: number;
}

/** A counter for one check; save() writes it (call it after the assertions' inputs are final). */
export class Check {
  readonly figures: CheckFigures;

  constructor(area: Area, check: string) {
    this.figures = {
      area,
      check,
      cases: 0,
      faults: 0,
      rowsCompared: 0,
      rowsLost: 0,
      unhandledErrors: 0,
    };
  }

  add(field: Exclude<keyof CheckFigures, "area" | "check">, n = 1): this {
    this.figures[field] += n;
    return this;
  }

  save(): CheckFigures {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const name = `${process.pid}-${randomBytes(4).toString("hex")}.json`;
    writeFileSync(join(RESULTS_DIR, name), `${JSON.stringify(this.figures)}\n`);
    return this.figures;
  }
}

/** Runs one check and writes its figures whether it passes or fails. */
export async function recordCheck(
  area: Area,
  check: string,
  fn: (check: Check) => Promise<void>,
): Promise<void> {
  const c = new Check(area, check);
  try {
    await fn(c);
  } finally {
    c.save();
  }
}
