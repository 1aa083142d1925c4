import { describe, expect, it } from "vitest";
import {
  mapApolloEmailStatus,
  mapVerifierResult,
  VALIDATION_STATUSES,
  VALIDATION_TRANSITIONS,
  validationTransition,
} from "../src/index.js";

describe("mapVerifierResult", () => {
  it.each([
    // MillionVerifier
    ["ok", "valid"],
    ["catch_all", "risky"],
    ["unknown", "risky"],
    ["disposable", "invalid"],
    ["invalid", "invalid"],
    ["error", "error"],
    // NeverBounce
    ["valid", "valid"],
    ["catchall", "risky"],
    // ZeroBounce
    ["catch-all", "risky"],
    ["spamtrap", "invalid"],
    ["abuse", "invalid"],
    ["do_not_mail", "invalid"],
    // Apollo email statuses (open-ended: unknown words are risky)
    ["verified", "valid"],
    ["unverified", "risky"],
    ["likely to engage", "risky"],
    ["unavailable", "risky"],
    ["guessed", "risky"],
    ["bounced", "invalid"],
    // the check itself
    ["throttled", "throttled"],
    ["rate-limited", "throttled"],
  ] as const)("%s → %s", (word, status) => {
    expect(mapVerifierResult(word)).toBe(status);
  });

  it("ignores case, surrounding spaces, and reads spaces and hyphens as underscores", () => {
    expect(mapVerifierResult("  CATCH-ALL ")).toBe("risky");
    expect(mapVerifierResult("Do Not Mail")).toBe("invalid");
    expect(mapVerifierResult("OK")).toBe("valid");
  });

  it("maps every unknown word to risky — no proof the address works", () => {
    for (const word of ["", "banana", "accepted?", "constructor", "__proto__", "toString"]) {
      expect(mapVerifierResult(word)).toBe("risky");
    }
  });
});

describe("validationTransition", () => {
  it("has a row for every status, naming only statuses", () => {
    expect(Object.keys(VALIDATION_TRANSITIONS).sort()).toEqual([...VALIDATION_STATUSES].sort());
    for (const targets of Object.values(VALIDATION_TRANSITIONS)) {
      for (const target of targets) expect(VALIDATION_STATUSES).toContain(target);
    }
  });

  it("lets a pending or transient status take any result", () => {
    for (const from of ["pending", "throttled", "error"] as const) {
      for (const to of ["valid", "invalid", "risky", "throttled", "error"] as const) {
        expect(validationTransition(from, to)).toEqual({ ok: true, value: to });
      }
    }
  });

  it("never lets a failed re-check overwrite a verdict", () => {
    for (const from of ["valid", "invalid", "risky"] as const) {
      for (const to of ["throttled", "error"] as const) {
        const result = validationTransition(from, to);
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error.code).toBe("INVALID_TRANSITION");
          expect(result.error.details).toEqual({ from, to });
          expect(result.error.message).toContain(`from ${from} to ${to}`);
        }
      }
      expect(validationTransition(from, "pending").ok).toBe(true);
      expect(validationTransition(from, "valid").ok).toBe(true);
    }
  });

  it("does not re-queue what is already queued", () => {
    expect(validationTransition("pending", "pending").ok).toBe(false);
  });
});

describe("mapApolloEmailStatus", () => {
  it.each([
    ["Verified", "valid"],
    ["verified", "valid"],
    ["Invalid", "invalid"],
    ["Bounced", "invalid"],
    ["Guessed", "risky"],
    ["Extrapolated", "risky"],
    ["Unverified", "risky"],
    ["Likely to engage", "risky"],
    ["Likely-To-Engage", "risky"],
    ["Catch-all", "risky"],
    ["Unavailable", "pending"],
    [" unavailable ", "pending"],
  ])("%s → %s", (word, status) => {
    expect(mapApolloEmailStatus(word)).toBe(status);
  });

  it("answers null for a word it does not know (the person stays pending)", () => {
    for (const word of ["Sent to Mars", "", "constructor", "toString"]) {
      expect(mapApolloEmailStatus(word)).toBeNull();
    }
  });
});
