/**
 * people: create (idempotent by normalised email), get by id or email, list,
 * update, record an email validation result (core's vocabulary and
 * transitions), the slot a person holds, and erasure (admin).
 */
import {
  inputObject,
  PersonCreateInput,
  PersonEraseInput,
  PersonGetInput,
  PersonIdSchema,
  PersonListInput,
  PersonMergeInput,
  PersonUpdateInput,
  SetValidationInput,
} from "@ple/core";
import {
  erasePerson,
  getPerson,
  getPiiErasure,
  getSlotOfPerson,
  listPeople,
  mergePeople,
  setValidation,
  updatePerson,
  upsertPerson,
  vacuumErasedRows,
} from "@ple/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { adminProcedure, readProcedure, writeProcedure } from "../trpc.js";

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

  /**
   * Erases the person's personal data everywhere, as `ple pii erase` does, and answers the
   * tombstone (who, when, why, what was scrubbed). Their email and LinkedIn URL go on the
   * suppression list. Erasing an erased person changes nothing (status "already_erased").
   * Works on the embedded database while this server holds it.
   */
  erase: adminProcedure.input(PersonEraseInput).mutation(async ({ ctx, input }) => {
    const answer = await ctx.write(async (trx) => {
      const result = await erasePerson(trx, input.person_id, input.reason);
      return { ...result, tombstone: await getPiiErasure(trx, input.person_id) };
    });
    // The scrubbed row versions leave the table files too, not only every query.
    if (answer.status === "erased") await vacuumErasedRows(ctx.db.knex);
    return answer;
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
