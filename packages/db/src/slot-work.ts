/**
 * Open slots as a work queue: listing open slots with their companies, and the
 * leases workers take on them (marketing.slot_lease, migration 013). A lease
 * never changes a slot; it ends when the worker releases it, when it expires,
 * or when the slot leaves `open` (a trigger deletes it).
 */
import {
  type ClaimedSlot,
  Company,
  type OpenSlot,
  type OpenSlotPage,
  PleError,
  Slot,
  type SlotClaimInput,
  SlotLease,
  type SlotListOpenInput,
  type SlotReleaseInput,
  type SlotReleaseOutput,
  type SlotRenewInput,
  type SlotRenewOutput,
} from "@ple/core";
import type { Queryable } from "./database.js";
import { mapErrors } from "./errors.js";
import {
  type CursorFilters,
  cursorValue,
  decodeSlotCursor,
  encodeSlotCursor,
  pageFilters,
} from "./pagination.js";

const SLOT_COLUMNS = Object.keys(Slot.shape);
const COMPANY_COLUMNS = Object.keys(Company.shape);
const LEASE_COLUMNS = Object.keys(SlotLease.shape);

/** The select list of slot ⋈ company ⟕ lease, each column prefixed (s_, c_, l_). */
const JOINED_COLUMNS = [
  ...SLOT_COLUMNS.map((c) => `s.${c} AS s_${c}`),
  ...COMPANY_COLUMNS.map((c) => `c.${c} AS c_${c}`),
  ...LEASE_COLUMNS.map((c) => `l.${c} AS l_${c}`),
].join(", ");

function pick(row: Record<string, unknown>, prefix: string, columns: string[]) {
  const out: Record<string, unknown> = {};
  for (const column of columns) out[column] = row[`${prefix}${column}`];
  return out;
}

function openSlotOfRow(row: Record<string, unknown>): OpenSlot {
  return {
    slot: Slot.parse(pick(row, "s_", SLOT_COLUMNS)),
    company: Company.parse(pick(row, "c_", COMPANY_COLUMNS)),
    lease: row.l_slot_uid == null ? null : SlotLease.parse(pick(row, "l_", LEASE_COLUMNS)),
  };
}

/**
 * Open slots with their companies (and live leases), by company then role, a
 * page at a time. The cursor keeps the query's filters (role, created_since).
 */
export function listOpenSlots(q: Queryable, input: SlotListOpenInput): Promise<OpenSlotPage> {
  return mapErrors(async () => {
    const given: CursorFilters = {};
    if (input.role !== undefined) given.role = input.role;
    if (input.created_since !== undefined) given.created_since = cursorValue(input.created_since);
    const cursor = input.cursor === undefined ? undefined : decodeSlotCursor(input.cursor);
    const filters = pageFilters(given, cursor?.filters);
    const where = ["s.status = 'open'"];
    const bindings: Array<string | number | boolean> = [];
    if (filters.role !== undefined) {
      where.push("s.role = ?");
      bindings.push(filters.role);
    }
    if (filters.created_since !== undefined) {
      where.push("s.created_at >= ?::timestamptz");
      bindings.push(filters.created_since);
    }
    if (cursor !== undefined) {
      where.push("(s.company_uid, s.role) > (?, ?)");
      bindings.push(cursor.companyUid, cursor.role);
    }
    bindings.push(input.limit + 1);
    const result = await q.raw<{ rows: Array<Record<string, unknown>> }>(
      `SELECT ${JOINED_COLUMNS}
         FROM marketing.company_slot s
         JOIN marketing.company c ON c.company_uid = s.company_uid
         LEFT JOIN marketing.slot_lease l ON l.slot_uid = s.slot_uid AND l.expires_at > now()
        WHERE ${where.join(" AND ")}
        ORDER BY s.company_uid, s.role
        LIMIT ?`,
      bindings,
    );
    const items = result.rows.slice(0, input.limit).map(openSlotOfRow);
    const last = items.at(-1);
    return {
      items,
      next_cursor:
        result.rows.length > input.limit && last !== undefined
          ? encodeSlotCursor({
              companyUid: last.slot.company_uid,
              role: last.slot.role,
              filters,
            })
          : null,
    };
  });
}

/** The slots and companies of these slot uids, by company then role. */
async function slotsWithCompanies(
  q: Queryable,
  slotUids: readonly string[],
): Promise<Map<string, { slot: Slot; company: Company }>> {
  const found = new Map<string, { slot: Slot; company: Company }>();
  if (slotUids.length === 0) return found;
  const result = await q.raw<{ rows: Array<Record<string, unknown>> }>(
    `SELECT ${JOINED_COLUMNS}
       FROM marketing.company_slot s
       JOIN marketing.company c ON c.company_uid = s.company_uid
       LEFT JOIN marketing.slot_lease l ON FALSE
      WHERE s.slot_uid = ANY(?::text[])
      ORDER BY s.company_uid, s.role`,
    [[...slotUids]],
  );
  for (const row of result.rows) {
    const { slot, company } = openSlotOfRow(row);
    found.set(slot.slot_uid, { slot, company });
  }
  return found;
}

/**
 * Leases up to `limit` open slots (of `role`, or any) that no live lease
 * holds to `worker` for `lease_seconds`, oldest companies first, through
 * marketing.claim_open_slots: concurrent claimers get disjoint slots. Fewer
 * (or none) when fewer are free. Each comes with its slot and company.
 */
export function claimSlots(q: Queryable, input: SlotClaimInput): Promise<ClaimedSlot[]> {
  return mapErrors(async () => {
    const result = await q.raw<{ rows: Array<Record<string, unknown>> }>(
      "SELECT * FROM marketing.claim_open_slots(?, ?, ?, ?)",
      [input.worker, input.role ?? null, input.limit, input.lease_seconds],
    );
    const leases = result.rows.map((row) => SlotLease.parse(row));
    const details = await slotsWithCompanies(
      q,
      leases.map((lease) => lease.slot_uid),
    );
    const claimed: ClaimedSlot[] = [];
    for (const lease of leases) {
      const found = details.get(lease.slot_uid);
      if (found === undefined) {
        throw new PleError("INTERNAL", `Claimed slot ${lease.slot_uid} vanished`);
      }
      claimed.push({ lease, ...found });
    }
    return claimed.sort((a, b) =>
      a.slot.slot_uid < b.slot.slot_uid ? -1 : a.slot.slot_uid > b.slot.slot_uid ? 1 : 0,
    );
  });
}

/** Extends the worker's live leases; slots it no longer holds come back as `lost`. */
export function renewSlotLeases(q: Queryable, input: SlotRenewInput): Promise<SlotRenewOutput> {
  return mapErrors(async () => {
    const uids = [...new Set(input.slot_uids)];
    const result = await q.raw<{ rows: Array<Record<string, unknown>> }>(
      `UPDATE marketing.slot_lease
          SET expires_at = greatest(now() + make_interval(secs => ?), claimed_at + interval '1 microsecond')
        WHERE worker = ? AND slot_uid = ANY(?::text[]) AND expires_at > now()
        RETURNING ${LEASE_COLUMNS.join(", ")}`,
      [input.lease_seconds, input.worker, uids],
    );
    const renewed = result.rows.map((row) => SlotLease.parse(row)).sort(bySlotUid);
    const kept = new Set(renewed.map((lease) => lease.slot_uid));
    return { renewed, lost: uids.filter((uid) => !kept.has(uid)).sort() };
  });
}

/** Ends the worker's leases on these slots; the slots themselves stay as they are. */
export function releaseSlotLeases(
  q: Queryable,
  input: SlotReleaseInput,
): Promise<SlotReleaseOutput> {
  return mapErrors(async () => {
    const uids = [...new Set(input.slot_uids)];
    const result = await q.raw<{ rows: Array<{ slot_uid: string }> }>(
      `DELETE FROM marketing.slot_lease
        WHERE worker = ? AND slot_uid = ANY(?::text[]) AND expires_at > now()
        RETURNING slot_uid`,
      [input.worker, uids],
    );
    const released = new Set(result.rows.map((row) => row.slot_uid));
    return {
      released: uids.filter((uid) => released.has(uid)).sort(),
      not_held: uids.filter((uid) => !released.has(uid)).sort(),
    };
  });
}

function bySlotUid(a: SlotLease, b: SlotLease): number {
  return a.slot_uid < b.slot_uid ? -1 : a.slot_uid > b.slot_uid ? 1 : 0;
}

/** Deletes leases that expired before `before` (or counts them, dryRun); retention calls it. */
export async function purgeExpiredSlotLeases(
  q: Queryable,
  options: { before?: Date; dryRun?: boolean } = {},
): Promise<number> {
  return mapErrors(async () => {
    const before = options.before ?? new Date();
    const query = q("marketing.slot_lease").where("expires_at", "<=", before);
    if (options.dryRun === true) {
      const row = await query.count<{ n: string }[]>({ n: "*" }).first();
      return Number(row?.n ?? 0);
    }
    return query.delete();
  });
}
