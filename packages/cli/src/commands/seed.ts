/**
 * `ple seed --sample`: a realistic demo data set — two dozen companies from an Apollo.io-style
 * account export and their CEOs, CFOs, HR leads and a few others from a contact export
 * (sample/*.csv, domains under the reserved .example TLD). Loaded through the importer itself,
 * so it is idempotent: seeding twice creates nothing new.
 */
import { fileURLToPath } from "node:url";
import type { PleDatabase } from "@ple/db";
import { type CommandSpec, flag } from "../command.js";
import { UsageError } from "../usage-error.js";
import { type ImportSummary, runImport } from "./import.js";
import { renderImportSummary } from "./import-command.js";
import { databaseImportStores } from "./import-store-db.js";

/** packages/cli/sample, from src/commands (tests) and dist/commands (built) alike. */
export const SAMPLE_DIR = fileURLToPath(new URL("../../sample/", import.meta.url));

export interface SeedResult {
  companies: ImportSummary;
  people: ImportSummary;
}

export async function seedSample(db: PleDatabase, options: { actor: string }): Promise<SeedResult> {
  const stores = databaseImportStores(db, options.actor);
  // The sample files ship without rejects, so no report file is ever written beside them.
  const companies = await runImport("companies", stores, {
    file: `${SAMPLE_DIR}accounts.csv`,
    onExisting: "skip",
  });
  const people = await runImport("people", stores, {
    file: `${SAMPLE_DIR}contacts.csv`,
    onExisting: "skip",
  });
  return { companies, people };
}

export const seedCommands: CommandSpec[] = [
  {
    path: ["seed"],
    summary: "load a realistic sample data set (companies, people, filled slots) for demos",
    description:
      "Imports packages/cli/sample/accounts.csv and contacts.csv (Apollo.io export format).\nSeeding again creates nothing new.",
    positionals: [],
    options: {
      sample: { type: "boolean", description: "the built-in sample data set (required)" },
    },
    examples: ["ple seed --sample", "PLE_DATA_DIR=/tmp/demo ple seed --sample --json"],
    async run(ctx, args) {
      if (!flag(args, "sample")) {
        throw new UsageError("say which data set: --sample (the only one there is)");
      }
      const result = await seedSample(await ctx.db(), { actor: ctx.env.actor });
      return {
        data: result,
        human: `${renderImportSummary(result.companies)}\n\n${renderImportSummary(result.people)}`,
      };
    },
  },
];
