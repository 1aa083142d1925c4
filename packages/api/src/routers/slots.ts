/**
 * slots: the three role slots of a company and their state machine — link,
 * propose, confirm, reject, vacate (unlink) and displace — each one SQL
 * function call that follows core's transition table. A slot taken by someone
 * else answers SLOT_CONFLICT naming the occupant.
 */
import {
  SlotConfirmInput,
  SlotDisplaceInput,
  SlotLinkInput,
  SlotListInput,
  SlotProposeInput,
  SlotRejectInput,
  SlotVacateInput,
} from "@ple/core";
import {
  confirmSlot,
  displaceSlotPerson,
  linkPersonToSlot,
  listSlots,
  proposePersonForSlot,
  rejectSlot,
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
} satisfies TRPCRouterRecord;
