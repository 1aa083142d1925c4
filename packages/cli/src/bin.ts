#!/usr/bin/env node
/** The `ple` command's entry: runs the command for argv and sets the exit code. */
import { runCli } from "./cli.js";

// Only long-running commands (serve, start) ask for this, so Ctrl-C still stops everything else.
const waitForShutdown = () =>
  new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });

process.exitCode = await runCli(process.argv.slice(2), process, { waitForShutdown });
