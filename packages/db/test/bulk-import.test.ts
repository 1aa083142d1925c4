/**
 * The set-based import ends exactly as the per-row SQL functions would: one generated file
 * imported both ways into two fresh databases gives the same outcomes per row, the same
 * companies, slots, people, history and audit rows (UID counters and timestamps aside).
 */
import { CompanyCreateInput, PersonCreateInput, type PleError, parseInput } from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BulkCompanyRow,
  type BulkPersonRow,
  importCompanyBatch,
  importPersonBatch,
  type PersonImportOutcome,
} from "../src/bulk-import.js";
import type { Queryable } from "../src/database.js";
import type { CompanyImportOutcome } from "../src/import-plan.js";
import { toPleError, withActor } from "../src/index.js";
import {
  createEmbeddedTestDatabase,
  createTestDatabase,
  type TestDatabase,
} from "../src/testing.js";

const ACTOR = { actor: "cli:importer", application: "ple-import", requestId: "import-1" };
const UID = /^(CO|PE)-\d{8}-\d{6}$/;

interface RawCompany {
  company_name: string;
  website: string;
  apollo_company_id?: string;
  ein?: string;
}

/** A deterministic "file": variants of one site, Apollo-id clashes, chains, bad rows. */
function companyFile(): RawCompany[] {
  const rows: RawCompany[] = [];
  for (let i = 0; i < 160; i++) {
    const site = `company${i}.example`;
    const ein =
      i % 7 === 0
        ? "00-1234567"
        : i % 5 === 0
          ? "not an ein"
          : `${12 + (i % 10)}-${String(1000000 + i)}`;
    rows.push({
      company_name: `  Company ${i}   Inc `,
      website:
        i % 3 === 0
          ? `https://www.${site}/about`
          : i % 3 === 1
            ? `HTTP://${site.toUpperCase()}`
            : site,
      ...(i % 4 === 0 ? {} : { apollo_company_id: `ap${i}` }),
      ...(i % 2 === 0 ? { ein } : {}),
    });
    if (i % 10 === 3) rows.push({ company_name: `Dup ${i}`, website: `www.${site}` });
    if (i % 15 === 4)
      rows.push({
        company_name: `Other site ${i}`,
        website: `other${i}.example`,
        apollo_company_id: `ap${i}`,
      });
    if (i % 25 === 6) {
      // (W1, A1) then (W2, A1) exists by Apollo id, then (W2, A3) creates: W2 was never created.
      rows.push({
        company_name: `Chain a ${i}`,
        website: `chain${i}.example`,
        apollo_company_id: `ap${i}`,
      });
      rows.push({
        company_name: `Chain b ${i}`,
        website: `chain${i}.example`,
        apollo_company_id: `chain-ap${i}`,
      });
    }
    if (i % 20 === 9) rows.push({ company_name: "Bad site", website: "not a website" });
    if (i % 20 === 11) rows.push({ company_name: "   ", website: `blank${i}.example` });
    if (i % 40 === 13)
      rows.push({
        company_name: "Spaced id",
        website: `spaced${i}.example`,
        apollo_company_id: "a b",
      });
    if (i % 30 === 17)
      rows.push({ company_name: "Seeded again", website: `https://seed${i % 4}.example` });
  }
  return rows;
}

const SEED: RawCompany[] = [0, 1, 2, 3].map((i) => ({
  company_name: `Seed ${i}`,
  website: `seed${i}.example`,
  apollo_company_id: `seed-ap${i}`,
}));

type Parsed = { ok: true; row: BulkCompanyRow } | { ok: false; error: PleError };

function parseCompany(raw: RawCompany): Parsed {
  const parsed = parseInput(CompanyCreateInput, raw);
  return parsed.ok ? { ok: true, row: parsed.value } : { ok: false, error: parsed.error };
}

/**
 * The naive path: insert_company_with_slots per row (upsert_company under a policy, when one
 * is given), a savepoint each, a transaction per batch.
 */
async function perRowCompanies(
  q: Queryable,
  rows: BulkCompanyRow[],
  policy?: "fill" | "update",
): Promise<CompanyImportOutcome[]> {
  const out: CompanyImportOutcome[] = [];
  for (const row of rows) {
    const keys = [row.company_name, row.website, row.apollo_company_id ?? null, row.ein ?? null];
    try {
      const r = await q.transaction(async (sp) => {
        const res = await sp.raw<{
          rows: Array<{ r: { status: string; company_uid: string; matched_by?: string | null } }>;
        }>(
          policy === undefined
            ? "SELECT marketing.insert_company_with_slots(?, ?, ?, ?) AS r"
            : "SELECT marketing.upsert_company(?, ?, ?, ?, ?) AS r",
          policy === undefined ? keys : [...keys, policy],
        );
        const value = res.rows[0]?.r;
        if (value === undefined) throw new Error("no result");
        return value;
      });
      out.push(
        r.status === "created"
          ? { status: "created", company_uid: r.company_uid as never, matched_by: null }
          : {
              status: r.status === "updated" || r.status === "unchanged" ? r.status : "existing",
              company_uid: r.company_uid as never,
              matched_by: r.matched_by === "website" ? "website" : "apollo_company_id",
            },
      );
    } catch (err) {
      out.push({ status: "rejected", error: toPleError(err) });
    }
  }
  return out;
}

function co(company_name: string, website: string, apollo?: string, ein?: string): RawCompany {
  return {
    company_name,
    website,
    ...(apollo === undefined ? {} : { apollo_company_id: apollo }),
    ...(ein === undefined ? {} : { ein }),
  };
}

/**
 * Imports the batches of found rows under a policy into two databases holding the same
 * companies: through upsert_company per row, and through importCompanyBatch. Expects the same
 * outcomes, companies, history and audit, and that "Quiet" (found only by rows the batch
 * answers without the call) was not locked: upsert_company locks the company it finds (FOR NO
 * KEY UPDATE, which leaves the locker's transaction in xmax). Answers the batch's statuses.
 */
async function policyBothWays(
  policy: "fill" | "update",
  fileBatches: RawCompany[][],
): Promise<string[]> {
  const stored: RawCompany[] = [
    co("Full", "full.example", "F1", "12-3456789"),
    co("Empty", "empty.example"),
    co("No ein", "noein.example", "N1"),
    co("Gone", "gone.example"),
    co("Quiet", "quiet.example", "Q1", "17-5555555"),
  ];
  const [byRow, set] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  try {
    const prepare = async (db: TestDatabase) => {
      const rows = stored.map(parseCompany).flatMap((p) => (p.ok ? [p.row] : []));
      const out = await withActor(db.db, { actor: "seed" }, (trx) => perRowCompanies(trx, rows));
      const uids = out.map((o) => (o.status === "rejected" ? "" : o.company_uid));
      await db.db.knex.raw("SELECT marketing.merge_companies(?, ?, '{}'::jsonb)", [
        uids[0] ?? "",
        uids[3] ?? "",
      ]);
      return uids;
    };
    const xmax = async (db: TestDatabase, uid: string | undefined) =>
      (
        await db.db.knex.raw<{ rows: Array<{ xmax: string }> }>(
          "SELECT xmax::text FROM marketing.company WHERE company_uid = ?",
          [uid ?? ""],
        )
      ).rows[0]?.xmax;
    const uidsByRow = await prepare(byRow);
    const uidsSet = await prepare(set);
    const quietByRow = await xmax(byRow, uidsByRow[4]);
    const quietSet = await xmax(set, uidsSet[4]);
    const viaCall: CompanyImportOutcome[] = [];
    const viaSet: CompanyImportOutcome[] = [];
    for (const batch of fileBatches) {
      const rows = batch.map(parseCompany).flatMap((p) => (p.ok ? [p.row] : []));
      expect(rows).toHaveLength(batch.length);
      viaCall.push(
        ...(await withActor(byRow.db, ACTOR, (trx) => perRowCompanies(trx, rows, policy))),
      );
      viaSet.push(
        ...(await withActor(set.db, ACTOR, (trx) =>
          importCompanyBatch(trx, rows, { onExisting: policy }),
        )),
      );
    }
    const labelsByRow = labelsOf(uidsByRow, viaCall);
    const labelsSet = labelsOf(uidsSet, viaSet);
    expect(summarise(viaSet, labelsSet)).toEqual(summarise(viaCall, labelsByRow));
    const a = await snapshot(byRow.db.knex, labelsByRow);
    const b = await snapshot(set.db.knex, labelsSet);
    expect(b.companies).toEqual(a.companies);
    expect(b.companyHistory).toEqual(a.companyHistory);
    expect(b.audit).toEqual(a.audit);
    expect(await xmax(byRow, uidsByRow[4])).not.toBe(quietByRow);
    expect(await xmax(set, uidsSet[4])).toBe(quietSet);
    return viaSet.map((o) => o.status);
  } finally {
    await Promise.all([byRow.drop(), set.drop()]);
  }
}

/**
 * The naive path for people: insert_person per row (upsert_person under a policy, when one is
 * given), a savepoint each.
 */
async function perRowPeople(
  q: Queryable,
  rows: BulkPersonRow[],
  policy?: "fill" | "update",
): Promise<PersonImportOutcome[]> {
  const out: PersonImportOutcome[] = [];
  for (const row of rows) {
    const values = [
      row.name,
      row.email,
      row.linkedin_url ?? null,
      row.company_uid ?? null,
      row.title ?? null,
      row.source ?? "manual",
    ];
    try {
      const r = await q.transaction(async (sp) => {
        const res = await sp.raw<{ rows: Array<{ r: { status: string; person_id: string } }> }>(
          policy === undefined
            ? "SELECT marketing.insert_person(?, ?, ?, ?, ?, ?) AS r"
            : "SELECT marketing.upsert_person(?, ?, ?, ?, ?, ?, ?) AS r",
          policy === undefined ? values : [...values, policy],
        );
        const value = res.rows[0]?.r;
        if (value === undefined) throw new Error("no result");
        return value;
      });
      out.push({
        status:
          r.status === "created" || r.status === "updated" || r.status === "unchanged"
            ? r.status
            : "existing",
        person_id: r.person_id as never,
      });
    } catch (err) {
      out.push({ status: "rejected", error: toPleError(err) });
    }
  }
  return out;
}

/** Waits until a session of the test database waits on a lock in an INSERT into `table`. */
async function waitForLockedInsert(db: TestDatabase, table: string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const waiting = await db.db.knex.raw<{ rows: Array<{ n: number }> }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE ?`,
      [`%INSERT INTO ${table} %`],
    );
    if ((waiting.rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no INSERT INTO ${table} waited on a lock`);
}

type Importer = (q: Queryable, rows: BulkCompanyRow[]) => Promise<CompanyImportOutcome[]>;

/** Imports the file in batches, core rejecting what it refuses; one outcome per file row. */
async function importFile(db: TestDatabase, file: RawCompany[], batchSize: number, run: Importer) {
  const outcomes: Array<CompanyImportOutcome | { status: "rejected"; error: PleError }> = [];
  for (let start = 0; start < file.length; start += batchSize) {
    const parsed = file.slice(start, start + batchSize).map(parseCompany);
    const valid = parsed.flatMap((p) => (p.ok ? [p.row] : []));
    const results = await withActor(db.db, ACTOR, (trx) => run(trx, valid));
    let next = 0;
    for (const p of parsed) {
      if (!p.ok) outcomes.push({ status: "rejected", error: p.error });
      else {
        const r = results[next++];
        if (r === undefined) throw new Error("missing outcome");
        outcomes.push(r);
      }
    }
  }
  return outcomes;
}

/** Replaces every UID in a value by a stable label (the file row that created it). */
function relabel(value: unknown, labels: Map<string, string>): unknown {
  if (typeof value === "string") {
    return value.replace(/(CO|PE)-\d{8}-\d{6}/g, (uid) => labels.get(uid) ?? `unlabelled:${uid}`);
  }
  if (Array.isArray(value)) return value.map((v) => relabel(v, labels));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (
        ["created_at", "updated_at", "at", "valid_from", "txid", "audit_id", "history_id"].includes(
          k,
        )
      )
        continue;
      out[k] = relabel(v, labels);
    }
    return out;
  }
  return value;
}

function summarise(
  outcomes: Array<CompanyImportOutcome | PersonImportOutcome>,
  labels: Map<string, string>,
) {
  return outcomes.map((o) =>
    o.status === "rejected"
      ? { status: o.status, code: o.error.code, field: o.error.field ?? null }
      : relabel(o, labels),
  );
}

async function snapshot(q: Queryable, labels: Map<string, string>) {
  const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(relabel(r, labels))).sort();
  const all = async (sql: string) => (await q.raw<{ rows: unknown[] }>(sql)).rows;
  return {
    companies: sorted(await all("SELECT * FROM marketing.company")),
    slots: sorted(await all("SELECT * FROM marketing.company_slot")),
    people: sorted(await all("SELECT * FROM marketing.people")),
    audit: sorted(await all("SELECT * FROM marketing.audit_log")),
    companyHistory: sorted(await all("SELECT * FROM marketing.company_history")),
    slotHistory: sorted(await all("SELECT * FROM marketing.company_slot_history")),
    peopleHistory: sorted(await all("SELECT * FROM marketing.people_history")),
  };
}

/** Labels: seeded companies by seed index, created ones by the file row that created them. */
function labelsOf(seedUids: string[], outcomes: Array<CompanyImportOutcome | PersonImportOutcome>) {
  const labels = new Map<string, string>();
  seedUids.forEach((uid, i) => {
    labels.set(uid, `seed:${i}`);
  });
  outcomes.forEach((o, i) => {
    if (o.status === "created")
      labels.set("company_uid" in o ? o.company_uid : o.person_id, `row:${i}`);
  });
  return labels;
}

async function seed(db: TestDatabase): Promise<string[]> {
  const parsed = SEED.map(parseCompany).flatMap((p) => (p.ok ? [p.row] : []));
  const out = await withActor(db.db, { actor: "seed" }, (trx) => perRowCompanies(trx, parsed));
  return out.map((o) => (o.status === "rejected" ? "" : o.company_uid));
}

describe("importCompanyBatch", () => {
  let naive: TestDatabase;
  let bulk: TestDatabase;
  beforeAll(async () => {
    [naive, bulk] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([naive?.drop(), bulk?.drop()]);
  });

  it("creates, finds and rejects the same rows as insert_company_with_slots, with the same slots, history and audit", async () => {
    const file = companyFile();
    const seedNaive = await seed(naive);
    const seedBulk = await seed(bulk);
    const perRow = await importFile(naive, file, 50, perRowCompanies);
    const batched = await importFile(bulk, file, 50, importCompanyBatch);

    const labelsNaive = labelsOf(seedNaive, perRow);
    const labelsBulk = labelsOf(seedBulk, batched);
    expect(summarise(batched, labelsBulk)).toEqual(summarise(perRow, labelsNaive));

    const counts = (o: typeof perRow) => ({
      created: o.filter((x) => x.status === "created").length,
      existing: o.filter((x) => x.status === "existing").length,
      rejected: o.filter((x) => x.status === "rejected").length,
    });
    // The file exercises every outcome, and the chain case creates its second website.
    expect(counts(batched)).toEqual(counts(perRow));
    expect(counts(batched).created).toBeGreaterThan(150);
    expect(counts(batched).existing).toBeGreaterThan(20);
    expect(counts(batched).rejected).toBeGreaterThan(10);
    const matchedBy = new Set(batched.map((o) => (o.status === "existing" ? o.matched_by : null)));
    expect(matchedBy).toEqual(new Set([null, "website", "apollo_company_id"]));

    for (const o of batched) if (o.status !== "rejected") expect(o.company_uid).toMatch(UID);
    const slots = await bulk.db.knex.raw<{
      rows: Array<{ slot_uid: string; company_uid: string; role: string }>;
    }>("SELECT slot_uid, company_uid, role FROM marketing.company_slot");
    for (const s of slots.rows) expect(s.slot_uid).toBe(`SL-${s.company_uid}-${s.role}`);
    const perCompany = await bulk.db.knex.raw<{ rows: Array<{ n: number }> }>(
      "SELECT count(s.slot_uid)::int AS n FROM marketing.company AS c LEFT JOIN marketing.company_slot AS s USING (company_uid) GROUP BY c.company_uid",
    );
    expect(new Set(perCompany.rows.map((r) => r.n))).toEqual(new Set([3]));

    const a = await snapshot(naive.db.knex, labelsNaive);
    const b = await snapshot(bulk.db.knex, labelsBulk);
    expect(b.companies).toEqual(a.companies);
    expect(b.slots).toEqual(a.slots);
    expect(b.companyHistory).toEqual(a.companyHistory);
    expect(b.slotHistory).toEqual(a.slotHistory);
    expect(b.audit).toEqual(a.audit);
    expect(b.audit.some((row) => row.includes('"actor":"cli:importer"'))).toBe(true);

    // Re-importing the file (one big batch) creates nothing and finds every row.
    const again = await importFile(bulk, file, 10_000, importCompanyBatch);
    expect(again.filter((o) => o.status === "created")).toEqual([]);
    expect(again.filter((o) => o.status === "existing").length).toBe(
      counts(batched).created + counts(batched).existing,
    );
  });

  it("under fill, answers found rows as upsert_company row by row, the unchanged ones without the call", async () => {
    const statuses = await policyBothWays("fill", [
      [
        // Unchanged by the shortcut: the company holds the website (and Apollo id), has an EIN.
        co("Full again", "full.example", "F1", "13-1111111"),
        co("Full bare", "full.example"),
        // Unchanged by the shortcut: found by Apollo id, the website held by nobody.
        co("Full elsewhere", "full-new.example", "F1"),
        co("No ein by id", "noein-new.example", "N1"),
        co("Quiet", "quiet.example", "Q1"),
        co("Quiet elsewhere", "quiet-new.example", "Q1"),
        // Through upsert_company: a field to fill, in file order.
        co("Empty", "empty.example", "E1"),
        co("Empty", "empty.example", "E1", "14-2222222"),
        co("No ein", "noein.example", "N1", "15-3333333"),
        // Through upsert_company: the website of a merged-away company.
        co("Gone", "gone.example"),
        // Through upsert_company: another Apollo id than the one held.
        co("Full other id", "full.example", "F9"),
      ],
      [
        // Found by Apollo id while another company holds the website: IDENTITY_CONFLICT.
        co("Clash", "empty.example", "F1"),
        co("Empty again", "empty.example"),
      ],
    ]);
    expect(statuses).toEqual([
      ...Array(6).fill("unchanged"),
      ...Array(3).fill("updated"),
      ...["unchanged", "unchanged", "rejected", "unchanged"],
    ]);
  });

  it("under update, answers found rows as upsert_company row by row, the unchanged ones without the call", async () => {
    const statuses = await policyBothWays("update", [
      [
        // Unchanged by the shortcut: the only row finding the company, every value the same.
        co("Quiet", "quiet.example", "Q1", "17-5555555"),
        co("Empty", "empty.example"),
        // Through upsert_company: three rows find "Full"; the second renames it, the third
        // renames it back (answered "unchanged" from the table as the statement began, it
        // would be wrong).
        co("Full", "full.example", "F1"),
        co("Full renamed", "full.example"),
        co("Full", "full.example"),
        co("No ein", "noein.example", "N1", "15-3333333"),
        // Through upsert_company: found by Apollo id, so the update moves the website.
        co("No ein", "noein-moved.example", "N1"),
      ],
      [co("Clash", "empty.example", "F1"), co("Empty", "empty.example")],
    ]);
    expect(statuses).toEqual([
      ...["unchanged", "unchanged", "unchanged", "updated", "updated", "updated", "updated"],
      ...["rejected", "unchanged"],
    ]);
  });

  it("gives a batch's new companies consecutive UIDs of today, ascending in website order", async () => {
    const rows: BulkCompanyRow[] = ["uid-order-c", "uid-order-a", "uid-order-d", "uid-order-b"].map(
      (name) => ({ company_name: name, website: `${name}.example` }),
    );
    const out = await withActor(bulk.db, ACTOR, (trx) => importCompanyBatch(trx, rows));
    const uids = out.map((o) =>
      o.status === "created" ? o.company_uid : `not created: ${o.status}`,
    );
    const byWebsite = [1, 3, 0, 2].map((i) => uids[i] ?? "");
    const today = new Date().toISOString().slice(0, 10).replaceAll("-", "");
    const first = Number(byWebsite[0]?.slice(-6));
    expect(byWebsite).toEqual(
      [0, 1, 2, 3].map((k) => `CO-${today}-${String(first + k).padStart(6, "0")}`),
    );
  });

  it("rejects exactly the row the database refuses when a caller skipped core's normalisers", async () => {
    const rows: BulkCompanyRow[] = [
      { company_name: "Fine", website: "fallback-fine.example" },
      { company_name: "Broken", website: "not a website" },
      { company_name: "Shouting", website: "WWW.Fallback-Loud.example" },
      { company_name: "Fine again", website: "fallback-fine.example" },
    ];
    const out = await withActor(bulk.db, ACTOR, (trx) => importCompanyBatch(trx, rows));
    expect(out.map((o) => o.status)).toEqual(["created", "rejected", "created", "existing"]);
    const broken = out[1];
    expect(broken?.status === "rejected" && broken.error.code).toBe("VALIDATION_FAILED");
    expect(broken?.status === "rejected" && broken.error.field).toBe("website");
    const loud = await bulk.db
      .knex("marketing.company")
      .where({ website: "fallback-loud.example" })
      .first();
    expect(loud?.company_name).toBe("Shouting");
  });

  it("gives an existing company the slot it lacks, as insert_company_with_slots does", async () => {
    const [made] = await withActor(bulk.db, ACTOR, (trx) =>
      importCompanyBatch(trx, [{ company_name: "Slotless", website: "slotless.example" }]),
    );
    if (made?.status !== "created") throw new Error("not created");
    await bulk.db
      .knex("marketing.company_slot")
      .where({ company_uid: made.company_uid, role: "CFO" })
      .delete();
    const [again] = await withActor(bulk.db, ACTOR, (trx) =>
      importCompanyBatch(trx, [{ company_name: "Slotless", website: "slotless.example" }]),
    );
    expect(again).toEqual({
      status: "existing",
      company_uid: made.company_uid,
      matched_by: "website",
    });
    const roles = await bulk.db
      .knex("marketing.company_slot")
      .where({ company_uid: made.company_uid })
      .pluck("role");
    expect(roles.sort()).toEqual(["CEO", "CFO", "HR"]);
  });

  it("compiles nothing with JIT for the rest of the batch's transaction, and only there", async () => {
    const jit = async (q: Queryable) =>
      (await q.raw<{ rows: Array<{ jit: string }> }>("SELECT current_setting('jit') AS jit"))
        .rows[0]?.jit;
    const before = await jit(bulk.db.knex);
    expect(before).toBe("on");
    const inBatch = await withActor(bulk.db, ACTOR, async (trx) => {
      await importCompanyBatch(trx, [{ company_name: "No Jit", website: "no-jit.example" }]);
      const companies = await jit(trx);
      await importPersonBatch(trx, [{ name: "No Jit", email: "no-jit@no-jit.example" }]);
      return [companies, await jit(trx)];
    });
    expect(inBatch).toEqual(["off", "off"]);
    expect(await jit(bulk.db.knex)).toBe(before);
  });

  it("never creates a company twice when two imports of overlapping files run at once", async () => {
    const make = (from: number, to: number): BulkCompanyRow[] =>
      Array.from({ length: to - from }, (_, k) => ({
        company_name: `Race ${from + k}`,
        website: `race${from + k}.example`,
        apollo_company_id: `race-ap${from + k}`,
      }));
    const first = make(0, 600);
    const second = [...make(300, 900)].reverse();
    const importAll = async (rows: BulkCompanyRow[]) => {
      const out: CompanyImportOutcome[] = [];
      for (let i = 0; i < rows.length; i += 150) {
        out.push(
          ...(await withActor(bulk.db, ACTOR, (trx) =>
            importCompanyBatch(trx, rows.slice(i, i + 150)),
          )),
        );
      }
      return out;
    };
    const [a, b] = await Promise.all([importAll(first), importAll(second)]);
    const created = [...a, ...b].filter((o) => o.status === "created").length;
    expect(created).toBe(900);
    expect([...a, ...b].filter((o) => o.status === "rejected")).toEqual([]);
    const count = await bulk.db.knex.raw<{ rows: Array<{ n: number }> }>(
      "SELECT count(*)::int AS n FROM marketing.company WHERE website LIKE 'race%'",
    );
    expect(count.rows[0]?.n).toBe(900);
    // Both imports report the same company for a shared website.
    const uidOf = new Map<string, string>();
    [...first, ...second].forEach((row, i) => {
      const o = i < first.length ? a[i] : b[i - first.length];
      if (o === undefined || o.status === "rejected") throw new Error("missing outcome");
      const known = uidOf.get(row.website);
      if (known !== undefined) expect(o.company_uid).toBe(known);
      uidOf.set(row.website, o.company_uid);
    });
  });
  it("runs a batch again with ON CONFLICT when a concurrent writer takes one of its websites", async () => {
    const rows: BulkCompanyRow[] = ["taken-a", "taken-b", "taken-c"].map((name) => ({
      company_name: name,
      website: `${name}.example`,
    }));
    // Another transaction inserts taken-b without committing (the batch's look-up cannot see
    // it), then commits while the batch's plain insert waits on that website's unique key: the
    // insert fails with 23505 and the batch goes again with ON CONFLICT DO NOTHING.
    const other = await bulk.db.knex.transaction();
    const seen = await other.raw<{ rows: Array<{ r: { company_uid: string } }> }>(
      "SELECT marketing.insert_company_with_slots('Taken B', 'taken-b.example', NULL, NULL) AS r",
    );
    const takenUid = seen.rows[0]?.r.company_uid;
    const batch = withActor(bulk.db, ACTOR, (trx) => importCompanyBatch(trx, rows));
    await waitForLockedInsert(bulk, "marketing.company");
    await other.commit();
    const out = await batch;
    expect(out.map((o) => o.status)).toEqual(["created", "existing", "created"]);
    expect(out[1]).toMatchObject({ company_uid: takenUid, matched_by: "website" });
    const slots = await bulk.db.knex.raw<{ rows: Array<{ n: number }> }>(
      `SELECT count(*)::int AS n FROM marketing.company_slot AS s
         JOIN marketing.company AS c USING (company_uid) WHERE c.website LIKE 'taken-%'`,
    );
    expect(slots.rows[0]?.n).toBe(9);
  });
});

describe("importPersonBatch", () => {
  let naive: TestDatabase;
  let bulk: TestDatabase;
  beforeAll(async () => {
    [naive, bulk] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([naive?.drop(), bulk?.drop()]);
  });

  it("creates, finds and rejects the same people as insert_person", async () => {
    const seedNaive = await seed(naive);
    const seedBulk = await seed(bulk);
    expect(seedBulk).toEqual(seedNaive);
    const raw = Array.from({ length: 220 }, (_, i) => ({
      name: ` Person  ${i} `,
      email:
        i % 9 === 4
          ? `Person${i - 1}@Example.COM`
          : i % 23 === 5
            ? "not an email"
            : ` person${i}@example.com`,
      ...(i % 3 === 0 ? { linkedin_url: `linkedin.com/in/person-${i}` } : {}),
      ...(i % 4 === 1 ? { company_uid: seedBulk[i % 4] } : {}),
      ...(i % 5 === 2 ? { title: "Chief  Executive Officer" } : {}),
      source: i % 2 === 0 ? "apollo" : "csv",
    }));
    // A company that does not exist: core accepts the UID, the database refuses the row.
    raw.push({
      name: "Ghost",
      email: "ghost@example.com",
      company_uid: "CO-20200101-000001",
      source: "csv",
    });
    const parsed = raw.map((r) => parseInput(PersonCreateInput, r));
    const valid: BulkPersonRow[] = parsed.flatMap((p) => (p.ok ? [p.value] : []));
    expect(valid.length).toBeLessThan(raw.length);

    // Two batches each way, so duplicates meet both within a batch and across batches.
    const a: PersonImportOutcome[] = [];
    const b: PersonImportOutcome[] = [];
    for (const slice of [valid.slice(0, 60), valid.slice(60)]) {
      a.push(...(await withActor(naive.db, ACTOR, (trx) => perRowPeople(trx, slice))));
      b.push(...(await withActor(bulk.db, ACTOR, (trx) => importPersonBatch(trx, slice))));
    }
    const labelsA = labelsOf(seedNaive, a);
    const labelsB = labelsOf(seedBulk, b);
    const rejectedCode = b.find((o) => o.status === "rejected");
    expect(rejectedCode?.status === "rejected" && rejectedCode.error.code).toBe(
      "COMPANY_NOT_FOUND",
    );
    expect(summarise(b, labelsB)).toEqual(summarise(a, labelsA));
    const sa = await snapshot(naive.db.knex, labelsA);
    const sb = await snapshot(bulk.db.knex, labelsB);
    expect(sb.people).toEqual(sa.people);
    expect(sb.peopleHistory).toEqual(sa.peopleHistory);
    expect(sb.audit).toEqual(sa.audit);
    for (const o of b) if (o.status !== "rejected") expect(o.person_id).toMatch(UID);
  });
  it("runs a batch again with ON CONFLICT when a concurrent writer takes one of its emails", async () => {
    const rows: BulkPersonRow[] = ["taken-a", "taken-b", "taken-c"].map((name) => ({
      name,
      email: `${name}@example.com`,
    }));
    // As for companies: the other transaction's person is invisible to the batch's look-up, and
    // its commit fails the batch's plain insert (23505), so the batch goes again.
    const other = await bulk.db.knex.transaction();
    const seen = await other.raw<{ rows: Array<{ r: { person_id: string } }> }>(
      "SELECT marketing.insert_person('Taken B', 'taken-b@example.com') AS r",
    );
    const takenId = seen.rows[0]?.r.person_id;
    const batch = withActor(bulk.db, ACTOR, (trx) => importPersonBatch(trx, rows));
    await waitForLockedInsert(bulk, "marketing.people");
    await other.commit();
    const out = await batch;
    expect(out.map((o) => o.status)).toEqual(["created", "existing", "created"]);
    expect(out[1]).toMatchObject({ person_id: takenId });
  });
  it("under fill and update, answers found people as upsert_person row by row, the unchanged ones without the call", async () => {
    // [name, email local part, LinkedIn slug, company (A or B), title]
    type P = [string, string, string?, ("A" | "B")?, string?];
    const fill: P[][] = [
      [
        // Unchanged by the shortcut: nothing to fill ("Quinn" is found only by these rows).
        ["Pat One", "p1", "p1", "A", "Chief"],
        ["Pat One", "p1"],
        ["Quinn", "q", "q", "B"],
        // Through upsert_person: fields to fill, then nothing left to fill.
        ["Pat Two", "p2", "p2", "A", "HR lead"],
        ["Pat Two", "p2", "p2", "A", "HR lead"],
        // Through upsert_person: another LinkedIn URL than the one held, held by nobody.
        ["Pat One", "p1", "other"],
      ],
      // A LinkedIn URL another person holds: IDENTITY_CONFLICT.
      [
        ["Pat One", "p1", "q"],
        ["Pat Two", "p2"],
      ],
    ];
    const update: P[][] = [
      [
        ["Quinn", "q", "q", "B", "CFO"],
        // Three rows find "Pat One": the second renames, the third renames back.
        ["Pat One", "p1", "p1", "A", "CEO"],
        ["Pat Uno", "p1"],
        ["Pat One", "p1"],
        ["Pat Two", "p2", undefined, undefined, "Boss"],
      ],
      [
        ["Pat One", "p1", "q"],
        ["Pat Two", "p2"],
      ],
    ];
    const both = async (policy: "fill" | "update", batches: P[][]) => {
      const [byRow, set] = await Promise.all([createTestDatabase(), createTestDatabase()]);
      try {
        const prepare = async (db: TestDatabase) => {
          const companies = await withActor(db.db, { actor: "seed" }, (trx) =>
            perRowCompanies(trx, [
              { company_name: "A", website: "a.example" },
              { company_name: "B", website: "b.example" },
            ]),
          );
          const uid = (k: "A" | "B") => {
            const o = companies[k === "A" ? 0 : 1];
            return o !== undefined && o.status !== "rejected" ? o.company_uid : "";
          };
          const person = (p: P): BulkPersonRow => {
            const [name, local, slug, company, title] = p;
            return PersonCreateInput.parse({
              name,
              email: `${local}@people.example`,
              ...(slug === undefined ? {} : { linkedin_url: `linkedin.com/in/${slug}-person` }),
              ...(company === undefined ? {} : { company_uid: uid(company) }),
              ...(title === undefined ? {} : { title }),
            });
          };
          const stored = [
            person(["Pat One", "p1", "p1", "A", "CEO"]),
            person(["Pat Two", "p2"]),
            person(["Quinn", "q", "q", "B", "CFO"]),
          ];
          const ids = await withActor(db.db, { actor: "seed" }, (trx) =>
            importPersonBatch(trx, stored),
          );
          return { person, quinn: ids[2]?.status === "created" ? ids[2].person_id : "" };
        };
        const a = await prepare(byRow);
        const b = await prepare(set);
        const xmax = async (db: TestDatabase, id: string) =>
          (
            await db.db.knex.raw<{ rows: Array<{ xmax: string }> }>(
              "SELECT xmax::text FROM marketing.people WHERE person_id = ?",
              [id],
            )
          ).rows[0]?.xmax;
        const quinnByRow = await xmax(byRow, a.quinn);
        const quinnSet = await xmax(set, b.quinn);
        const viaCall: PersonImportOutcome[] = [];
        const viaSet: PersonImportOutcome[] = [];
        for (const batch of batches) {
          const rowsA = batch.map(a.person);
          const rowsB = batch.map(b.person);
          expect(rowsB).toEqual(rowsA);
          viaCall.push(
            ...(await withActor(byRow.db, ACTOR, (trx) => perRowPeople(trx, rowsA, policy))),
          );
          viaSet.push(
            ...(await withActor(set.db, ACTOR, (trx) =>
              importPersonBatch(trx, rowsB, { onExisting: policy }),
            )),
          );
        }
        const labels = new Map<string, string>();
        expect(summarise(viaSet, labels)).toEqual(summarise(viaCall, labels));
        const sa = await snapshot(byRow.db.knex, labels);
        const sb = await snapshot(set.db.knex, labels);
        expect(sb.people).toEqual(sa.people);
        expect(sb.peopleHistory).toEqual(sa.peopleHistory);
        expect(sb.audit).toEqual(sa.audit);
        // upsert_person locks the person it finds; only shortcut rows found "Quinn".
        expect(await xmax(byRow, a.quinn)).not.toBe(quinnByRow);
        expect(await xmax(set, b.quinn)).toBe(quinnSet);
        return viaSet.map((o) => o.status);
      } finally {
        await Promise.all([byRow.drop(), set.drop()]);
      }
    };
    expect(await both("fill", fill)).toEqual([
      ...["unchanged", "unchanged", "unchanged", "updated", "unchanged", "unchanged"],
      ...["rejected", "unchanged"],
    ]);
    expect(await both("update", update)).toEqual([
      ...["unchanged", "unchanged", "updated", "updated", "updated"],
      ...["rejected", "unchanged"],
    ]);
  });
});

describe("bulk import on the embedded database (PGlite)", () => {
  // Migrating a fresh PGlite image takes most of a minute on a loaded 2-core machine.
  it("creates, finds and rejects as on the server", { timeout: 180_000 }, async () => {
    const embedded = await createEmbeddedTestDatabase();
    try {
      const companies = await withActor(embedded.db, ACTOR, (trx) =>
        importCompanyBatch(trx, [
          { company_name: "Pglite One", website: "pglite-one.example", apollo_company_id: "pg1" },
          { company_name: "Pglite Two", website: "pglite-two.example", ein: "12-3456789" },
          { company_name: "Same id", website: "pglite-three.example", apollo_company_id: "pg1" },
          { company_name: "Broken", website: "not a website" },
        ]),
      );
      expect(companies.map((o) => (o.status === "existing" ? o.matched_by : o.status))).toEqual([
        "created",
        "created",
        "apollo_company_id",
        "rejected",
      ]);
      const first = companies[0];
      if (first?.status !== "created") throw new Error("not created");
      const people = await withActor(embedded.db, ACTOR, (trx) =>
        importPersonBatch(trx, [
          { name: "Ada", email: "ada@pglite-one.example", company_uid: first.company_uid },
          { name: "Ada again", email: "ada@pglite-one.example" },
        ]),
      );
      expect(people.map((o) => o.status)).toEqual(["created", "existing"]);
      const slots = await embedded.db.knex("marketing.company_slot").count({ n: "*" }).first();
      expect(Number(slots?.n)).toBe(6);
      const audit = await embedded.db.knex("marketing.audit_log").count({ n: "*" }).first();
      expect(Number(audit?.n)).toBe(2 + 6 + 1);
    } finally {
      await embedded.drop();
    }
  });
});
