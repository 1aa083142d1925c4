/**
 * Slots: the three role slots of a company and their state machine, each
 * change one call of the SQL function that enforces it (link, propose,
 * confirm, reject, vacate, displace), so a slot never holds two people.
 */
import {
  PleError,
  Slot,
  type SlotConfirmInput,
  type SlotDisplaceInput,
  type SlotLinkInput,
  type SlotListInput,
  type SlotProposeInput,
  type SlotRejectInput,
  type SlotVacateInput,
} from "@ple/core";
import type { Queryable } from "./database.js";
import { mapErrors } from "./errors.js";

const SLOT = "marketing.company_slot";

export interface SlotChange {
  slot: Slot;
  /** False when the slot already was in the requested state (nothing written). */
  changed: boolean;
  /** The person who left the slot (vacate, reject, displace). */
  released_person_id: string | null;
}

async function readSlot(q: Queryable, slotUid: string): Promise<Slot> {
  const row: unknown = await q(SLOT).where({ slot_uid: slotUid }).first("*");
  if (row === undefined) {
    throw new PleError("SLOT_NOT_FOUND", `No slot "${slotUid}"`, {
      field: "slot_uid",
      details: { reason: "not_found", slot_uid: slotUid },
    });
  }
  return Slot.parse(row);
}

/** The slots of a company (CEO, CFO, HR); COMPANY_NOT_FOUND when there is no such company. */
export function listSlots(q: Queryable, input: SlotListInput): Promise<Slot[]> {
  return mapErrors(async () => {
    const rows: unknown[] = await q(SLOT)
      .where({ company_uid: input.company_uid })
      .select("*")
      .orderByRaw("array_position(ARRAY['CEO','CFO','HR']::text[], role)");
    if (rows.length === 0) {
      const company = await q("marketing.company")
        .where({ company_uid: input.company_uid })
        .first("company_uid");
      if (company === undefined) {
        throw new PleError("COMPANY_NOT_FOUND", `No company "${input.company_uid}"`, {
          field: "company_uid",
          details: { reason: "not_found", company_uid: input.company_uid },
        });
      }
    }
    return rows.map((row) => Slot.parse(row));
  });
}

export function getSlot(q: Queryable, slotUid: string): Promise<Slot> {
  return mapErrors(() => readSlot(q, slotUid));
}

/** The slot a person holds (filled) or is proposed for (pending), or null. */
export function getSlotOfPerson(q: Queryable, personId: string): Promise<Slot | null> {
  return mapErrors(async () => {
    const row: unknown = await q(SLOT).where({ person_id: personId }).first("*");
    return row === undefined ? null : Slot.parse(row);
  });
}

/**
 * Links a person into an open slot (open → filled). When the slot is taken by
 * someone else: SLOT_CONFLICT naming the occupant; when the person holds
 * another slot: PERSON_ALREADY_LINKED naming it; when the person works for
 * another company: COMPANY_MISMATCH naming both, unless input.move. A person
 * without a company gets the slot's. Linking the holder again is a no-op.
 */
export function linkPersonToSlot(q: Queryable, input: SlotLinkInput): Promise<SlotChange> {
  return mapErrors(async () => {
    const before = await q(SLOT).where({ slot_uid: input.slot_uid }).first("status", "person_id");
    const result = await q.raw<{ rows: Array<{ linked: boolean }> }>(
      "SELECT marketing.link_person_to_slot(?, ?, ?) AS linked",
      [input.person_id, input.slot_uid, input.move === true],
    );
    const slot = await readSlot(q, input.slot_uid);
    if (result.rows[0]?.linked === true) {
      const changed = !(before?.status === "filled" && before.person_id === input.person_id);
      return { slot, changed, released_person_id: null };
    }
    if (slot.person_id !== null && slot.person_id !== input.person_id) {
      throw new PleError(
        "SLOT_CONFLICT",
        `Slot ${slot.slot_uid} is ${slot.status} with ${slot.person_id}`,
        {
          field: "slot_uid",
          details: { slot_uid: slot.slot_uid, status: slot.status, person_id: slot.person_id },
        },
      );
    }
    const held = await q(SLOT)
      .where({ person_id: input.person_id })
      .whereNot({ slot_uid: input.slot_uid })
      .first("slot_uid");
    if (held !== undefined) {
      throw new PleError(
        "PERSON_ALREADY_LINKED",
        `Person ${input.person_id} already holds slot ${String(held.slot_uid)}`,
        { field: "person_id", details: { person_id: input.person_id, slot_uid: held.slot_uid } },
      );
    }
    throw new PleError(
      "INVALID_TRANSITION",
      `Slot ${slot.slot_uid} is ${slot.status}; it cannot be linked`,
      {
        field: "status",
        details: { from: slot.status, event: "link", slot_uid: slot.slot_uid },
      },
    );
  });
}

interface SlotJson {
  changed?: boolean;
  vacated_person_id?: string | null;
  rejected_person_id?: string | null;
  displaced_person_id?: string | null;
}

async function callSlotFunction(
  q: Queryable,
  sql: string,
  bindings: Array<string | boolean | null>,
  slotUid: string,
): Promise<SlotChange> {
  const result = await q.raw<{ rows: Array<{ result: SlotJson }> }>(sql, bindings);
  const out = result.rows[0]?.result ?? {};
  return {
    slot: await readSlot(q, slotUid),
    changed: out.changed !== false,
    released_person_id:
      out.vacated_person_id ?? out.rejected_person_id ?? out.displaced_person_id ?? null,
  };
}

/** Proposes a person for an open slot, pending validation (open → pending); company rule as link. */
export function proposePersonForSlot(q: Queryable, input: SlotProposeInput): Promise<SlotChange> {
  return mapErrors(() =>
    callSlotFunction(
      q,
      "SELECT marketing.propose_person_for_slot(?, ?, ?) AS result",
      [input.person_id, input.slot_uid, input.move === true],
      input.slot_uid,
    ),
  );
}

/** Confirms the proposed person (pending → filled). */
export function confirmSlot(q: Queryable, input: SlotConfirmInput): Promise<SlotChange> {
  return mapErrors(() =>
    callSlotFunction(
      q,
      "SELECT marketing.confirm_slot(?) AS result",
      [input.slot_uid],
      input.slot_uid,
    ),
  );
}

/** Rejects the proposed person (pending → open). */
export function rejectSlot(q: Queryable, input: SlotRejectInput): Promise<SlotChange> {
  return mapErrors(() =>
    callSlotFunction(
      q,
      "SELECT marketing.reject_slot(?) AS result",
      [input.slot_uid],
      input.slot_uid,
    ),
  );
}

/** Unlinks the person of a filled slot (filled → open). */
export function vacateSlot(q: Queryable, input: SlotVacateInput): Promise<SlotChange> {
  return mapErrors(() =>
    callSlotFunction(
      q,
      "SELECT marketing.vacate_slot(?) AS result",
      [input.slot_uid],
      input.slot_uid,
    ),
  );
}

/**
 * Replaces the person of a filled slot (filled → filled, recorded as DISPLACED). With
 * expected_person_id, SLOT_CONFLICT (field expected_person_id, details.person_id = the current
 * occupant) when someone else holds the slot by now.
 */
export function displaceSlotPerson(q: Queryable, input: SlotDisplaceInput): Promise<SlotChange> {
  return mapErrors(() =>
    callSlotFunction(
      q,
      "SELECT marketing.displace_slot_person(?, ?, ?, ?) AS result",
      [input.slot_uid, input.person_id, input.expected_person_id ?? null, input.move === true],
      input.slot_uid,
    ),
  );
}
