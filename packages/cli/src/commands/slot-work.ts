/**
 * Open slots as a work queue: `ple slot list --open` (each slot with its
 * company), and the leases workers take on them — `ple slot claim`, `renew`,
 * `release` — for scripts (JSON output). A lease is not a slot state: fill a
 * claimed slot with `ple slot link` or `ple slot propose`, which ends its lease.
 */
import {
  type ClaimedSlot,
  type OpenSlotPage,
  parseInput,
  SlotClaimInput,
  SlotListOpenInput,
  SlotReleaseInput,
  type SlotReleaseOutput,
  SlotRenewInput,
  type SlotRenewOutput,
  unwrap,
} from "@ple/core";
import {
  claimSlots,
  listOpenSlots,
  type PleDatabase,
  releaseSlotLeases,
  renewSlotLeases,
} from "@ple/db";
import { type Args, type CommandSpec, intOption, positional, stringOption } from "../command.js";
import { renderJson, renderTable } from "../output.js";
import { UsageError } from "../usage-error.js";
import { asActor } from "./actor.js";

/** A shell word as it can be pasted back (single-quoted unless plain). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * The command that prints the next page: the base command, every filter flag
 * of this query (so the hint reads as the question it continues) and --cursor.
 */
export function nextPageCommand(
  base: string,
  flags: ReadonlyArray<readonly [string, string | number | boolean | undefined]>,
  cursor: string,
): string {
  const words = [base];
  for (const [name, value] of flags) {
    if (value === undefined || value === false) continue;
    words.push(value === true ? `--${name}` : `--${name} ${shellWord(String(value))}`);
  }
  words.push(`--cursor ${cursor}`);
  return words.join(" ");
}

/** A role as typed (cfo, CFO). */
export function roleOption(args: Args): string | undefined {
  return stringOption(args, "role")?.trim().toUpperCase();
}

export function slotListOpen(
  db: PleDatabase,
  options: { role?: string; since?: string; cursor?: string; limit?: number } = {},
): Promise<OpenSlotPage> {
  const input = unwrap(
    parseInput(SlotListOpenInput, {
      ...(options.role === undefined ? {} : { role: options.role }),
      ...(options.since === undefined ? {} : { created_since: options.since }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    }),
  );
  return listOpenSlots(db.knex, input);
}

/** `ple slot list --open`'s table, with the next-page command keeping the filters. */
export function renderOpenSlots(
  page: OpenSlotPage,
  options: { role?: string; since?: string; limit?: number },
): string {
  const table = renderTable(
    page.items.map((item) => ({
      slot_uid: item.slot.slot_uid,
      role: item.slot.role,
      company_name: item.company.company_name,
      website: item.company.website,
      leased_by: item.lease?.worker ?? "",
      lease_expires_at: item.lease?.expires_at ?? "",
    })),
  );
  if (page.next_cursor === null) return table;
  const next = nextPageCommand(
    "ple slot list --open",
    [
      ["role", options.role],
      ["since", options.since],
      ["limit", options.limit],
    ],
    page.next_cursor,
  );
  return `${table}\n\nMore: ${next}`;
}

export async function slotClaim(
  db: PleDatabase,
  options: { worker: string; role?: string; limit?: number; leaseSeconds?: number; actor: string },
): Promise<{ claimed: ClaimedSlot[] }> {
  const input = unwrap(
    parseInput(SlotClaimInput, {
      worker: options.worker,
      ...(options.role === undefined ? {} : { role: options.role }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      ...(options.leaseSeconds === undefined ? {} : { lease_seconds: options.leaseSeconds }),
    }),
  );
  return { claimed: await asActor(db, options.actor, (trx) => claimSlots(trx, input)) };
}

export function slotRenew(
  db: PleDatabase,
  options: { worker: string; slotUids: string[]; leaseSeconds?: number; actor: string },
): Promise<SlotRenewOutput> {
  const input = unwrap(
    parseInput(SlotRenewInput, {
      worker: options.worker,
      slot_uids: options.slotUids,
      ...(options.leaseSeconds === undefined ? {} : { lease_seconds: options.leaseSeconds }),
    }),
  );
  return asActor(db, options.actor, (trx) => renewSlotLeases(trx, input));
}

export function slotRelease(
  db: PleDatabase,
  options: { worker: string; slotUids: string[]; actor: string },
): Promise<SlotReleaseOutput> {
  const input = unwrap(
    parseInput(SlotReleaseInput, { worker: options.worker, slot_uids: options.slotUids }),
  );
  return asActor(db, options.actor, (trx) => releaseSlotLeases(trx, input));
}

const workerOption = {
  type: "string",
  valueName: "NAME",
  description: "the worker's name on its leases (required; e.g. host:pid)",
} as const;
const leaseOption = {
  type: "string",
  valueName: "SECONDS",
  description: "how long the lease lasts, 1–86400 (default 300)",
} as const;

function workerName(args: Args): string {
  const worker = stringOption(args, "worker");
  if (worker === undefined) throw new UsageError("--worker NAME is required");
  return worker;
}

/** Slot uids from the arguments, or "-": one per line on standard input. */
async function slotUidsOf(args: Args, stdin: () => Promise<string>): Promise<string[]> {
  const given = args.positionals;
  if (given.length === 1 && given[0] === "-") {
    return (await stdin())
      .split(/\s+/)
      .map((word) => word.trim())
      .filter((word) => word !== "");
  }
  if (given.length === 0) positional(args, 0, "SLOT_UID");
  return given;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

const MANY_SLOTS = {
  name: "SLOT_UID…",
  required: true,
  variadic: true,
  description: "slots (or - to read them from stdin)",
};

export const slotWorkCommands: CommandSpec[] = [
  {
    path: ["slot", "claim"],
    summary: "lease open slots no other worker holds, for a worker to research (JSON)",
    description:
      "Prints JSON (for scripts): each claimed slot with its lease and company.\nFill a slot with `ple slot link` or `ple slot propose` (its lease ends), or give it back with `ple slot release`.",
    positionals: [],
    options: {
      worker: workerOption,
      role: { type: "string", valueName: "ROLE", description: "only CEO, CFO or HR slots" },
      limit: {
        type: "string",
        valueName: "N",
        description: "at most this many, 1–1000 (default 10)",
      },
      "lease-seconds": leaseOption,
    },
    examples: [
      "ple slot claim --worker enrich-1 --role CFO --limit 20",
      'ple slot claim --worker "$(hostname):$$" --lease-seconds 900',
    ],
    async run(ctx, args) {
      const limit = intOption(args, "limit", { min: 1, max: 1000 });
      const leaseSeconds = intOption(args, "lease-seconds", { min: 1, max: 86_400 });
      const role = roleOption(args);
      const result = await slotClaim(await ctx.db(), {
        worker: workerName(args),
        ...(role === undefined ? {} : { role }),
        ...(limit === undefined ? {} : { limit }),
        ...(leaseSeconds === undefined ? {} : { leaseSeconds }),
        actor: ctx.env.actor,
      });
      return { data: result, human: renderJson(result) };
    },
  },
  {
    path: ["slot", "renew"],
    summary: "extend a worker's live leases (JSON: renewed, lost)",
    positionals: [MANY_SLOTS],
    options: { worker: workerOption, "lease-seconds": leaseOption },
    examples: ["ple slot renew SL-CO-20261126-000001-CFO --worker enrich-1 --lease-seconds 600"],
    async run(ctx, args) {
      const leaseSeconds = intOption(args, "lease-seconds", { min: 1, max: 86_400 });
      const result = await slotRenew(await ctx.db(), {
        worker: workerName(args),
        slotUids: await slotUidsOf(args, readStdin),
        ...(leaseSeconds === undefined ? {} : { leaseSeconds }),
        actor: ctx.env.actor,
      });
      return { data: result, human: renderJson(result) };
    },
  },
  {
    path: ["slot", "release"],
    summary: "end a worker's leases; the slots stay open for the next claim (JSON)",
    positionals: [MANY_SLOTS],
    options: { worker: workerOption },
    examples: ["ple slot release SL-CO-20261126-000001-CFO --worker enrich-1"],
    async run(ctx, args) {
      const result = await slotRelease(await ctx.db(), {
        worker: workerName(args),
        slotUids: await slotUidsOf(args, readStdin),
        actor: ctx.env.actor,
      });
      return { data: result, human: renderJson(result) };
    },
  },
];
