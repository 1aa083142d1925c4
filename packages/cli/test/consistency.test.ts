/**
 * The same rules for every command: a bad option value exits 2 naming the option as typed;
 * a record that does not exist exits 1 with its *_NOT_FOUND code; `pnpm ple … --json` prints
 * only JSON on stdout.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { captureIo } from "./helpers.js";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function ple(...argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io, {
    env: {},
    openDatabase: async () => ({ ...t.db, close: async () => {} }),
  });
  return { code, out: io.out(), err: io.err() };
}

describe("a bad option value", () => {
  it.each([
    [["company", "list", "--limit", "abc"], "--limit", "abc"],
    [["company", "list", "--since", "notadate"], "--since", "notadate"],
    [["apikey", "create", "--role", "superuser"], "--role", "superuser"],
    [["person", "list", "--status", "weird"], "--status", "weird"],
    [["db", "rollback", "--to", "abc"], "--to", "abc"],
    [["history", "CO-20261126-000001", "--as-of", "yesterday"], "--as-of", "yesterday"],
  ])("%j exits 2 naming %s as typed", async (argv, option, value) => {
    const run = await ple(...argv);
    expect(run.code).toBe(2);
    const first = run.err.split("\n")[0] ?? "";
    expect(first).toMatch(new RegExp(`^ple: ${option}\\b`));
    expect(first).toContain(value);
    expect(first).not.toMatch(/created_since|validation_status|as_of\b/);
  });

  it("--json reports it as a USAGE error on stdout", async () => {
    const run = await ple("company", "list", "--since", "notadate", "--json");
    expect(run.code).toBe(2);
    expect(JSON.parse(run.out)).toMatchObject({ error: { code: "USAGE" } });
  });
});

describe("a record that does not exist", () => {
  it.each([
    ["CO-20260101-000001", "COMPANY_NOT_FOUND"],
    ["PE-20260101-000001", "PERSON_NOT_FOUND"],
    ["SL-CO-20260101-000001-CEO", "SLOT_NOT_FOUND"],
  ])("`ple history %s` exits 1 with %s", async (uid, code) => {
    const run = await ple("history", uid);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`ple: ${code} (uid)`);
    const json = await ple("history", uid, "--json");
    expect(JSON.parse(json.out)).toMatchObject({ error: { code } });
  });
});

describe("pnpm ple … --json", () => {
  it("prints only the JSON on stdout (no pnpm banner)", { timeout: 60_000 }, async () => {
    const { stdout } = await exec("pnpm", ["ple", "db", "lint", "--json"], { cwd: ROOT });
    expect(JSON.parse(stdout)).toEqual({ findings: expect.any(Array) });
  });
});
