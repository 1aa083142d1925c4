import { describe, expect, it } from "vitest";
import {
  AnyUidSchema,
  type CompanyUid,
  CompanyUidSchema,
  formatCompanyUid,
  formatPersonId,
  formatSlotUid,
  isCompanyUid,
  isPersonId,
  isSlotUid,
  isValidUidDay,
  type PersonId,
  PersonIdSchema,
  parseCompanyUid,
  parsePersonId,
  parseSlotUid,
  parseUid,
  ROLES,
  RoleSchema,
  type SlotUid,
  SlotUidSchema,
  uidDayFromDate,
} from "../src/index.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("formatting", () => {
  it("takes the UTC date of a Date, never the machine's time zone", () => {
    expect(formatCompanyUid(new Date("2026-11-26T23:30:00-05:00"), 1)).toBe("CO-20261127-000001");
    expect(formatPersonId(new Date("2026-11-27T00:30:00+01:00"), 12)).toBe("PE-20261126-000012");
    expect(uidDayFromDate(new Date("0001-01-01T00:00:00Z"))).toBe("00010101");
  });

  it("raises UID_EXHAUSTED past 999,999 rather than emit a seventh digit", () => {
    expect(formatCompanyUid("20261126", 999_999)).toBe("CO-20261126-999999");
    const error = thrown(() => formatCompanyUid("20261126", 1_000_000));
    expect(error).toMatchObject({
      code: "UID_EXHAUSTED",
      field: "counter",
      details: { reason: "counter_out_of_range", counter: 1_000_000 },
    });
    expect((error as Error).message).toContain("999999");
  });

  it("rejects a counter below 1 or not an integer as VALIDATION_FAILED", () => {
    for (const counter of [0, -5, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(thrown(() => formatPersonId("20261126", counter))).toMatchObject({
        code: "VALIDATION_FAILED",
        field: "counter",
        details: { reason: "counter_out_of_range" },
      });
    }
  });

  it("rejects an Invalid Date and years outside 0001–9999", () => {
    for (const date of [
      new Date("nope"),
      new Date("+010000-01-01T00:00:00Z"),
      new Date(-62198755200000),
    ]) {
      expect(thrown(() => formatCompanyUid(date, 1))).toMatchObject({
        code: "VALIDATION_FAILED",
        field: "day",
        details: { reason: "invalid_date" },
      });
    }
  });

  it("formats slot UIDs only from a company UID and an upper-case role", () => {
    const company = formatCompanyUid("20261126", 7);
    expect(ROLES.map((role) => formatSlotUid(company, role))).toEqual([
      "SL-CO-20261126-000007-CEO",
      "SL-CO-20261126-000007-CFO",
      "SL-CO-20261126-000007-HR",
    ]);
    const person = formatPersonId("20261126", 7);
    // @ts-expect-error a PersonId is not a CompanyUid: the brands keep them apart
    expect(thrown(() => formatSlotUid(person, "CEO"))).toMatchObject({
      field: "company_uid",
      details: { reason: "wrong_kind" },
    });
    // @ts-expect-error "ceo" is not a Role
    expect(thrown(() => formatSlotUid(company, "ceo"))).toMatchObject({
      field: "role",
      details: { reason: "invalid_role" },
    });
  });
});

describe("branded types", () => {
  it("keep company, person and slot identifiers apart at compile time", () => {
    const company: CompanyUid = formatCompanyUid("20261126", 1);
    const person: PersonId = formatPersonId("20261126", 1);
    const slot: SlotUid = formatSlotUid(company, "HR");
    // @ts-expect-error a plain string is not a CompanyUid
    const fromString: CompanyUid = "CO-20261126-000001";
    // @ts-expect-error a PersonId is not a SlotUid
    const crossed: SlotUid = person;
    expect([company, person, slot, fromString, crossed]).toHaveLength(5);
  });
});

describe("parsing", () => {
  it("names the field and the problem", () => {
    const result = parseCompanyUid("CO-20261332-000001");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.field).toBe("company_uid");
    expect(result.error.details).toEqual({ reason: "invalid_date" });
    expect(result.error.message).toBe(
      '"CO-20261332-000001" is not a valid company UID (CO-YYYYMMDD-######): 20261332 is not a real date',
    );
  });

  it("kind-specific parsers refuse other kinds with wrong_kind", () => {
    expect(parseCompanyUid("PE-20261126-000001")).toMatchObject({
      ok: false,
      error: { field: "company_uid", details: { reason: "wrong_kind" } },
    });
    expect(parsePersonId("CO-20261126-000001")).toMatchObject({
      ok: false,
      error: { field: "person_id", details: { reason: "wrong_kind" } },
    });
    expect(parseSlotUid("CO-20261126-000001")).toMatchObject({
      ok: false,
      error: { field: "slot_uid", details: { reason: "wrong_kind" } },
    });
  });

  it("refuses non-strings from untyped callers", () => {
    expect(parseUid(42 as unknown as string)).toMatchObject({
      ok: false,
      error: { field: "uid", details: { reason: "invalid_type" } },
    });
  });

  it("is* guards agree with the parsers", () => {
    expect(isCompanyUid("CO-20261126-000001")).toBe(true);
    expect(isCompanyUid("SL-CO-20261126-000001-CEO")).toBe(false);
    expect(isPersonId("PE-20240229-000001")).toBe(true);
    expect(isPersonId("PE-20230229-000001")).toBe(false);
    expect(isSlotUid("SL-CO-20261126-000001-HR")).toBe(true);
    expect(isSlotUid("SL-CO-20261126-000001-hr")).toBe(false);
    expect(isCompanyUid(undefined)).toBe(false);
  });

  it("isValidUidDay follows the Gregorian leap-year rules", () => {
    expect(["20240229", "20000229", "16000229"].map(isValidUidDay)).toEqual([true, true, true]);
    expect(["20230229", "19000229", "21000229", "20261231 "].map(isValidUidDay)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe("zod schemas", () => {
  it("accept a valid UID and report the parser's reason otherwise", () => {
    expect(CompanyUidSchema.parse("CO-20261126-000001")).toBe("CO-20261126-000001");
    expect(PersonIdSchema.parse("PE-20261126-000001")).toBe("PE-20261126-000001");
    expect(SlotUidSchema.parse("SL-CO-20261126-000001-CFO")).toBe("SL-CO-20261126-000001-CFO");
    expect(AnyUidSchema.parse("SL-CO-20261126-000001-CFO")).toBe("SL-CO-20261126-000001-CFO");
    const failed = PersonIdSchema.safeParse("CO-20261126-000001");
    expect(failed.success).toBe(false);
    expect(failed.error?.issues[0]).toMatchObject({
      code: "custom",
      params: { reason: "wrong_kind" },
      message: expect.stringContaining("it is a company UID"),
    });
    expect(RoleSchema.safeParse("Ceo").success).toBe(false);
    expect(CompanyUidSchema.safeParse(`CO-20261126-000001${"0".repeat(100)}`).success).toBe(false);
  });
});
