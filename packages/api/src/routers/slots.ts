/**
 * slots: the three role slots of a company and their state machine — link,
 * propose, confirm, reject, vacate (unlink) and displace — each one SQL
 * function call that follows core's transition table. A slot taken by someone
 * else answers SLOT_CONFLICT naming the occupant. Open slots are also a work
 * queue: listOpen pages through them with their companies, and workers claim,
 * renew and release leases on them (a lease is not a slot state).
 */
import {
  OpenSlotPage,
  SlotClaimInput,
  SlotClaimOutput,
  SlotConfirmInput,
  SlotDisplaceInput,
  SlotLinkInput,
  SlotListInput,
  SlotListOpenInput,
  SlotProposeInput,
  SlotRejectInput,
  SlotReleaseInput,
  SlotReleaseOutput,
  SlotRenewInput,
  SlotRenewOutput,
  SlotVacateInput,
} from "@ple/core";
import {
  claimSlots,
  confirmSlot,
  displaceSlotPerson,
  linkPersonToSlot,
  listOpenSlots,
  listSlots,
  proposePersonForSlot,
  rejectSlot,
  releaseSlotLeases,
  renewSlotLeases,
  vacateSlot,
} from "@ple/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { readProcedure, writeProcedure } from "../trpc.js";

export const slotsRouter = {
  /** The CEO, CFO and HR slots of a company. */
  list: readProcedure.input(SlotListInput).query(({ ctx, input }) => listSlots(ctx.db.knex, input)),

  /** open → filled with this person. */
  link: writeProcedure
    .input(SlotLinkInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => linkPersonToSlot(trx, input))),

  /** open → pending: the person is proposed, awaiting validation. */
  propose: writeProcedure
    .input(SlotProposeInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => proposePersonForSlot(trx, input))),

  /** pending → filled. */
  confirm: writeProcedure
    .input(SlotConfirmInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => confirmSlot(trx, input))),

  /** pending → open; released_person_id names who was proposed. */
  reject: writeProcedure
    .input(SlotRejectInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => rejectSlot(trx, input))),

  /** filled → open (unlink); released_person_id names who left. */
  vacate: writeProcedure
    .input(SlotVacateInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => vacateSlot(trx, input))),

  /** filled → filled with another person, audited; released_person_id names the displaced person. */
  displace: writeProcedure
    .input(SlotDisplaceInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => displaceSlotPerson(trx, input))),

  /**
   * Open slots with their companies (and any live lease), by company then role;
   * next_cursor keeps the filters (role, created_since).
   */
  listOpen: readProcedure
    .input(SlotListOpenInput)
    .output(OpenSlotPage)
    .query(({ ctx, input }) => listOpenSlots(ctx.db.knex, input)),

  /**
   * Leases up to `limit` open slots no live lease holds to `worker` for
   * `lease_seconds`; concurrent claimers get disjoint slots. Fill a slot with
   * link or propose (which ends its lease), or release it.
   */
  claim: writeProcedure
    .input(SlotClaimInput)
    .output(SlotClaimOutput)
    .mutation(({ ctx, input }) =>
      ctx.write(async (trx) => ({ claimed: await claimSlots(trx, input) })),
    ),

  /** Extends the worker's live leases; `lost` lists slots it no longer holds. */
  renew: writeProcedure
    .input(SlotRenewInput)
    .output(SlotRenewOutput)
    .mutation(({ ctx, input }) => ctx.write((trx) => renewSlotLeases(trx, input))),

  /** Ends the worker's leases (the slots stay open for the next claim). */
  release: writeProcedure
    .input(SlotReleaseInput)
    .output(SlotReleaseOutput)
    .mutation(({ ctx, input }) => ctx.write((trx) => releaseSlotLeases(trx, input))),
} satisfies TRPCRouterRecord;
