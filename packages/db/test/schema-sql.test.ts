/**
 * packages/db/schema.sql is the schema the migrations lead to: the test fails, naming the
 * command that regenerates it, when a migration changed and the file was not regenerated.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dumpSchemaSql,
  forwardMigrationsChecksum,
  recordedChecksum,
  SCHEMA_DUMP_COMMAND,
  SCHEMA_SQL_PATH,
  schemaSqlFile,
} from "../src/schema-sql.js";
import { createTestDatabase, type TestDatabase } from "../src/testing.js";

const STALE = `packages/db/schema.sql is out of date with the migrations: run \`${SCHEMA_DUMP_COMMAND}\` and commit the result`;

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("packages/db/schema.sql", () => {
  const file = readFileSync(SCHEMA_SQL_PATH, "utf8");

  it("was generated from the current migration files", () => {
    expect(recordedChecksum(file), STALE).toBe(forwardMigrationsChecksum());
  });

  it("is exactly the schema of a freshly migrated database", async () => {
    const fresh = schemaSqlFile(await dumpSchemaSql(t.url), forwardMigrationsChecksum());
    expect(file === fresh, STALE).toBe(true);
  });

  it("holds the live definition of each function, e.g. next_daily_uid as 008 left it", () => {
    expect(file).toContain("CREATE FUNCTION marketing.next_daily_uid(");
    expect(file).toContain("CREATE TABLE marketing.company (");
    expect(file).not.toContain("ple_migrations");
  });
});
