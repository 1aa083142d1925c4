/**
 * Duplicates and merges: `ple company duplicates`, `ple person duplicates` (candidate pairs with
 * reasons and a score) and `ple company merge`, `ple person merge` (one transaction each, with
 * --dry-run answering the same as the real run). Inputs go through the API's zod schemas.
 */
import {
  CompanyMergeInput,
  DuplicatesInput,
  PersonMergeInput,
  parseInput,
  ROLES,
  unwrap,
} from "@ple/core";
import {
  type CompanyDuplicate,
  type CompanyMergeResult,
  companyDuplicates,
  mergeCompanies,
  mergePeople,
  type PersonDuplicate,
  type PersonMergeResult,
  type PleDatabase,
  personDuplicates,
} from "@ple/db";
import { type CommandSpec, flag, intOption, positional, stringOption } from "../command.js";
import { renderTable } from "../output.js";
import { UsageError } from "../usage-error.js";
import { asActor } from "./actor.js";

// ── plain functions ────────────────────────────────────────────────────────────────────────────

/** `CEO=drop,CFO=keep` (or the values of repeated --prefer options) → { CEO: "drop", CFO: "keep" }. */
export function parsePrefer(text: string | undefined): Record<string, string> {
  const prefer: Record<string, string> = {};
  if (text === undefined || text.trim() === "") return prefer;
  for (const part of text.split(",")) {
    const m = /^\s*([A-Za-z]+)\s*=\s*([A-Za-z]+)\s*$/.exec(part);
    const role = m?.[1]?.toUpperCase();
    const side = m?.[2]?.toLowerCase();
    if (
      role === undefined ||
      side === undefined ||
      !(ROLES as readonly string[]).includes(role) ||
      (side !== "keep" && side !== "drop")
    ) {
      throw new UsageError(
        `--prefer takes ROLE=keep|drop with ROLE one of ${ROLES.join(", ")}, got "${part.trim()}"`,
      );
    }
    prefer[role] = side;
  }
  return prefer;
}

export function companyMerge(
  db: PleDatabase,
  options: {
    keep: string;
    drop: string;
    dryRun?: boolean;
    prefer?: Record<string, string>;
    actor: string;
  },
): Promise<CompanyMergeResult> {
  const input = unwrap(
    parseInput(CompanyMergeInput, {
      keep: options.keep.trim().toUpperCase(),
      drop: options.drop.trim().toUpperCase(),
      dry_run: options.dryRun ?? false,
      prefer: options.prefer ?? {},
    }),
  );
  return asActor(db, options.actor, (trx) => mergeCompanies(trx, input));
}

export function personMerge(
  db: PleDatabase,
  options: { keep: string; drop: string; dryRun?: boolean; actor: string },
): Promise<PersonMergeResult> {
  const input = unwrap(
    parseInput(PersonMergeInput, {
      keep: options.keep.trim().toUpperCase(),
      drop: options.drop.trim().toUpperCase(),
      dry_run: options.dryRun ?? false,
    }),
  );
  return asActor(db, options.actor, (trx) => mergePeople(trx, input));
}

function duplicatesInput(options: { minScore?: number; limit?: number }) {
  return unwrap(
    parseInput(DuplicatesInput, {
      ...(options.minScore === undefined ? {} : { min_score: options.minScore }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    }),
  );
}

export function companyDuplicateCandidates(
  db: PleDatabase,
  options: { minScore?: number; limit?: number } = {},
): Promise<CompanyDuplicate[]> {
  return companyDuplicates(db.knex, duplicatesInput(options));
}

export function personDuplicateCandidates(
  db: PleDatabase,
  options: { minScore?: number; limit?: number } = {},
): Promise<PersonDuplicate[]> {
  return personDuplicates(db.knex, duplicatesInput(options));
}

// ── rendering ──────────────────────────────────────────────────────────────────────────────────

function renderMerge(r: CompanyMergeResult | PersonMergeResult): string {
  const what = r.entity === "company" ? "company" : "person";
  const lines = [
    r.dry_run
      ? `Dry run: merging ${what} ${r.drop} into ${r.keep} would do this (nothing changed):`
      : `Merged ${what} ${r.drop} into ${r.keep}.`,
    `Filled from ${r.drop}: ${r.filled.length === 0 ? "nothing" : r.filled.join(", ")}`,
  ];
  if (r.slots.length > 0) {
    lines.push("", "Slots:", renderTable(r.slots.map((s) => ({ ...s }))));
  }
  if (r.released.length > 0) {
    lines.push(
      "",
      "Released (a VACATED or REJECTED slot event each):",
      renderTable(r.released.map((s) => ({ ...s }))),
    );
  }
  if (r.entity === "company" && r.people_repointed.length > 0) {
    lines.push("", `People re-pointed to ${r.keep}: ${r.people_repointed.join(", ")}`);
  }
  lines.push(
    "",
    `Resolving to ${r.keep} from now on: ${r.aliases.map((a) => `${a.kind} ${a.value}`).join(", ")}`,
  );
  return lines.join("\n");
}

function renderCompanyDuplicates(pairs: CompanyDuplicate[]): string {
  if (pairs.length === 0) return "No duplicate candidates.";
  return `${renderTable(
    pairs.map((p) => ({
      score: p.score,
      reasons: p.reasons.join(","),
      keep: p.a.company_uid,
      keep_name: p.a.company_name,
      keep_website: p.a.website,
      drop: p.b.company_uid,
      drop_name: p.b.company_name,
      drop_website: p.b.website,
    })),
  )}\n\nMerge a pair (older first): ple company merge KEEP DROP --dry-run`;
}

function renderPersonDuplicates(pairs: PersonDuplicate[]): string {
  if (pairs.length === 0) return "No duplicate candidates.";
  return `${renderTable(
    pairs.map((p) => ({
      score: p.score,
      reasons: p.reasons.join(","),
      keep: p.a.person_id,
      keep_name: p.a.name,
      keep_email: p.a.email,
      drop: p.b.person_id,
      drop_name: p.b.name,
      drop_email: p.b.email,
    })),
  )}\n\nMerge a pair (older first): ple person merge KEEP DROP --dry-run`;
}

// ── CLI specs ──────────────────────────────────────────────────────────────────────────────────

const duplicateOptions = {
  "min-score": {
    type: "string",
    valueName: "N",
    description: "report pairs scoring at least N, 0–100 (default 50)",
  },
  limit: { type: "string", valueName: "N", description: "at most N pairs (default 1000)" },
} as const;

function duplicateRange(args: Parameters<CommandSpec["run"]>[1]) {
  const minScore = intOption(args, "min-score", { min: 0, max: 100 });
  const limit = intOption(args, "limit", { min: 1, max: 10_000 });
  return {
    ...(minScore === undefined ? {} : { minScore }),
    ...(limit === undefined ? {} : { limit }),
  };
}

export const mergeCommands: CommandSpec[] = [
  {
    path: ["company", "duplicates"],
    summary: "companies that are likely one: pairs with their reasons and a score",
    description:
      "Reasons: website_and_apollo_id (an import row's website named one company and its Apollo id\n" +
      "another), same_ein (the same valid EIN), similar_name_same_domain (trigram-similar names\n" +
      "whose websites share a registrable name under the Public Suffix List, e.g. acme.com and\n" +
      "acme.co.uk). The older company of a pair is listed first, as the one to keep.",
    positionals: [],
    options: duplicateOptions,
    examples: ["ple company duplicates", "ple company duplicates --min-score 90 --json"],
    async run(ctx, args) {
      const pairs = await companyDuplicateCandidates(await ctx.db(), duplicateRange(args));
      return { data: pairs, human: renderCompanyDuplicates(pairs) };
    },
  },
  {
    path: ["company", "merge"],
    summary: "merge company DROP into KEEP, in one transaction",
    description:
      "KEEP takes DROP's fields where its own are empty; slots merge by role (an open slot takes\n" +
      "the other's occupant; two occupied slots of one role are MERGE_CONFLICT unless --prefer\n" +
      "says which stays, the other person is released); DROP's people are re-pointed; DROP's UID,\n" +
      "website and Apollo id resolve to KEEP from then on. Both histories stay readable.",
    positionals: [
      { name: "KEEP", required: true, description: "the company that stays (CO-…)" },
      { name: "DROP", required: true, description: "the company merged into it (CO-…)" },
    ],
    options: {
      "dry-run": { type: "boolean", description: "answer what the merge would do; change nothing" },
      prefer: {
        type: "string",
        valueName: "ROLE=keep|drop",
        multiple: true,
        description: "whose occupant stays when both have the ROLE slot occupied (repeatable)",
      },
    },
    examples: [
      "ple company merge CO-20261126-000001 CO-20261127-000042 --dry-run",
      "ple company merge CO-20261126-000001 CO-20261127-000042 --prefer CEO=drop --prefer HR=keep",
    ],
    async run(ctx, args) {
      const result = await companyMerge(await ctx.db(), {
        keep: positional(args, 0, "KEEP"),
        drop: positional(args, 1, "DROP"),
        dryRun: flag(args, "dry-run"),
        prefer: parsePrefer(stringOption(args, "prefer")),
        actor: ctx.env.actor,
      });
      return { data: result, human: renderMerge(result) };
    },
  },
  {
    path: ["person", "duplicates"],
    summary: "people who are likely one: pairs with their reasons and a score",
    description:
      "Reasons: same_linkedin_url, same_name_same_company (the same name, ignoring case, at the\n" +
      "same company under different emails).",
    positionals: [],
    options: duplicateOptions,
    examples: ["ple person duplicates", "ple person duplicates --json"],
    async run(ctx, args) {
      const pairs = await personDuplicateCandidates(await ctx.db(), duplicateRange(args));
      return { data: pairs, human: renderPersonDuplicates(pairs) };
    },
  },
  {
    path: ["person", "merge"],
    summary: "merge person DROP into KEEP, in one transaction",
    description:
      "KEEP takes DROP's empty fields and DROP's slot when only DROP held one (both in slots is\n" +
      "MERGE_CONFLICT: vacate one first); DROP's id and email resolve to KEEP from then on.",
    positionals: [
      { name: "KEEP", required: true, description: "the person who stays (PE-…)" },
      { name: "DROP", required: true, description: "the person merged into them (PE-…)" },
    ],
    options: {
      "dry-run": { type: "boolean", description: "answer what the merge would do; change nothing" },
    },
    examples: ["ple person merge PE-20261126-000007 PE-20261127-000103 --dry-run"],
    async run(ctx, args) {
      const result = await personMerge(await ctx.db(), {
        keep: positional(args, 0, "KEEP"),
        drop: positional(args, 1, "DROP"),
        dryRun: flag(args, "dry-run"),
        actor: ctx.env.actor,
      });
      return { data: result, human: renderMerge(result) };
    },
  },
];
