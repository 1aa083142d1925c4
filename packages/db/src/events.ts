/**
 * The change feed (migrations 014, 018): reading events after a position, and the positions the
 * relays have published up to. Positions are given at commit, in commit order and without
 * gaps, so every committed event is at or below the clock's head and a reader that resumes
 * after the last position it saw misses nothing and sees nothing twice. An event's position is
 * its commit's first position (marketing.event_commit) plus its place among its transaction's
 * events (ord) minus the commit's first place.
 */
import {
  type ChangeEvent,
  ChangeEventSchema,
  EventsListInput,
  PleError,
  parseInput,
} from "@ple/core";
import type { Queryable } from "./database.js";
import { mapErrors } from "./errors.js";

export interface EventPage {
  /** The events after `after`, in position order. */
  events: ChangeEvent[];
  /**
   * Where the next read starts: the last event's position when the page is full, else the
   * head (events skipped by a `types` filter are not read again).
   */
  next: number;
  /** The last position committed when the page was read. */
  head: number;
}

interface EventRow {
  head: string | number;
  position: string | number | null;
  type: string | null;
  uids: Record<string, unknown> | null;
  changes: Record<string, unknown> | null;
  actor: string | null;
  request_id: string | null;
  at: string | null;
}

/**
 * Up to `limit` events after position `after` (of `types` only, when given), and the head —
 * both from one statement, so from one snapshot.
 */
export async function listEvents(q: Queryable, input: EventsListInput): Promise<EventPage> {
  const parsed = parseInput(EventsListInput, input);
  if (!parsed.ok) throw parsed.error;
  const { after, limit, types } = parsed.value;
  return mapErrors(async () => {
    const result = await q.raw<{ rows: EventRow[] }>(
      // One statement, so one snapshot for the page and the head. The head comes from a
      // scalar subquery: a join with event_clock made the planner expect millions of rows
      // (the one-row table has no statistics) and JIT-compile the query, 300 ms per page.
      //
      // The page walks the commits after `after` in order and takes each one's events by
      // (tx, ord), at most `limit` of them per commit, so a page never sorts more than
      // `limit` events of one large commit.
      `WITH page AS (
         SELECT c.first_position + (v.ord - c.first_ord) AS position, v.type, v.uids, v.changes,
                v.actor, v.request_id, to_json(v.at) #>> '{}' AS at
           FROM marketing.event_commit AS c
          CROSS JOIN LATERAL (
            SELECT e.ord, e.type, e.uids, e.changes, e.actor, e.request_id, e.at
              FROM marketing.event AS e
             WHERE e.tx = c.tx
               AND e.ord >= greatest(c.first_ord, ?::bigint - c.first_position + c.first_ord + 1)
               AND e.ord <= c.first_ord + (c.last_position - c.first_position)
               ${types === undefined ? "" : "AND e.type = ANY (?::text[])"}
             ORDER BY e.ord
             LIMIT ?::integer
          ) AS v
          WHERE c.last_position > ?::bigint
          ORDER BY c.last_position, v.ord
          LIMIT ?::integer
       )
       SELECT coalesce((SELECT c.last_position FROM marketing.event_clock AS c), 0) AS head, p.*
         FROM (VALUES (1)) AS one (n)
         LEFT JOIN page AS p ON true
        ORDER BY p.position`,
      types === undefined ? [after, limit, after, limit] : [after, types, limit, after, limit],
    );
    const head = Number(result.rows[0]?.head ?? 0);
    const events = result.rows
      .filter((row) => row.position !== null)
      .map((row) => ChangeEventSchema.parse({ ...row, position: Number(row.position) }));
    const last = events.at(-1)?.position ?? after;
    const next = events.length === limit ? last : Math.max(after, head);
    return { events, next, head };
  });
}

/** The last position committed (0 before the first event). */
export function eventHead(q: Queryable): Promise<number> {
  return mapErrors(async () => {
    const row: { last_position: string } | undefined = await q("marketing.event_clock")
      .select("last_position")
      .first();
    return Number(row?.last_position ?? 0);
  });
}

/**
 * Writes one event in the caller's transaction (marketing.emit_event): for changes the row
 * triggers cannot name. Its position comes at commit.
 */
export function emitEvent(
  q: Queryable,
  event: Pick<ChangeEvent, "type" | "uids" | "changes">,
): Promise<void> {
  return mapErrors(async () => {
    await q.raw("SELECT marketing.emit_event(?, ?::jsonb, ?::jsonb)", [
      event.type,
      JSON.stringify(event.uids),
      JSON.stringify(event.changes),
    ]);
  });
}

const RELAY_NAME = /^[A-Za-z0-9._-]{1,100}$/;

function checkRelayName(name: string): void {
  if (!RELAY_NAME.test(name)) {
    throw new PleError(
      "VALIDATION_FAILED",
      "relay: a relay name is 1 to 100 letters, digits, '.', '_' or '-'",
      { field: "relay", details: { reason: "invalid_name" } },
    );
  }
}

/** The last position the named relay has published (0 when it never ran). */
export async function relayPosition(q: Queryable, name: string): Promise<number> {
  checkRelayName(name);
  return mapErrors(async () => {
    const row: { position: string } | undefined = await q("marketing.event_relay")
      .where({ name })
      .select("position")
      .first();
    return Number(row?.position ?? 0);
  });
}

/** Records that the named relay has published up to `position` (never moves it back). */
export async function saveRelayPosition(
  q: Queryable,
  name: string,
  position: number,
): Promise<void> {
  checkRelayName(name);
  return mapErrors(async () => {
    await q.raw(
      `INSERT INTO marketing.event_relay (name, position) VALUES (?, ?::bigint)
       ON CONFLICT (name) DO UPDATE
         SET position = greatest(marketing.event_relay.position, excluded.position),
             updated_at = clock_timestamp()`,
      [name, position],
    );
  });
}
