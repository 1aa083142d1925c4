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
  PersonMergeInput,
  PersonUpdateInput,
  SetValidationInput,
} from "@ple/core";
import {
  getPerson,
  getSlotOfPerson,
  listPeople,
  mergePeople,
  setValidation,
  updatePerson,
  upsertPerson,
} from "@ple/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { readProcedure, writeProcedure } from "../trpc.js";

export const PersonSlotInput = inputObject({ person_id: PersonIdSchema });

export const peopleRouter = {
  /**
   * Creates a person. A person the email already names is handled by on_existing as in
   * companies.create (skip, fill, update); an email of one person with the LinkedIn URL of
   * another → IDENTITY_CONFLICT naming both.
   */
  create: writeProcedure
    .input(PersonCreateInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => upsertPerson(trx, input))),

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

  /**
   * Merges person drop into keep: keep takes drop's empty fields and its slot when only drop
   * held one (both in slots → MERGE_CONFLICT); drop's id and email resolve to keep from then on.
   */
  merge: writeProcedure
    .input(PersonMergeInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => mergePeople(trx, input))),
} satisfies TRPCRouterRecord;
