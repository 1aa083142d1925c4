#!/usr/bin/env node
/** The `ple` command's entry: runs the command for argv and sets the exit code. */
import { runCli } from "./cli.js";

// Only long-running commands (serve, start) ask for this, so Ctrl-C still stops everything else.
const waitForShutdown = () =>
  new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });

// `ple company list | head -1` closes stdout early: that is the reader's choice, not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await runCli(process.argv.slice(2), process, { waitForShutdown });
