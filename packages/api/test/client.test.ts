import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("@ple/api/client", () => {
  it("imports the router as a type only, so apps bundle no server code", () => {
    const source = readFileSync(new URL("../src/client.ts", import.meta.url), "utf8");
    const runtimeImports = [
      ...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"([^"]+)";/gms),
    ].map((m) => m[1]);
    expect(runtimeImports.sort()).toEqual([
      "./limits.js",
      "@trpc/client",
      "eventsource",
      "superjson",
    ]);
    expect(source).toMatch(/^import type \{ AppRouter \} from "\.\/app-router\.js";$/m);
    // app-router.ts (replaced by a generated declaration in @ple/client) re-exports the type only.
    const appRouter = readFileSync(new URL("../src/app-router.ts", import.meta.url), "utf8");
    expect(appRouter).toMatch(/^export type \{ AppRouter \} from "\.\/root\.js";$/m);
    expect(appRouter).not.toMatch(/^import\s/m);
  });
});
