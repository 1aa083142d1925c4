import { defineConfig } from "vitest/config";

// One config for the whole workspace: each package is a project, and every
// project resolves workspace packages to their TypeScript source through the
// "@ple/source" export condition, so tests never need a prior build.
const conditions = ["@ple/source"];

export default defineConfig({
  test: {
    projects: ["core", "db", "api", "client", "cli"].map((name) => ({
      resolve: { conditions },
      ssr: { resolve: { conditions } },
      test: {
        name,
        root: `packages/${name}`,
        include: ["test/**/*.test.ts"],
        testTimeout: 60_000,
        hookTimeout: 120_000,
      },
    })),
  },
});
