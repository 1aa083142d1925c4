/**
 * `ple suppression list|add|remove`: the identities that must not come back. An erasure adds the
 * person's email and LinkedIn URL; `add` covers someone who objects before ever being stored,
 * `remove` someone who gives consent again. The list holds keyed hashes, never the values; adds
 * and removals are audited with their reason.
 */
import {
  addSuppression,
  listSuppression,
  type PleDatabase,
  removeSuppression,
  type SuppressionChange,
  type SuppressionEntry,
} from "@ple/db";
import { type CommandSpec, intOption, positional, stringOption } from "../command.js";
import { renderTable } from "../output.js";
import { UsageError } from "../usage-error.js";
import { asActor } from "./actor.js";

export function suppressionList(
  db: PleDatabase,
  options: { limit?: number } = {},
): Promise<SuppressionEntry[]> {
  return listSuppression(db.knex, options);
}

export function suppressionAdd(
  db: PleDatabase,
  options: { identity: string; reason: string; actor: string },
): Promise<SuppressionChange> {
  return asActor(db, options.actor, (trx) =>
    addSuppression(trx, { identity: options.identity, reason: options.reason }),
  );
}

export function suppressionRemove(
  db: PleDatabase,
  options: { identity: string; reason: string; actor: string },
): Promise<SuppressionChange> {
  return asActor(db, options.actor, (trx) =>
    removeSuppression(trx, { identity: options.identity, reason: options.reason }),
  );
}

function requiredReason(reason: string | undefined, what: string): string {
  if (reason === undefined || reason.trim() === "") {
    throw new UsageError(`--reason is required: say why the identity ${what}`);
  }
  return reason;
}

const IDENTITY = {
  name: "IDENTITY",
  required: true,
  description: "an email or a LinkedIn URL (any spelling; normalised first)",
};

export const suppressionCommands: CommandSpec[] = [
  {
    path: ["suppression", "list"],
    summary: "the suppression list: keyed hashes of erased or objecting identities",
    description: [
      "Each entry is an HMAC-SHA256 of the normalised email or LinkedIn URL, keyed with a secret",
      "of this database: the list shows no address, yet any spelling of a listed one is refused",
      "(SUPPRESSED) by imports, the API and the SQL functions.",
    ].join("\n"),
    positionals: [],
    options: {
      limit: {
        type: "string",
        valueName: "N",
        description: "newest entries to show (default 1000)",
      },
    },
    examples: ["ple suppression list", "ple suppression list --json"],
    async run(ctx, args) {
      const limit = intOption(args, "limit", { min: 1, max: 100000 });
      const entries = await suppressionList(await ctx.db(), limit === undefined ? {} : { limit });
      return {
        data: entries,
        human: `${renderTable(
          entries.map((e) => ({
            identity_hash: `${e.identity_hash.slice(0, 16)}…`,
            kind: e.kind,
            reason: e.reason,
            person_id: e.person_id ?? "",
            actor: e.actor,
            created_at: e.created_at,
          })),
        )}\n\n${entries.length} suppressed ${entries.length === 1 ? "identity" : "identities"}.`,
      };
    },
  },
  {
    path: ["suppression", "add"],
    summary: "suppress an email or LinkedIn URL (e.g. someone objects before being stored)",
    positionals: [IDENTITY],
    options: {
      reason: { type: "string", valueName: "TEXT", description: "why (required; audited)" },
    },
    examples: ['ple suppression add jane@example.com --reason "objected by phone, ticket 77"'],
    async run(ctx, args) {
      const identity = positional(args, 0, "IDENTITY");
      const reason = requiredReason(stringOption(args, "reason"), "is suppressed");
      const change = await suppressionAdd(await ctx.db(), {
        identity,
        reason,
        actor: ctx.env.actor,
      });
      return {
        data: change,
        human:
          change.status === "added"
            ? `Suppressed the ${change.kind ?? "identity"} (entry ${change.identity_hash.slice(0, 16)}…).`
            : `Already suppressed (entry ${change.identity_hash.slice(0, 16)}…); nothing changed.`,
      };
    },
  },
  {
    path: ["suppression", "remove"],
    summary: "take an identity off the suppression list (e.g. consent given again)",
    description: "Name the identity by its email or LinkedIn URL, or by the entry's identity_hash.",
    positionals: [{ ...IDENTITY, description: "an email, a LinkedIn URL or an identity_hash" }],
    options: {
      reason: { type: "string", valueName: "TEXT", description: "why (required; audited)" },
    },
    examples: ['ple suppression remove jane@example.com --reason "consent given again 2026-12-01"'],
    async run(ctx, args) {
      const identity = positional(args, 0, "IDENTITY");
      const reason = requiredReason(stringOption(args, "reason"), "may come back");
      const change = await suppressionRemove(await ctx.db(), {
        identity,
        reason,
        actor: ctx.env.actor,
      });
      return {
        data: change,
        human:
          change.status === "removed"
            ? `Removed entry ${change.identity_hash.slice(0, 16)}… (${change.kind ?? "identity"}); the removal is in the audit log.`
            : "Not on the suppression list; nothing changed.",
      };
    },
  },
];
