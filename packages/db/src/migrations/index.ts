/** The migration runner, status, verification and linter over the SQL pairs in `migrations/`. */

export { dropInvalidIndexes } from "./apply.js";
export { MIGRATIONS_SCHEMA } from "./bookkeeping.js";
export { catalogDump, diffCatalogDumps } from "./catalog.js";
export {
  DEFAULT_MIGRATIONS_DIR,
  type MigrationFile,
  migrationSetChecksum,
  readMigrationFiles,
} from "./files.js";
export {
  LINT_RULES,
  type LintFinding,
  type LintRule,
  lintMigrationScript,
  lintMigrations,
} from "./lint.js";
export { unlockMigrations } from "./lock.js";
export {
  type DataDropped,
  LOCK_BLOCKS,
  LOCK_MODES,
  type LockMode,
  type MigrationPlan,
  type PlannedLock,
  type PlannedStep,
  planMigrate,
  planRollback,
  type RowsLost,
  statementLocks,
} from "./plan.js";
export { migrationRunLog, type RunLogEntry } from "./run-log.js";
export {
  checkRollbackTarget,
  type MigrationOptions,
  type MigrationRun,
  migrateDown,
  migrateLatest,
  migrateUp,
  rollbackTo,
} from "./runner.js";
export { type MigrationStatus, type MigrationStatusEntry, migrationStatus } from "./status.js";
export { type MigrationVerification, type VerifyReport, verifyMigrations } from "./verify.js";
