#!/usr/bin/env node
/** The `ple` command's entry: parses arguments and sets the exit code. */
import { ROLES } from "@ple/core";

console.log(`ple: roles ${ROLES.join(", ")}`);
