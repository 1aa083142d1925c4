/** @ple/cli — the `ple` ops command as plain functions. */
export {};
