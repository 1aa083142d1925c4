import { describe, expect, it } from "vitest";
import {
  allowedSlotEvents,
  SLOT_EVENT_TYPE_OF,
  SLOT_EVENT_TYPES,
  SLOT_EVENTS,
  SLOT_STATUSES,
  SLOT_TRANSITIONS,
  slotHoldsPerson,
  transition,
} from "../src/index.js";

describe("slot state machine", () => {
  it("is exactly the six transitions of the spec", () => {
    expect(SLOT_STATUSES).toEqual(["open", "pending", "filled"]);
    expect(SLOT_EVENTS).toEqual(["link", "propose", "confirm", "reject", "vacate", "displace"]);
    expect(SLOT_TRANSITIONS).toEqual([
      { from: "open", event: "link", to: "filled" },
      { from: "open", event: "propose", to: "pending" },
      { from: "pending", event: "confirm", to: "filled" },
      { from: "pending", event: "reject", to: "open" },
      { from: "filled", event: "vacate", to: "open" },
      { from: "filled", event: "displace", to: "filled" },
    ]);
  });

  it("cannot be changed at run time (the database is seeded from it)", () => {
    expect(Object.isFrozen(SLOT_TRANSITIONS)).toBe(true);
    expect(SLOT_TRANSITIONS.every((row) => Object.isFrozen(row))).toBe(true);
    expect(() => {
      (SLOT_TRANSITIONS as unknown as unknown[]).push({ from: "open" });
    }).toThrow(TypeError);
  });

  it("lists the events allowed from each state", () => {
    expect(allowedSlotEvents("open")).toEqual(["link", "propose"]);
    expect(allowedSlotEvents("pending")).toEqual(["confirm", "reject"]);
    expect(allowedSlotEvents("filled")).toEqual(["vacate", "displace"]);
  });

  it("says which move was refused and what is allowed instead", () => {
    const result = transition("filled", "link");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.toJSON()).toEqual({
      code: "INVALID_TRANSITION",
      message: "A slot that is filled cannot link; allowed: vacate, displace",
      field: "status",
      details: { from: "filled", event: "link" },
    });
  });

  it("holds a person exactly when not open, and records one event type per event", () => {
    expect(SLOT_STATUSES.filter(slotHoldsPerson)).toEqual(["pending", "filled"]);
    expect(SLOT_EVENTS.map((event) => SLOT_EVENT_TYPE_OF[event])).toEqual([
      "ASSIGNED",
      "PROPOSED",
      "CONFIRMED",
      "REJECTED",
      "VACATED",
      "DISPLACED",
    ]);
    expect(new Set(Object.values(SLOT_EVENT_TYPE_OF))).toEqual(new Set(SLOT_EVENT_TYPES));
  });
});
