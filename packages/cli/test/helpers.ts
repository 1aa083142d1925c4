/** Test helpers: an in-memory Io and temporary files. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Io } from "../src/command.js";

export interface CapturedIo extends Io {
  out(): string;
  err(): string;
}

export function captureIo(opts: { tty?: boolean } = {}): CapturedIo {
  let out = "";
  let err = "";
  return {
    stdout: {
      isTTY: false,
      write(chunk: string) {
        out += chunk;
        return true;
      },
    },
    stderr: {
      isTTY: opts.tty ?? false,
      columns: 120,
      write(chunk: string) {
        err += chunk;
        return true;
      },
    },
    out: () => out,
    err: () => err,
  };
}

export function tempDir(prefix = "ple-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTemp(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
