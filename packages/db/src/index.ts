/** @ple/db — the PostgreSQL schema, migrations and repositories. */
export {
  type DatabaseKind,
  type OpenDatabaseOptions,
  openDatabase,
  type PleDatabase,
  type Queryable,
  runScript,
} from "./database.js";
export { DbConfigError, type DbEnv, readDbEnv } from "./env.js";
export * from "./migrations/index.js";
