/** @ple/db — the PostgreSQL schema, migrations and repositories. */

export { type ActorContext, setActor, withActor } from "./actor.js";
export * from "./api-keys.js";
export * from "./backup.js";
export * from "./bulk-import.js";
export * from "./companies.js";
export {
  type DatabaseKind,
  type OpenDatabaseOptions,
  openDatabase,
  type PleDatabase,
  type Queryable,
  runScript,
  serverVersion,
} from "./database.js";
export * from "./duplicates.js";
export { ConfigError, type DbEnv, parseEnv, readDbEnv } from "./env.js";
export { fieldOfConstraint, mapErrors, messageWithoutSql, toPleError } from "./errors.js";
export * from "./events.js";
export * from "./export.js";
export * from "./history.js";
export * from "./idempotency.js";
export * from "./import-plan.js";
export * from "./import-rejects.js";
export * from "./merge.js";
export * from "./migrations/index.js";
export {
  type CursorFilters,
  decodeCursor,
  decodeSlotCursor,
  encodeCursor,
  encodeSlotCursor,
  type KeysetCursor,
  type SlotCursor,
} from "./pagination.js";
export * from "./people.js";
export * from "./people-import.js";
export * from "./pii.js";
export * from "./recanonicalise.js";
export * from "./retention.js";
export * from "./retention-rules.js";
export * from "./schema-sql.js";
export * from "./slot-work.js";
export * from "./slots.js";
export * from "./suppression.js";
