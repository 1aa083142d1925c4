/** `ple apikey create|list|revoke`: API keys of the tRPC API. The key itself is shown once. */
import { PleError } from "@ple/core";
import {
  API_KEY_ROLES,
  type ApiKey,
  type ApiKeyRole,
  type CreatedApiKey,
  createApiKey,
  isApiKeyRole,
  listApiKeys,
  type PleDatabase,
  revokeApiKey,
} from "@ple/db";
import { type CommandSpec, flag, positional, stringOption } from "../command.js";
import { renderRecord, renderTable } from "../output.js";
import { UsageError } from "../usage-error.js";

export async function apikeyCreate(
  db: PleDatabase,
  options: { role: ApiKeyRole; name: string },
): Promise<CreatedApiKey> {
  return createApiKey(db.knex, options);
}

export async function apikeyList(
  db: PleDatabase,
  options: { includeRevoked?: boolean } = {},
): Promise<ApiKey[]> {
  return listApiKeys(db.knex, options);
}

export async function apikeyRevoke(db: PleDatabase, id: string): Promise<ApiKey> {
  return revokeApiKey(db.knex, id);
}

function parseRole(value: string | undefined): ApiKeyRole {
  if (value === undefined) throw new UsageError("missing --role (read, write or admin)");
  if (!isApiKeyRole(value)) {
    throw new PleError(
      "VALIDATION_FAILED",
      `role must be one of ${API_KEY_ROLES.join(", ")}, got "${value}"`,
      { field: "role", details: { reason: "unknown_role" } },
    );
  }
  return value;
}

const keyColumns = ["id", "name", "role", "key_prefix", "created_at", "last_used_at", "revoked_at"];

export const apikeyCommands: CommandSpec[] = [
  {
    path: ["apikey", "create"],
    summary: "create an API key for the tRPC API (the key is shown once)",
    description:
      "Roles nest: read looks up, write also changes data, admin also manages keys.\nOnly the key's SHA-256 hash is stored: copy the key now.",
    positionals: [],
    options: {
      role: { type: "string", valueName: "ROLE", description: "read, write or admin (required)" },
      name: {
        type: "string",
        valueName: "NAME",
        description: "a label to tell keys apart (default: the role)",
      },
    },
    examples: [
      "ple apikey create --role read --name reporting",
      "ple apikey create --role admin --json",
    ],
    async run(ctx, args) {
      const role = parseRole(stringOption(args, "role"));
      const name = stringOption(args, "name") ?? `${role} key`;
      const created = await apikeyCreate(await ctx.db(), { role, name });
      return {
        data: created,
        human: `${renderRecord({ ...created })}\n\nThe key is shown only this once: store it now.\nUse it as: Authorization: Bearer ${created.key}`,
      };
    },
  },
  {
    path: ["apikey", "list"],
    summary: "list API keys (never the keys themselves)",
    positionals: [],
    options: { all: { type: "boolean", description: "include revoked keys" } },
    examples: ["ple apikey list", "ple apikey list --all --json"],
    async run(ctx, args) {
      const keys = await apikeyList(await ctx.db(), { includeRevoked: flag(args, "all") });
      return {
        data: keys,
        human: renderTable(
          keys.map((k) => ({ ...k })),
          keyColumns,
        ),
      };
    },
  },
  {
    path: ["apikey", "revoke"],
    summary: "revoke an API key by its id",
    positionals: [
      { name: "ID", required: true, description: "the key's id (ak_…), see `ple apikey list`" },
    ],
    options: {},
    examples: ["ple apikey revoke ak_0123456789abcdef"],
    async run(ctx, args) {
      const key = await apikeyRevoke(await ctx.db(), positional(args, 0, "ID"));
      return { data: key, human: `Revoked ${key.id} (${key.name}, ${key.role}).` };
    },
  },
];
