/**
 * The packed client installs alone: `pnpm pack` makes the tarball, npm installs it into an empty
 * project outside the workspace (published dependencies only, from the registry), TypeScript
 * checks a program using it under strict with skipLibCheck false, and the program calls a real
 * API server.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createServer } from "@ple/api";
import { createApiKey } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const packageDir = path.resolve(import.meta.dirname, "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

let project: string;
let test: TestDatabase;

beforeAll(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), "ple-client-"));
  test = await createTestDatabase();
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
  await test?.drop();
});

async function typecheck(file: string) {
  return run(process.execPath, [tsc, "-p", "tsconfig.json", "--noEmit", "--pretty", "false"], {
    cwd: project,
  }).then(
    () => ({ ok: true, output: "" }),
    (error: { stdout?: string }) => ({ ok: false, output: `${file}: ${error.stdout ?? ""}` }),
  );
}

describe("@ple/client packed and installed alone", () => {
  it("installs from its tarball with npm, type-checks strictly and calls the API", async () => {
    await run("pnpm", ["pack", "--pack-destination", project], { cwd: packageDir });
    const tarball = (await readdir(project)).find((name) => name.endsWith(".tgz"));
    expect(tarball).toMatch(/^ple-client-.*\.tgz$/);
    const manifest = JSON.parse(
      (await run("tar", ["-xOzf", path.join(project, tarball ?? ""), "package/package.json"]))
        .stdout,
    ) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      "@trpc/client",
      "@trpc/server",
      "eventsource",
      "superjson",
    ]);

    await writeFile(
      path.join(project, "package.json"),
      JSON.stringify({ name: "packed-client-check", private: true, type: "module" }),
    );
    await run("npm", ["install", "--no-audit", "--no-fund", `./${tarball}`, "@types/node@^20"], {
      cwd: project,
      timeout: 240_000,
    });
    const installed = await readdir(path.join(project, "node_modules"));
    const scoped = await readdir(path.join(project, "node_modules", "@ple"));
    expect(scoped).toEqual(["client"]);
    for (const heavy of ["pg", "knex", "@electric-sql", "pino"]) {
      expect(installed).not.toContain(heavy);
    }

    for (const file of ["main.ts", "misspelt.ts", "tsconfig.json"]) {
      await cp(path.join(import.meta.dirname, "fixture", file), path.join(project, file));
    }
    const checked = await typecheck("main.ts");
    expect(checked.output).toBe("");

    // The misspelt error code fails to compile, naming it.
    const config = path.join(project, "tsconfig.json");
    const settings = JSON.parse(await readFile(config, "utf8")) as { files: string[] };
    await writeFile(config, JSON.stringify({ ...settings, files: ["misspelt.ts"] }));
    const misspelt = await typecheck("misspelt.ts");
    expect(misspelt.ok).toBe(false);
    expect(misspelt.output).toContain('"SLOT_CONFLIKT"');
    expect(misspelt.output).toContain("TS2345");

    // Compile main.ts and run it against a real server.
    await writeFile(config, JSON.stringify(settings));
    await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project });
    const key = await createApiKey(test.db.knex, { name: "packed client", role: "write" });
    const api = createServer({ db: test.db });
    const url = await api.listen(0);
    try {
      const { stdout } = await run(
        process.execPath,
        [path.join(project, "out", "main.js"), url, key.key, `${Date.now()}`],
        { cwd: project },
      );
      const result = JSON.parse(stdout) as Record<string, unknown>;
      expect(result).toMatchObject({
        status: "created",
        createdAtIsDate: true,
        conflict: { code: "SLOT_CONFLICT", occupant: result.holder },
        missing: "COMPANY_NOT_FOUND",
      });
    } finally {
      await api.close();
    }
  }, 400_000);
});
