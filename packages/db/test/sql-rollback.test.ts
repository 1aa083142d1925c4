/**
 * The migrations and their rollbacks: down to a version and up again leaves
 * the same catalog, and the rows a rollback can keep survive the trip (on a
 * PostgreSQL server and on the embedded database). The rollback of 008 puts
 * back the functions it replaced, word for word.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { catalogDump, diffCatalogDumps, migrateLatest, rollbackTo } from "../src/index.js";
import { DEFAULT_MIGRATIONS_DIR } from "../src/migrations/files.js";
import { createEmbeddedTestDatabase, createTestDatabase } from "../src/testing.js";
import { row } from "./sql-helpers.js";

const KINDS = ["server", "embedded"] as const;

interface Census {
  companies: number;
  slots: number;
  people: number | null;
  filled: number;
}

async function census(db: PleDatabase): Promise<Census> {
  return row<Census>(
    db.knex,
    `SELECT (SELECT count(*)::int FROM marketing.company) AS companies,
            (SELECT count(*)::int FROM marketing.company_slot) AS slots,
            (SELECT count(*)::int FROM marketing.people) AS people,
            (SELECT count(*)::int FROM marketing.company_slot WHERE status = 'filled') AS filled`,
  );
}

describe.each(KINDS)("rolling back and re-applying the migrations (%s)", (kind) => {
  let db: PleDatabase;
  let drop: () => Promise<void>;
  let migrated: string[];

  beforeAll(async () => {
    const t = kind === "server" ? await createTestDatabase() : await createEmbeddedTestDatabase();
    db = t.db;
    drop = t.drop;
    migrated = await catalogDump(db.knex);
  });
  afterAll(async () => {
    await drop();
  });

  async function seed(tag: string): Promise<void> {
    const { r } = await row<{ r: { company_uid: string } }>(
      db.knex,
      "SELECT marketing.insert_company_with_slots(?, ?, NULL, '12-3456789') AS r",
      [`Rollback ${tag}`, `rollback-${tag}.com`],
    );
    const person = await row<{ r: { person_id: string } }>(
      db.knex,
      "SELECT marketing.insert_person(?, ?, NULL, ?, 'CEO', 'csv') AS r",
      [`Person ${tag}`, `rollback-${tag}@example.com`, r.company_uid],
    );
    await db.knex.raw("SELECT marketing.link_person_to_slot(?, ?)", [
      person.r.person_id,
      `SL-${r.company_uid}-CEO`,
    ]);
  }

  const source = async (name: string) =>
    (
      await row<{ src: string | null }>(
        db.knex,
        `SELECT (SELECT p.prosrc FROM pg_proc AS p
                  WHERE p.pronamespace = 'marketing'::regnamespace AND p.proname = ?) AS src`,
        [name],
      )
    ).src;
  const body = (file: string, name: string) => {
    const script = readFileSync(join(DEFAULT_MIGRATIONS_DIR, file), "utf8");
    const start = script.indexOf(`FUNCTION marketing.${name}(`);
    const open = script.indexOf("AS $$", start) + "AS $$".length;
    return script.slice(open, script.indexOf("$$;", open));
  };

  // Target version → what survives the rollback to it and back up.
  const trips: Array<[string, (before: Census) => Census]> = [
    ["008", (b) => b],
    ["007", (b) => b],
    ["004", (b) => b],
    ["003", (b) => b],
    ["002", (b) => b],
    ["001", (b) => ({ ...b, people: 0, filled: 0 })],
    ["0", () => ({ companies: 0, slots: 0, people: 0, filled: 0 })],
  ];

  for (const [version, expected] of trips) {
    it(`down to ${version} and up again: identical catalog, rows kept where the rollback can`, async () => {
      await seed(`${kind}-${version}`);
      const before = await census(db);
      await rollbackTo(db, version);
      await migrateLatest(db);
      expect(diffCatalogDumps(migrated, await catalogDump(db.knex))).toEqual([]);
      expect(await census(db)).toEqual(expected(before));
    });
  }

  it("down to 007 puts back the function bodies 008 replaced and drops the functions it added", async () => {
    const replaced: Array<[string, string]> = [
      ["next_daily_uid", "001_initial_schema.sql"],
      ["company_before_write", "001_initial_schema.sql"],
      ["record_insert", "004_history_tracking.sql"],
    ];
    const added = [
      "gen_company_uids",
      "next_daily_uids",
      "daily_uid_of_value",
      "roll_daily_uid_sequence",
    ];
    await rollbackTo(db, "008");
    for (const [name] of replaced) {
      expect(await source(name)).toBe(body("008_import_speed.sql", name));
    }
    await rollbackTo(db, "007");
    for (const [name, file] of replaced) expect(await source(name)).toBe(body(file, name));
    for (const name of added) expect(await source(name)).toBeNull();
    await migrateLatest(db);
    for (const [name] of replaced) {
      const latest =
        name === "company_before_write"
          ? "009_idna.sql"
          : name === "record_insert"
            ? "015_history_superseded_only.sql"
            : "008_import_speed.sql";
      expect(await source(name)).toBe(body(latest, name));
    }
  });

  it("down to 008 puts back the function bodies 009 replaced and drops what it added", async () => {
    const replaced: Array<[string, string]> = [
      ["check_host", "001_initial_schema.sql"],
      ["normalise_website", "001_initial_schema.sql"],
      ["normalise_email", "002_people.sql"],
      ["company_before_write", "008_import_speed.sql"],
    ];
    const added = [
      "nfc_code_points",
      "code_points",
      "from_code_points",
      "nfc",
      "punycode_decode",
      "idna_pattern",
      "idna_valid_label",
      "idna_to_ascii",
      "idna_ends_in_number",
      "idna_is_ipv4",
      "recanonical_key",
    ];
    for (const [name] of replaced) expect(await source(name)).toBe(body("009_idna.sql", name));
    await rollbackTo(db, "008");
    for (const [name, file] of replaced) expect(await source(name)).toBe(body(file, name));
    for (const name of added) expect(await source(name)).toBeNull();
    const { n } = await row<{ n: number }>(
      db.knex,
      "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'marketing'::regnamespace AND relname IN ('idna_mapping', 'idna_pattern', 'unicode_decomposition', 'unicode_combining_class', 'unicode_composition')",
    );
    expect(n).toBe(0);
    await migrateLatest(db);
    for (const [name] of replaced) expect(await source(name)).toBe(body("009_idna.sql", name));
  });

  it("down to 008 puts back insert_company_with_slots of 001 and drops what 011 added", async () => {
    const source = async (name: string) =>
      (
        await row<{ src: string | null }>(
          db.knex,
          `SELECT (SELECT p.prosrc FROM pg_proc AS p
                    WHERE p.pronamespace = 'marketing'::regnamespace AND p.proname = ?) AS src`,
          [name],
        )
      ).src;
    const body = (file: string, name: string) => {
      const script = readFileSync(join(DEFAULT_MIGRATIONS_DIR, file), "utf8");
      const start = script.indexOf(`FUNCTION marketing.${name}(`);
      const open = script.indexOf("AS $$", start) + "AS $$".length;
      return script.slice(open, script.indexOf("$$;", open));
    };
    const added = [
      "upsert_company",
      "upsert_person",
      "merge_companies",
      "merge_people",
      "resolve_company_alias",
    ];
    expect(await source("insert_company_with_slots")).toBe(
      body("011_merge_and_update.sql", "insert_company_with_slots"),
    );
    await rollbackTo(db, "008");
    expect(await source("insert_company_with_slots")).toBe(
      body("001_initial_schema.sql", "insert_company_with_slots"),
    );
    for (const name of added) expect(await source(name)).toBeNull();
    await migrateLatest(db);
    expect(await source("insert_company_with_slots")).toBe(
      body("011_merge_and_update.sql", "insert_company_with_slots"),
    );
  });

  it("re-applied history starts from the rows that were there", async () => {
    await seed(`${kind}-history`);
    await rollbackTo(db, "003");
    await migrateLatest(db);
    const { n } = await row<{ n: number }>(
      db.knex,
      `SELECT count(*)::int AS n FROM marketing.company AS c
        WHERE NOT EXISTS (SELECT 1 FROM marketing.company_as_of(c.company_uid, now()))`,
    );
    expect(n).toBe(0);
  });
});

describe("pg_trgm and the rollback of 005", () => {
  let db: PleDatabase;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const t = await createTestDatabase();
    db = t.db;
    drop = t.drop;
  });
  afterAll(async () => {
    await drop();
  });

  async function installed(): Promise<boolean> {
    const { n } = await row<{ n: number }>(
      db.knex,
      "SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_trgm'",
    );
    return n === 1;
  }

  it("removes the extension it installed, keeps one installed by someone else or used elsewhere", async () => {
    expect(await installed()).toBe(true);
    await rollbackTo(db, "004");
    expect(await installed()).toBe(false);

    await db.knex.raw("CREATE EXTENSION pg_trgm");
    await migrateLatest(db);
    await rollbackTo(db, "004");
    expect(await installed()).toBe(true);

    await db.knex.raw("DROP EXTENSION pg_trgm");
    await migrateLatest(db);
    await db.knex.raw("CREATE SCHEMA other");
    await db.knex.raw("CREATE TABLE other.notes (body text)");
    await db.knex.raw(
      "CREATE INDEX notes_body_trgm ON other.notes USING gin (body public.gin_trgm_ops)",
    );
    await rollbackTo(db, "004");
    expect(await installed()).toBe(true);
    await migrateLatest(db);
  });
});
