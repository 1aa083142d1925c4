/** @ple/api/client — the typed client factory for internal apps. */
export {};
