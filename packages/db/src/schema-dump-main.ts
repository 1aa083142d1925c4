/**
 * `pnpm --filter @ple/db schema:dump`: migrates a scratch database (on the test server,
 * PLE_TEST_DATABASE_URL), dumps its schema and writes packages/db/schema.sql.
 */
import { writeFileSync } from "node:fs";
import {
  dumpSchemaSql,
  forwardMigrationsChecksum,
  SCHEMA_SQL_PATH,
  schemaSqlFile,
} from "./schema-sql.js";
import { createTestDatabase } from "./testing.js";

const scratch = await createTestDatabase();
try {
  const dump = await dumpSchemaSql(scratch.url);
  writeFileSync(SCHEMA_SQL_PATH, schemaSqlFile(dump, forwardMigrationsChecksum()));
  process.stdout.write(`Wrote ${SCHEMA_SQL_PATH}\n`);
} finally {
  await scratch.drop();
}
