/** The shape of a `ple` command as the entry point sees it: options, help text and how to run it. */
import type { PleDatabase } from "@ple/db";
import type { CliEnv } from "./env.js";
import type { ProgressStream } from "./progress.js";
import { UsageError } from "./usage-error.js";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Shown in help: `--to VERSION`. */
  valueName?: string;
  /**
   * The input field this option fills, when it is not the option's name in snake_case
   * (`--since` fills created_since): a validation error on that field is reported as a
   * usage error naming the option as typed.
   */
  field?: string;
  /** A string option that may be given more than once; the command sees the values joined by ",". */
  multiple?: boolean;
  description: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  description: string;
  /** The last positional may repeat (SLOT_UID…). */
  variadic?: boolean;
}

export interface OutputStream extends ProgressStream {
  write(chunk: string): boolean;
}

export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
}

export interface CommandContext {
  env: CliEnv;
  io: Io;
  json: boolean;
  /** The database, opened on first use and closed by the entry point. */
  db(): Promise<PleDatabase>;
  /** Resolves when a long-running command (serve, start) should stop: SIGINT/SIGTERM. */
  waitForShutdown(): Promise<void>;
}

export interface Args {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

export interface CommandOutput {
  /** What `--json` prints. */
  data: unknown;
  /** What a person sees. */
  human: string;
  /** 3 when the command finished but rejected some rows; 1 when a check failed (doctor). */
  exitCode?: 0 | 1 | 3;
  /** The command already printed its output while running (serve, start). */
  printed?: boolean;
}

export interface CommandSpec {
  path: readonly string[];
  summary: string;
  description?: string;
  positionals: readonly PositionalSpec[];
  options: Readonly<Record<string, OptionSpec>>;
  examples: readonly string[];
  run(ctx: CommandContext, args: Args): Promise<CommandOutput>;
}

export function stringOption(args: Args, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === "string" ? value : undefined;
}

export function flag(args: Args, name: string): boolean {
  return args.values[name] === true;
}

export function positional(args: Args, index: number, name: string): string {
  const value = args.positionals[index];
  if (value === undefined || value === "") throw new UsageError(`missing ${name}`);
  return value;
}

/** A whole-number option such as --limit, checked against a range. */
export function intOption(
  args: Args,
  name: string,
  range: { min: number; max: number },
): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got "${text}"`);
  const n = Number(text);
  if (n < range.min || n > range.max) {
    throw new UsageError(`--${name} must be between ${range.min} and ${range.max}, got ${n}`);
  }
  return n;
}
