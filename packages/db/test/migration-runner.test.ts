import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isPleError, type PleError } from "@ple/core";
import { afterEach, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import {
  migrateDown,
  migrateLatest,
  migrateUp,
  migrationRunLog,
  migrationStatus,
  type RunLogEntry,
  rollbackTo,
  unlockMigrations,
  verifyMigrations,
} from "../src/index.js";
import { emptyDatabase, FIXTURE_MIGRATIONS, KINDS, migrationsCopy } from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function fresh(kind: (typeof KINDS)[number]): Promise<PleDatabase> {
  const t = await emptyDatabase(kind);
  cleanups.push(t.drop);
  return t.db;
}

function copy(extra: Record<string, string> = {}) {
  const c = migrationsCopy(extra);
  cleanups.push(c.remove);
  return c;
}

async function caught(promise: Promise<unknown>): Promise<PleError> {
  try {
    await promise;
  } catch (err) {
    if (isPleError(err)) return err;
    throw err;
  }
  throw new Error("expected a PleError, got success");
}

async function tableExists(db: PleDatabase, name: string): Promise<boolean> {
  const r = await db.knex.raw<{ rows: Array<{ t: string | null }> }>(
    "SELECT to_regclass(?)::text AS t",
    [name],
  );
  return r.rows[0]?.t !== null;
}

async function indexValidity(db: PleDatabase, name: string): Promise<boolean | null> {
  const r = await db.knex.raw<{ rows: Array<{ valid: boolean }> }>(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ?`,
    [name],
  );
  return r.rows[0]?.valid ?? null;
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path, "utf8")).digest("hex");

describe.each(KINDS)("migration runner (%s)", (kind) => {
  it("applies every migration, records checksums and logs each run", async () => {
    const db = await fresh(kind);
    const run = await migrateLatest(db, { migrationsDir: FIXTURE_MIGRATIONS });
    expect(run).toEqual({
      direction: "up",
      migrations: ["001_widgets", "002_widget_colour", "003_widget_indexes"],
    });
    const status = await migrationStatus(db, { migrationsDir: FIXTURE_MIGRATIONS });
    expect(status.applied).toEqual(run.migrations);
    expect(status.pending).toEqual([]);
    expect(status.drift).toEqual([]);
    expect(status.current).toBe("003");
    expect(status.locked).toBe(false);
    const first = status.entries[0];
    expect(first?.appliedChecksum).toBe(sha(join(FIXTURE_MIGRATIONS, "001_widgets.sql")));
    expect(status.entries.map((e) => e.transactional)).toEqual([true, true, false]);

    // knex's tables and ours live in their own schema, not public or marketing.
    expect(await tableExists(db, "ple_migrations.knex_migrations")).toBe(true);
    expect(await tableExists(db, "public.knex_migrations")).toBe(false);
    expect(await tableExists(db, "marketing.knex_migrations")).toBe(false);

    const log = await migrationRunLog(db);
    expect(log.map((e) => [e.migration, e.direction, e.outcome])).toEqual([
      ["003_widget_indexes", "up", "success"],
      ["002_widget_colour", "up", "success"],
      ["001_widgets", "up", "success"],
    ]);
    for (const entry of log) {
      const finished = entry.finished_at?.getTime() ?? Number.NaN;
      expect(finished).toBeGreaterThanOrEqual(entry.started_at.getTime());
      expect(entry.duration_ms).toBe(finished - entry.started_at.getTime());
    }
    // Nothing left to do.
    expect((await migrateLatest(db, { migrationsDir: FIXTURE_MIGRATIONS })).migrations).toEqual([]);
  });

  it("goes up and down one at a time and rolls back to a version", async () => {
    const db = await fresh(kind);
    const opts = { migrationsDir: FIXTURE_MIGRATIONS };
    expect((await migrateUp(db, opts)).migrations).toEqual(["001_widgets"]);
    expect((await migrateUp(db, opts)).migrations).toEqual(["002_widget_colour"]);
    expect(await tableExists(db, "marketing.colour")).toBe(true);
    expect((await migrateDown(db, opts)).migrations).toEqual(["002_widget_colour"]);
    expect(await tableExists(db, "marketing.colour")).toBe(false);
    await migrateLatest(db, opts);
    expect(await rollbackTo(db, "001", opts)).toEqual({
      direction: "down",
      migrations: ["003_widget_indexes", "002_widget_colour"],
    });
    expect((await migrationStatus(db, opts)).applied).toEqual(["001_widgets"]);
    expect((await rollbackTo(db, "0", opts)).migrations).toEqual(["001_widgets"]);
    expect(await tableExists(db, "marketing.widget")).toBe(false);
    const bad = await caught(rollbackTo(db, "latest", opts));
    expect(bad.code).toBe("VALIDATION_FAILED");
    expect(bad.field).toBe("version");
    const unknown = await caught(rollbackTo(db, "042", opts));
    expect(unknown.message).toContain("No migration has version 042");
  });

  it("keeps rows of a table through a down/up of a later migration", async () => {
    const db = await fresh(kind);
    const opts = { migrationsDir: FIXTURE_MIGRATIONS };
    await migrateLatest(db, opts);
    await db.knex("marketing.widget").insert([{ name: "a" }, { name: "b" }]);
    await migrateDown(db, opts);
    await migrateDown(db, opts);
    await migrateLatest(db, opts);
    const rows = await db.knex("marketing.widget").select("name", "colour").orderBy("name");
    expect(rows).toEqual([
      { name: "a", colour: "grey" },
      { name: "b", colour: "grey" },
    ]);
  });

  it("verifies up → down → up and names what a faulty rollback leaves behind", async () => {
    const db = await fresh(kind);
    const good = await verifyMigrations(db, { migrationsDir: FIXTURE_MIGRATIONS });
    expect(good.ok).toBe(true);
    expect(good.scratch).toBe(kind);
    expect(good.migrations.map((m) => m.migration)).toEqual([
      "001_widgets",
      "002_widget_colour",
      "003_widget_indexes",
    ]);
    // The database itself is never migrated by verify.
    expect((await migrationStatus(db, { migrationsDir: FIXTURE_MIGRATIONS })).applied).toEqual([]);

    const faulty = copy({ "rollback/002_rollback.sql": "DROP TABLE marketing.colour;\n" });
    const report = await verifyMigrations(db, { migrationsDir: faulty.dir });
    expect(report.ok).toBe(false);
    const step = report.migrations.find((m) => m.migration === "002_widget_colour");
    expect(step?.rollbackRestores).toBe(false);
    expect(step?.differences.some((d) => d.includes("column marketing.widget.colour"))).toBe(true);
  });

  it("reports drift when an applied file changes, and refuses to run until told to", async () => {
    const db = await fresh(kind);
    const c = copy();
    await migrateUp(db, { migrationsDir: c.dir });
    c.write(
      "001_widgets.sql",
      `${readFileSync(join(c.dir, "001_widgets.sql"), "utf8")}\n-- edited\n`,
    );
    const status = await migrationStatus(db, { migrationsDir: c.dir });
    expect(status.drift).toEqual(["001_widgets"]);
    expect(status.entries[0]?.appliedChecksum).not.toBe(status.entries[0]?.fileChecksum);
    const err = await caught(migrateLatest(db, { migrationsDir: c.dir }));
    expect(err.code).toBe("MIGRATION_DRIFT");
    expect(err.message).toContain("001_widgets");
    expect(
      (await migrateLatest(db, { migrationsDir: c.dir, allowDrift: true })).migrations,
    ).toHaveLength(2);
  });

  it("refuses to run when an applied migration's file is gone", async () => {
    const db = await fresh(kind);
    const c = copy();
    await migrateLatest(db, { migrationsDir: c.dir });
    rmSync(join(c.dir, "003_widget_indexes.sql"));
    const status = await migrationStatus(db, { migrationsDir: c.dir });
    expect(status.missing).toEqual(["003_widget_indexes"]);
    const err = await caught(migrateLatest(db, { migrationsDir: c.dir }));
    expect(err.code).toBe("MIGRATION_DRIFT");
    expect(err.message).toContain("003_widget_indexes");
  });

  it("leaves nothing behind when a transactional migration fails", async () => {
    const db = await fresh(kind);
    const c = copy({
      "004_broken.sql":
        "CREATE TABLE marketing.half (id int);\nINSERT INTO marketing.half VALUES (1);\nSELECT no_such_column FROM marketing.half;\n",
      "rollback/004_rollback.sql": "DROP TABLE marketing.half;\n",
    });
    await migrateLatest(db, { migrationsDir: FIXTURE_MIGRATIONS });
    const err = await caught(migrateLatest(db, { migrationsDir: c.dir }));
    expect(err.code).toBe("MIGRATION_FAILED");
    expect(err.message).toContain("004_broken");
    expect(err.message).toContain("no_such_column");
    expect(err.message).toMatch(/004_broken\.sql:3\b/);
    expect(await tableExists(db, "marketing.half")).toBe(false);
    const status = await migrationStatus(db, { migrationsDir: c.dir });
    expect(status.pending).toEqual(["004_broken"]);
    expect(status.locked).toBe(false);
    const [last] = await migrationRunLog(db, 1);
    expect(last).toMatchObject({ migration: "004_broken", outcome: "failed" });
    expect(last?.error).toContain("no_such_column");
  });

  it("rolls back a whole all-transactional batch when its last migration fails", async () => {
    const db = await fresh(kind);
    const c = copy({
      "003_widget_indexes.sql": "CREATE INDEX widget_name_idx ON marketing.widget (name);\n",
      "rollback/003_rollback.sql": "DROP INDEX marketing.widget_name_idx;\n",
      "004_broken.sql": "SELECT no_such_function();\n",
      "rollback/004_rollback.sql": "SELECT 1;\n",
    });
    const err = await caught(migrateLatest(db, { migrationsDir: c.dir }));
    expect(err.code).toBe("MIGRATION_FAILED");
    expect(await tableExists(db, "marketing.widget")).toBe(false);
    expect((await migrationStatus(db, { migrationsDir: c.dir })).applied).toEqual([]);
    const log = await migrationRunLog(db);
    expect(log.map((e) => e.outcome)).toEqual([
      "failed",
      "rolled_back",
      "rolled_back",
      "rolled_back",
    ]);
  });

  it("undoes a failed non-transactional migration and re-runs it after a crash left an INVALID index", async () => {
    const db = await fresh(kind);
    const opts = { migrationsDir: FIXTURE_MIGRATIONS };
    await migrateUp(db, opts);
    await migrateUp(db, opts);
    const when = new Date("2026-01-01T00:00:00Z");
    await db.knex("marketing.widget").insert([
      { name: "dup", created_at: when },
      { name: "dup", created_at: when },
    ]);
    // The unique index cannot be built over duplicates: the migration fails
    // and its first (valid) index is undone too.
    const err = await caught(migrateUp(db, opts));
    expect(err.code).toBe("MIGRATION_FAILED");
    expect(err.message).toContain("003_widget_indexes");
    expect(err.message).toContain("partial changes were undone");
    expect(await indexValidity(db, "widget_name_idx")).toBeNull();
    expect(await indexValidity(db, "widget_created_name_key")).toBeNull();
    expect((await migrationStatus(db, opts)).pending).toEqual(["003_widget_indexes"]);

    // A runner that crashed mid-build leaves an INVALID index behind; made here by hand.
    await db.knex
      .raw(
        "CREATE UNIQUE INDEX CONCURRENTLY widget_created_name_key ON marketing.widget (created_at, name)",
      )
      .catch(() => {});
    if ((await indexValidity(db, "widget_created_name_key")) === null) {
      // PGlite cleans up a failed concurrent build; mark a built index invalid instead.
      await db.knex.raw(
        "CREATE INDEX widget_created_name_key ON marketing.widget (created_at, name)",
      );
      await db.knex.raw(
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'marketing.widget_created_name_key'::regclass",
      );
    }
    expect(await indexValidity(db, "widget_created_name_key")).toBe(false);

    await db.knex("marketing.widget").where({ name: "dup" }).del();
    expect((await migrateUp(db, opts)).migrations).toEqual(["003_widget_indexes"]);
    expect(await indexValidity(db, "widget_created_name_key")).toBe(true);
    expect(await indexValidity(db, "widget_name_idx")).toBe(true);
    const def = await db.knex.raw<{ rows: Array<{ def: string }> }>(
      "SELECT pg_get_indexdef('marketing.widget_created_name_key'::regclass) AS def",
    );
    expect(def.rows[0]?.def).toContain("UNIQUE");
  });

  it("fails with MIGRATION_LOCKED while a crashed runner's lock is set, until unlocked", async () => {
    const db = await fresh(kind);
    const opts = { migrationsDir: FIXTURE_MIGRATIONS };
    await migrateUp(db, opts);
    expect(await unlockMigrations(db)).toEqual({ wasLocked: false });
    await db.knex.raw("UPDATE ple_migrations.knex_migrations_lock SET is_locked = 1");
    expect((await migrationStatus(db, opts)).locked).toBe(true);
    const err = await caught(migrateLatest(db, opts));
    expect(err.code).toBe("MIGRATION_LOCKED");
    expect(err.message).toContain("ple db unlock");
    expect((await migrationStatus(db, opts)).applied).toEqual(["001_widgets"]);
    expect(await unlockMigrations(db)).toEqual({ wasLocked: true });
    expect((await migrateLatest(db, opts)).migrations).toHaveLength(2);
  });
});

describe("two runners at once", () => {
  const slow = {
    "004_slow.sql":
      "CREATE TABLE marketing.slow (id int);\nSELECT pg_sleep(1.5);\nSELECT count(*) FROM generate_series(1, 1000000);\n",
    "rollback/004_rollback.sql": "DROP TABLE marketing.slow;\n",
  };

  it("server: the second waits a bounded time, then fails with MIGRATION_LOCKED; never both run", async () => {
    const { createTestDatabase } = await import("../src/testing.js");
    const t = await createTestDatabase({ empty: true });
    cleanups.push(t.drop);
    const { openDatabase } = await import("../src/database.js");
    const other = await openDatabase({ url: t.url, poolMax: 3 });
    cleanups.push(() => other.close());
    const c = copy(slow);
    const first = migrateLatest(t.db, { migrationsDir: c.dir });
    // While it runs, the run log already shows the slow migration in progress.
    let running: RunLogEntry | undefined;
    for (let i = 0; i < 100 && running?.migration !== "004_slow"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      [running] = await migrationRunLog(other, 1);
    }
    expect(running).toMatchObject({ migration: "004_slow", outcome: "running", finished_at: null });
    const second = await caught(migrateLatest(other, { migrationsDir: c.dir, lockTimeoutMs: 400 }));
    expect(second.code).toBe("MIGRATION_LOCKED");
    expect(second.message).toContain("ple db unlock");
    expect((await first).migrations).toHaveLength(4);
    // A patient runner waits for the first and then finds nothing to do.
    const third = migrateLatest(other, { migrationsDir: c.dir, lockTimeoutMs: 10_000 });
    const fourth = migrateLatest(t.db, { migrationsDir: c.dir, lockTimeoutMs: 10_000 });
    expect([...(await third).migrations, ...(await fourth).migrations]).toEqual([]);
    const log = await migrationRunLog(t.db);
    expect(log.filter((e) => e.migration === "004_slow")).toHaveLength(1);
  });

  it("embedded: a second run in the same process fails when it may not wait, else waits", async () => {
    const db = await fresh("embedded");
    const c = copy(slow);
    const [a, impatient, patient] = await Promise.allSettled([
      migrateLatest(db, { migrationsDir: c.dir }),
      migrateLatest(db, { migrationsDir: c.dir, lockTimeoutMs: 0 }),
      migrateLatest(db, { migrationsDir: c.dir, lockTimeoutMs: 30_000 }),
    ]);
    expect(a.status === "fulfilled" && a.value.migrations).toHaveLength(4);
    expect(
      impatient.status === "rejected" && isPleError(impatient.reason) && impatient.reason.code,
    ).toBe("MIGRATION_LOCKED");
    expect(patient.status === "fulfilled" && patient.value.migrations).toEqual([]);
    const [x, y] = await Promise.all([
      migrateDown(db, { migrationsDir: c.dir }),
      migrateDown(db, { migrationsDir: c.dir, lockTimeoutMs: 30_000 }),
    ]);
    expect([...x.migrations, ...y.migrations]).toEqual(["004_slow", "003_widget_indexes"]);
  });
});
