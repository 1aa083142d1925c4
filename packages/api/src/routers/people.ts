/**
 * people: create (idempotent by normalised email), get by id or email, list,
 * update, and record an email validation result (core's vocabulary and
 * transitions), and the slot a person holds.
 */
import {
  inputObject,
  PersonCreateInput,
  PersonGetInput,
  PersonIdSchema,
  PersonListInput,
  PersonUpdateInput,
  SetValidationInput,
} from "@ple/core";
import {
  createPerson,
  getPerson,
  getSlotOfPerson,
  listPeople,
  setValidation,
  updatePerson,
} from "@ple/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { readProcedure, writeProcedure } from "../trpc.js";

export const PersonSlotInput = inputObject({ person_id: PersonIdSchema });

export const peopleRouter = {
  /** Creates a person; a known email answers status "exists" with that person. */
  create: writeProcedure
    .input(PersonCreateInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => createPerson(trx, input))),

  get: readProcedure.input(PersonGetInput).query(({ ctx, input }) => getPerson(ctx.db.knex, input)),

  /** People oldest first, filtered by company, validation status or creation time. */
  list: readProcedure
    .input(PersonListInput)
    .query(({ ctx, input }) => listPeople(ctx.db.knex, input)),

  update: writeProcedure
    .input(PersonUpdateInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => updatePerson(trx, input))),

  /** The slot the person holds (filled) or is proposed for (pending); null when none. */
  slot: readProcedure.input(PersonSlotInput).query(async ({ ctx, input }) => {
    await getPerson(ctx.db.knex, input);
    return getSlotOfPerson(ctx.db.knex, input.person_id);
  }),

  /** Records an email check: a status, or the verifier's result word mapped to one. */
  setValidation: writeProcedure
    .input(SetValidationInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => setValidation(trx, input))),
} satisfies TRPCRouterRecord;
