/**
 * Open slots as a work queue: the inputs and outputs of listing open slots with
 * their companies, and of the leases workers take on them (claim, renew,
 * release). A lease marks an open slot as being researched by one worker until
 * it expires; it is not a slot state.
 */
import { z } from "zod";
import { Company, Cursor, DateInput, inputObject, PageLimit, Slot } from "./schemas.js";
import { RoleSchema, SlotUidSchema } from "./uid.js";

const Timestamp = z
  .union([z.date(), z.iso.datetime({ offset: true })])
  .transform((value) => (value instanceof Date ? value : new Date(value)));

/** A worker's name as it appears on its leases (a host and process id does well). */
export const WorkerName = z
  .string()
  .trim()
  .min(1, "Give the worker's name")
  .max(200, "The worker's name is at most 200 characters");

/** Longest lease: a day. A worker that needs longer renews. */
export const MAX_LEASE_SECONDS = 86_400;
/** Most slots one claim hands out. */
export const MAX_CLAIM = 1_000;

export const SlotListOpenInput = inputObject({
  role: RoleSchema.optional(),
  created_since: DateInput.optional(),
  cursor: Cursor.optional(),
  limit: PageLimit,
});
export type SlotListOpenInput = z.infer<typeof SlotListOpenInput>;

export const SlotClaimInput = inputObject({
  role: RoleSchema.optional(),
  limit: z.number().int().min(1).max(MAX_CLAIM).default(10),
  lease_seconds: z.number().int().min(1).max(MAX_LEASE_SECONDS).default(300),
  worker: WorkerName,
});
export type SlotClaimInput = z.infer<typeof SlotClaimInput>;

/** A live lease: `worker` holds the slot until `expires_at`. */
export const SlotLease = z.object({
  slot_uid: SlotUidSchema,
  worker: z.string(),
  claimed_at: Timestamp,
  expires_at: Timestamp,
});
export type SlotLease = z.infer<typeof SlotLease>;

/** An open slot with its company, and the live lease on it if a worker holds one. */
export const OpenSlot = z.object({ slot: Slot, company: Company, lease: SlotLease.nullable() });
export type OpenSlot = z.infer<typeof OpenSlot>;

/** A claimed slot: the lease, the slot and its company (what a worker needs to research it). */
export const ClaimedSlot = z.object({ lease: SlotLease, slot: Slot, company: Company });
export type ClaimedSlot = z.infer<typeof ClaimedSlot>;

export const OpenSlotPage = z.object({
  items: z.array(OpenSlot),
  next_cursor: z.string().nullable(),
});
export type OpenSlotPage = z.infer<typeof OpenSlotPage>;

export const SlotClaimOutput = z.object({ claimed: z.array(ClaimedSlot) });
export type SlotClaimOutput = z.infer<typeof SlotClaimOutput>;

const SlotUids = z.array(SlotUidSchema).min(1).max(MAX_CLAIM);

/** Extends the worker's live leases on these slots to `lease_seconds` from now. */
export const SlotRenewInput = inputObject({
  slot_uids: SlotUids,
  worker: WorkerName,
  lease_seconds: z.number().int().min(1).max(MAX_LEASE_SECONDS).default(300),
});
export type SlotRenewInput = z.infer<typeof SlotRenewInput>;

/** `renewed`: leases extended; `lost`: slots the worker no longer holds (expired, taken, filled). */
export const SlotRenewOutput = z.object({
  renewed: z.array(SlotLease),
  lost: z.array(SlotUidSchema),
});
export type SlotRenewOutput = z.infer<typeof SlotRenewOutput>;

/** Ends the worker's leases on these slots (the slots stay as they are). */
export const SlotReleaseInput = inputObject({ slot_uids: SlotUids, worker: WorkerName });
export type SlotReleaseInput = z.infer<typeof SlotReleaseInput>;

/** `released`: leases ended; `not_held`: slots the worker held no live lease on. */
export const SlotReleaseOutput = z.object({
  released: z.array(SlotUidSchema),
  not_held: z.array(SlotUidSchema),
});
export type SlotReleaseOutput = z.infer<typeof SlotReleaseOutput>;
