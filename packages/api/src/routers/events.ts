/**
 * events: the change feed. `list` reads a page after a position; `onChange` is a
 * subscription (SSE through httpSubscriptionLink) that sends every event after its cursor
 * and then each new one as it commits. Each event goes out as tracked(position), so a client
 * that reconnects sends the last position it got as lastEventId and resumes right after it:
 * nothing lost, nothing repeated (positions are given in commit order, without gaps).
 */
import { EventsListInput, EventsOnChangeInput } from "@ple/core";
import { listEvents } from "@ple/db";
import { type TRPCRouterRecord, tracked } from "@trpc/server";
import { readProcedure } from "../trpc.js";

/** How often a subscription looks for new events once it has caught up. */
export const EVENT_POLL_MS = 200;
/** Events read per query while catching up. */
const PAGE = 500;

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

export const eventsRouter = {
  /** Up to `limit` events after `after` (of `types` only), and `next`, where the next read starts. */
  list: readProcedure
    .input(EventsListInput)
    .query(({ ctx, input }) => listEvents(ctx.db.knex, input)),

  /** Every event after `after` (or after lastEventId on reconnection), then live. */
  onChange: readProcedure.input(EventsOnChangeInput).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    let cursor =
      input.lastEventId === undefined || input.lastEventId === null
        ? input.after
        : Number(input.lastEventId);
    while (signal?.aborted !== true) {
      const page = await listEvents(ctx.db.knex, {
        after: cursor,
        limit: PAGE,
        ...(input.types === undefined ? {} : { types: input.types }),
      });
      for (const event of page.events) {
        yield tracked(String(event.position), event);
      }
      cursor = page.next;
      if (page.events.length < PAGE) await pause(EVENT_POLL_MS, signal);
    }
  }),
} satisfies TRPCRouterRecord;
