/** @ple/db — the PostgreSQL schema, migrations and repositories. */
export { ROLES } from "@ple/core";
