/**
 * The REST API's route table: each entry maps an HTTP method and a resource path to one tRPC
 * procedure, which does the work (REST has no logic of its own). Exposing a new procedure over
 * REST is one entry here; the OpenAPI document and the handler read this table. Every query and
 * mutation needs one (test/openapi.test.ts fails otherwise); subscriptions stay on tRPC.
 */
import type { inferRouterOutputs } from "@trpc/server";
import { z } from "zod";
import type { AppRouter } from "../root.js";
import * as wire from "./wire.js";

type Outputs = inferRouterOutputs<AppRouter>;

/** "companies.get", "slots.link", …: every procedure of the router, by its path. */
export type ProcedurePath = {
  [N in keyof Outputs & string]: `${N}.${keyof Outputs[N] & string}`;
}[keyof Outputs & string];

type OutputOf<P extends ProcedurePath> = P extends `${infer N}.${infer M}`
  ? N extends keyof Outputs
    ? M extends keyof Outputs[N]
      ? Outputs[N][M]
      : never
    : never
  : never;

/** A value after JSON.stringify and JSON.parse: Dates become strings. */
type Jsonified<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends Date
    ? string
    : T extends readonly (infer Item)[]
      ? Jsonified<Item>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : T;

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

export interface RestRoute {
  method: HttpMethod;
  /** The resource path; `{name}` segments are path parameters, passed as the input field `name`. */
  path: string;
  procedure: ProcedurePath;
  summary: string;
  /** The answer's schema (what the procedure returns, as JSON). */
  response: z.ZodType;
  /**
   * Where a JSON body goes in the procedure's input: merged with the path parameters (default),
   * or as the value of this field (`PATCH /v1/companies/{company_uid}` → `patch`).
   */
  bodyField?: string;
  /** 201 Created: always, or only when the answer's `status` is "created" (else 200, "exists"). */
  created?: "always" | "when-status-created";
  /**
   * On a collection path that also lists: this entry answers only when one of these query
   * parameters is given (`GET /v1/companies?website=…` looks one company up).
   */
  whenQuery?: readonly string[];
  /** The procedure is a publicProcedure: no API key needed (shown as such in OpenAPI). */
  public?: true;
}

/**
 * A route whose response schema is checked against the procedure's output type: a procedure
 * whose answer changes without its schema changing fails to compile here.
 */
function route<P extends ProcedurePath, S extends z.ZodType>(
  entry: Omit<RestRoute, "procedure" | "response"> & {
    procedure: P;
    response: S & ([Jsonified<OutputOf<P>>] extends [z.output<S>] ? unknown : "does not fit");
  },
): RestRoute {
  return entry;
}

export const restRoutes: readonly RestRoute[] = [
  // companies
  route({
    method: "POST",
    path: "/v1/companies",
    procedure: "companies.create",
    summary:
      'Create a company with its CEO, CFO and HR slots; a known website or Apollo id answers 200 with status "exists".',
    response: wire.CreateCompanyResult,
    created: "when-status-created",
  }),
  route({
    method: "GET",
    path: "/v1/companies",
    procedure: "companies.get",
    summary: "Look a company up by website (any form of it) or Apollo id.",
    response: wire.CompanyWithSlots,
    whenQuery: ["website", "apollo_company_id"],
  }),
  route({
    method: "GET",
    path: "/v1/companies",
    procedure: "companies.list",
    summary: "Companies oldest first; pass next_cursor back as cursor for the next page.",
    response: wire.CompanyPage,
  }),
  route({
    method: "GET",
    path: "/v1/companies/search",
    procedure: "companies.search",
    summary: "Companies whose name resembles the query, best match first.",
    response: wire.CompanySearchHits,
  }),
  route({
    method: "GET",
    path: "/v1/companies/{company_uid}",
    procedure: "companies.get",
    summary: "A company and its slots.",
    response: wire.CompanyWithSlots,
  }),
  route({
    method: "PATCH",
    path: "/v1/companies/{company_uid}",
    procedure: "companies.update",
    summary: "Change a company's name, website, Apollo id or EIN.",
    response: wire.WireCompany,
    bodyField: "patch",
  }),
  route({
    method: "DELETE",
    path: "/v1/companies/{company_uid}",
    procedure: "companies.delete",
    summary:
      "Delete a company and its slots; with a filled or pending slot only with force=true (admin).",
    response: wire.DeleteCompanyResult,
  }),
  route({
    method: "GET",
    path: "/v1/companies/{company_uid}/slots",
    procedure: "slots.list",
    summary: "The CEO, CFO and HR slots of a company.",
    response: wire.Slots,
  }),
  route({
    method: "POST",
    path: "/v1/companies/{keep}/merge",
    procedure: "companies.merge",
    summary:
      "Merge company drop into keep in one transaction (slots by role, people re-pointed, drop's keys resolve to keep); dry_run answers the same and changes nothing.",
    response: wire.CompanyMergeResult,
  }),

  // slots
  route({
    method: "POST",
    path: "/v1/slots/{slot_uid}/link",
    procedure: "slots.link",
    summary: "open → filled with this person; a slot held by someone else is SLOT_CONFLICT.",
    response: wire.SlotChange,
  }),
  route({
    method: "POST",
    path: "/v1/slots/{slot_uid}/propose",
    procedure: "slots.propose",
    summary: "open → pending: the person is proposed, awaiting validation.",
    response: wire.SlotChange,
  }),
  route({
    method: "POST",
    path: "/v1/slots/{slot_uid}/confirm",
    procedure: "slots.confirm",
    summary: "pending → filled.",
    response: wire.SlotChange,
  }),
  route({
    method: "POST",
    path: "/v1/slots/{slot_uid}/reject",
    procedure: "slots.reject",
    summary: "pending → open.",
    response: wire.SlotChange,
  }),
  route({
    method: "POST",
    path: "/v1/slots/{slot_uid}/vacate",
    procedure: "slots.vacate",
    summary: "filled → open (unlink).",
    response: wire.SlotChange,
  }),
  route({
    method: "POST",
    path: "/v1/slots/{slot_uid}/displace",
    procedure: "slots.displace",
    summary: "filled → filled with another person, audited.",
    response: wire.SlotChange,
  }),
  route({
    method: "GET",
    path: "/v1/slots/{slot_uid}/events",
    procedure: "history.slotEvents",
    summary: "ASSIGNED / VACATED / DISPLACED / PROPOSED / CONFIRMED / REJECTED events of a slot.",
    response: z.array(wire.WireSlotEvent),
  }),
  route({
    method: "GET",
    path: "/v1/slots/open",
    procedure: "slots.listOpen",
    summary:
      "Open slots with their companies and any live lease, by company then role; next_cursor keeps the filters.",
    response: wire.OpenSlotPage,
  }),
  route({
    method: "POST",
    path: "/v1/slots/claims",
    procedure: "slots.claim",
    summary:
      "Lease up to limit open slots no live lease holds to worker for lease_seconds; concurrent claimers get disjoint slots.",
    response: wire.SlotClaimResult,
  }),
  route({
    method: "POST",
    path: "/v1/slots/claims/renew",
    procedure: "slots.renew",
    summary: "Extend the worker's live leases on these slots; lost lists those it no longer holds.",
    response: wire.SlotRenewResult,
  }),
  route({
    method: "POST",
    path: "/v1/slots/claims/release",
    procedure: "slots.release",
    summary: "End the worker's leases on these slots (they stay open for the next claim).",
    response: wire.SlotReleaseResult,
  }),

  // people
  route({
    method: "POST",
    path: "/v1/people",
    procedure: "people.create",
    summary: 'Create a person; a known e-mail answers 200 with status "exists".',
    response: wire.CreatePersonResult,
    created: "when-status-created",
  }),
  route({
    method: "GET",
    path: "/v1/people",
    procedure: "people.get",
    summary: "Look a person up by e-mail.",
    response: wire.WirePerson,
    whenQuery: ["email"],
  }),
  route({
    method: "GET",
    path: "/v1/people",
    procedure: "people.list",
    summary: "People oldest first, filtered by company, validation status or creation time.",
    response: wire.PersonPage,
  }),
  route({
    method: "GET",
    path: "/v1/people/{person_id}",
    procedure: "people.get",
    summary: "A person.",
    response: wire.WirePerson,
  }),
  route({
    method: "PATCH",
    path: "/v1/people/{person_id}",
    procedure: "people.update",
    summary: "Change a person's name, e-mail, LinkedIn URL, company or title.",
    response: wire.WirePerson,
    bodyField: "patch",
  }),
  route({
    method: "POST",
    path: "/v1/people/{person_id}/validation",
    procedure: "people.setValidation",
    summary: "Record an e-mail check: a status, or the verifier's result word mapped to one.",
    response: wire.WirePerson,
  }),
  route({
    method: "GET",
    path: "/v1/people/{person_id}/slot",
    procedure: "people.slot",
    summary: "The slot the person holds or is proposed for; null when none.",
    response: wire.WireSlot.nullable(),
  }),
  route({
    method: "GET",
    path: "/v1/people/{person_id}/slot-events",
    procedure: "history.slotEvents",
    summary: "Slot events that concern a person.",
    response: z.array(wire.WireSlotEvent),
  }),
  route({
    method: "POST",
    path: "/v1/people/{keep}/merge",
    procedure: "people.merge",
    summary:
      "Merge person drop into keep: empty fields filled, drop's slot taken over, drop's id and e-mail resolve to keep; dry_run changes nothing.",
    response: wire.PersonMergeResult,
  }),
  route({
    method: "POST",
    path: "/v1/people/{person_id}/erase",
    procedure: "people.erase",
    summary:
      "Erase the person's personal data everywhere (admin); their e-mail and LinkedIn URL go on the suppression list. Answers the tombstone.",
    response: wire.PersonErasure,
  }),

  // history
  route({
    method: "GET",
    path: "/v1/history/{uid}",
    procedure: "history.versions",
    summary: "Every version of a company, slot or person, oldest first.",
    response: z.array(wire.WireHistoryEntry),
  }),
  route({
    method: "GET",
    path: "/v1/history/{uid}/as-of",
    procedure: "history.asOf",
    summary: "The version current at as_of; null when the record did not exist then.",
    response: wire.WireHistoryEntry.nullable(),
  }),
  route({
    method: "GET",
    path: "/v1/history/{uid}/audit",
    procedure: "history.auditTrail",
    summary:
      "The audit log of a record (who changed what, when, with which request), newest first.",
    response: z.array(wire.WireAuditEntry),
  }),
  route({
    method: "GET",
    path: "/v1/history/{uid}/merges",
    procedure: "history.merges",
    summary: "The merges a company or person took part in, kept or dropped, oldest first.",
    response: z.array(wire.WireMergeRecord),
  }),

  // events
  route({
    method: "GET",
    path: "/v1/events",
    procedure: "events.list",
    summary:
      "Up to limit change-feed events after position after (of types only: repeat the parameter), and next, where the next read starts.",
    response: wire.EventPage,
  }),

  // API keys
  route({
    method: "GET",
    path: "/v1/keys/me",
    procedure: "apiKeys.whoami",
    summary: "The key this request is made with.",
    response: wire.ApiKey,
  }),
  route({
    method: "GET",
    path: "/v1/keys",
    procedure: "apiKeys.list",
    summary: "API keys (admin).",
    response: z.array(wire.ApiKey),
  }),
  route({
    method: "POST",
    path: "/v1/keys",
    procedure: "apiKeys.create",
    summary: "Create an API key (admin); the key is in the answer, once. Takes no Idempotency-Key.",
    response: wire.CreatedApiKey,
    created: "always",
  }),
  route({
    method: "POST",
    path: "/v1/keys/{id}/revoke",
    procedure: "apiKeys.revoke",
    summary: "Revoke an API key (admin); this server refuses it at once.",
    response: wire.ApiKey,
  }),

  // health
  route({
    method: "GET",
    path: "/v1/health",
    procedure: "health.check",
    summary: "Is the database reachable and are its migrations current? (no key needed)",
    response: wire.Health,
    public: true,
  }),
];
