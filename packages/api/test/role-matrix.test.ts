/**
 * The full auth/role matrix: every procedure of the router, called with no key
 * and with each role. Inputs are deliberately invalid, so a call that passes
 * authorisation stops at validation and changes nothing.
 */
import type { ApiKeyRole } from "@ple/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/root.js";
import { type Caller, setupTestApi, type TestApi } from "./helpers.js";

type Required = "public" | ApiKeyRole;

/** The role each procedure needs. A procedure missing here fails the first test. */
const REQUIRED: Record<string, Required> = {
  "health.check": "public",
  "apiKeys.whoami": "read",
  "companies.get": "read",
  "companies.list": "read",
  "companies.search": "read",
  "slots.list": "read",
  "slots.listOpen": "read",
  "people.get": "read",
  "people.list": "read",
  "people.slot": "read",
  "history.asOf": "read",
  "history.versions": "read",
  "history.auditTrail": "read",
  "history.slotEvents": "read",
  "events.list": "read",
  "events.onChange": "read",
  "history.merges": "read",
  "companies.create": "write",
  "companies.update": "write",
  "companies.delete": "write",
  "companies.merge": "write",
  "slots.link": "write",
  "slots.propose": "write",
  "slots.confirm": "write",
  "slots.reject": "write",
  "slots.vacate": "write",
  "slots.displace": "write",
  "slots.claim": "write",
  "slots.renew": "write",
  "slots.release": "write",
  "people.create": "write",
  "people.update": "write",
  "people.setValidation": "write",
  "people.merge": "write",
  "people.erase": "admin",
  "apiKeys.list": "admin",
  "apiKeys.create": "admin",
  "apiKeys.revoke": "admin",
};

const RANK: Record<Required, number> = { public: 0, read: 1, write: 2, admin: 3 };
const CALLERS = ["anonymous", "read", "write", "admin"] as const;

let t: TestApi;
const callers = new Map<(typeof CALLERS)[number], Caller>();

beforeAll(async () => {
  t = await setupTestApi();
  callers.set("anonymous", await t.anonymous());
  for (const role of ["read", "write", "admin"] as const) callers.set(role, await t.as(role));
});
afterAll(async () => {
  await t?.drop();
});

type AnyProcedure = (input: unknown) => Promise<unknown>;

function procedureOf(caller: Caller, path: string): AnyProcedure {
  let target: unknown = caller;
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  return target as AnyProcedure;
}

async function outcome(caller: Caller, path: string): Promise<string> {
  try {
    await procedureOf(caller, path)({ invalid: "input" });
    return "OK";
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
}

describe("auth/role matrix", () => {
  it("covers every procedure of the router", () => {
    expect(Object.keys(appRouter._def.procedures).sort()).toEqual(Object.keys(REQUIRED).sort());
  });

  for (const [path, required] of Object.entries(REQUIRED)) {
    it(`${path} needs ${required}`, async () => {
      for (const who of CALLERS) {
        const caller = callers.get(who);
        if (!caller) throw new Error(`no caller ${who}`);
        const result = await outcome(caller, path);
        const rank = who === "anonymous" ? 0 : RANK[who];
        if (rank >= RANK[required]) {
          // Authorised: the call reaches validation (or succeeds when it takes no input).
          expect([path, who, result]).toEqual([
            path,
            who,
            expect.stringMatching(/^(OK|BAD_REQUEST)$/),
          ]);
        } else {
          expect([path, who, result]).toEqual([
            path,
            who,
            who === "anonymous" ? "UNAUTHORIZED" : "FORBIDDEN",
          ]);
        }
      }
    });
  }
});
