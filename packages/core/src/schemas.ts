/**
 * zod schemas for every entity and every API input, each exported under one name as a schema and
 * as its inferred type. Input schemas run the normalisers, so a parsed input is already canonical
 * (a website is its domain, an email lower-case); entity schemas describe rows as the database and
 * the API return them.
 */
import { z } from "zod";
import { PleError, type Result } from "./errors.js";
import {
  MAX_LENGTHS,
  normaliseCompanyName,
  normaliseEin,
  normaliseEmail,
  normaliseLinkedinUrl,
  normalisePersonName,
  normaliseText,
  normaliseWebsite,
} from "./normalise.js";
import { SlotEventTypeSchema, SlotStatusSchema } from "./slot-state.js";
import {
  AnyUidSchema,
  CompanyUidSchema,
  PersonIdSchema,
  RoleSchema,
  SlotUidSchema,
} from "./uid.js";
import { mapVerifierResult, ValidationStatusSchema } from "./validation-status.js";

// ── building blocks ───────────────────────────────────────────────────────────────────────────

/** A string schema that runs a normaliser and reports its reason in the issue's params. */
function normalised<T>(normalise: (input: string) => Result<T>) {
  return z.string().transform((value, ctx) => {
    const result = normalise(value);
    if (result.ok) return result.value;
    ctx.addIssue({
      code: "custom",
      message: result.error.message,
      params: { reason: result.error.details?.reason },
    });
    return z.NEVER;
  });
}

export const WebsiteSchema = normalised(normaliseWebsite);
export const EmailSchema = normalised(normaliseEmail);
export const LinkedinUrlSchema = normalised(normaliseLinkedinUrl);
export const CompanyNameSchema = normalised(normaliseCompanyName);
export const PersonNameSchema = normalised(normalisePersonName);
/** An EIN as given, trimmed: the database stores it raw and flags it valid or not. */
function normaliseEinInput(input: string): Result<string> {
  const result = normaliseEin(input);
  return result.ok ? { ok: true as const, value: result.value.raw } : result;
}
export const EinInputSchema = normalised(normaliseEinInput);
/** A person's job title: trimmed text of at most MAX_LENGTHS.title characters. */
export function normaliseTitle(input: string): Result<string> {
  return normaliseText(input, "title", "The title", MAX_LENGTHS.title);
}
export const TitleSchema = normalised(normaliseTitle);
function normaliseApolloCompanyId(input: string): Result<string> {
  const result = normaliseText(input, "apollo_company_id", "The Apollo company id", 128);
  if (result.ok && result.value.includes(" ")) {
    return {
      ok: false,
      error: new PleError("VALIDATION_FAILED", "The Apollo company id cannot contain spaces", {
        field: "apollo_company_id",
        details: { reason: "invalid_syntax" },
      }),
    };
  }
  return result;
}
export const ApolloCompanyIdSchema = normalised(normaliseApolloCompanyId);

/** A point in time: a Date, or an ISO 8601 date (`2026-11-26`, UTC midnight) or date-time with offset or Z. */
export const DateInput = z
  .union([z.date(), z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((value) => (value instanceof Date ? value : new Date(value)));

/** Timestamps as the database driver (Date) or JSON (ISO string) delivers them. */
const Timestamp = z
  .union([z.date(), z.iso.datetime({ offset: true })])
  .transform((value) => (value instanceof Date ? value : new Date(value)));

/** bigint keys arrive as strings from pg and as numbers from some drivers; always a string here. */
const RowId = z
  .union([z.string(), z.number().int(), z.bigint()])
  .transform((value) => String(value));

const JsonRecord = z.record(z.string(), z.unknown());

/** Room for the key and the filters of the query it continues (see @ple/db pagination). */
export const Cursor = z.string().min(1).max(2048);
export const PageLimit = z.number().int().min(1).max(500).default(50);

export const PERSON_SOURCES = ["apollo", "csv", "manual"] as const;
export const PersonSource = z.enum(PERSON_SOURCES);
export type PersonSource = z.infer<typeof PersonSource>;

// ERASE and PURGE: the PII-erasure and retention functions (migration 007) record themselves.
export const AUDIT_OPERATIONS = ["INSERT", "UPDATE", "DELETE", "ERASE", "PURGE"] as const;
export const AuditOperation = z.enum(AUDIT_OPERATIONS);
export type AuditOperation = z.infer<typeof AuditOperation>;

export const HISTORY_ENTITIES = ["company", "slot", "person"] as const;
export const HistoryEntity = z.enum(HISTORY_ENTITIES);
export type HistoryEntity = z.infer<typeof HistoryEntity>;

// ── entities ──────────────────────────────────────────────────────────────────────────────────

export const Company = z.object({
  company_uid: CompanyUidSchema,
  company_name: z.string(),
  website: z.string(),
  apollo_company_id: z.string().nullable(),
  ein_raw: z.string().nullable(),
  ein_valid: z.boolean().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Company = z.infer<typeof Company>;

export const Slot = z.object({
  slot_uid: SlotUidSchema,
  company_uid: CompanyUidSchema,
  role: RoleSchema,
  status: SlotStatusSchema,
  person_id: PersonIdSchema.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Slot = z.infer<typeof Slot>;

export const Person = z.object({
  person_id: PersonIdSchema,
  name: z.string(),
  email: z.string(),
  linkedin_url: z.string().nullable(),
  validation_status: ValidationStatusSchema,
  validation_provider: z.string().nullable(),
  validation_result_raw: z.string().nullable(),
  validated_at: Timestamp.nullable(),
  company_uid: CompanyUidSchema.nullable(),
  title: z.string().nullable(),
  source: PersonSource,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Person = z.infer<typeof Person>;

/**
 * The end of a validity period: PostgreSQL's `infinity` (an open period, the current version)
 * arrives as Infinity, "infinity" or null and is read as null.
 */
const PeriodEnd = z
  .union([Timestamp, z.literal(Number.POSITIVE_INFINITY), z.literal("infinity"), z.null()])
  .transform((value) => (value instanceof Date ? value : null));

/**
 * One version of a company, slot or person (a row of the company_versions,
 * company_slot_versions or people_versions view, with `entity` and `uid` naming the record):
 * valid from `valid_from` until `valid_to`, null for the current version. A superseded version
 * is a stored history row (`history_id`); the current version is the record itself
 * (`history_id` null).
 */
export const HistoryEntry = z.object({
  history_id: RowId.nullable(),
  entity: HistoryEntity,
  uid: z.string(),
  operation: AuditOperation,
  valid_from: Timestamp,
  valid_to: PeriodEnd,
  row_data: JsonRecord,
  actor: z.string(),
  request_id: z.string().nullable(),
  txid: RowId,
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** One row of marketing.audit_log, the append-only log of every change. */
export const AuditEntry = z.object({
  audit_id: RowId,
  at: Timestamp,
  operation: AuditOperation,
  table_name: z.string(),
  record_key: z.string(),
  old_values: JsonRecord.nullable(),
  new_values: JsonRecord.nullable(),
  changed_columns: z.array(z.string()).nullable(),
  actor: z.string(),
  request_id: z.string().nullable(),
  application: z.string().nullable(),
  txid: RowId,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/**
 * One row of marketing.slot_event: `person_id` is the person the event concerns (for VACATED,
 * REJECTED and DISPLACED the one who left), `previous_person_id` the holder before the change.
 */
export const SlotEvent = z.object({
  event_id: RowId,
  slot_uid: SlotUidSchema,
  company_uid: CompanyUidSchema,
  role: RoleSchema,
  event: SlotEventTypeSchema,
  person_id: PersonIdSchema.nullable(),
  previous_person_id: PersonIdSchema.nullable(),
  actor: z.string(),
  request_id: z.string().nullable(),
  txid: RowId,
  at: Timestamp,
});
export type SlotEvent = z.infer<typeof SlotEvent>;

/** A page of a cursor-paginated list; `next_cursor` is null on the last page. */
export function Page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}
export type Page<T> = { items: T[]; next_cursor: string | null };

// ── inputs ────────────────────────────────────────────────────────────────────────────────────

/** The closest of `candidates` to `key`: one is a prefix or suffix of the other, or at most a third of it mistyped. */
function closestKey(key: string, candidates: readonly string[]): string | undefined {
  // Levenshtein distance, two rows: a dozen keys of a few characters, not worth a dependency.
  const distance = (a: string, b: string): number => {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const current = [i];
      for (let j = 1; j <= b.length; j++) {
        const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
        current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
      }
      previous = current;
    }
    return previous[b.length] ?? 0;
  };
  const lower = key.toLowerCase();
  const related = candidates.find(
    (c) => lower.startsWith(c) || lower.endsWith(c) || c.startsWith(lower) || c.endsWith(lower),
  );
  if (related !== undefined) return related;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(lower, candidate);
    if (
      d <= Math.max(1, Math.floor(candidate.length / 3)) &&
      (best === undefined || d < best.distance)
    ) {
      best = { key: candidate, distance: d };
    }
  }
  return best?.key;
}

/**
 * A strict input object (unknown keys are refused) whose refusal names the keys it takes and the
 * one the caller most likely meant: `ein_raw` → "did you mean ein?".
 */
export function inputObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const keys = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== "unrecognized_keys") return undefined;
      const unknown = issue.keys.map((key) => {
        const meant = closestKey(key, keys);
        return meant === undefined ? `"${key}"` : `"${key}" (did you mean "${meant}"?)`;
      });
      return `Unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; this input takes ${keys.join(", ")}`;
    },
  });
}

type KeyCount = Record<string, unknown>;

/** Requires exactly one of `keys` to be present (look-ups by one identifier). */
function exactlyOne(keys: readonly string[]) {
  return (value: KeyCount, ctx: z.RefinementCtx) => {
    const given = keys.filter((key) => value[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          given.length === 0
            ? `Give one of ${keys.join(", ")}`
            : `Give only one of ${keys.join(", ")} (got ${given.join(", ")})`,
        params: { reason: given.length === 0 ? "missing_identifier" : "too_many_identifiers" },
      });
    }
  };
}

function nonEmptyPatch(value: KeyCount, ctx: z.RefinementCtx) {
  if (Object.values(value).every((v) => v === undefined)) {
    ctx.addIssue({
      code: "custom",
      message: "The patch changes nothing: give at least one field",
      params: { reason: "empty_patch" },
    });
  }
}

/**
 * What a create does to a record its keys already name: `skip` leaves it (status "exists"),
 * `fill` sets only its empty fields, `update` overwrites them with the given non-empty values.
 */
export const ON_EXISTING = ["skip", "fill", "update"] as const;
export const OnExisting = z.enum(ON_EXISTING);
export type OnExisting = z.infer<typeof OnExisting>;

export const CompanyCreateInput = inputObject({
  company_name: CompanyNameSchema,
  website: WebsiteSchema,
  apollo_company_id: ApolloCompanyIdSchema.nullish(),
  ein: EinInputSchema.nullish(),
  /** Default skip. */
  on_existing: OnExisting.optional(),
});
export type CompanyCreateInput = z.infer<typeof CompanyCreateInput>;

/** A company row's cells as an import reads them: the present ones, as strings. */
export interface CompanyCells {
  company_name: string;
  website: string;
  apollo_company_id?: string;
  ein?: string;
}

/**
 * parseInput(CompanyCreateInput, cells) for an import's rows, without zod's object machinery:
 * the normalisers the schema runs, called directly; cells any of them refuses go through the
 * schema itself, so a refused row's error is the schema's own. Measured on the bench's export
 * (50,000 rows, 2 shared cores): about 250 ms of CPU against 460 ms through the schema, the
 * largest cost of an import's row parsing. schemas.test.ts holds the two equal on the shared
 * website, company-name and EIN vectors.
 */
export function parseCompanyCells(cells: CompanyCells): Result<CompanyCreateInput> {
  const name = normaliseCompanyName(cells.company_name);
  const website = normaliseWebsite(cells.website);
  const apollo =
    cells.apollo_company_id === undefined
      ? undefined
      : normaliseApolloCompanyId(cells.apollo_company_id);
  const ein = cells.ein === undefined ? undefined : normaliseEinInput(cells.ein);
  if (!name.ok || !website.ok || apollo?.ok === false || ein?.ok === false) {
    return parseInput(CompanyCreateInput, cells);
  }
  const value: CompanyCreateInput = { company_name: name.value, website: website.value };
  if (apollo !== undefined) value.apollo_company_id = apollo.value;
  if (ein !== undefined) value.ein = ein.value;
  return { ok: true, value };
}

export const CompanyGetInput = inputObject({
  company_uid: CompanyUidSchema.optional(),
  website: WebsiteSchema.optional(),
  apollo_company_id: ApolloCompanyIdSchema.optional(),
})
  .superRefine(exactlyOne(["company_uid", "website", "apollo_company_id"]))
  .transform(
    (value) =>
      value as
        | { company_uid: z.infer<typeof CompanyUidSchema> }
        | { website: string }
        | { apollo_company_id: string },
  );
export type CompanyGetInput = z.infer<typeof CompanyGetInput>;

/** A name to filter by: trimmed, 1–200 characters. */
const NameFilter = normalised((input) => normaliseText(input, "name", "The name filter", 200));

/**
 * Filters combine (AND). name_prefix: names starting with it (any case); name_similar: names
 * containing it or with a word close to it (pg_trgm word similarity ≥ 0.6); open_role: companies
 * whose slot of this role is open. A cursor carries its query's filters (see @ple/db pagination).
 */
export const CompanyListInput = inputObject({
  cursor: Cursor.optional(),
  limit: PageLimit,
  created_since: DateInput.optional(),
  has_open_slots: z.boolean().optional(),
  name_prefix: NameFilter.optional(),
  name_similar: NameFilter.optional(),
  open_role: RoleSchema.optional(),
});
export type CompanyListInput = z.infer<typeof CompanyListInput>;

export const CompanySearchInput = inputObject({
  query: normalised((input) => normaliseText(input, "query", "The search query", 200)),
  limit: z.number().int().min(1).max(100).default(20),
});
export type CompanySearchInput = z.infer<typeof CompanySearchInput>;

export const CompanyUpdateInput = inputObject({
  company_uid: CompanyUidSchema,
  patch: inputObject({
    company_name: CompanyNameSchema.optional(),
    website: WebsiteSchema.optional(),
    apollo_company_id: ApolloCompanyIdSchema.nullable().optional(),
    ein: EinInputSchema.nullable().optional(),
  }).superRefine(nonEmptyPatch),
});
export type CompanyUpdateInput = z.infer<typeof CompanyUpdateInput>;

export const CompanyDeleteInput = inputObject({
  company_uid: CompanyUidSchema,
  /** Delete even when slots are filled (the people stay; their links go). */
  force: z.boolean().default(false),
});
export type CompanyDeleteInput = z.infer<typeof CompanyDeleteInput>;

export const PersonCreateInput = inputObject({
  name: PersonNameSchema,
  email: EmailSchema,
  linkedin_url: LinkedinUrlSchema.nullish(),
  company_uid: CompanyUidSchema.nullish(),
  title: TitleSchema.nullish(),
  source: PersonSource.default("manual"),
  /** Default skip. */
  on_existing: OnExisting.optional(),
});
export type PersonCreateInput = z.infer<typeof PersonCreateInput>;

/** A contact row's person cells as an import reads them: the present ones, as strings. */
export interface PersonCells {
  name: string;
  email: string;
  linkedin_url?: string;
  title?: string;
}

/** The person fields of an import row (PersonCreateInput without company, source or policy). */
export const PersonCellsInput = inputObject({
  name: PersonNameSchema,
  email: EmailSchema,
  linkedin_url: LinkedinUrlSchema.optional(),
  title: TitleSchema.optional(),
});

/**
 * parseInput(PersonCellsInput, cells) for an import's rows without zod's object machinery, as
 * parseCompanyCells does for companies: the normalisers called directly, and cells any of them
 * refuses through the schema, so a refused row's error is the schema's own. Measured on the
 * bench's contact export (20,000 rows): the schema was about a tenth of the people import's CPU
 * (node --cpu-prof). schemas.test.ts holds the two equal on the shared person-name, email and
 * LinkedIn vectors.
 */
export function parsePersonCells(cells: PersonCells): Result<PersonCells> {
  const name = normalisePersonName(cells.name);
  const email = normaliseEmail(cells.email);
  const linkedin =
    cells.linkedin_url === undefined ? undefined : normaliseLinkedinUrl(cells.linkedin_url);
  const title = cells.title === undefined ? undefined : normaliseTitle(cells.title);
  if (!name.ok || !email.ok || linkedin?.ok === false || title?.ok === false) {
    return parseInput(PersonCellsInput, cells);
  }
  const value: PersonCells = { name: name.value, email: email.value };
  if (linkedin !== undefined) value.linkedin_url = linkedin.value;
  if (title !== undefined) value.title = title.value;
  return { ok: true, value };
}

export const PersonGetInput = inputObject({
  person_id: PersonIdSchema.optional(),
  email: EmailSchema.optional(),
})
  .superRefine(exactlyOne(["person_id", "email"]))
  .transform((value) => value as { person_id: z.infer<typeof PersonIdSchema> } | { email: string });
export type PersonGetInput = z.infer<typeof PersonGetInput>;

/**
 * Erase a person's personal data everywhere (GDPR Art. 17), leaving a tombstone; their email and
 * LinkedIn URL go on the suppression list. The reason is kept on the tombstone.
 */
export const PersonEraseInput = inputObject({
  person_id: PersonIdSchema,
  reason: normalised((input) => normaliseText(input, "reason", "The reason", 500)),
});
export type PersonEraseInput = z.infer<typeof PersonEraseInput>;

export const PersonListInput = inputObject({
  cursor: Cursor.optional(),
  limit: PageLimit,
  company_uid: CompanyUidSchema.optional(),
  validation_status: ValidationStatusSchema.optional(),
  created_since: DateInput.optional(),
  /** true: people holding or proposed for no slot; false: people who hold or are proposed for one. */
  without_slot: z.boolean().optional(),
});
export type PersonListInput = z.infer<typeof PersonListInput>;

export const PersonUpdateInput = inputObject({
  person_id: PersonIdSchema,
  patch: inputObject({
    name: PersonNameSchema.optional(),
    email: EmailSchema.optional(),
    linkedin_url: LinkedinUrlSchema.nullable().optional(),
    company_uid: CompanyUidSchema.nullable().optional(),
    title: TitleSchema.nullable().optional(),
  }).superRefine(nonEmptyPatch),
});
export type PersonUpdateInput = z.infer<typeof PersonUpdateInput>;

export const SlotListInput = inputObject({ company_uid: CompanyUidSchema });
export type SlotListInput = z.infer<typeof SlotListInput>;

/**
 * Whether the person may change company: a person's company is the company of the slot they
 * hold or are proposed for, so linking someone of another company is COMPANY_MISMATCH unless
 * the caller moves them (the company change is audited).
 */
const MoveSchema = z.boolean().optional();

/** Put a person straight into an open slot (open → filled). */
export const SlotLinkInput = inputObject({
  slot_uid: SlotUidSchema,
  person_id: PersonIdSchema,
  move: MoveSchema,
});
export type SlotLinkInput = z.infer<typeof SlotLinkInput>;

/** Propose a person for an open slot, pending validation (open → pending). */
export const SlotProposeInput = inputObject({
  slot_uid: SlotUidSchema,
  person_id: PersonIdSchema,
  move: MoveSchema,
});
export type SlotProposeInput = z.infer<typeof SlotProposeInput>;

export const SlotConfirmInput = inputObject({ slot_uid: SlotUidSchema });
export type SlotConfirmInput = z.infer<typeof SlotConfirmInput>;

export const SlotRejectInput = inputObject({ slot_uid: SlotUidSchema });
export type SlotRejectInput = z.infer<typeof SlotRejectInput>;

/** Unlink the person of a filled slot (filled → open). */
export const SlotVacateInput = inputObject({ slot_uid: SlotUidSchema });
export type SlotVacateInput = z.infer<typeof SlotVacateInput>;

/**
 * Replace the person of a filled slot with another (filled → filled, audited). With
 * expected_person_id, the displacement happens only if that person still holds the slot;
 * otherwise SLOT_CONFLICT names the current occupant (so concurrent callers cannot each
 * displace someone they never saw).
 */
export const SlotDisplaceInput = inputObject({
  slot_uid: SlotUidSchema,
  person_id: PersonIdSchema,
  expected_person_id: PersonIdSchema.optional(),
  move: MoveSchema,
});
export type SlotDisplaceInput = z.infer<typeof SlotDisplaceInput>;

/**
 * Record an email check: an explicit `status`, or the provider's `result` word (mapped with
 * mapVerifierResult), or both (status wins, the raw result is kept). The output always has `status`.
 */
export const SetValidationInput = inputObject({
  person_id: PersonIdSchema,
  status: ValidationStatusSchema.optional(),
  result: normalised((input) =>
    normaliseText(input, "result", "The verifier result", 200),
  ).optional(),
  provider: normalised((input) => normaliseText(input, "provider", "The provider", 100)).optional(),
  checked_at: DateInput.optional(),
})
  .superRefine((value, ctx) => {
    if (value.status === undefined && value.result === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "Give a status or the verifier's result",
        path: ["status"],
        params: { reason: "missing_status" },
      });
    }
  })
  .transform((value) => ({
    ...value,
    status: value.status ?? mapVerifierResult(value.result ?? ""),
  }));
export type SetValidationInput = z.infer<typeof SetValidationInput>;

export const HistoryAsOfInput = inputObject({ uid: AnyUidSchema, as_of: DateInput });
export type HistoryAsOfInput = z.infer<typeof HistoryAsOfInput>;

export const AuditTrailInput = inputObject({
  uid: AnyUidSchema,
  limit: z.number().int().min(1).max(1000).default(100),
});
export type AuditTrailInput = z.infer<typeof AuditTrailInput>;

export const SlotEventsInput = inputObject({
  slot_uid: SlotUidSchema.optional(),
  person_id: PersonIdSchema.optional(),
})
  .superRefine(exactlyOne(["slot_uid", "person_id"]))
  .transform(
    (value) =>
      value as
        | { slot_uid: z.infer<typeof SlotUidSchema> }
        | { person_id: z.infer<typeof PersonIdSchema> },
  );
export type SlotEventsInput = z.infer<typeof SlotEventsInput>;

/** prefer ROLE=keep|drop: whose occupant stays when both companies have that slot occupied. */
export const MergePrefer = z.enum(["keep", "drop"]);
export type MergePrefer = z.infer<typeof MergePrefer>;

export const CompanyMergeInput = inputObject({
  keep: CompanyUidSchema,
  drop: CompanyUidSchema,
  dry_run: z.boolean().default(false),
  prefer: z.partialRecord(RoleSchema, MergePrefer).default({}),
}).refine((input) => input.keep !== input.drop, {
  message: "keep and drop must be two different companies",
  path: ["drop"],
});
export type CompanyMergeInput = z.infer<typeof CompanyMergeInput>;

export const PersonMergeInput = inputObject({
  keep: PersonIdSchema,
  drop: PersonIdSchema,
  dry_run: z.boolean().default(false),
}).refine((input) => input.keep !== input.drop, {
  message: "keep and drop must be two different people",
  path: ["drop"],
});
export type PersonMergeInput = z.infer<typeof PersonMergeInput>;

export const DuplicatesInput = inputObject({
  /** Least score (0–100) of a pair to report. */
  min_score: z.number().int().min(0).max(100).default(50),
  limit: z.number().int().min(1).max(10_000).default(1_000),
});
export type DuplicatesInput = z.infer<typeof DuplicatesInput>;

// ── zod errors → PleError ─────────────────────────────────────────────────────────────────────

const ZOD_REASONS: Record<string, string> = {
  invalid_type: "invalid_type",
  too_big: "too_long",
  too_small: "too_small",
  unrecognized_keys: "unknown_field",
  invalid_format: "invalid_syntax",
  invalid_value: "invalid_value",
  invalid_union: "invalid_syntax",
  not_multiple_of: "invalid_value",
};

export interface ValidationIssue {
  path: string;
  message: string;
  reason: string;
}

/**
 * A VALIDATION_FAILED `PleError` from a zod error: `field` is the first issue's path
 * ("patch.website"), the message names it, and details list every issue with its reason.
 */
export function pleErrorFromZod(error: z.ZodError): PleError {
  const issues: ValidationIssue[] = error.issues.map((issue) => {
    const params =
      issue.code === "custom" ? (issue.params as { reason?: unknown } | undefined) : undefined;
    const reason =
      typeof params?.reason === "string" ? params.reason : (ZOD_REASONS[issue.code] ?? issue.code);
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    const path = [...issue.path, ...(keys.length === 1 ? keys : [])].map(String).join(".");
    return { path, message: issue.message, reason };
  });
  const first = issues[0];
  const field = first?.path || undefined;
  const message = first
    ? field && !first.message.includes(field)
      ? `${field}: ${first.message}`
      : first.message
    : "The input is not valid";
  return new PleError("VALIDATION_FAILED", message, {
    field,
    details: { reason: first?.reason ?? "invalid", issues },
    cause: error,
  });
}

/** Parses with a schema, returning a Result whose error is a VALIDATION_FAILED `PleError`. */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown): Result<z.output<S>> {
  const parsed = schema.safeParse(data);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: pleErrorFromZod(parsed.error) };
}
