#!/usr/bin/env node
// The `ple` command: the built CLI (pnpm build). This file exists before the build, so that
// `pnpm install` on a fresh clone can link the bin that `pnpm ple` runs.
import "../dist/bin.js";
