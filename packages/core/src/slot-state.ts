/**
 * The slot state machine — the single definition of which slot moves are allowed. The database
 * seeds marketing.slot_transition from SLOT_TRANSITIONS and enforces it with a trigger, and
 * vectors/slot-transitions.json lists every (state, event) pair for both sides to test.
 */
import { z } from "zod";
import { err, ok, PleError, type Result } from "./errors.js";

export const SLOT_STATUSES = ["open", "pending", "filled"] as const;
export type SlotStatus = (typeof SLOT_STATUSES)[number];
export const SlotStatusSchema = z.enum(SLOT_STATUSES);

/**
 * What can happen to a slot: `link` (a person straight into an open slot), `propose` (a person
 * awaiting validation), `confirm` / `reject` (the proposal), `vacate` (unlink), `displace`
 * (replace the person of a filled slot — explicit and audited).
 */
export const SLOT_EVENTS = ["link", "propose", "confirm", "reject", "vacate", "displace"] as const;
export type SlotTransitionEvent = (typeof SLOT_EVENTS)[number];
export const SlotTransitionEventSchema = z.enum(SLOT_EVENTS);

export interface SlotTransition {
  readonly from: SlotStatus;
  readonly event: SlotTransitionEvent;
  readonly to: SlotStatus;
}

export const SLOT_TRANSITIONS: readonly SlotTransition[] = Object.freeze([
  Object.freeze({ from: "open", event: "link", to: "filled" }),
  Object.freeze({ from: "open", event: "propose", to: "pending" }),
  Object.freeze({ from: "pending", event: "confirm", to: "filled" }),
  Object.freeze({ from: "pending", event: "reject", to: "open" }),
  Object.freeze({ from: "filled", event: "vacate", to: "open" }),
  Object.freeze({ from: "filled", event: "displace", to: "filled" }),
] as const satisfies readonly SlotTransition[]);

/** The kinds of rows in marketing.slot_event, one per transition a person goes through. */
export const SLOT_EVENT_TYPES = [
  "ASSIGNED",
  "VACATED",
  "DISPLACED",
  "PROPOSED",
  "CONFIRMED",
  "REJECTED",
] as const;
export type SlotEventType = (typeof SLOT_EVENT_TYPES)[number];
export const SlotEventTypeSchema = z.enum(SLOT_EVENT_TYPES);

/**
 * The slot_event type a transition records for the person it concerns. A displacement records
 * DISPLACED for the person who leaves and ASSIGNED for the one who arrives.
 */
export const SLOT_EVENT_TYPE_OF: Readonly<Record<SlotTransitionEvent, SlotEventType>> =
  Object.freeze({
    link: "ASSIGNED",
    propose: "PROPOSED",
    confirm: "CONFIRMED",
    reject: "REJECTED",
    vacate: "VACATED",
    displace: "DISPLACED",
  });

/** A slot holds a person exactly when it is not open (the table's CHECK constraint says the same). */
export function slotHoldsPerson(status: SlotStatus): boolean {
  return status !== "open";
}

/** The events allowed from a state, in table order. */
export function allowedSlotEvents(from: SlotStatus): SlotTransitionEvent[] {
  return SLOT_TRANSITIONS.filter((t) => t.from === from).map((t) => t.event);
}

/** The state after `event`, or INVALID_TRANSITION (details {from, event}). Never throws. */
export function transition(state: SlotStatus, event: SlotTransitionEvent): Result<SlotStatus> {
  const found = SLOT_TRANSITIONS.find((t) => t.from === state && t.event === event);
  if (found) return ok(found.to);
  const allowed = SLOT_TRANSITIONS.some((t) => t.from === state)
    ? allowedSlotEvents(state).join(", ")
    : "none (unknown state)";
  return err(
    new PleError(
      "INVALID_TRANSITION",
      `A slot that is ${String(state)} cannot ${String(event)}; allowed: ${allowed}`,
      { field: "status", details: { from: state, event } },
    ),
  );
}
