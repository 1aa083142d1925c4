/**
 * `ple events tail` (the change feed, printed as it commits) and `ple events relay` (the
 * change feed published to NATS JetStream, on only when PLE_NATS_URL is set).
 */
import { type RelaySummary, runEventRelay } from "@ple/api";
import { type ChangeEvent, EVENT_TYPES, type EventType, EventTypeSchema } from "@ple/core";
import { listEvents, type PleDatabase } from "@ple/db";
import {
  type CommandContext,
  type CommandSpec,
  flag,
  intOption,
  stringOption,
} from "../command.js";
import { UsageError } from "../usage-error.js";

const POLL_MS = 200;

export interface TailOptions {
  after: number;
  types?: EventType[];
  /** Keep waiting for new events (default); false stops once caught up. */
  follow: boolean;
  signal?: AbortSignal;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Calls onEvent for every event after `after`, in position order; returns the last position read. */
export async function tailEvents(
  db: PleDatabase,
  options: TailOptions,
  onEvent: (event: ChangeEvent) => void,
): Promise<number> {
  let cursor = options.after;
  while (options.signal?.aborted !== true) {
    const page = await listEvents(db.knex, {
      after: cursor,
      limit: 500,
      ...(options.types === undefined ? {} : { types: options.types }),
    });
    for (const event of page.events) onEvent(event);
    cursor = page.next;
    if (page.events.length < 500) {
      if (!options.follow) break;
      await pause(POLL_MS, options.signal);
    }
  }
  return cursor;
}

export function parseTypes(text: string | undefined): EventType[] | undefined {
  if (text === undefined) return undefined;
  const types = text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  if (types.length === 0) throw new UsageError("--types needs at least one event type");
  for (const type of types) {
    if (!EventTypeSchema.safeParse(type).success) {
      throw new UsageError(
        `--types: unknown event type "${type}" (known: ${EVENT_TYPES.join(", ")})`,
      );
    }
  }
  return types as EventType[];
}

export function renderEventLine(event: ChangeEvent): string {
  const uids = Object.values(event.uids)
    .filter((v) => typeof v === "string")
    .join(" ");
  return `${String(event.position).padStart(8)}  ${event.at}  ${event.type.padEnd(16)}  ${uids}`;
}

function shutdownSignal(ctx: CommandContext): AbortSignal {
  const controller = new AbortController();
  void ctx.waitForShutdown().then(() => controller.abort());
  return controller.signal;
}

export const eventsCommands: CommandSpec[] = [
  {
    path: ["events", "tail"],
    summary: "print the change feed as it commits (company, slot and person events)",
    description: [
      "Prints every event after --after (default: from now on), in position order, then",
      "waits for more until Ctrl-C. Positions are given at commit, in commit order and",
      "without gaps: resume with --after <last position printed> and nothing is lost or",
      "repeated. With --json, one object per line (position, type, uids, changes, actor,",
      "request_id, at).",
    ].join("\n"),
    positionals: [],
    options: {
      after: {
        type: "string",
        valueName: "P",
        description: "start after position P (0: from the first event; default: the head)",
      },
      types: {
        type: "string",
        valueName: "T,T",
        description: "only these event types (e.g. slot.assigned,person.validated)",
      },
      "no-follow": { type: "boolean", description: "stop once every committed event is printed" },
    },
    examples: [
      "ple events tail --after 0 --no-follow",
      "ple events tail --types slot.assigned,slot.confirmed --json",
    ],
    async run(ctx, args) {
      const db = await ctx.db();
      const types = parseTypes(stringOption(args, "types"));
      const afterOption = intOption(args, "after", { min: 0, max: Number.MAX_SAFE_INTEGER });
      const after = afterOption ?? (await listEvents(db.knex, { after: 0, limit: 1 })).head;
      let printed = 0;
      const last = await tailEvents(
        db,
        {
          after,
          follow: !flag(args, "no-follow"),
          signal: shutdownSignal(ctx),
          ...(types === undefined ? {} : { types }),
        },
        (event) => {
          printed++;
          ctx.io.stdout.write(`${ctx.json ? JSON.stringify(event) : renderEventLine(event)}\n`);
        },
      );
      if (!ctx.json) ctx.io.stderr.write(`${printed} events; resume with --after ${last}\n`);
      return { data: { position: last, printed }, human: "", printed: true };
    },
  },
  {
    path: ["events", "relay"],
    summary: "publish the change feed to NATS JetStream (on when PLE_NATS_URL is set)",
    description: [
      "Publishes every event to <PLE_NATS_SUBJECT>.<type> (default ple.events.company.created",
      "and so on) in the stream PLE_NATS_STREAM (default PLE_EVENTS, created when missing),",
      "with the position as JetStream message id, so a position published twice is stored",
      "once. The position published up to is saved after every acknowledged batch; after a",
      "crash the relay resumes from it (or from the stream's last message, if later): nothing",
      "lost, nothing delivered twice. Runs until Ctrl-C, or with --until-caught-up until the",
      "feed's head is published.",
    ].join("\n"),
    positionals: [],
    options: {
      batch: {
        type: "string",
        valueName: "N",
        description: "events per batch (default 5000)",
      },
      "until-caught-up": {
        type: "boolean",
        description: "stop once every committed event is published",
      },
    },
    examples: [
      "PLE_NATS_URL=nats://127.0.0.1:4222 ple events relay",
      "PLE_NATS_URL=nats://127.0.0.1:4222 PLE_NATS_STREAM=PLE_EVENTS ple events relay --until-caught-up --json",
    ],
    async run(ctx, args) {
      const natsUrl = ctx.env.api.PLE_NATS_URL;
      if (natsUrl === undefined) {
        throw new UsageError("PLE_NATS_URL is not set: the relay to NATS JetStream is off");
      }
      const batchSize = intOption(args, "batch", { min: 1, max: 10_000 }) ?? 5000;
      const result: RelaySummary = await runEventRelay({
        db: await ctx.db(),
        natsUrl,
        stream: ctx.env.api.PLE_NATS_STREAM,
        subject: ctx.env.api.PLE_NATS_SUBJECT,
        batchSize,
        untilCaughtUp: flag(args, "until-caught-up"),
        signal: shutdownSignal(ctx),
      });
      return {
        data: result,
        human: `Relayed ${result.published} events to ${result.stream} (${result.subject}.>) after position ${result.from}, up to ${result.position}; ${result.duplicates} already there.`,
      };
    },
  },
];
