/** @ple/api — the tRPC API. */
export { ROLES } from "@ple/db";
