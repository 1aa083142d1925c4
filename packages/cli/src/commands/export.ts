/**
 * `ple export companies|people|slots`: every matching record as CSV or JSON
 * Lines, to a file or standard output, streamed (memory flat in the row count).
 * The CSV of companies and people reads back with `ple import`. A file is
 * written beside its final name and renamed when complete, so an interrupted
 * export never leaves a truncated file under that name.
 */

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { EXPORT_ENTITIES, ExportInput, parseInput, unwrap } from "@ple/core";
import {
  EXPORT_COLUMNS,
  type ExportResult,
  type ExportSink,
  exportCount,
  exportRecords,
  type PleDatabase,
} from "@ple/db";
import { type CommandSpec, flag, positional, stringOption } from "../command.js";
import { formatCount } from "../output.js";
import { createProgress, type ProgressStream, silentProgress } from "../progress.js";
import { UsageError } from "../usage-error.js";
import { roleOption } from "./slot-work.js";

export interface ExportOptions {
  entity: string;
  format?: string;
  openSlots?: boolean;
  role?: string;
  since?: string;
}

export interface ExportSummary extends ExportResult {
  /** The file written, or "-" for standard output. */
  out: string;
}

/** Writes the export to `sink`; progress (a bar on a TTY) goes to `progressStream`. */
export async function exportTo(
  db: PleDatabase,
  options: ExportOptions,
  sink: ExportSink,
  progressStream: ProgressStream,
): Promise<ExportResult> {
  const input = unwrap(
    parseInput(ExportInput, {
      entity: options.entity,
      ...(options.format === undefined ? {} : { format: options.format }),
      ...(options.openSlots === true ? { open_slots: true } : {}),
      ...(options.role === undefined ? {} : { role: options.role }),
      ...(options.since === undefined ? {} : { since: options.since }),
    }),
  );
  // The bar counts rows against the total, counted first (only when someone watches).
  const total = progressStream.isTTY ? await exportCount(db, input) : 0;
  const progress = progressStream.isTTY
    ? createProgress(progressStream, { label: `export ${input.entity}`, totalBytes: total })
    : silentProgress;
  const result = await exportRecords(db, input, sink, {
    onProgress: (p) => progress.update({ rows: p.rows, bytes: p.rows }),
  });
  progress.update({ rows: result.rows, bytes: result.rows });
  progress.done();
  return result;
}

/** A sink over a stream that may or may not signal drain (a test's captured output). */
function sinkOf(stream: {
  write(chunk: string): boolean;
  once?: (event: "drain", listener: () => void) => unknown;
}): ExportSink {
  return {
    write: (chunk) => stream.write(typeof chunk === "string" ? chunk : chunk.toString("utf8")),
    once: (event, listener) => {
      if (stream.once === undefined) listener();
      else stream.once(event, listener);
    },
  };
}

async function exportToFile(
  db: PleDatabase,
  options: ExportOptions,
  path: string,
  progressStream: ProgressStream,
): Promise<ExportResult> {
  const partial = `${path}.partial`;
  const file = createWriteStream(partial);
  try {
    const result = await exportTo(db, options, file, progressStream);
    file.end();
    await once(file, "finish");
    await rename(partial, path);
    return result;
  } catch (err) {
    file.destroy();
    await rm(partial, { force: true });
    throw err;
  }
}

function describe(summary: ExportSummary): string {
  const where = summary.out === "-" ? "standard output" : summary.out;
  return `Exported ${formatCount(summary.rows)} ${summary.entity} (${summary.format}, ${formatCount(summary.bytes)} bytes) to ${where}.`;
}

export const exportCommands: CommandSpec[] = [
  {
    path: ["export"],
    summary: "companies, people or slots as CSV or JSON Lines, streamed to a file or stdout",
    description: [
      "Columns (CSV header; JSON Lines keys):",
      `  companies: ${EXPORT_COLUMNS.companies.join(",")}`,
      `  people:    ${EXPORT_COLUMNS.people.join(",")}`,
      `  slots:     ${EXPORT_COLUMNS.slots.join(",")}`,
      "Timestamps are UTC (2026-11-26 09:30:00.123456+00); empty CSV fields are NULL.",
      "Rows come in UID order, all from one snapshot.",
      "The CSV of companies and people reads back with `ple import`.",
      "--open-slots: companies with an open slot, or only open slots. --role: companies with an",
      "open slot of that role, slots of that role, people holding or proposed for one.",
    ].join("\n"),
    positionals: [{ name: "WHAT", required: true, description: EXPORT_ENTITIES.join(" | ") }],
    options: {
      "open-slots": {
        type: "boolean",
        description: "companies with an open slot / open slots only",
      },
      role: { type: "string", valueName: "ROLE", description: "CEO, CFO or HR (see above)" },
      since: {
        type: "string",
        valueName: "TIME",
        description: "only records created at or after (ISO date or time)",
      },
      format: { type: "string", valueName: "FORMAT", description: "csv (default) or jsonl" },
      out: {
        type: "string",
        short: "o",
        valueName: "FILE",
        description: "write here (default -: standard output)",
      },
    },
    examples: [
      "ple export companies --out companies.csv",
      "ple export companies --open-slots --role CFO --format jsonl > cfo-open.jsonl",
      "ple export slots --open-slots --since 2026-11-01 -o open-slots.csv",
      "ple export people --out people.csv && ple import people people.csv",
    ],
    async run(ctx, args) {
      const entity = positional(args, 0, "WHAT");
      if (!(EXPORT_ENTITIES as readonly string[]).includes(entity)) {
        throw new UsageError(`WHAT must be one of ${EXPORT_ENTITIES.join(", ")}, got "${entity}"`);
      }
      const role = roleOption(args);
      const format = stringOption(args, "format");
      const since = stringOption(args, "since");
      const options: ExportOptions = {
        entity,
        openSlots: flag(args, "open-slots"),
        ...(role === undefined ? {} : { role }),
        ...(format === undefined ? {} : { format }),
        ...(since === undefined ? {} : { since }),
      };
      const out = stringOption(args, "out") ?? "-";
      const db = await ctx.db();
      if (out === "-") {
        const result = await exportTo(db, options, sinkOf(ctx.io.stdout), ctx.io.stderr);
        const summary: ExportSummary = { ...result, out };
        // The data went to stdout: the summary goes to stderr, and only on a terminal.
        if (ctx.io.stderr.isTTY) ctx.io.stderr.write(`${describe(summary)}\n`);
        return { data: summary, human: describe(summary), printed: true };
      }
      const result = await exportToFile(db, options, out, ctx.io.stderr);
      const summary: ExportSummary = { ...result, out };
      return { data: summary, human: describe(summary) };
    },
  },
];
