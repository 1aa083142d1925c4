/**
 * companies: create (idempotent by canonical website / Apollo id), get, list
 * (cursor pages, filters), search by name (fuzzy, ranked), update, delete.
 */
import {
  CompanyCreateInput,
  CompanyDeleteInput,
  CompanyGetInput,
  CompanyListInput,
  CompanyMergeInput,
  CompanySearchInput,
  CompanyUpdateInput,
  PleError,
} from "@ple/core";
import {
  deleteCompany,
  getCompanyWithSlots,
  listCompanies,
  mergeCompanies,
  roleAllows,
  searchCompanies,
  updateCompany,
  upsertCompany,
} from "@ple/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { companyBatcherFor } from "../company-batcher.js";
import { readProcedure, writeProcedure } from "../trpc.js";

export const companiesRouter = {
  /**
   * Creates a company with its three slots. A company its website or Apollo id already names is
   * handled by on_existing: skip (default) answers status "exists" and changes nothing; fill
   * sets its empty fields, update overwrites them with the given non-empty values (status
   * "updated" with the changed fields, or "unchanged"). Keys naming two companies →
   * IDENTITY_CONFLICT naming both.
   */
  create: writeProcedure
    .input(CompanyCreateInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => upsertCompany(trx, input))),

  /**
   * A company and its slots, by company_uid, website (any form) or apollo_company_id. A key of a
   * company merged away answers the company kept, with merged_from naming the dropped UID.
   */
  get: readProcedure
    .input(CompanyGetInput)
    .query(({ ctx, input }) =>
      "company_uid" in input
        ? companyBatcherFor(ctx.db).get(input.company_uid)
        : getCompanyWithSlots(ctx.db.knex, input),
    ),

  /** Companies oldest first; pass next_cursor back as cursor for the next page. */
  list: readProcedure
    .input(CompanyListInput)
    .query(({ ctx, input }) => listCompanies(ctx.db.knex, input)),

  /** Companies whose name resembles the query, best match first. */
  search: readProcedure
    .input(CompanySearchInput)
    .query(({ ctx, input }) => searchCompanies(ctx.db.knex, input)),

  update: writeProcedure
    .input(CompanyUpdateInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => updateCompany(trx, input))),

  /**
   * Deletes a company and its slots. While a slot is filled or pending it
   * refuses (COMPANY_HAS_FILLED_SLOTS); force releases those people first and
   * needs an admin key.
   */
  delete: writeProcedure.input(CompanyDeleteInput).mutation(({ ctx, input }) => {
    if (input.force && !roleAllows(ctx.actor.role, "admin")) {
      throw new PleError(
        "FORBIDDEN",
        `Deleting a company with force needs an API key with the admin role; this key has ${ctx.actor.role}.`,
        { field: "force", details: { required: "admin", held: ctx.actor.role } },
      );
    }
    return ctx.write((trx) => deleteCompany(trx, input));
  }),

  /**
   * Merges company drop into keep in one transaction: keep takes drop's fields where its own
   * are empty, slots merge by role (MERGE_CONFLICT when both have one occupied, unless prefer
   * says which stays), drop's people are re-pointed, and drop's UID, website and Apollo id
   * resolve to keep from then on. dry_run answers the same and changes nothing.
   */
  merge: writeProcedure
    .input(CompanyMergeInput)
    .mutation(({ ctx, input }) => ctx.write((trx) => mergeCompanies(trx, input))),
} satisfies TRPCRouterRecord;
