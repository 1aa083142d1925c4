/** @ple/cli — the `ple` ops command as plain functions (the binary is dist/bin.js). */

export { ConfigError } from "@ple/db";
export { commandHelp, EXIT, groupHelp, type RunOptions, runCli } from "./cli.js";
export type { CommandContext, CommandOutput, CommandSpec, Io } from "./command.js";
export { apikeyCreate, apikeyList, apikeyRevoke } from "./commands/apikey.js";
export {
  type DbStatusReport,
  dbLint,
  dbMigrate,
  dbMigratePlan,
  dbRollback,
  dbRollbackPlan,
  dbStatus,
  dbUnlock,
  dbVerify,
  type RollbackReport,
} from "./commands/db.js";
export { type DoctorReport, doctor } from "./commands/doctor.js";
export {
  defaultRejectsFile,
  type ImportKind,
  type ImportOptions,
  type ImportSummary,
  runImport,
} from "./commands/import.js";
export { databaseImportStores } from "./commands/import-store-db.js";
export {
  companyGet,
  companyList,
  companySearch,
  type HistoryReport,
  history,
  personGet,
  personList,
  personSlots,
  type SlotMove,
  slotList,
  slotMove,
} from "./commands/lookups.js";
export {
  backup,
  piiErase,
  type RestoreReport,
  restore,
  retentionPurge,
  type SafetyBackup,
  safetyBackup,
} from "./commands/ops.js";
export { SAMPLE_DIR, type SeedResult, seedSample } from "./commands/seed.js";
export { prepareStart, type RunningServer, type StartResult, serve } from "./commands/serve.js";
export { type CsvFile, type CsvRow, type OpenCsvOptions, openCsv } from "./csv-source.js";
export { type CliEnv, readEnv } from "./env.js";
