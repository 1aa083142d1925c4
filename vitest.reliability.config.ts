import { defineConfig } from "vitest/config";

// The reliability suite (`pnpm test:reliability`): slower, fault-injecting tests that
// run the built `ple` binary, so it is kept out of the default `pnpm test` run. Like the
// package projects, it resolves workspace packages to their TypeScript source.
const conditions = ["@ple/source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: "reliability",
    root: "reliability",
    include: ["test/**/*.test.ts"],
    globalSetup: ["support/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Each file injects its own faults; two at a time keep a 2-core machine responsive.
    maxWorkers: 2,
  },
});
