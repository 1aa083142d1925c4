/**
 * Concurrency: overlapping imports at once, API clients racing for one slot,
 * a company merge racing with 20 API calls, and two migration runners at once.
 */
import { join } from "node:path";
import { formatSlotUid, isCompanyUid, isPersonId, isSlotUid, type Role } from "@ple/core";
import { catalogDump, migrateUp, migrationStatus, readMigrationFiles } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  errorCodeOf,
  expectOneLinkWon,
  type RunningApi,
  startApi,
  unique,
} from "../support/api.js";
import { withClient } from "../support/database.js";
import { sleep, tempDir, waitFor, writeCsv } from "../support/files.js";
import { type Check, recordCheck } from "../support/metrics.js";
import { jsonOf, type PleRun, runPle, spawnPle } from "../support/ple-binary.js";

const COMPANIES = 240;
const EXTRA_COMPANIES = 60; // named only by the people files
const PEOPLE = 400;
const FILES = 4;

const dir = tempDir();
let db: TestDatabase;
let reference: TestDatabase;

beforeAll(async () => {
  [db, reference] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => {
  await Promise.all([db?.drop(), reference?.drop()]);
  dir.remove();
});

/** Four spellings of one site, all the same canonical domain. */
function websiteVariant(i: number, variant: number): string {
  switch (variant % 4) {
    case 0:
      return `https://www.c${i}.example/`;
    case 1:
      return `c${i}.example`;
    case 2:
      return `http://C${i}.EXAMPLE/about?ref=${variant}`;
    default:
      return `www.c${i}.example.`;
  }
}

const TITLES = ["CEO", "Chief Financial Officer", "HR Director", "Engineer", "CFO"];

interface ImportSummary {
  created: number;
  existing: number;
  rejected: number;
  rejects: Array<{ row_number: number; error_code: string; message: string }>;
  companies_created?: number;
  linked?: number;
  already_linked?: number;
}

/**
 * The summary of an import that must have gone through cleanly: every row valid, so no
 * reject at all; a valid row rejected because of another import's writes (a deadlock
 * reported as INTERNAL) counts as an unhandled error.
 */
function importOutcome(run: PleRun, check: Check): ImportSummary {
  expect(run.stderr).not.toMatch(/unexpected error/);
  const summary = jsonOf<ImportSummary>(run);
  const internal = summary.rejects.filter((r) => r.error_code === "INTERNAL").length;
  check.add("unhandledErrors", internal + (run.code === 0 || run.code === 3 ? 0 : 1));
  // Soft: the database checks below still run and count what such rejects cost.
  expect
    .soft(summary.rejects.map((r) => `row ${r.row_number}: ${r.error_code} ${r.message}`))
    .toEqual([]);
  expect.soft(run.code).toBe(0);
  return summary;
}

/** JSON with object keys sorted. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

describe("4 overlapping imports at once", () => {
  it("create each company, slot and person exactly once, with well-formed unique UIDs", async () => {
    await recordCheck(
      "concurrency",
      "4 overlapping company imports, then 4 people imports",
      async (check) => {
        const companyFiles: string[] = [];
        const expectedSites = new Set<string>();
        for (let f = 0; f < FILES; f++) {
          const rows: string[][] = [];
          for (let i = 0; i < COMPANIES; i++) {
            if ((i + f * 60) % COMPANIES >= 180) continue;
            expectedSites.add(`c${i}.example`);
            rows.push([
              `Company ${i}`,
              websiteVariant(i, f),
              `ap-${i}`,
              `12-${String(i).padStart(7, "0")}`,
            ]);
          }
          // Each file in its own order, so the writers meet on different rows.
          if (f % 2 === 1) rows.reverse();
          companyFiles.push(
            writeCsv(
              join(dir.path, `companies-${f}.csv`),
              ["name", "website", "apollo_company_id", "ein_raw"],
              rows,
            ),
          );
        }
        const env = { DATABASE_URL: db.url };
        const companyRuns = await Promise.all(
          companyFiles.map((file) =>
            runPle(["import", "companies", file, "--batch-size", "25", "--json"], env),
          ),
        );
        check.add("cases", companyRuns.length).add("faults", 1);
        const companySummaries = companyRuns.map((r) => importOutcome(r, check));
        // Every company was created by exactly one of the four imports.
        expect.soft(companySummaries.reduce((n, s) => n + s.created, 0)).toBe(expectedSites.size);

        const peopleFiles: string[] = [];
        const expectedEmails = new Set<string>();
        for (let f = 0; f < FILES; f++) {
          const rows: string[][] = [];
          for (let j = 0; j < PEOPLE; j++) {
            if ((j + f * 100) % PEOPLE >= 250) continue;
            const company = j % (COMPANIES + EXTRA_COMPANIES);
            expectedSites.add(`c${company}.example`);
            const email = `person.${j}@c${company}.example`;
            expectedEmails.add(email);
            rows.push([
              `Person ${j}`,
              f % 2 === 0 ? email : ` ${email.toUpperCase()} `,
              `https://linkedin.com/in/person-${j}`,
              TITLES[j % TITLES.length] ?? "CEO",
              `Company ${company}`,
              websiteVariant(company, f + j),
            ]);
          }
          if (f % 2 === 1) rows.reverse();
          peopleFiles.push(
            writeCsv(
              join(dir.path, `people-${f}.csv`),
              ["name", "email", "linkedin_url", "title", "company_name", "website"],
              rows,
            ),
          );
        }
        const peopleRuns = await Promise.all(
          peopleFiles.map((file) =>
            runPle(["import", "people", file, "--batch-size", "25", "--json"], env),
          ),
        );
        check.add("cases", peopleRuns.length).add("faults", 1);
        const peopleSummaries = peopleRuns.map((r) => importOutcome(r, check));
        expect.soft(peopleSummaries.reduce((n, s) => n + s.created, 0)).toBe(expectedEmails.size);
        expect(
          companySummaries.reduce((n, s) => n + s.created, 0) +
            peopleSummaries.reduce((n, s) => n + (s.companies_created ?? 0), 0),
        ).toBe(expectedSites.size);

        const companies = await db.db.knex.raw<{
          rows: Array<{ company_uid: string; website: string }>;
        }>("SELECT company_uid, website FROM marketing.company");
        const slots = await db.db.knex.raw<{
          rows: Array<{
            slot_uid: string;
            company_uid: string;
            role: Role;
            status: string;
            person_id: string | null;
          }>;
        }>("SELECT slot_uid, company_uid, role, status, person_id FROM marketing.company_slot");
        const people = await db.db.knex.raw<{ rows: Array<{ person_id: string; email: string }> }>(
          "SELECT person_id, email FROM marketing.people",
        );
        check.add("rowsCompared", companies.rows.length + slots.rows.length + people.rows.length);

        const sites = companies.rows.map((c) => c.website);
        const missingSites = [...expectedSites].filter((s) => !sites.includes(s));
        check.add("rowsLost", missingSites.length);
        expect(new Set(sites).size).toBe(sites.length);
        expect.soft(new Set(sites)).toEqual(expectedSites);
        expect(companies.rows.every((c) => isCompanyUid(c.company_uid))).toBe(true);

        // Exactly three slots per company, each named after its company and role.
        expect(slots.rows).toHaveLength(companies.rows.length * 3);
        const perCompany = new Map<string, Set<string>>();
        for (const s of slots.rows) {
          expect(isSlotUid(s.slot_uid)).toBe(true);
          expect(s.slot_uid).toBe(formatSlotUid(s.company_uid as never, s.role));
          expect(s.person_id === null).toBe(s.status === "open");
          const roles = perCompany.get(s.company_uid) ?? new Set();
          roles.add(s.role);
          perCompany.set(s.company_uid, roles);
        }
        for (const c of companies.rows) expect(perCompany.get(c.company_uid)?.size).toBe(3);

        const emails = people.rows.map((p) => p.email);
        check.add("rowsLost", [...expectedEmails].filter((e) => !emails.includes(e)).length);
        expect(new Set(emails).size).toBe(emails.length);
        expect.soft(new Set(emails)).toEqual(expectedEmails);
        expect(people.rows.every((p) => isPersonId(p.person_id))).toBe(true);
        const holders = slots.rows.flatMap((s) => (s.person_id === null ? [] : [s.person_id]));
        expect(new Set(holders).size).toBe(holders.length);
        // Each link was made by exactly one import; the others saw it as already made.
        expect.soft(peopleSummaries.reduce((n, s) => n + (s.linked ?? 0), 0)).toBe(holders.length);
        expect(check.figures.rowsLost).toBe(0);
      },
    );
  });
});

describe("API clients racing for one slot", () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(reference.db);
  });
  afterAll(async () => {
    await api?.close();
  });

  async function seed(people: number) {
    const writer = api.client(api.keys.write.key);
    const name = unique("race");
    const created = await writer.companies.create.mutate({
      company_name: `${name} Inc`,
      website: `https://${name}.example/`,
    });
    const persons: string[] = [];
    for (let i = 0; i < people; i++) {
      const { person } = await writer.people.create.mutate({
        name: `Racer ${i}`,
        email: `racer.${i}.${name}@example.com`,
      });
      persons.push(person.person_id);
    }
    const slot = (role: Role) => created.slots.find((s) => s.role === role)?.slot_uid ?? "";
    return { company: created.company.company_uid, people: persons, slot };
  }

  function clients(n: number) {
    return Array.from({ length: n }, () => api.client(api.keys.write.key));
  }

  it("20 clients creating one company under 20 spellings of its website: one row, one created", async () => {
    await recordCheck("concurrency", "20 API clients create one company at once", async (check) => {
      for (let round = 0; round < 3; round++) {
        const site = unique("same");
        const spellings = Array.from(
          { length: 20 },
          (_, i) =>
            [
              `https://www.${site}.example/`,
              `${site}.example`,
              `http://${site.toUpperCase()}.example/x?i=${i}`,
              `www.${site}.example.`,
            ][i % 4] ?? "",
        );
        const results = await Promise.allSettled(
          clients(20).map((c, i) =>
            c.companies.create.mutate({ company_name: `Same ${i}`, website: spellings[i] ?? "" }),
          ),
        );
        check.add("cases", 20).add("faults");
        const codes = results.flatMap((r) =>
          r.status === "rejected" ? [errorCodeOf(r.reason)] : [],
        );
        check.add("unhandledErrors", codes.length);
        expect(codes).toEqual([]);
        const statuses = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.status] : []));
        expect(statuses.filter((s) => s === "created")).toHaveLength(1);
        const uids = new Set(
          results.flatMap((r) => (r.status === "fulfilled" ? [r.value.company.company_uid] : [])),
        );
        expect(uids.size).toBe(1);
        const rows = await reference.db
          .knex("marketing.company")
          .where({ website: `${site}.example` });
        const slots = await reference.db
          .knex("marketing.company_slot")
          .whereIn("company_uid", [...uids]);
        expect([rows.length, slots.length]).toEqual([1, 3]);
        check.add("rowsCompared", rows.length + slots.length);
      }
    });
  });

  it("10 clients sending one write with the same Idempotency-Key at once: it runs once", async () => {
    await recordCheck(
      "concurrency",
      "10 API clients replay one Idempotency-Key at once",
      async (check) => {
        const site = unique("idem");
        const key = `race-${site}`;
        const results = await Promise.allSettled(
          clients(10).map((c) =>
            c.companies.create.mutate(
              { company_name: "Idempotent Inc", website: `${site}.example` },
              { context: { idempotencyKey: key } },
            ),
          ),
        );
        check.add("cases", 10).add("faults");
        const codes = results.flatMap((r) =>
          r.status === "rejected" ? [errorCodeOf(r.reason)] : [],
        );
        check.add("unhandledErrors", codes.filter((c) => c !== "IDEMPOTENCY_CONFLICT").length);
        expect(codes).toEqual([]);
        const answers = results.flatMap((r) =>
          r.status === "fulfilled" ? [canonical(r.value)] : [],
        );
        // Every client got the first response (a replay comes back from jsonb: compare keys sorted).
        expect(new Set(answers).size).toBe(1);
        const rows = await reference.db
          .knex("marketing.company")
          .where({ website: `${site}.example` });
        const audit = await reference.db.knex("marketing.audit_log").where({
          table_name: "company",
          operation: "INSERT",
          record_key: rows[0]?.company_uid ?? "",
        });
        expect([rows.length, audit.length]).toEqual([1, 1]);
        check.add("rowsCompared", rows.length + audit.length);
      },
    );
  });

  it("20 links of different people into one open slot: one succeeds, 19 SLOT_CONFLICT", async () => {
    await recordCheck(
      "concurrency",
      "20 API clients link different people to one open slot",
      async (check) => {
        for (const role of ["CEO", "CFO", "HR"] as const) {
          const s = await seed(20);
          const slotUid = s.slot(role);
          const results = await Promise.allSettled(
            clients(20).map((c, i) =>
              c.slots.link.mutate({ slot_uid: slotUid as never, person_id: s.people[i] as never }),
            ),
          );
          check.add("cases", 20).add("faults", 1);
          await expectOneLinkWon(results, reference.db, slotUid, check);
        }
      },
    );
  });

  it("20 displacements of one occupant (expected_person_id): one succeeds, 19 SLOT_CONFLICT", async () => {
    // Every client saw the same occupant and names it as expected_person_id: the first
    // displacement replaces it, and the others find someone else there — SLOT_CONFLICT, as
    // for concurrent links. Nobody is displaced who was not expected.
    await recordCheck(
      "concurrency",
      "20 API clients displace one occupant of a filled slot",
      async (check) => {
        for (const role of ["CEO", "CFO"] as const) {
          const s = await seed(21);
          const slotUid = s.slot(role);
          const first = s.people[0] as string;
          await api.client(api.keys.write.key).slots.link.mutate({
            slot_uid: slotUid as never,
            person_id: first as never,
          });
          const contenders = s.people.slice(1);
          const results = await Promise.allSettled(
            clients(20).map((c, i) =>
              c.slots.displace.mutate({
                slot_uid: slotUid as never,
                person_id: contenders[i] as never,
                expected_person_id: first as never,
              }),
            ),
          );
          check.add("cases", 20).add("faults", 1);
          const ok = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
          const codes = results.flatMap((r) =>
            r.status === "rejected" ? [errorCodeOf(r.reason)] : [],
          );
          check.add("unhandledErrors", codes.filter((c) => c !== "SLOT_CONFLICT").length);
          expect(ok).toHaveLength(1);
          expect(codes).toEqual(Array(19).fill("SLOT_CONFLICT"));
          const winner = ok[0]?.slot.person_id ?? null;
          expect(contenders).toContain(winner);
          expect(ok[0]?.released_person_id).toBe(first);
          const row = await reference.db
            .knex("marketing.company_slot")
            .where({ slot_uid: slotUid })
            .first();
          expect(row).toMatchObject({ status: "filled", person_id: winner });
          const events = await reference.db
            .knex("marketing.slot_event")
            .where({ slot_uid: slotUid, event: "DISPLACED" });
          expect(events).toHaveLength(1);
          check.add("rowsCompared", 1 + events.length + ok.length);
          check.add("rowsLost", 1 - events.length);
        }
      },
    );
  });

  it("one person displaced or linked into 20 slots at once: one succeeds, 19 PERSON_ALREADY_LINKED", async () => {
    await recordCheck(
      "concurrency",
      "one person into 20 slots at once (link and displace)",
      async (check) => {
        const mover = await seed(1);
        const person = mover.people[0] as string;
        for (const operation of ["link", "displace"] as const) {
          const targets: string[] = [];
          for (let i = 0; i < 20; i++) {
            const s = await seed(operation === "displace" ? 1 : 0);
            if (operation === "displace") {
              await api.client(api.keys.write.key).slots.link.mutate({
                slot_uid: s.slot("HR") as never,
                person_id: s.people[0] as never,
              });
            }
            targets.push(s.slot("HR"));
          }
          const results = await Promise.allSettled(
            clients(20).map((c, i) =>
              c.slots[operation].mutate({
                slot_uid: targets[i] as never,
                person_id: person as never,
                // Every target is another company's slot: the person moves (migration 012).
                move: true,
              }),
            ),
          );
          check.add("cases", 20).add("faults", 1);
          const codes = results.flatMap((r) =>
            r.status === "rejected" ? [errorCodeOf(r.reason)] : [],
          );
          check.add("unhandledErrors", codes.filter((c) => c !== "PERSON_ALREADY_LINKED").length);
          expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
          expect(codes).toEqual(Array(19).fill("PERSON_ALREADY_LINKED"));
          const held = await reference.db
            .knex("marketing.company_slot")
            .where({ person_id: person });
          expect(held).toHaveLength(1);
          check.add("rowsCompared", targets.length);
          // Vacate, so the next round starts with a free person.
          await api.client(api.keys.write.key).slots.vacate.mutate({ slot_uid: held[0].slot_uid });
        }
      },
    );
  });
});

describe("a company merge racing with 20 API calls on either company", () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(reference.db);
  });
  afterAll(async () => {
    await api?.close();
  });

  /**
   * Refusals a racing call may meet; anything else (INTERNAL above all) is unhandled.
   * COMPANY_MISMATCH comes when a vacate lands before a link of the vacated person into
   * another company and no merge has joined the two yet: a vacated person keeps their company.
   */
  const REFUSALS = new Set([
    "COMPANY_MISMATCH",
    "SLOT_CONFLICT",
    "PERSON_ALREADY_LINKED",
    "COMPANY_NOT_FOUND",
    "PERSON_NOT_FOUND",
    "SLOT_NOT_FOUND",
    "MERGE_CONFLICT",
    "INVALID_TRANSITION",
    "IDENTITY_CONFLICT",
  ]);

  it("links, vacates, creates, person merges and merges of the same pair: one consistent state", async () => {
    await recordCheck(
      "concurrency",
      "a company merge racing with 20 API calls (5 rounds)",
      async (check) => {
        const w = () => api.client(api.keys.write.key);
        for (let round = 0; round < 5; round++) {
          const name = unique("merge");
          const mk = async (label: string, apollo = false) =>
            (
              await w().companies.create.mutate({
                company_name: `${label} ${name}`,
                website: `${label.toLowerCase()}-${name}.example`,
                ...(apollo ? { apollo_company_id: `apollo-${label}-${name}` } : {}),
              })
            ).company;
          const person = async (label: string) =>
            (
              await w().people.create.mutate({
                name: `${label} ${name}`,
                email: `${label}.${name}@example.com`,
              })
            ).person.person_id;
          const keep = await mk("Keep");
          const drop = await mk("Drop", true);
          const third = await mk("Third");
          const k = keep.company_uid;
          const d = drop.company_uid;
          const slot = (uid: string, role: Role) => formatSlotUid(uid as never, role) as never;
          const keepCeo = await person("keepceo");
          const dropCfo = await person("dropcfo");
          const dropHr = await person("drophr");
          const free = await Promise.all(Array.from({ length: 8 }, (_, i) => person(`free${i}`)));
          const f = (i: number) => free[i] as never;
          await w().slots.link.mutate({ slot_uid: slot(k, "CEO"), person_id: keepCeo as never });
          await w().slots.link.mutate({ slot_uid: slot(d, "CFO"), person_id: dropCfo as never });
          await w().slots.propose.mutate({ slot_uid: slot(d, "HR"), person_id: dropHr as never });
          const keepAll = { CEO: "keep", CFO: "keep", HR: "keep" } as const;
          const calls: Array<() => Promise<unknown>> = [
            () => w().companies.merge.mutate({ keep: k, drop: d, prefer: keepAll }),
            () => w().slots.link.mutate({ slot_uid: slot(k, "CFO"), person_id: f(0) }),
            () => w().slots.link.mutate({ slot_uid: slot(k, "HR"), person_id: f(1) }),
            () => w().slots.link.mutate({ slot_uid: slot(d, "CEO"), person_id: f(2) }),
            () => w().slots.link.mutate({ slot_uid: slot(d, "CEO"), person_id: f(3) }),
            () => w().slots.propose.mutate({ slot_uid: slot(k, "CFO"), person_id: f(4) }),
            () =>
              w().slots.link.mutate({
                slot_uid: slot(third.company_uid, "CEO"),
                person_id: dropCfo as never,
              }),
            () => w().slots.vacate.mutate({ slot_uid: slot(d, "CFO") }),
            () => w().slots.link.mutate({ slot_uid: slot(d, "CFO"), person_id: f(5) }),
            () => w().people.merge.mutate({ keep: f(6), drop: dropHr as never }),
            () => w().people.merge.mutate({ keep: dropCfo as never, drop: f(7) }),
            () => w().companies.merge.mutate({ keep: d, drop: k, prefer: keepAll }),
            () => w().companies.merge.mutate({ keep: third.company_uid, drop: d, prefer: keepAll }),
            () =>
              w().companies.create.mutate({
                company_name: "Again",
                website: `https://www.${drop.website}/`,
                on_existing: "fill",
              }),
            () =>
              w().companies.create.mutate({
                company_name: "Again",
                website: `again-${name}.example`,
                apollo_company_id: String(drop.apollo_company_id),
              }),
            () =>
              w().companies.create.mutate({
                company_name: "Renamed",
                website: drop.website,
                ein: "12-3456789",
                on_existing: "update",
              }),
            () =>
              w().people.create.mutate({
                name: "Late",
                email: `late.${name}@example.com`,
                company_uid: d,
              }),
            () =>
              w().people.create.mutate({
                name: "Late",
                email: `late.k.${name}@example.com`,
                company_uid: k,
              }),
            () => w().slots.vacate.mutate({ slot_uid: slot(k, "CEO") }),
            () => w().slots.link.mutate({ slot_uid: slot(d, "CEO"), person_id: keepCeo as never }),
            () =>
              w().companies.merge.mutate({
                keep: k,
                drop: d,
                prefer: { CEO: "drop", CFO: "drop", HR: "drop" },
              }),
          ];
          const results = await Promise.allSettled(calls.map((call) => call()));
          check.add("cases", calls.length).add("faults", 1);
          const codes = results.flatMap((r) =>
            r.status === "rejected" ? [errorCodeOf(r.reason)] : [],
          );
          const unhandled = codes.filter((c) => !REFUSALS.has(c));
          check.add("unhandledErrors", unhandled.length);
          expect(unhandled).toEqual([]);

          const knex = reference.db.knex;
          const twice = await knex.raw(
            `SELECT person_id FROM marketing.company_slot WHERE person_id IS NOT NULL
              GROUP BY person_id HAVING count(*) > 1`,
          );
          const slotCounts = await knex.raw(
            `SELECT c.company_uid FROM marketing.company c
              WHERE (SELECT count(*) FROM marketing.company_slot s
                      WHERE s.company_uid = c.company_uid) <> 3`,
          );
          const website = await knex.raw(
            `SELECT (SELECT count(*) FROM marketing.company WHERE website = ?)::int
                  + (SELECT count(*) FROM marketing.company_alias
                      WHERE alias_kind = 'website' AND alias_value = ?)::int AS n`,
            [drop.website, drop.website],
          );
          const uids = await knex.raw(
            `SELECT u.uid,
                    (SELECT count(*) FROM marketing.company WHERE company_uid = u.uid)::int
                  + (SELECT count(*) FROM marketing.company_alias
                      WHERE alias_kind = 'company_uid' AND alias_value = u.uid)::int AS n
               FROM unnest(?::text[]) AS u(uid)`,
            [[k, d, third.company_uid]],
          );
          const late = await knex("marketing.people")
            .whereIn("email", [`late.${name}@example.com`, `late.k.${name}@example.com`])
            .select("company_uid");
          expect(twice.rows).toEqual([]);
          expect(slotCounts.rows).toEqual([]);
          expect(website.rows[0]?.n).toBe(1);
          expect(uids.rows.map((r: { n: number }) => r.n)).toEqual([1, 1, 1]);
          // People created for either company work for a company that exists.
          for (const p of late) expect(p.company_uid).not.toBeNull();
          check.add("rowsLost", late.filter((p) => p.company_uid === null).length);
          check.add("rowsCompared", 3 + 1 + 3 + late.length);
        }
      },
    );
  });
});

describe("two `ple db migrate` at once", () => {
  const expectedMigrations = readMigrationFiles().map((f) => f.name);

  interface MigrateOutput {
    migrations: string[];
  }

  async function expectCleanSchema(target: TestDatabase) {
    const [got, want] = await Promise.all([
      catalogDump(target.db.knex),
      catalogDump(reference.db.knex),
    ]);
    expect(got).toEqual(want);
    const status = await migrationStatus(target.db);
    expect(status.applied).toEqual(expectedMigrations);
    expect(status.pending).toEqual([]);
    expect(status.locked).toBe(false);
    return got.length;
  }

  it("started together on an empty database: one applies everything, the other finds nothing to do", async () => {
    await recordCheck("concurrency", "two `ple db migrate` at once", async (check) => {
      for (let round = 0; round < 2; round++) {
        const empty = await createTestDatabase({ empty: true });
        try {
          const env = { DATABASE_URL: empty.url };
          const runs = await Promise.all([
            runPle(["db", "migrate", "--json"], env),
            runPle(["db", "migrate", "--json"], env),
          ]);
          check.add("cases", 2).add("faults", 1);
          for (const run of runs) {
            expect(run.stderr).not.toMatch(/unexpected error/);
            // The other runner either waited (exit 0, nothing left) or stopped with MIGRATION_LOCKED.
            if (run.code !== 0) {
              expect(run.stderr).toMatch(/MIGRATION_LOCKED/);
              expect(run.code).toBe(1);
            }
          }
          const applied = runs
            .filter((r) => r.code === 0)
            .map((r) => jsonOf<MigrateOutput>(r).migrations);
          expect(applied.flat()).toEqual(expectedMigrations);
          check.add("rowsCompared", await expectCleanSchema(empty));
        } finally {
          await empty.drop();
        }
      }
    });
  });

  it("a second runner waits while the first is held up mid-way, then finds nothing to do", async () => {
    await recordCheck(
      "concurrency",
      "a second `ple db migrate` while the first is blocked",
      async (check) => {
        const target = await createTestDatabase({ empty: true });
        try {
          for (let i = 0; i < 4; i++) await migrateUp(target.db);
          const env = { DATABASE_URL: target.url };
          await withClient(target.url, async (blocker) => {
            // An open writer on marketing.company holds 005's first CREATE INDEX CONCURRENTLY.
            await blocker.query("BEGIN");
            await blocker.query("LOCK TABLE marketing.company IN ROW EXCLUSIVE MODE");
            const first = spawnPle(["db", "migrate", "--json"], env);
            await waitFor("the first runner to block on 005", async () => {
              // Polled outside the blocker's transaction, whose statistics snapshot is frozen.
              const r = await target.db.knex.raw<{ rows: unknown[] }>(
                `SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
                 AND wait_event_type = 'Lock' AND query ILIKE '%INDEX CONCURRENTLY%'`,
              );
              return r.rows.length > 0 ? true : undefined;
            });
            const second = spawnPle(["db", "migrate", "--json"], env);
            await sleep(2_000);
            // Still waiting for the lock: neither finished, nothing of 005 is recorded.
            expect(first.child.exitCode).toBeNull();
            expect(second.child.exitCode).toBeNull();
            await blocker.query("ROLLBACK");
            const [a, b] = await Promise.all([first.done, second.done]);
            check.add("cases", 2).add("faults", 1);
            expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, "", ""]);
            expect(jsonOf<MigrateOutput>(a).migrations).toEqual(expectedMigrations.slice(4));
            expect(jsonOf<MigrateOutput>(b).migrations).toEqual([]);
          });
          check.add("rowsCompared", await expectCleanSchema(target));
        } finally {
          await target.drop();
        }
      },
    );
  });
});
