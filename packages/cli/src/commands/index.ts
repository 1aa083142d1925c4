/** Every `ple` command, in the order `ple --help` lists them. */
import type { CommandSpec } from "../command.js";
import { apikeyCommands } from "./apikey.js";
import { dbCommands } from "./db.js";
import { doctorCommands } from "./doctor.js";
import { importCommands } from "./import-command.js";
import { lookupCommands } from "./lookups.js";
import { opsCommands } from "./ops.js";
import { seedCommands } from "./seed.js";
import { serveCommands } from "./serve.js";
import { suppressionCommands } from "./suppression.js";

export const COMMANDS: readonly CommandSpec[] = [
  ...serveCommands,
  ...dbCommands,
  ...importCommands,
  ...lookupCommands,
  ...opsCommands,
  ...suppressionCommands,
  ...apikeyCommands,
  ...seedCommands,
  ...doctorCommands,
];
