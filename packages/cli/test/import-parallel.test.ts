/**
 * A company import on a server writes two batches at once: a batch's rows that share no website
 * or Apollo id with the batch before go while that batch is still being written, the others
 * after it. It must end exactly as writing the file one batch at a time.
 */
import { databaseChecksums, listCompanies, listImportRejects, type PleDatabase } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ImportSummary, runImport, splitOnPrior } from "../src/commands/import.js";
import type { ImportStoreFactory } from "../src/commands/import-store.js";
import { databaseImportStores } from "../src/commands/import-store-db.js";
import { tempDir, writeTemp } from "./helpers.js";

describe("splitOnPrior", () => {
  const keys = (row: string) => row.split(" ");

  it("keeps every row when there is no batch before", () => {
    expect(splitOnPrior(["w:a", "w:b"], keys, null)).toEqual({ now: ["w:a", "w:b"], later: [] });
    expect(splitOnPrior(["w:a"], keys, new Set())).toEqual({ now: ["w:a"], later: [] });
  });

  it("holds back rows sharing a key with the batch before, and rows sharing a key with those", () => {
    const rows = [
      "w:a a:1", // free
      "w:b a:2", // website of the batch before
      "w:c a:2", // shares a:2 with the held-back row before it
      "w:d a:9", // Apollo id of the batch before
      "w:e a:3", // free
      "w:c a:4", // shares w:c with a held-back row
      "w:a a:5", // shares w:a with a free row before it: still free
    ];
    const { now, later } = splitOnPrior(rows, keys, new Set(["w:b", "a:9"]));
    expect(now).toEqual(["w:a a:1", "w:e a:3", "w:a a:5"]);
    expect(later).toEqual(["w:b a:2", "w:c a:2", "w:d a:9", "w:c a:4"]);
  });

  it("never lets a free row come after a held-back row it shares a key with", () => {
    // Random batches over a small key space: for every pair (free row f, held-back row h)
    // sharing a key, f comes before h in the file.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const rows = Array.from({ length: 30 }, (_, i) => ({
        i,
        keys: [`w:${next(25)}`, `a:${next(25)}`],
      }));
      const prior = new Set(Array.from({ length: 4 }, () => `w:${next(25)}`));
      const { now, later } = splitOnPrior(rows, (r) => r.keys, prior);
      expect(now.length + later.length).toBe(rows.length);
      for (const f of now) {
        expect(f.keys.some((k) => prior.has(k))).toBe(false);
        for (const h of later) {
          if (f.keys.some((k) => h.keys.includes(k))) expect(f.i).toBeLessThan(h.i);
        }
      }
    }
  });
});

/** Rows with many repeats of recent rows: other spellings, moved websites, chains, bad rows. */
function exportCsv(rows: number): string {
  const lines = ["name,website,apollo_company_id,ein_raw"];
  const site = (k: number) => `par-${k}.example`;
  for (let i = 0; i < rows; i++) {
    let name = `Parallel ${i} Ltd`;
    let website = site(i);
    let apollo = `ap-${i}`;
    if (i % 11 === 0) website = "not a website";
    else if (i % 5 === 1 && i >= 7) {
      website = `https://www.${site(i - 7).toUpperCase()}/about`; // the batch before, mostly
      name = `Parallel ${i} again`;
    } else if (i % 5 === 2 && i >= 12) {
      apollo = `ap-${i - 12}`; // an Apollo id seen two batches back, on a new website
    } else if (i % 13 === 0 && i >= 15) {
      website = site(i - 3); // the same batch, and an Apollo id from further back
      apollo = `ap-${i - 15}`;
    } else if (i % 17 === 0) {
      apollo = ""; // no Apollo id
    }
    lines.push(
      `"${name}",${website},${apollo},${i % 3 === 0 ? "" : `12-${String(i).padStart(7, "0")}`}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function companyRows(db: PleDatabase): Promise<string[]> {
  const all: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await listCompanies(db.knex, {
      limit: 500,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const c of page.items) {
      all.push(`${c.company_name}|${c.website}|${c.apollo_company_id}|${c.ein_raw}|${c.ein_valid}`);
    }
    if (page.next_cursor === null) return all.sort();
    cursor = page.next_cursor;
  }
}

/** The store factory with a limit on open batches, counting how many were ever open at once. */
function counting(stores: ImportStoreFactory, parallelBatches: number) {
  let open = 0;
  const seen = { most: 0 };
  const factory: ImportStoreFactory = {
    parallelBatches,
    async batch(dryRun, fn) {
      open++;
      seen.most = Math.max(seen.most, open);
      try {
        await stores.batch(dryRun, fn);
      } finally {
        open--;
      }
    },
  };
  return { factory, seen };
}

describe("two company batches at once", () => {
  let parallel: TestDatabase;
  let serial: TestDatabase;
  beforeAll(async () => {
    [parallel, serial] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([parallel?.drop(), serial?.drop()]);
  });

  it("ends exactly as one batch at a time: the same rows created, found, rejected and stored", async () => {
    const file = writeTemp(tempDir(), "parallel.csv", exportCsv(900));
    const actor = "test:parallel";
    expect(databaseImportStores(parallel.db, actor).parallelBatches).toBe(2);
    const two = counting(databaseImportStores(parallel.db, actor), 2);
    const one = counting(databaseImportStores(serial.db, actor), 1);
    // skip: one batch at a time and two at once end with the very same UIDs (a fill that must go
    // row by row in file order would take UIDs in another order).
    const onExisting = "skip";
    const a = await runImport("companies", two.factory, { file, batchSize: 10, onExisting });
    const b = await runImport("companies", one.factory, { file, batchSize: 10, onExisting });
    expect(two.seen.most).toBe(2);
    expect(one.seen.most).toBe(1);

    const comparable = (s: ImportSummary) => ({ ...s, duration_ms: 0 });
    expect(comparable(a)).toEqual(comparable(b));
    expect(a.created).toBeGreaterThan(500);
    expect(a.existing).toBeGreaterThan(100);
    expect(a.rejected).toBeGreaterThan(50);
    // Rejects listed in file order.
    const numbers = a.rejects.map((r) => r.row_number);
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));

    expect(await companyRows(parallel.db)).toEqual(await companyRows(serial.db));
    const counts = async (db: PleDatabase) =>
      Object.fromEntries((await databaseChecksums(db.knex)).map((t) => [t.table, t.rows]));
    const [ca, cb] = await Promise.all([counts(parallel.db), counts(serial.db)]);
    for (const table of ["company", "company_slot", "company_history", "audit_log"]) {
      expect(ca[table], table).toBe(cb[table]);
    }
    // The same rejects kept (ids follow the order batches wrote them, not the file's).
    const rejects = async (db: PleDatabase) =>
      (await listImportRejects(db.knex, { source_file: file, limit: 1000 }))
        .map((r) => `${r.row_number}|${r.error_code}|${r.field}|${r.raw_row}`)
        .sort();
    expect(await rejects(parallel.db)).toEqual(await rejects(serial.db));

    // A re-run, two batches at once, creates nothing and records no reject twice.
    const again = await runImport("companies", databaseImportStores(parallel.db, actor), {
      file,
      batchSize: 10,
      onExisting,
    });
    expect(again).toMatchObject({ created: 0, existing: a.created + a.existing });
    expect(await rejects(parallel.db)).toEqual(await rejects(serial.db));
  });

  it("does not write the rows held back for a batch that failed", async () => {
    const db = await createTestDatabase();
    try {
      const file = writeTemp(tempDir(), "fails.csv", exportCsv(60));
      const stores = databaseImportStores(db.db, "test:parallel");
      let calls = 0;
      const failing: ImportStoreFactory = {
        parallelBatches: 2,
        async batch(dryRun, fn) {
          calls++;
          // The first batch fails (for a reason no retry helps) while the second is written.
          if (calls === 1) {
            await new Promise((done) => setTimeout(done, 300));
            throw new Error("disk full");
          }
          await stores.batch(dryRun, fn);
        },
      };
      await expect(runImport("companies", failing, { file, batchSize: 10 })).rejects.toThrow(
        "disk full",
      );
      // Rows 11 and 16 of the second batch repeat websites of the first: had they been
      // written, they would have created those companies under their own names.
      const websites = (await companyRows(db.db)).map((row) => row.split("|")[1]);
      expect(websites).not.toContain("par-4.example");
      expect(websites).not.toContain("par-9.example");
      expect(websites).toContain("par-12.example"); // a free row of the second batch

      // A re-run ends like a clean run.
      const clean = await createTestDatabase();
      try {
        await runImport("companies", databaseImportStores(clean.db, "test:parallel"), {
          file,
          batchSize: 10,
        });
        await runImport("companies", stores, { file, batchSize: 10 });
        expect(await companyRows(db.db)).toEqual(await companyRows(clean.db));
      } finally {
        await clean.drop();
      }
    } finally {
      await db.drop();
    }
  });
});

/** Stored companies for the contacts to name: par-co-K.example, Apollo id apc-K. */
function accountsCsv(n: number): string {
  const lines = ["name,website,apollo_company_id"];
  for (let k = 0; k < n; k++) lines.push(`Company ${k},par-co-${k}.example,apc-${k}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Contacts naming the stored companies by UID, website, Apollo id or name + website (so rows of
 * neighbouring batches name one company in different ways and compete for its slots), companies
 * created in the file and named again later, emails and LinkedIn URLs of the batch before in
 * other spellings, a UID nobody has, and bad rows.
 */
function contactsCsv(rows: number, uids: readonly string[]): string {
  const lines = [
    "name,email,linkedin_url,title,company_uid,company_name,website,apollo_company_id",
  ];
  const titles = [
    "CEO",
    "Chief Financial Officer",
    "Head of People",
    "Engineer",
    "Co-Founder & CEO",
  ];
  for (let i = 0; i < rows; i++) {
    const k = Math.floor(i / 3) % uids.length;
    let email = `p${i}@people.example`;
    let linkedin = i % 4 === 0 ? "" : `https://www.linkedin.com/in/p-${i}`;
    if (i % 7 === 3 && i >= 9) email = `P${i - 9}@PEOPLE.EXAMPLE`; // the batch before, mostly
    if (i % 11 === 5 && i >= 8) linkedin = `https://linkedin.com/in/p-${i - 8}/`; // someone else's
    if (i % 29 === 0) email = "not an email";
    let cells = ["", "", "", ""]; // company_uid, company_name, website, apollo_company_id
    switch (i % 4) {
      case 0:
        cells = [uids[k] ?? "", "", "", ""];
        break;
      case 1:
        cells = ["", "", `https://www.par-co-${k}.example/`, ""];
        break;
      case 2:
        cells = ["", "", "", `apc-${k}`];
        break;
      default:
        cells = ["", `Company ${k} Renamed`, `par-co-${k}.example`, `apc-${k}`];
    }
    if (i % 13 === 0)
      cells = ["", `New ${Math.floor(i / 26)}`, `par-new-${Math.floor(i / 26)}.example`, ""];
    if (i % 13 === 7) cells = ["", "", `par-new-${Math.floor(i / 26)}.example`, ""];
    if (i % 37 === 0) cells = ["CO-20990101-000001", "", "", ""];
    lines.push(
      [`Person ${i}`, email, linkedin, titles[i % titles.length] ?? "", ...cells].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

describe("two people batches at once", () => {
  let parallel: TestDatabase;
  let serial: TestDatabase;
  beforeAll(async () => {
    [parallel, serial] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([parallel?.drop(), serial?.drop()]);
  });

  /** Who holds which slot, and each person's fields and company, by email and website. */
  async function peopleState(db: PleDatabase) {
    const result = await db.knex.raw<{ rows: Array<Record<string, string | null>> }>(
      `SELECT p.email, p.name, p.linkedin_url, p.title, c.website, s.role, s.status
         FROM marketing.people AS p
         LEFT JOIN marketing.company AS c ON c.company_uid = p.company_uid
         LEFT JOIN marketing.company_slot AS s ON s.person_id = p.person_id
        ORDER BY p.email`,
    );
    return result.rows;
  }

  it("ends exactly as one batch at a time: the same people, companies, links and rejects", async () => {
    const dir = tempDir();
    const accounts = writeTemp(dir, "accounts.csv", accountsCsv(40));
    const actor = "test:parallel";
    for (const db of [parallel, serial]) {
      await runImport("companies", counting(databaseImportStores(db.db, actor), 1).factory, {
        file: accounts,
      });
    }
    const uids = (await companyRows(serial.db)).length;
    expect(uids).toBe(40);
    const stored = await serial.db.knex.raw<{ rows: Array<{ company_uid: string }> }>(
      "SELECT company_uid FROM marketing.company ORDER BY website",
    );
    const byWebsite = stored.rows.map((r) => r.company_uid);
    const file = writeTemp(dir, "contacts.csv", contactsCsv(700, byWebsite));

    const two = counting(databaseImportStores(parallel.db, actor), 2);
    const one = counting(databaseImportStores(serial.db, actor), 1);
    // Every other batch transaction links late, so that a row of the next batch that went ahead
    // when it should have waited would take a slot first.
    let calls = 0;
    const withLookups = (factory: ImportStoreFactory, db: PleDatabase): ImportStoreFactory => ({
      ...factory,
      companiesNamed: (refs) =>
        databaseImportStores(db, actor).companiesNamed?.(refs) ?? Promise.resolve([]),
      batch: (dryRun, fn) =>
        factory.batch(dryRun, (store) => {
          const late = ++calls % 2 === 1;
          return fn({
            ...store,
            async linkPeople(links) {
              if (late) await new Promise((done) => setTimeout(done, 40));
              return store.linkPeople(links);
            },
          });
        }),
    });
    const a = await runImport("people", withLookups(two.factory, parallel.db), {
      file,
      batchSize: 10,
    });
    const b = await runImport("people", one.factory, { file, batchSize: 10 });
    expect(two.seen.most).toBe(2);
    expect(one.seen.most).toBe(1);

    // Person ids and the UIDs of companies the file creates are handed out in the order the
    // writes reach the database: a conflict's slot is compared by its company's website.
    const websites = async (db: PleDatabase) => {
      const result = await db.knex.raw<{ rows: Array<{ company_uid: string; website: string }> }>(
        "SELECT company_uid, website FROM marketing.company",
      );
      return new Map(result.rows.map((r) => [r.company_uid, r.website]));
    };
    const comparable = (s: ImportSummary, site: Map<string, string>) => ({
      ...s,
      duration_ms: 0,
      rejects: s.rejects.map((r) => ({
        ...r,
        message: r.message.replace(/\b(PE|CO)-\d{8}-\d{6}\b/g, "$1-…"),
      })),
      slot_conflicts: s.slot_conflicts?.map(({ person_id: _, slot_uid, ...c }) => ({
        ...c,
        slot: slot_uid.replace(
          /^SL-(.*)-(CEO|CFO|HR)$/,
          (_m, uid: string, role: string) => `${site.get(uid)} ${role}`,
        ),
      })),
    });
    expect(comparable(a, await websites(parallel.db))).toEqual(
      comparable(b, await websites(serial.db)),
    );
    expect(a.created).toBeGreaterThan(400);
    expect(a.updated + a.unchanged).toBeGreaterThan(30);
    expect(a.rejected).toBeGreaterThan(30);
    expect(a.rejects.map((r) => r.error_code)).toEqual(
      expect.arrayContaining(["VALIDATION_FAILED", "COMPANY_NOT_FOUND", "IDENTITY_CONFLICT"]),
    );
    expect(a.linked).toBeGreaterThan(50);
    expect(a.slot_conflicts?.length).toBeGreaterThan(20);

    expect(await peopleState(parallel.db)).toEqual(await peopleState(serial.db));
    expect(await companyRows(parallel.db)).toEqual(await companyRows(serial.db));
    const counts = async (db: PleDatabase) =>
      Object.fromEntries((await databaseChecksums(db.knex)).map((t) => [t.table, t.rows]));
    const [ca, cb] = await Promise.all([counts(parallel.db), counts(serial.db)]);
    // Not company_slot_history: a slot created by a batch's first transaction and linked by its
    // second keeps the open version as history, where one transaction folds it away.
    for (const table of ["people", "company", "company_slot", "audit_log", "slot_event", "event"]) {
      expect(ca[table], table).toBe(cb[table]);
    }

    // A re-run, two batches at once, creates nothing.
    const again = await runImport("people", databaseImportStores(parallel.db, actor), {
      file,
      batchSize: 10,
    });
    expect(again.created).toBe(0);
  });
});
