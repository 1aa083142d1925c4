/** The migration runner, status, verification and linter over the SQL pairs in `migrations/`. */
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
export {
  dropInvalidIndexes,
  MIGRATIONS_SCHEMA,
  type MigrationOptions,
  type MigrationRun,
  type MigrationStatus,
  type MigrationStatusEntry,
  migrateDown,
  migrateLatest,
  migrateUp,
  migrationRunLog,
  migrationStatus,
  type RunLogEntry,
  rollbackTo,
  unlockMigrations,
} from "./runner.js";
export { type MigrationVerification, type VerifyReport, verifyMigrations } from "./verify.js";
