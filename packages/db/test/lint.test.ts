import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintMigrationScript, lintMigrations } from "../src/index.js";
import { FIXTURE_MIGRATIONS } from "./helpers.js";

const rules = (sql: string) => lintMigrationScript("010_x.sql", sql).map((f) => [f.rule, f.line]);

describe("lintMigrations", () => {
  it("flags an index on an existing table without CONCURRENTLY, with file and line", () => {
    expect(
      rules(
        "-- comment\n\nCREATE INDEX company_name_idx\n  ON marketing.company (company_name);\n",
      ),
    ).toEqual([["index-without-concurrently", 3]]);
    expect(rules("CREATE UNIQUE INDEX IF NOT EXISTS x ON marketing.company (website);")).toEqual([
      ["index-without-concurrently", 1],
    ]);
  });

  it("flags CONCURRENTLY in a transactional file", () => {
    expect(rules("CREATE INDEX CONCURRENTLY x ON marketing.company (website);")).toEqual([
      ["concurrently-in-transaction", 1],
    ]);
    expect(
      rules(
        "-- ple:transaction=false\nDROP INDEX CONCURRENTLY IF EXISTS marketing.x;\nCREATE INDEX CONCURRENTLY x ON marketing.company (website);",
      ),
    ).toEqual([]);
  });

  it("accepts DDL on a table created in the same file", () => {
    const sql = [
      "CREATE TABLE marketing.thing (id int, name text);",
      "CREATE INDEX thing_name_idx ON marketing.thing (name);",
      "ALTER TABLE marketing.thing ADD COLUMN code text NOT NULL;",
      "ALTER TABLE marketing.thing ALTER COLUMN name TYPE varchar(100);",
    ].join("\n");
    expect(rules(sql)).toEqual([]);
  });

  it("flags NOT NULL without DEFAULT, DROP COLUMN and ALTER COLUMN TYPE", () => {
    const sql = [
      "ALTER TABLE marketing.people",
      "  ADD COLUMN nickname text NOT NULL,",
      "  ADD COLUMN source text NOT NULL DEFAULT 'manual',",
      "  ADD CONSTRAINT people_x_check CHECK (true);",
      "ALTER TABLE marketing.people DROP COLUMN title;",
      "ALTER TABLE marketing.people DROP CONSTRAINT people_x_check;",
      "ALTER TABLE marketing.company ALTER COLUMN website TYPE varchar(300);",
      "ALTER TABLE marketing.company ALTER COLUMN website SET DATA TYPE text, ALTER COLUMN ein_raw DROP NOT NULL;",
    ].join("\n");
    expect(rules(sql)).toEqual([
      ["not-null-without-default", 2],
      ["drop-column", 5],
      ["alter-column-type", 7],
      ["alter-column-type", 8],
    ]);
  });

  it("ignores keywords inside comments, strings and function bodies", () => {
    const sql = [
      "-- CREATE INDEX a ON marketing.company (x);",
      "/* ALTER TABLE marketing.company DROP COLUMN website; */",
      "SELECT 'CREATE INDEX b ON marketing.company (x)';",
      "CREATE FUNCTION marketing.f() RETURNS void LANGUAGE plpgsql AS $$",
      "BEGIN EXECUTE 'ALTER TABLE marketing.company DROP COLUMN website'; END;",
      "$$;",
    ].join("\n");
    expect(rules(sql)).toEqual([]);
  });

  it("accepts a finding deliberately allowed in the comment block above", () => {
    const sql = [
      "-- ple:lint-allow index-without-concurrently -- the column is empty until now,",
      "-- so the build is instant.",
      "CREATE INDEX x ON marketing.company (website);",
      "-- ple:lint-ignore drop-column",
      "ALTER TABLE marketing.company DROP COLUMN ein_raw;",
    ].join("\n");
    expect(rules(sql)).toEqual([]);
  });

  it("reports a forward file without its rollback", () => {
    const dir = mkdtempSync(join(tmpdir(), "ple-lint-"));
    try {
      mkdirSync(join(dir, "rollback"));
      writeFileSync(join(dir, "001_a.sql"), "CREATE TABLE marketing.a (id int);\n");
      writeFileSync(join(dir, "rollback", "001_rollback.sql"), "DROP TABLE marketing.a;\n");
      writeFileSync(join(dir, "002_b.sql"), "CREATE INDEX a_id_idx ON marketing.a (id);\n");
      expect(lintMigrations({ migrationsDir: dir })).toEqual([
        {
          file: "002_b.sql",
          line: 1,
          rule: "index-without-concurrently",
          message: expect.stringContaining("CONCURRENTLY"),
        },
        {
          file: "002_b.sql",
          line: 1,
          rule: "missing-rollback",
          message: expect.stringContaining("rollback/002_rollback.sql"),
        },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds the fixture migrations clean", () => {
    expect(lintMigrations({ migrationsDir: FIXTURE_MIGRATIONS })).toEqual([]);
  });
});
