/** Commands in-process through runCli: db, look-ups, slot moves, history, apikey, serve, start. */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPleClient } from "@ple/api/client";
import { type PleDatabase, readMigrationFiles } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { lockDataDir } from "../src/embedded-lock.js";
import { captureIo, tempDir } from "./helpers.js";

function borrowed(db: PleDatabase): PleDatabase {
  // runCli closes the database it opened; the test's database outlives each command.
  return { ...db, close: async () => {} };
}

async function cli(
  db: PleDatabase,
  argv: string[],
  extra: { waitForShutdown?: () => Promise<void> } = {},
) {
  const io = captureIo();
  const code = await runCli(argv, io, {
    env: { PLE_ACTOR: "test:commands" },
    openDatabase: async () => borrowed(db),
    ...extra,
  });
  return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) };
}

describe("ple db", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ empty: true });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("migrates, reports status with the run log, rolls back to a version, and unlocks", async () => {
    const pending = (await cli(t.db, ["db", "status", "--json"])).json();
    expect(pending.current).toBeNull();
    expect(pending.pending.length).toBeGreaterThanOrEqual(8);

    const all = readMigrationFiles().map((f) => f.name);
    const latest = all.at(-1) ?? "";
    const migrated = await cli(t.db, ["db", "migrate"]);
    expect(migrated.code).toBe(0);
    expect(migrated.out).toContain(latest);
    expect((await cli(t.db, ["db", "migrate"])).out).toContain("Already up to date.");

    const status = await cli(t.db, ["db", "status"]);
    expect(status.out).toContain(`Current version: ${latest.slice(0, 3)}`);
    expect(status.out).toContain("lock free");
    expect(status.out).toContain("Recent runs:");
    const json = (await cli(t.db, ["db", "status", "--json"])).json();
    expect(json.run_log[0]).toMatchObject({
      migration: latest,
      direction: "up",
      outcome: "success",
    });

    const back = (await cli(t.db, ["db", "rollback", "--to", "005", "--json"])).json();
    expect(back).toMatchObject({
      direction: "down",
      migrations: all.slice(5).reverse(),
      // An empty database: nothing to lose, so no --force and no backup.
      backup: null,
    });
    expect((await cli(t.db, ["db", "rollback", "--to", "abc"])).code).toBe(2);
    expect((await cli(t.db, ["db", "migrate", "--json"])).json().migrations).toEqual(all.slice(5));
    const unlock = await cli(t.db, ["db", "unlock"]);
    expect(unlock.out).toContain("already free");
  });

  it("lints the migration files", async () => {
    const lint = await cli(t.db, ["db", "lint", "--json"]);
    expect(lint.code).toBe(0);
    expect(lint.json()).toEqual({ findings: [] });
  });
});

describe("ple db recanonicalise", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    expect((await cli(t.db, ["seed", "--sample"])).code).toBe(0);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("finds every key of a database filled under the current rules unchanged, dry run or not", async () => {
    const dry = await cli(t.db, ["db", "recanonicalise", "--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    const report = dry.json();
    expect(report).toMatchObject({ dry_run: true, applied: 0, records: [], collisions: [] });
    expect(report.checked).toBeGreaterThan(20);
    expect(report.counts.unchanged).toBe(report.checked);
    const human = await cli(t.db, ["db", "recanonicalise"]);
    expect(human.code).toBe(0);
    expect(human.out).toContain(`${report.checked} keys checked: ${report.checked} unchanged`);
    expect(human.out).toContain("0 changed");
  });
});

describe("look-ups, slot moves and history", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    const seeded = await cli(t.db, ["seed", "--sample"]);
    expect(seeded.code).toBe(0);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("gets, lists and searches companies and people", async () => {
    const company = (
      await cli(t.db, ["company", "get", "https://www.northwind.example", "--json"])
    ).json();
    expect(company.company.company_name).toBe("Northwind Traders");
    const uid = company.company.company_uid;
    expect(
      (await cli(t.db, ["company", "get", uid.toLowerCase(), "--json"])).json().company.website,
    ).toBe("northwind.example");
    const byApollo = await cli(t.db, [
      "company",
      "get",
      "--apollo-id",
      company.company.apollo_company_id,
    ]);
    expect(byApollo.out).toContain("Northwind Traders");
    expect(byApollo.out).toMatch(/-CEO\s+CEO\s+filled\s+PE-\d{8}-\d{6}\s+Naomi Bergström\s+CEO/);
    const ceoId = company.slots.find((s: { role: string }) => s.role === "CEO").person_id;
    expect(company.people[ceoId]).toMatchObject({ name: "Naomi Bergström", title: "CEO" });

    const page = (await cli(t.db, ["company", "list", "--limit", "10", "--json"])).json();
    expect(page.items).toHaveLength(10);
    expect(page.next_cursor).toEqual(expect.any(String));
    const next = (
      await cli(t.db, ["company", "list", "--limit", "100", "--cursor", page.next_cursor, "--json"])
    ).json();
    expect(next.items).toHaveLength(14);
    const human = await cli(t.db, ["company", "list", "--limit", "2"]);
    expect(human.out).toMatch(/^COMPANY_UID\s+COMPANY_NAME/);
    expect(human.out).toContain("More: ple company list --limit 2 --cursor ");
    expect((await cli(t.db, ["company", "list", "--limit", "0"])).code).toBe(2);

    const hits = (await cli(t.db, ["company", "search", "northwnd", "--json"])).json();
    expect(hits[0].company.company_uid).toBe(uid);

    const people = (await cli(t.db, ["person", "list", "--company", uid, "--json"])).json();
    expect(people.items.length).toBeGreaterThanOrEqual(3);
    const bad = await cli(t.db, ["person", "list", "--status", "excellent", "--json"]);
    expect(bad.code).toBe(2);
    expect(bad.json().error).toMatchObject({ code: "USAGE" });
    expect(bad.json().error.message).toMatch(/^--status "excellent": /);
    const ceo = (
      await cli(t.db, ["person", "get", "Naomi.Bergstrom@northwind.example", "--json"])
    ).json();
    expect(ceo.slots).toEqual([
      expect.objectContaining({ slot_uid: `SL-${uid}-CEO`, status: "filled" }),
    ]);
    expect((await cli(t.db, ["person", "get", ceo.person_id])).out).toMatch(
      new RegExp(`slot\\s+SL-${uid}-CEO \\(filled\\)`),
    );
    const missing = await cli(t.db, ["person", "get", "nobody@nowhere.example"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("PERSON_NOT_FOUND");
  });

  it("moves slots through the state machine, refuses invalid moves, and shows history as of a time", async () => {
    const company = (await cli(t.db, ["company", "get", "northwind.example", "--json"])).json();
    const ceoSlot = company.slots.find((s: { role: string }) => s.role === "CEO");
    const hrSlot = company.slots.find((s: { role: string }) => s.role === "HR");
    const ceo = ceoSlot.person_id;
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));

    expect((await cli(t.db, ["slot", "vacate", ceoSlot.slot_uid])).out).toContain("is open");
    const again = await cli(t.db, ["slot", "confirm", ceoSlot.slot_uid, "--json"]);
    expect(again.code).toBe(1);
    expect(again.json().error.code).toBe("INVALID_TRANSITION");
    expect((await cli(t.db, ["slot", "propose", ceoSlot.slot_uid, ceo])).out).toContain(
      "is pending",
    );
    expect((await cli(t.db, ["slot", "confirm", ceoSlot.slot_uid])).out).toContain(
      `is filled with ${ceo}`,
    );

    // A newcomer displaces the CEO (filled → filled, audited).
    const newcomer = (await cli(t.db, ["person", "list", "--limit", "500", "--json"]))
      .json()
      .items.find((p: { title: string | null }) => p.title === "VP Sales");
    if (hrSlot.person_id === null) {
      const taken = await cli(t.db, ["slot", "displace", hrSlot.slot_uid, newcomer.person_id]);
      expect(taken.code).toBe(1);
    }
    // --expected names the occupant the caller saw: anyone else there is SLOT_CONFLICT.
    const stale = await cli(t.db, [
      "slot",
      "displace",
      ceoSlot.slot_uid,
      newcomer.person_id,
      "--expected",
      newcomer.person_id,
      "--json",
    ]);
    expect(stale.code).toBe(1);
    expect(stale.json().error).toMatchObject({
      code: "SLOT_CONFLICT",
      field: "expected_person_id",
      details: { person_id: ceo },
    });
    const displaced = (
      await cli(t.db, [
        "slot",
        "displace",
        ceoSlot.slot_uid,
        newcomer.person_id,
        "--expected",
        ceo,
        // The newcomer may work for another seeded company: they move to this one.
        "--move",
        "--json",
      ])
    ).json();
    expect(displaced).toMatchObject({ changed: true, released_person_id: ceo });
    expect(displaced.slot.person_id).toBe(newcomer.person_id);

    const asOf = (
      await cli(t.db, ["history", ceoSlot.slot_uid, "--as-of", before, "--json"])
    ).json();
    expect(asOf.versions).toHaveLength(1);
    expect(asOf.versions[0].row_data).toMatchObject({ status: "filled", person_id: ceo });
    const all = (await cli(t.db, ["history", ceoSlot.slot_uid, "--json"])).json();
    expect(all.slot_events.map((e: { event: string }) => e.event).slice(0, 5)).toEqual([
      "ASSIGNED",
      "VACATED",
      "PROPOSED",
      "CONFIRMED",
      "DISPLACED",
    ]);
    expect(all.audit[0].actor).toBe("test:commands");
    expect(all.audit[0].application).toBe("ple-cli");
    const human = await cli(t.db, ["history", ceoSlot.slot_uid]);
    expect(human.out).toContain("Slot events:");
    expect((await cli(t.db, ["history", "XX-1"])).code).toBe(1);
  });

  it("creates an API key shown once, lists keys without it, and revokes", async () => {
    const created = (
      await cli(t.db, ["apikey", "create", "--role", "write", "--name", "etl", "--json"])
    ).json();
    expect(created.key).toMatch(/^ple_/);
    const listed = await cli(t.db, ["apikey", "list", "--json"]);
    expect(listed.out).not.toContain(created.key);
    expect(listed.json().map((k: { id: string }) => k.id)).toContain(created.id);
    expect((await cli(t.db, ["apikey", "create", "--role", "root"])).code).toBe(2);
    expect((await cli(t.db, ["apikey", "create"])).code).toBe(2);
    expect((await cli(t.db, ["apikey", "revoke", created.id])).out).toContain("Revoked");
    expect(
      (await cli(t.db, ["apikey", "list", "--json"])).json().map((k: { id: string }) => k.id),
    ).not.toContain(created.id);
  });

  it("serves the API until shutdown", async () => {
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const io = captureIo();
    const running = runCli(["serve", "--port", "0", "--json"], io, {
      env: { PLE_ACTOR: "test:commands", LOG_LEVEL: "silent" },
      openDatabase: async () => borrowed(t.db),
      waitForShutdown: () => stopped,
    });
    let ready: { url: string } | undefined;
    for (let i = 0; i < 100 && !ready; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (io.out().trim().endsWith("}")) ready = JSON.parse(io.out());
    }
    expect(ready?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${ready?.url}/health`);
    expect(health.status).toBe(200);
    stop();
    expect(await running).toBe(0);
  });
});

describe("ple start", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ empty: true });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("migrates, seeds an empty database, creates an admin key and serves; the key works", {
    timeout: 180_000,
  }, async () => {
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const io = captureIo();
    const running = runCli(["start", "--port", "0", "--sample", "--json"], io, {
      env: { PLE_ACTOR: "test:start", LOG_LEVEL: "silent" },
      openDatabase: async () => borrowed(t.db),
      waitForShutdown: () => stopped,
    });
    let started:
      | { url: string; admin_key: { key: string }; seeded: unknown; curl: string }
      | undefined;
    for (let i = 0; i < 400 && !started; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const out = io.out();
      if (out.trim().endsWith("}")) started = JSON.parse(out);
    }
    expect(started?.seeded).not.toBeNull();
    expect(started?.curl).toContain(started?.admin_key.key);
    const client = createPleClient({
      url: started?.url ?? "",
      apiKey: started?.admin_key.key ?? "",
    });
    const page = await client.companies.list.query({ limit: 5 });
    expect(page.items).toHaveLength(5);
    stop();
    expect(await running).toBe(0);

    // A second start finds the data and the key: it creates neither again.
    const io2 = captureIo();
    let stop2 = () => {};
    const stopped2 = new Promise<void>((resolve) => {
      stop2 = resolve;
    });
    const second = runCli(["start", "--port", "0"], io2, {
      env: { PLE_ACTOR: "test:start", LOG_LEVEL: "silent" },
      openDatabase: async () => borrowed(t.db),
      waitForShutdown: () => stopped2,
    });
    for (let i = 0; i < 200 && !io2.out().includes("Ctrl-C"); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(io2.out()).toContain("one exists already");
    expect(io2.out()).not.toContain("sample data");
    stop2();
    expect(await second).toBe(0);

    // --new-key shows a fresh admin key, and it works.
    const io3 = captureIo();
    let stop3 = () => {};
    const stopped3 = new Promise<void>((resolve) => {
      stop3 = resolve;
    });
    const third = runCli(["start", "--port", "0", "--new-key", "--json"], io3, {
      env: { PLE_ACTOR: "test:start", LOG_LEVEL: "silent" },
      openDatabase: async () => borrowed(t.db),
      waitForShutdown: () => stopped3,
    });
    let restarted: { url: string; admin_key: { key: string } | null } | undefined;
    for (let i = 0; i < 400 && !restarted; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (io3.out().trim().endsWith("}")) restarted = JSON.parse(io3.out());
    }
    expect(restarted?.admin_key?.key).toMatch(/^ple_/);
    expect(restarted?.admin_key?.key).not.toBe(started?.admin_key.key);
    const again = createPleClient({
      url: restarted?.url ?? "",
      apiKey: restarted?.admin_key?.key ?? "",
    });
    expect((await again.companies.list.query({ limit: 1 })).items).toHaveLength(1);
    stop3();
    expect(await third).toBe(0);
  });
});

describe("embedded data folder lock", () => {
  it("refuses a second holder while the first lives, and takes over a stale lock", () => {
    const dir = join(tempDir(), "data");
    const release = lockDataDir(dir);
    expect(existsSync(`${dir}.lock`)).toBe(true);
    // Another live process holds it (our parent stands in for one).
    writeFileSync(`${dir}.lock`, String(process.ppid));
    expect(() => lockDataDir(dir)).toThrow(/in use by another ple process/);
    // It says what to do instead: the server's API (an erasure: people.erase) or stop it.
    expect(() => lockDataDir(dir)).toThrow(
      /through that server's API \(e\.g\. people\.erase.*or stop it/,
    );
    // A dead process's lock is taken over.
    writeFileSync(`${dir}.lock`, "999999999");
    const again = lockDataDir(dir);
    again();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    release();
  });
});
