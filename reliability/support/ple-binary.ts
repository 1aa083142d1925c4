/** The built `ple` binary, run as an ops person would: a child process with DATABASE_URL. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const PLE_BIN = fileURLToPath(new URL("../../packages/cli/dist/bin.js", import.meta.url));

export interface PleRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningPle {
  child: ChildProcess;
  done: Promise<PleRun>;
}

export function spawnPle(args: string[], env: Record<string, string>): RunningPle {
  const child = spawn(process.execPath, [PLE_BIN, ...args], {
    env: { ...process.env, PLE_ACTOR: "reliability", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const done = new Promise<PleRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runPle(args: string[], env: Record<string, string>): Promise<PleRun> {
  return spawnPle(args, env).done;
}

/** The --json output of a run (the last JSON document on stdout). */
export function jsonOf<T>(run: PleRun): T {
  const text = run.stdout.trim();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(
      `ple printed no JSON (exit ${run.code}):\n${run.stdout.slice(0, 2000)}\n${run.stderr.slice(0, 2000)}`,
    );
  }
}
