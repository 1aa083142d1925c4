import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  err,
  isErrorCode,
  isPleError,
  ok,
  PleError,
  unwrap,
  validationError,
} from "../src/index.js";

describe("ERROR_CODES", () => {
  it("are the contract's codes, each once", () => {
    expect(ERROR_CODES).toEqual([
      "VALIDATION_FAILED",
      "COMPANY_NOT_FOUND",
      "PERSON_NOT_FOUND",
      "SLOT_NOT_FOUND",
      "SLOT_CONFLICT",
      "PERSON_ALREADY_LINKED",
      "INVALID_TRANSITION",
      "COMPANY_HAS_FILLED_SLOTS",
      "COMPANY_MISMATCH",
      "SUPPRESSED",
      "ALREADY_EXISTS",
      "IDEMPOTENCY_CONFLICT",
      "IDENTITY_CONFLICT",
      "MERGE_CONFLICT",
      "UNAUTHORIZED",
      "FORBIDDEN",
      "PAYLOAD_TOO_LARGE",
      "METHOD_NOT_ALLOWED",
      "UNSUPPORTED_MEDIA_TYPE",
      "RATE_LIMITED",
      "UID_EXHAUSTED",
      "MIGRATION_LOCKED",
      "MIGRATION_DRIFT",
      "MIGRATION_FAILED",
      "DATABASE_UNAVAILABLE",
      "NOT_FOUND",
      "INTERNAL",
    ]);
    expect(isErrorCode("SLOT_CONFLICT")).toBe(true);
    expect(isErrorCode("slot_conflict")).toBe(false);
    expect(isErrorCode("toString")).toBe(false);
  });
});

describe("PleError", () => {
  it("carries code, message, field, details and cause", () => {
    const cause = new Error("duplicate key value violates unique constraint");
    const error = new PleError("ALREADY_EXISTS", "A company with website acme.com exists", {
      field: "website",
      details: { company_uid: "CO-20261126-000001" },
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("PleError");
    expect(error.code).toBe("ALREADY_EXISTS");
    expect(error.field).toBe("website");
    expect(error.details).toEqual({ company_uid: "CO-20261126-000001" });
    expect(error.cause).toBe(cause);
    expect(error.stack).toContain("PleError");
  });

  it("serialises to {code, message, field, details} without the cause or stack", () => {
    const error = new PleError("SLOT_CONFLICT", "The slot is taken", {
      field: "slot_uid",
      details: { slot_uid: "SL-CO-20261126-000001-CEO" },
      cause: new Error("secret SQL"),
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: "SLOT_CONFLICT",
      message: "The slot is taken",
      field: "slot_uid",
      details: { slot_uid: "SL-CO-20261126-000001-CEO" },
    });
    expect(new PleError("INTERNAL", "Something failed").toJSON()).toEqual({
      code: "INTERNAL",
      message: "Something failed",
    });
  });

  it("validationError builds VALIDATION_FAILED with the reason in details", () => {
    const error = validationError("email", "no_dot", "The email has no dot", { value: "a@b" });
    expect(error.toJSON()).toEqual({
      code: "VALIDATION_FAILED",
      message: "The email has no dot",
      field: "email",
      details: { reason: "no_dot", value: "a@b" },
    });
  });
});

describe("isPleError", () => {
  it("recognises PleError, and one from another copy of the package by name and code", () => {
    expect(isPleError(new PleError("NOT_FOUND", "x"))).toBe(true);
    const foreign = Object.assign(new Error("x"), { name: "PleError", code: "SLOT_CONFLICT" });
    expect(isPleError(foreign)).toBe(true);
  });

  it("rejects everything else", () => {
    expect(isPleError(new Error("x"))).toBe(false);
    expect(isPleError(Object.assign(new Error("x"), { name: "PleError", code: "NOPE" }))).toBe(
      false,
    );
    expect(isPleError({ name: "PleError", code: "NOT_FOUND", message: "x" })).toBe(false);
    expect(isPleError(null)).toBe(false);
    expect(isPleError("PleError")).toBe(false);
  });
});

describe("Result helpers", () => {
  it("unwrap returns the value of ok and throws the error of err", () => {
    expect(unwrap(ok(42))).toBe(42);
    const error = new PleError("COMPANY_NOT_FOUND", "No company CO-20261126-000009");
    expect(() => unwrap(err(error))).toThrow(error);
  });
});
