/**
 * Dispatch: finds the command for argv, parses its options, runs it, formats the result
 * (a human table, or JSON with --json) and maps the outcome to an exit code:
 * 0 ok, 1 error, 2 usage or configuration, 3 finished with rejected rows.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { isPleError } from "@ple/core";
import { ConfigError, messageWithoutSql, type PleDatabase } from "@ple/db";
import type { CommandContext, CommandSpec, Io, OptionSpec } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { openCliDatabase } from "./embedded-lock.js";
import { readEnv } from "./env.js";
import { renderJson } from "./output.js";
import { UsageError } from "./usage-error.js";

export const EXIT = { ok: 0, error: 1, usage: 2, rejected: 3 } as const;

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: "boolean", description: "print the result as JSON (for scripts)" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

const GLOBAL_FLAGS = new Set(["--json", "--help", "-h"]);

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  openDatabase?: () => Promise<PleDatabase>;
  waitForShutdown?: () => Promise<void>;
  commands?: readonly CommandSpec[];
}

function findCommand(
  commands: readonly CommandSpec[],
  argv: readonly string[],
): { spec: CommandSpec; rest: string[] } | { group: string[] } {
  // The command is the leading words; global flags (--json, --help) may come before them.
  const words: string[] = [];
  for (const arg of argv) {
    if (GLOBAL_FLAGS.has(arg)) continue;
    if (arg.startsWith("-")) break;
    words.push(arg);
  }
  let best: CommandSpec | undefined;
  for (const spec of commands) {
    if (spec.path.every((p, i) => words[i] === p)) {
      if (!best || spec.path.length > best.path.length) best = spec;
    }
  }
  if (best) {
    let skip = best.path.length;
    const rest = argv.filter((arg) => {
      if (skip > 0 && !GLOBAL_FLAGS.has(arg)) {
        skip--;
        return false;
      }
      return true;
    });
    return { spec: best, rest };
  }
  // The longest known group prefix, for a helpful listing.
  const group: string[] = [];
  for (const word of words) {
    const candidate = [...group, word];
    if (commands.some((c) => candidate.every((p, i) => c.path[i] === p))) group.push(word);
    else break;
  }
  return { group };
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const entries = Object.entries(options).map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : "    ";
    const value = o.type === "string" ? ` ${o.valueName ?? "VALUE"}` : "";
    return [`${short}--${name}${value}`, o.description] as const;
  });
  const width = Math.max(...entries.map(([left]) => left.length));
  return entries.map(([left, desc]) => `  ${left.padEnd(width)}  ${desc}`);
}

export function commandHelp(spec: CommandSpec): string {
  const args = spec.positionals.map((p) => (p.required ? p.name : `[${p.name}]`)).join(" ");
  const lines = [`Usage: ple ${spec.path.join(" ")}${args ? ` ${args}` : ""} [options]`, ""];
  lines.push(`  ${spec.summary}`);
  if (spec.description) lines.push("", ...spec.description.split("\n").map((l) => `  ${l}`));
  if (spec.positionals.length > 0) {
    lines.push("", "Arguments:");
    const width = Math.max(...spec.positionals.map((p) => p.name.length));
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(width)}  ${p.description}`);
  }
  lines.push("", "Options:", ...optionLines({ ...spec.options, ...GLOBAL_OPTIONS }));
  if (spec.examples.length > 0) {
    lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  }
  return lines.join("\n");
}

export function groupHelp(commands: readonly CommandSpec[], group: readonly string[]): string {
  const listed = commands.filter((c) => group.every((p, i) => c.path[i] === p));
  const width = Math.max(...listed.map((c) => c.path.join(" ").length));
  const lines = [
    group.length === 0
      ? "Usage: ple <command> [options]\n\n  The PLE ops command: migrations, imports, look-ups, backups, retention, PII erasure, the API."
      : `Usage: ple ${group.join(" ")} <command> [options]`,
    "",
    "Commands:",
    ...listed.map((c) => `  ${c.path.join(" ").padEnd(width)}  ${c.summary}`),
    "",
    "Run `ple <command> --help` for a command's options and examples.",
  ];
  if (group.length === 0) {
    lines.push(
      "",
      "Exit codes: 0 ok, 1 error, 2 usage or configuration, 3 finished with rejected rows.",
      "`ple --version` prints the version.",
      "Database: DATABASE_URL (a PostgreSQL server), else an embedded database in PLE_DATA_DIR (./.ple-data).",
    );
  }
  return lines.join("\n");
}

/** The version in packages/cli/package.json (read from src/ and dist/ alike). */
export function cliVersion(): string {
  try {
    const pkg: unknown = JSON.parse(
      readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8"),
    );
    if (typeof pkg === "object" && pkg !== null && "version" in pkg) return String(pkg.version);
  } catch {
    // Fall through: an unreadable package.json only costs the version line.
  }
  return "unknown";
}

function writeLine(stream: Io["stdout"], text: string): void {
  stream.write(text.endsWith("\n") ? text : `${text}\n`);
}

export async function runCli(
  argv: readonly string[],
  io: Io,
  options: RunOptions = {},
): Promise<number> {
  const commands = options.commands ?? COMMANDS;
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    writeLine(io.stdout, `ple ${cliVersion()}`);
    return EXIT.ok;
  }
  const wantsJson = argv.includes("--json");
  const wantsHelp = argv.includes("--help") || argv.includes("-h");
  const found = findCommand(commands, argv);
  if ("group" in found) {
    const unknown = argv.filter((a) => !a.startsWith("-"))[found.group.length];
    if (argv.length === 0 || (wantsHelp && unknown === undefined)) {
      writeLine(wantsHelp ? io.stdout : io.stderr, groupHelp(commands, found.group));
      return wantsHelp ? EXIT.ok : EXIT.usage;
    }
    const message =
      unknown === undefined
        ? `missing command after "ple ${found.group.join(" ")}"`
        : `unknown command "${[...found.group, unknown].join(" ")}"`;
    writeLine(io.stderr, `ple: ${message}\n\n${groupHelp(commands, found.group)}`);
    return EXIT.usage;
  }
  const { spec, rest } = found;
  const name = spec.path.join(" ");
  if (wantsHelp) {
    writeLine(io.stdout, commandHelp(spec));
    return EXIT.ok;
  }

  let db: PleDatabase | undefined;
  try {
    const parseOptions: NonNullable<ParseArgsConfig["options"]> = {};
    for (const [key, o] of Object.entries({ ...spec.options, ...GLOBAL_OPTIONS })) {
      parseOptions[key] = {
        type: o.type,
        ...(o.short ? { short: o.short } : {}),
        ...(o.multiple ? { multiple: true } : {}),
      };
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: rest,
        options: parseOptions,
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err), name);
    }
    const positionals = parsed.positionals;
    const required = spec.positionals.filter((p) => p.required);
    if (positionals.length < required.length) {
      const missing = required.slice(positionals.length).map((p) => p.name);
      throw new UsageError(`missing ${missing.join(" and ")}`, name);
    }
    if (
      positionals.length > spec.positionals.length &&
      spec.positionals.at(-1)?.variadic !== true
    ) {
      const extra = positionals.slice(spec.positionals.length);
      throw new UsageError(`unexpected argument${extra.length > 1 ? "s" : ""}: ${extra.join(" ")}`);
    }
    const env = readEnv(options.env);
    const open = options.openDatabase ?? (() => openCliDatabase(env.source));
    const ctx: CommandContext = {
      env,
      io,
      json: wantsJson,
      db: async () => {
        db ??= await open();
        return db;
      },
      waitForShutdown: options.waitForShutdown ?? (() => new Promise<void>(() => {})),
    };
    const values: Record<string, string | boolean | undefined> = {};
    for (const [key, value] of Object.entries(parsed.values)) {
      if (typeof value === "string" || typeof value === "boolean") values[key] = value;
      else if (Array.isArray(value)) values[key] = value.map(String).join(",");
    }
    const output = await spec.run(ctx, { positionals, values }).catch((err: unknown) => {
      throw asOptionError(err, spec, values);
    });
    if (!output.printed) writeLine(io.stdout, wantsJson ? renderJson(output.data) : output.human);
    return output.exitCode ?? EXIT.ok;
  } catch (err) {
    return reportError(err, io, wantsJson, name);
  } finally {
    if (db) await db.close().catch(() => {});
  }
}

/**
 * A validation failure of a field that an option on the command line filled is a bad option
 * value: a usage error (exit 2) naming the option as typed, not the internal field.
 */
function asOptionError(
  err: unknown,
  spec: CommandSpec,
  values: Record<string, string | boolean | undefined>,
): unknown {
  if (!isPleError(err) || err.code !== "VALIDATION_FAILED" || err.field === undefined) return err;
  const field = err.field;
  const option = Object.entries(spec.options).find(
    ([key, o]) => (o.field ?? key.replaceAll("-", "_")) === field && values[key] !== undefined,
  )?.[0];
  if (option === undefined) return err;
  const typed = values[option];
  const problem = err.message
    .replace(new RegExp(`^${field}:\\s*`), "")
    .replaceAll(new RegExp(`\\b${field}\\b`, "g"), `--${option}`);
  const shown = typeof typed === "string" ? ` "${typed}"` : "";
  const message = problem.includes(`--${option}`) ? problem : `--${option}${shown}: ${problem}`;
  return new UsageError(message, spec.path.join(" "));
}

function reportError(err: unknown, io: Io, json: boolean, command: string): number {
  if (err instanceof UsageError || err instanceof ConfigError) {
    const code = err instanceof UsageError ? "USAGE" : "CONFIG";
    if (json) writeLine(io.stdout, renderJson({ error: { code, message: err.message } }));
    const hint = err instanceof UsageError ? `\nRun \`ple ${err.command ?? command} --help\`.` : "";
    writeLine(io.stderr, `ple: ${err.message}${hint}`);
    return EXIT.usage;
  }
  if (isPleError(err)) {
    if (json) writeLine(io.stdout, renderJson({ error: err.toJSON() }));
    const field = err.field ? ` (${err.field})` : "";
    // An operator needs the underlying reason of an internal error (the API hides it; we may not).
    // Never the SQL text knex puts in front of a driver's message.
    const cause =
      err.code === "INTERNAL" && err.cause instanceof Error
        ? ` (cause: ${messageWithoutSql(err.cause)})`
        : "";
    writeLine(io.stderr, `ple: ${err.code}${field}: ${err.message}${cause}`);
    return EXIT.error;
  }
  const message = messageWithoutSql(err);
  if (json) writeLine(io.stdout, renderJson({ error: { code: "INTERNAL", message } }));
  writeLine(io.stderr, `ple: unexpected error: ${message}`);
  return EXIT.error;
}
