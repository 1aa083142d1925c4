/** Every `ple` command, in the order `ple --help` lists them. */
import type { CommandSpec } from "../command.js";
import { apikeyCommands } from "./apikey.js";
import { dbCommands } from "./db.js";
import { doctorCommands } from "./doctor.js";
import { eventsCommands } from "./events.js";
import { exportCommands } from "./export.js";
import { importCommands } from "./import-command.js";
import { lookupCommands } from "./lookups.js";
import { mergeCommands } from "./merge.js";
import { opsCommands } from "./ops.js";
import { seedCommands } from "./seed.js";
import { serveCommands } from "./serve.js";
import { slotWorkCommands } from "./slot-work.js";
import { suppressionCommands } from "./suppression.js";

export const COMMANDS: readonly CommandSpec[] = [
  ...serveCommands,
  ...dbCommands,
  ...importCommands,
  ...exportCommands,
  ...lookupCommands,
  ...slotWorkCommands,
  ...mergeCommands,
  ...opsCommands,
  ...eventsCommands,
  ...suppressionCommands,
  ...apikeyCommands,
  ...seedCommands,
  ...doctorCommands,
];
