import { PleError } from "@ple/core";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { type CommandSpec, flag, positional } from "../src/command.js";
import { UsageError } from "../src/usage-error.js";
import { captureIo } from "./helpers.js";

const commands: CommandSpec[] = [
  {
    path: ["thing", "get"],
    summary: "get a thing",
    positionals: [{ name: "ID", required: true, description: "the thing's id" }],
    options: { loud: { type: "boolean", description: "shout" } },
    examples: ["ple thing get 1"],
    async run(_ctx, args) {
      const id = positional(args, 0, "ID");
      if (id === "missing") throw new PleError("NOT_FOUND", "no thing missing", { field: "id" });
      if (id === "bad") throw new UsageError("bad id");
      if (id === "boom") throw new Error("kaboom");
      const text = flag(args, "loud") ? `THING ${id}` : `thing ${id}`;
      return { data: { id }, human: text, exitCode: id === "partial" ? 3 : 0 };
    },
  },
  {
    path: ["thing", "list"],
    summary: "list things",
    positionals: [],
    options: {},
    examples: [],
    async run() {
      return { data: [], human: "(none)" };
    },
  },
  {
    path: ["thing", "purge"],
    summary: "purge things (reads the retention settings)",
    positionals: [],
    options: {},
    examples: [],
    async run(ctx) {
      return { data: ctx.env.retention, human: "purged" };
    },
  },
];

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io, {
    commands,
    env: {},
    openDatabase: () => Promise.reject(new Error("no database in this test")),
  });
  return { code, out: io.out(), err: io.err() };
}

describe("runCli", () => {
  it("runs a command and prints its human output", async () => {
    expect(await run("thing", "get", "7", "--loud")).toEqual({
      code: 0,
      out: "THING 7\n",
      err: "",
    });
  });

  it("prints --json data, with --json before or after the command", async () => {
    const r = await run("thing", "get", "7", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ id: "7" });
    const before = await run("--json", "thing", "get", "8");
    expect(JSON.parse(before.out)).toEqual({ id: "8" });
    expect((await run("-h", "thing", "get")).out).toContain("Usage: ple thing get ID");
  });

  it("maps outcomes to exit codes: 1 error, 2 usage, 3 rejected rows", async () => {
    const missing = await run("thing", "get", "missing");
    expect(missing.code).toBe(1);
    expect(missing.err).toBe("ple: NOT_FOUND (id): no thing missing\n");
    expect((await run("thing", "get", "bad")).code).toBe(2);
    expect((await run("thing", "get")).err).toContain("missing ID");
    expect((await run("thing", "get", "1", "--nope")).code).toBe(2);
    expect((await run("thing", "get", "1", "2")).err).toContain("unexpected argument: 2");
    expect((await run("thing", "get", "partial")).code).toBe(3);
    const boom = await run("thing", "get", "boom");
    expect(boom.code).toBe(1);
    expect(boom.err).toContain("kaboom");
  });

  it("prints errors as JSON with --json", async () => {
    const r = await run("thing", "get", "missing", "--json");
    expect(JSON.parse(r.out)).toEqual({
      error: { code: "NOT_FOUND", message: "no thing missing", field: "id" },
    });
  });

  it("shows help with examples, and lists commands for a group or nothing", async () => {
    const help = await run("thing", "get", "--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: ple thing get ID [options]");
    expect(help.out).toContain("--loud");
    expect(help.out).toContain("Examples:\n  ple thing get 1");
    const group = await run("thing");
    expect(group.code).toBe(2);
    expect(group.err).toContain("thing list");
    const top = await run("--help");
    expect(top.code).toBe(0);
    expect(top.out).toContain("Exit codes: 0 ok, 1 error, 2 usage");
    expect((await run()).code).toBe(2);
    expect(await run("--version")).toEqual({ code: 0, out: "ple 0.1.0\n", err: "" });
    const unknown = await run("nope");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "nope"');
  });

  it("fails with one line naming a badly configured variable, only a command that reads it", async () => {
    const env = { PLE_RETENTION_AUDIT_DAYS: "soon", PORT: "abc" };
    const io = captureIo();
    const code = await runCli(["thing", "purge"], io, { commands, env });
    expect(code).toBe(2);
    expect(io.err()).toBe(
      "ple: PLE_RETENTION_AUDIT_DAYS: must be a whole number of days (e.g. 365) or forever\n",
    );
    const other = captureIo();
    expect(await runCli(["thing", "list"], other, { commands, env })).toBe(0);
    expect(other.out()).toBe("(none)\n");
  });
});
