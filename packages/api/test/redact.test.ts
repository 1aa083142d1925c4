import { describe, expect, it } from "vitest";
import { maskDeep, maskText } from "../src/redact.js";

describe("masking", () => {
  it("keeps the first letter and the domain of an e-mail address", () => {
    expect(maskText('No person with email "jane.doe+x@Example.co.uk"')).toBe(
      'No person with email "j***@Example.co.uk"',
    );
  });

  it("hides API keys", () => {
    expect(maskText("key ple_Lp3JntI7maFsXIfoLtgOdkDUAcTtIxfTxiSTRaud0QU used")).toBe(
      "key ple_*** used",
    );
  });

  it("masks strings anywhere in plain objects and arrays, leaving other values alone", () => {
    const when = new Date(0);
    expect(maskDeep({ a: ["x@y.com", 1], b: { c: "z@q.org" }, when })).toEqual({
      a: ["x***@y.com", 1],
      b: { c: "z***@q.org" },
      when,
    });
  });
});
