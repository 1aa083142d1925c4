/**
 * The change feed's vocabulary: the event types, an event as readers receive it and the
 * inputs of the readers (list and live). The database writes the events (migration 014);
 * this module only names and checks them.
 */
import { z } from "zod";
import { inputObject } from "./schemas.js";

/** Every event type, grouped by what it concerns. */
export const EVENT_TYPES = [
  "company.created",
  "company.updated",
  "company.merged",
  "company.deleted",
  "slot.assigned",
  "slot.proposed",
  "slot.confirmed",
  "slot.rejected",
  "slot.vacated",
  "slot.displaced",
  "person.created",
  "person.updated",
  "person.validated",
  "person.merged",
  "person.erased",
] as const;

export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

/**
 * A position in the feed: 0 is before the first event. Positions are whole numbers given at
 * commit, in commit order and without gaps.
 */
export const EventPosition = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** One event as a reader receives it. */
export const ChangeEventSchema = z.object({
  position: EventPosition,
  type: EventTypeSchema,
  /** The UIDs the event concerns: company_uid, slot_uid, person_id, previous_person_id, … */
  uids: z.record(z.string(), z.unknown()),
  /** What changed: {field: {from, to}} for an update; the new record's fields for a creation. */
  changes: z.record(z.string(), z.unknown()),
  actor: z.string(),
  request_id: z.string().nullable(),
  /** When the change was made (ISO 8601). */
  at: z.string(),
});
export type ChangeEvent = z.infer<typeof ChangeEventSchema>;

/** events.list: up to `limit` events after position `after`, only `types` when given. */
export const EventsListInput = inputObject({
  after: EventPosition.default(0),
  limit: z.number().int().min(1).max(10_000).default(100),
  types: z.array(EventTypeSchema).min(1).max(EVENT_TYPES.length).optional(),
});
export type EventsListInput = z.input<typeof EventsListInput>;

/** events.onChange: every event after `after` (or the resumed lastEventId), then live. */
export const EventsOnChangeInput = inputObject({
  after: EventPosition.default(0),
  types: z.array(EventTypeSchema).min(1).max(EVENT_TYPES.length).optional(),
  /** Set by the client on reconnection (tRPC's tracked() ids): the last position it received. */
  lastEventId: z
    .string()
    .regex(/^\d{1,16}$/, "must be an event position")
    .nullish(),
});
export type EventsOnChangeInput = z.input<typeof EventsOnChangeInput>;
