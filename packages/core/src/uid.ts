/**
 * PLE identifiers: `CO-YYYYMMDD-######` (company), `PE-YYYYMMDD-######` (person) and
 * `SL-<company_uid>-<ROLE>` (slot). The day is the UTC date of creation; the six-digit counter
 * restarts each day at 000001 and never grows a seventh digit. The SQL generators follow the same
 * rules; vectors/uid-format.json and vectors/uid-parse.json prove that both agree.
 */
import { z } from "zod";
import { err, ok, PleError, type Result, validationError } from "./errors.js";

export const ROLES = ["CEO", "CFO", "HR"] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES);

export const UID_KINDS = ["company", "person", "slot"] as const;
export type UidKind = (typeof UID_KINDS)[number];

export const MIN_UID_COUNTER = 1;
export const MAX_UID_COUNTER = 999_999;

/** Every `details.reason` of a UID format or parse failure (vectors/README.md says what each means). */
export const UID_REASONS = [
  "invalid_type",
  "empty",
  "invalid_syntax",
  "invalid_date",
  "counter_out_of_range",
  "invalid_role",
  "wrong_kind",
] as const;
export type UidReason = (typeof UID_REASONS)[number];

const COMPANY_PATTERN = /^CO-([0-9]{8})-([0-9]{6})$/;
const PERSON_PATTERN = /^PE-([0-9]{8})-([0-9]{6})$/;
const SLOT_PATTERN = /^SL-(CO-[0-9]{8}-[0-9]{6})-([A-Za-z]+)$/;

const roleSet: ReadonlySet<string> = new Set(ROLES);

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && roleSet.has(value);
}

/** True when `day` is `YYYYMMDD` naming a real date of the proleptic Gregorian calendar, year 0001–9999. */
export function isValidUidDay(day: string): boolean {
  if (!/^[0-9]{8}$/.test(day)) return false;
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(4, 6));
  const date = Number(day.slice(6, 8));
  if (year < 1 || month < 1 || month > 12 || date < 1) return false;
  return date <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** `YYYYMMDD` of a `Date` in UTC (UIDs never depend on the machine's time zone). */
export function uidDayFromDate(date: Date): string {
  const time = date.getTime();
  if (Number.isNaN(time)) {
    throw validationError("day", "invalid_date", "The UID day is an invalid Date");
  }
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) {
    throw validationError("day", "invalid_date", `The UID day's year ${year} is outside 0001–9999`);
  }
  const pad = (n: number, width: number) => String(n).padStart(width, "0");
  return `${pad(year, 4)}${pad(date.getUTCMonth() + 1, 2)}${pad(date.getUTCDate(), 2)}`;
}

function describe(input: string): string {
  return JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input);
}

function dayOrThrow(day: string | Date): string {
  if (day instanceof Date) return uidDayFromDate(day);
  if (typeof day !== "string" || !isValidUidDay(day)) {
    const shown = typeof day === "string" ? describe(day) : typeof day;
    throw validationError(
      "day",
      "invalid_date",
      `The UID day must be a real date written YYYYMMDD, got ${shown}`,
    );
  }
  return day;
}

function counterOrThrow(counter: number): string {
  if (typeof counter !== "number" || !Number.isInteger(counter) || counter < MIN_UID_COUNTER) {
    throw validationError(
      "counter",
      "counter_out_of_range",
      `The UID counter must be an integer from ${MIN_UID_COUNTER} to ${MAX_UID_COUNTER}, got ${String(counter)}`,
    );
  }
  if (counter > MAX_UID_COUNTER) {
    // A seventh digit would make a malformed UID: the day's numbers are used up.
    throw new PleError(
      "UID_EXHAUSTED",
      `The UID counter ${counter} is past ${MAX_UID_COUNTER}: no more UIDs can be issued for this day`,
      { field: "counter", details: { reason: "counter_out_of_range", counter } },
    );
  }
  return String(counter).padStart(6, "0");
}

export type CompanyUid = z.infer<typeof CompanyUidSchema>;
export type PersonId = z.infer<typeof PersonIdSchema>;
export type SlotUid = z.infer<typeof SlotUidSchema>;

/**
 * Formats a company UID. Throws `PleError`: VALIDATION_FAILED for an impossible day or a counter
 * below 1, UID_EXHAUSTED for a counter past 999,999.
 */
export function formatCompanyUid(day: string | Date, counter: number): CompanyUid {
  return `CO-${dayOrThrow(day)}-${counterOrThrow(counter)}` as CompanyUid;
}

/** Formats a person id; throws like `formatCompanyUid`. */
export function formatPersonId(day: string | Date, counter: number): PersonId {
  return `PE-${dayOrThrow(day)}-${counterOrThrow(counter)}` as PersonId;
}

/** Formats a slot UID; throws VALIDATION_FAILED for a malformed company UID or an unknown role. */
export function formatSlotUid(companyUid: CompanyUid, role: Role): SlotUid {
  const company = parseCompanyUid(companyUid);
  if (!company.ok) throw company.error;
  if (!isRole(role)) {
    throw validationError(
      "role",
      "invalid_role",
      `The role must be one of ${ROLES.join(", ")}, got ${typeof role === "string" ? describe(role) : typeof role}`,
    );
  }
  return `SL-${companyUid}-${role}` as SlotUid;
}

export interface ParsedCompanyUid {
  kind: "company";
  day: string;
  counter: number;
}
export interface ParsedPersonId {
  kind: "person";
  day: string;
  counter: number;
}
export interface ParsedSlotUid {
  kind: "slot";
  /** Day and counter of the company the slot belongs to. */
  day: string;
  counter: number;
  role: Role;
  companyUid: CompanyUid;
}
export type ParsedUid = ParsedCompanyUid | ParsedPersonId | ParsedSlotUid;

const KIND_FIELD: Record<UidKind | "any", string> = {
  company: "company_uid",
  person: "person_id",
  slot: "slot_uid",
  any: "uid",
};
const KIND_LABEL: Record<UidKind | "any", string> = {
  company: "company UID (CO-YYYYMMDD-######)",
  person: "person id (PE-YYYYMMDD-######)",
  slot: "slot UID (SL-CO-YYYYMMDD-######-ROLE)",
  any: "PLE UID (CO-…, PE-… or SL-…)",
};

function uidError(expected: UidKind | "any", input: string, reason: string, why: string) {
  return validationError(
    KIND_FIELD[expected],
    reason,
    `${describe(input)} is not a valid ${KIND_LABEL[expected]}: ${why}`,
  );
}

function parseDayAndCounter(
  expected: UidKind | "any",
  input: string,
  day: string,
  counterText: string,
): Result<{ day: string; counter: number }> {
  if (!isValidUidDay(day)) {
    return err(uidError(expected, input, "invalid_date", `${day} is not a real date`));
  }
  const counter = Number(counterText);
  if (counter < MIN_UID_COUNTER) {
    return err(uidError(expected, input, "counter_out_of_range", "the counter starts at 000001"));
  }
  return ok({ day, counter });
}

function parseAs(expected: UidKind | "any", input: unknown): Result<ParsedUid> {
  if (typeof input !== "string") {
    return err(
      validationError(
        KIND_FIELD[expected],
        "invalid_type",
        `A ${KIND_LABEL[expected]} must be a string`,
      ),
    );
  }
  if (input.length === 0) {
    return err(uidError(expected, input, "empty", "it is empty"));
  }
  const company = COMPANY_PATTERN.exec(input);
  const person = company ? null : PERSON_PATTERN.exec(input);
  const slot = company || person ? null : SLOT_PATTERN.exec(input);
  const kind: UidKind | null = company ? "company" : person ? "person" : slot ? "slot" : null;
  if (kind === null) {
    return err(uidError(expected, input, "invalid_syntax", "it does not have the expected shape"));
  }
  if (expected !== "any" && kind !== expected) {
    return err(uidError(expected, input, "wrong_kind", `it is a ${kind} UID`));
  }
  if (company || person) {
    const match = company ?? person;
    const parts = parseDayAndCounter(expected, input, match?.[1] ?? "", match?.[2] ?? "");
    if (!parts.ok) return parts;
    return ok({ kind: company ? "company" : "person", ...parts.value });
  }
  const companyUid = slot?.[1] ?? "";
  const role = slot?.[2] ?? "";
  const inner = /^CO-([0-9]{8})-([0-9]{6})$/.exec(companyUid);
  const parts = parseDayAndCounter(expected, input, inner?.[1] ?? "", inner?.[2] ?? "");
  if (!parts.ok) return parts;
  if (!isRole(role)) {
    return err(
      uidError(
        expected,
        input,
        "invalid_role",
        `the role must be one of ${ROLES.join(", ")} (upper-case)`,
      ),
    );
  }
  return ok({ kind: "slot", ...parts.value, role, companyUid: companyUid as CompanyUid });
}

/** Parses any PLE UID into its parts. Never throws. */
export function parseUid(s: string): Result<ParsedUid> {
  return parseAs("any", s);
}

export function parseCompanyUid(s: string): Result<ParsedCompanyUid> {
  return parseAs("company", s) as Result<ParsedCompanyUid>;
}

export function parsePersonId(s: string): Result<ParsedPersonId> {
  return parseAs("person", s) as Result<ParsedPersonId>;
}

export function parseSlotUid(s: string): Result<ParsedSlotUid> {
  return parseAs("slot", s) as Result<ParsedSlotUid>;
}

export function isCompanyUid(s: unknown): s is CompanyUid {
  return typeof s === "string" && parseAs("company", s).ok;
}

export function isPersonId(s: unknown): s is PersonId {
  return typeof s === "string" && parseAs("person", s).ok;
}

export function isSlotUid(s: unknown): s is SlotUid {
  return typeof s === "string" && parseAs("slot", s).ok;
}

function uidSchema(kind: UidKind): z.ZodString {
  return z
    .string()
    .max(64)
    .superRefine((value, ctx) => {
      const parsed = parseAs(kind, value);
      if (!parsed.ok) {
        ctx.addIssue({
          code: "custom",
          message: parsed.error.message,
          params: { reason: parsed.error.details?.reason },
        });
      }
    });
}

export const CompanyUidSchema = uidSchema("company").brand<"CompanyUid">();
export const PersonIdSchema = uidSchema("person").brand<"PersonId">();
export const SlotUidSchema = uidSchema("slot").brand<"SlotUid">();

/** Any of the three UIDs (history and audit look-ups take either). */
export const AnyUidSchema = z
  .string()
  .max(64)
  .superRefine((value, ctx) => {
    const parsed = parseAs("any", value);
    if (!parsed.ok) {
      ctx.addIssue({
        code: "custom",
        message: parsed.error.message,
        params: { reason: parsed.error.details?.reason },
      });
    }
  });
