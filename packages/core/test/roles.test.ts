import { describe, expect, it } from "vitest";
import { ROLES } from "../src/index.js";

describe("roles", () => {
  it("are exactly CEO, CFO and HR", () => {
    expect(ROLES).toEqual(["CEO", "CFO", "HR"]);
  });
});
