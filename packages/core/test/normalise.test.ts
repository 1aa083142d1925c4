import { describe, expect, it } from "vitest";
import {
  MAX_LENGTHS,
  normaliseCompanyName,
  normaliseEin,
  normaliseEmail,
  normaliseLinkedinUrl,
  normalisePersonName,
  normaliseWebsite,
  type Result,
  roleFromTitle,
} from "../src/index.js";

const all: [string, (input: string) => Result<unknown>][] = [
  ["website", normaliseWebsite],
  ["email", normaliseEmail],
  ["linkedin_url", normaliseLinkedinUrl],
  ["ein", normaliseEin],
  ["company_name", normaliseCompanyName],
  ["name", normalisePersonName],
];

function reason(result: Result<unknown>): unknown {
  return result.ok ? { ok: result.value } : result.error.details?.reason;
}

describe("every normaliser", () => {
  it.each(all)("%s refuses a non-string from an untyped caller", (field, normalise) => {
    for (const value of [undefined, null, 42, {}, ["a.com"]]) {
      const result = normalise(value as unknown as string);
      expect(reason(result)).toBe("invalid_type");
      expect(result.ok ? null : result.error.field).toBe(field);
    }
  });

  it.each(all)("%s refuses broken UTF-16 (a lone surrogate)", (_, normalise) => {
    expect(reason(normalise("acme\ud800.com"))).toBe("invalid_unicode");
    expect(reason(normalise("\udc00"))).toBe("invalid_unicode");
  });

  it.each(all)("%s refuses a megabyte of input as too_long", (field, normalise) => {
    const result = normalise(`${"a".repeat(1_000_000)}.com`);
    expect(reason(result)).toBe("too_long");
    expect(result.ok ? null : result.error.details?.max_length).toBe(
      MAX_LENGTHS[field as keyof typeof MAX_LENGTHS],
    );
  });

  it("counts length in characters (code points), as PostgreSQL does", () => {
    expect(normaliseCompanyName("😀".repeat(300)).ok).toBe(true);
    expect(reason(normaliseCompanyName("😀".repeat(301)))).toBe("too_long");
  });

  it("stays linear on long runs of inner whitespace", () => {
    const name = `a${" ".repeat(200_000)}b`;
    expect(reason(normalisePersonName(name))).toBe("too_long");
    expect(normalisePersonName(`a${" ".repeat(250)}b`)).toEqual({ ok: true, value: "a b" });
  });
});

describe("messages say what is wrong with which value", () => {
  it("quote the input and explain", () => {
    const email = normaliseEmail("jane@acme");
    expect(email.ok ? null : email.error.message).toBe(
      'The email "jane@acme" is not valid: "acme" has no dot, so it is not a domain (e.g. example.com)',
    );
    const linkedin = normaliseLinkedinUrl("https://www.linkedin.com/company/acme");
    expect(linkedin.ok ? null : linkedin.error.message).toContain(
      "is a company, school or showcase page, not a person's profile",
    );
  });

  it("cut very long values short", () => {
    const result = normaliseWebsite(`http://${"a".repeat(500)}.com/`);
    expect(result.ok ? null : result.error.message.length).toBeLessThan(250);
  });
});

describe("roleFromTitle", () => {
  it("returns null for input it cannot judge", () => {
    expect(roleFromTitle("CEO ".repeat(300))).toBeNull();
    expect(roleFromTitle(undefined as unknown as string)).toBeNull();
  });
});
