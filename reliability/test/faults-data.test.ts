/**
 * Faults around data: an import killed with SIGKILL half-way and run again, and a
 * backup taken while the API writes, restored into a new database.
 */
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApi, startApi, unique } from "../support/api.js";
import { compareDatabases, rowCounts } from "../support/database.js";
import { tempDir, waitFor, writeCsv } from "../support/files.js";
import { recordCheck } from "../support/metrics.js";
import { jsonOf, runPle, spawnPle } from "../support/ple-binary.js";

const dir = tempDir();
afterAll(() => dir.remove());

const COMPARED_TABLES = [
  "company",
  "company_slot",
  "people",
  "company_history",
  "company_slot_history",
  "people_history",
  "slot_event",
  "audit_log",
  "import_reject",
] as const;

describe("an import killed with SIGKILL half-way", () => {
  let killed: TestDatabase;
  let clean: TestDatabase;

  beforeAll(async () => {
    [killed, clean] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([killed?.drop(), clean?.drop()]);
  });

  it("run again, equals one clean import table by table", async () => {
    await recordCheck("faults", "kill -9 a people import twice, then re-run", async (check) => {
      const titles = ["CEO", "CFO", "Head of People", "Engineer", "Chief Executive Officer"];
      const rows: string[][] = [];
      for (let j = 0; j < 800; j++) {
        const company = j % 200;
        // Every 97th row is bad (no usable email) and must end up as a reject, once.
        const email = j % 97 === 0 ? `not-an-email-${j}` : `p${j}@k${company}.example`;
        rows.push([
          `Person ${j}`,
          email,
          `linkedin.com/in/p-${j}`,
          titles[j % titles.length] ?? "CEO",
          `Kill Co ${company}`,
          `https://www.k${company}.example/`,
        ]);
      }
      const file = writeCsv(
        join(dir.path, "people-kill.csv"),
        ["name", "email", "linkedin_url", "title", "company_name", "website"],
        rows,
      );
      const args = ["import", "people", file, "--batch-size", "50", "--json"];
      const countPeople = async () =>
        Number(
          (
            await killed.db.knex("marketing.people").count<Array<{ count: string }>>("* as count")
          )[0]?.count ?? 0,
        );

      // Two kills at different depths, then a run to the end.
      for (const depth of [150, 450]) {
        const run = spawnPle(args, { DATABASE_URL: killed.url });
        await waitFor(
          `${depth} people imported`,
          async () => ((await countPeople()) >= depth ? true : undefined),
          60_000,
          20,
        );
        run.child.kill("SIGKILL");
        const ended = await run.done;
        expect(ended.signal).toBe("SIGKILL");
        check.add("faults");
        expect(await countPeople()).toBeLessThan(rows.length - 40);
      }
      const [rerun, once] = await Promise.all([
        runPle(args, { DATABASE_URL: killed.url }),
        runPle(args, { DATABASE_URL: clean.url }),
      ]);
      check.add("cases", 4);
      for (const run of [rerun, once]) {
        expect(run.stderr).not.toMatch(/unexpected error/);
        if (run.code !== 3) check.add("unhandledErrors");
        expect(run.code).toBe(3); // the bad rows were rejected
      }
      expect(jsonOf<{ rejected: number }>(once).rejected).toBe(Math.ceil(rows.length / 97));

      const tables = await compareDatabases(clean.db, killed.db, COMPARED_TABLES);
      for (const t of tables) {
        check.add("rowsCompared", t.expected).add("rowsLost", t.lost.length);
      }
      expect(
        tables.map((t) => ({
          table: t.table,
          lost: t.lost.slice(0, 3),
          extra: t.extra.slice(0, 3),
        })),
      ).toEqual(tables.map((t) => ({ table: t.table, lost: [], extra: [] })));
      expect(tables.find((t) => t.table === "people")?.expected).toBe(
        rows.length - Math.ceil(rows.length / 97),
      );
    });
  });
});

describe("a backup taken while the API writes", () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let api: RunningApi;

  beforeAll(async () => {
    [source, target] = await Promise.all([
      createTestDatabase(),
      createTestDatabase({ empty: true }),
    ]);
    api = await startApi(source.db);
  });
  afterAll(async () => {
    await api?.close();
    await Promise.all([source?.drop(), target?.drop()]);
  });

  it("restores to one consistent snapshot holding every write acknowledged before it began", async () => {
    await recordCheck("faults", "backup during API writes, then restore", async (check) => {
      const acknowledged: Array<{ at: number; company_uid: string; person_id: string }> = [];
      let writing = true;
      const writer = async () => {
        const client = api.client(api.keys.write.key);
        while (writing) {
          const name = unique("snap");
          const { company } = await client.companies.create.mutate({
            company_name: `${name} Ltd`,
            website: `${name}.example`,
          });
          const { person } = await client.people.create.mutate({
            name: `Holder ${name}`,
            email: `ceo@${name}.example`,
            company_uid: company.company_uid,
          });
          await client.slots.link.mutate({
            slot_uid: `SL-${company.company_uid}-CEO` as never,
            person_id: person.person_id,
          });
          await client.people.update.mutate({
            person_id: person.person_id,
            patch: { title: "Chief Executive Officer" },
          });
          acknowledged.push({
            at: Date.now(),
            company_uid: company.company_uid,
            person_id: person.person_id,
          });
        }
      };
      const writers = Array.from({ length: 4 }, () => writer());
      await waitFor("some writes", async () => (acknowledged.length >= 40 ? true : undefined));
      const backupStarted = Date.now();
      const archive = join(dir.path, "during-writes.backup.gz");
      const backup = await runPle(["backup", archive, "--json"], { DATABASE_URL: source.url });
      writing = false;
      await Promise.all(writers);
      check.add("faults").add("cases", acknowledged.length + 1);
      expect([backup.code, backup.stderr]).toEqual([0, ""]);

      const restore = await runPle(["restore", archive, "--json"], { DATABASE_URL: target.url });
      check.add("cases");
      expect([restore.code, restore.stderr]).toEqual([0, ""]);
      expect(jsonOf<{ verified: boolean }>(restore).verified).toBe(true);

      const q = async (sql: string) =>
        (await target.db.knex.raw<{ rows: Array<{ n: number }> }>(sql)).rows[0]?.n;
      // Referential consistency of the snapshot: nothing points at a row it does not hold.
      const orphans = {
        slotsWithoutCompany: await q(
          "SELECT count(*)::int AS n FROM marketing.company_slot s WHERE NOT EXISTS (SELECT 1 FROM marketing.company c WHERE c.company_uid = s.company_uid)",
        ),
        companiesWithoutThreeSlots: await q(
          "SELECT count(*)::int AS n FROM marketing.company c WHERE (SELECT count(*) FROM marketing.company_slot s WHERE s.company_uid = c.company_uid) <> 3",
        ),
        slotHoldersMissing: await q(
          "SELECT count(*)::int AS n FROM marketing.company_slot s WHERE s.person_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM marketing.people p WHERE p.person_id = s.person_id)",
        ),
        companyHistoryOrphans: await q(
          "SELECT count(*)::int AS n FROM marketing.company_history h WHERE NOT EXISTS (SELECT 1 FROM marketing.company c WHERE c.company_uid = h.company_uid)",
        ),
        slotHistoryOrphans: await q(
          "SELECT count(*)::int AS n FROM marketing.company_slot_history h WHERE NOT EXISTS (SELECT 1 FROM marketing.company_slot s WHERE s.slot_uid = h.slot_uid)",
        ),
        peopleHistoryOrphans: await q(
          "SELECT count(*)::int AS n FROM marketing.people_history h WHERE NOT EXISTS (SELECT 1 FROM marketing.people p WHERE p.person_id = h.person_id)",
        ),
        recordsWithoutCurrentHistory: await q(
          "SELECT count(*)::int AS n FROM marketing.people p WHERE NOT EXISTS (SELECT 1 FROM marketing.people_versions h WHERE h.person_id = p.person_id AND h.valid_to = 'infinity')",
        ),
        eventsWithoutSlot: await q(
          "SELECT count(*)::int AS n FROM marketing.slot_event e WHERE NOT EXISTS (SELECT 1 FROM marketing.company_slot s WHERE s.slot_uid = e.slot_uid)",
        ),
      };
      expect(orphans).toEqual(Object.fromEntries(Object.keys(orphans).map((k) => [k, 0])));

      // Every write acknowledged before the backup began is in it, exactly as the source has it.
      const before = acknowledged.filter((w) => w.at < backupStarted);
      const restoredCompanies = new Set(
        (await target.db.knex("marketing.company").select("company_uid")).map(
          (r: { company_uid: string }) => r.company_uid,
        ),
      );
      const lost = before.filter((w) => !restoredCompanies.has(w.company_uid));
      check.add("rowsLost", lost.length);
      expect(lost).toEqual([]);
      const tables = await compareDatabases(target.db, source.db, COMPARED_TABLES);
      for (const t of tables) check.add("rowsCompared", t.expected);
      // The snapshot is a prefix of the source: each restored row of an append-only or
      // never-updated table exists in the source unchanged (slots, people and current history
      // versions may have changed since, legitimately).
      const immutable = new Set(["company", "audit_log", "slot_event"]);
      for (const t of tables.filter((t) => immutable.has(t.table))) {
        expect({ table: t.table, notInSource: t.lost.slice(0, 3) }).toEqual({
          table: t.table,
          notInSource: [],
        });
      }
      const counts = await rowCounts(target.db);
      expect(counts.company).toBeGreaterThanOrEqual(before.length);
      expect(counts.company_slot).toBe((counts.company ?? 0) * 3);
    });
  });
});
