/**
 * history: a record's state as of a time, its versions, its audit trail, and
 * slot assignment events per slot or per person.
 */
import { AuditTrailInput, HistoryAsOfInput, inputObject, SlotEventsInput } from "@ple/core";
import { auditTrail, historyAsOf, listHistory, listMerges, slotEvents } from "@ple/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { readProcedure } from "../trpc.js";

export const HistoryVersionsInput = inputObject({ uid: HistoryAsOfInput.shape.uid });

export const historyRouter = {
  /** The version of a company, slot or person current at as_of; null when it did not exist then. */
  asOf: readProcedure
    .input(HistoryAsOfInput)
    .query(({ ctx, input }) => historyAsOf(ctx.db.knex, input)),

  /** Every version of a record, oldest first. */
  versions: readProcedure
    .input(HistoryVersionsInput)
    .query(({ ctx, input }) => listHistory(ctx.db.knex, input.uid)),

  /** The audit log of a record (who changed what, when, with which request), newest first. */
  auditTrail: readProcedure
    .input(AuditTrailInput)
    .query(({ ctx, input }) => auditTrail(ctx.db.knex, input)),

  /** ASSIGNED / VACATED / DISPLACED / PROPOSED / CONFIRMED / REJECTED events of a slot or a person. */
  slotEvents: readProcedure
    .input(SlotEventsInput)
    .query(({ ctx, input }) => slotEvents(ctx.db.knex, input)),

  /** The merges a company or person took part in, kept or dropped, oldest first. */
  merges: readProcedure
    .input(HistoryVersionsInput)
    .query(({ ctx, input }) => listMerges(ctx.db.knex, input.uid)),
} satisfies TRPCRouterRecord;
