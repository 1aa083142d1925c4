/**
 * marketing.insert_company_with_slots and the company table: canonical
 * values, idempotency by website or Apollo id, clear errors, and the races
 * (many connections inserting at once).
 */
import { formatSlotUid, parseCompanyUid, ROLES } from "@ple/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { createTestDatabase } from "../src/testing.js";
import { connect, row, rows, sqlError } from "./sql-helpers.js";

interface SlotJson {
  slot_uid: string;
  role: string;
  status: string;
  person_id: string | null;
}
interface CompanyJson {
  status: "created" | "exists";
  matched_by?: string;
  company_uid: string;
  company_name: string;
  website: string;
  apollo_company_id: string | null;
  ein_raw: string | null;
  ein_valid: boolean | null;
  slots: SlotJson[];
}

let db: PleDatabase;
let url: string;
let drop: () => Promise<void>;

beforeAll(async () => {
  const t = await createTestDatabase();
  db = t.db;
  url = t.url;
  drop = t.drop;
});
afterAll(async () => {
  await drop();
});

async function insertCompany(
  name: string | null,
  website: string | null,
  apolloId: string | null = null,
  ein: string | null = null,
): Promise<CompanyJson> {
  const { r } = await row<{ r: CompanyJson }>(
    db.knex,
    "SELECT marketing.insert_company_with_slots(?, ?, ?, ?) AS r",
    [name, website, apolloId, ein],
  );
  return r;
}

type CompanyUidArg = Parameters<typeof formatSlotUid>[0];

describe("insert_company_with_slots", () => {
  it("creates the company with its three open slots, all canonical", async () => {
    const r = await insertCompany(
      "  Acme \t Widgets ",
      "https://WWW.Acme-Widgets.com:443/about?x=1",
      "5f1a",
      " 12-3456789 ",
    );
    expect(r.status).toBe("created");
    expect(parseCompanyUid(r.company_uid).ok).toBe(true);
    expect(r).toMatchObject({
      company_name: "Acme Widgets",
      website: "acme-widgets.com",
      apollo_company_id: "5f1a",
      ein_raw: "12-3456789",
      ein_valid: true,
    });
    expect(r.slots).toEqual(
      ROLES.map((role) => ({
        slot_uid: formatSlotUid(r.company_uid as CompanyUidArg, role),
        role,
        status: "open",
        person_id: null,
      })),
    );
    const stored = await rows<{ role: string; status: string }>(
      db.knex,
      "SELECT role, status FROM marketing.company_slot WHERE company_uid = ? ORDER BY role",
      [r.company_uid],
    );
    expect(stored).toEqual([
      { role: "CEO", status: "open" },
      { role: "CFO", status: "open" },
      { role: "HR", status: "open" },
    ]);
  });

  it("returns the existing company for any variant of its website, or its Apollo id", async () => {
    const first = await insertCompany("Globex", "globex.io", "apollo-globex");
    for (const variant of [
      "http://globex.io",
      "https://www.GLOBEX.io/",
      "globex.io.",
      "//www.globex.io/x#y",
    ]) {
      const again = await insertCompany("Globex Corporation", variant);
      expect(again).toMatchObject({
        status: "exists",
        matched_by: "website",
        company_uid: first.company_uid,
        company_name: "Globex",
      });
    }
    const byApollo = await insertCompany("Globex", "globex-new-domain.io", "apollo-globex");
    expect(byApollo).toMatchObject({
      status: "exists",
      matched_by: "apollo_company_id",
      company_uid: first.company_uid,
      website: "globex.io",
    });
    const { n } = await row<{ n: number }>(
      db.knex,
      "SELECT count(*)::int AS n FROM marketing.company WHERE website LIKE 'globex%'",
    );
    expect(n).toBe(1);
  });

  it("gives an existing company back any slot it is missing", async () => {
    const c = await insertCompany("Initech", "initech.com");
    await db.knex.raw("DELETE FROM marketing.company_slot WHERE company_uid = ? AND role = 'HR'", [
      c.company_uid,
    ]);
    const again = await insertCompany("Initech", "initech.com");
    expect(again.status).toBe("exists");
    expect(again.slots.map((s) => s.role)).toEqual(["CEO", "CFO", "HR"]);
  });

  it("keeps a junk EIN as given but flagged, and treats a blank EIN or Apollo id as none", async () => {
    const junk = await insertCompany("Hooli", "hooli.xyz", null, " 07-1234567 ");
    expect(junk).toMatchObject({ ein_raw: "07-1234567", ein_valid: false });
    const text = await insertCompany("Pied Piper", "piedpiper.com", "  ", "n/a");
    expect(text).toMatchObject({ ein_raw: "n/a", ein_valid: false, apollo_company_id: null });
    const blank = await insertCompany("Aviato", "aviato.com", null, "   ");
    expect(blank).toMatchObject({ ein_raw: null, ein_valid: null });
  });

  it("refuses bad input with PL001 naming the field and the reason", async () => {
    const cases: Array<[Array<string | null>, string, string]> = [
      [["Acme", "localhost", null, null], "website", "localhost"],
      [["Acme", "john@example.com", null, null], "website", "email_not_website"],
      [["Acme", "ftp://example.com", null, null], "website", "unsupported_scheme"],
      [["Acme", null, null, null], "website", "empty"],
      [["   ", "example.com", null, null], "company_name", "empty"],
      [["x".repeat(301), "example.com", null, null], "company_name", "too_long"],
      [["Acme", "example.com", null, "1".repeat(65)], "ein", "too_long"],
    ];
    for (const [args, column, detail] of cases) {
      const e = await sqlError(
        db.knex.raw("SELECT marketing.insert_company_with_slots(?, ?, ?, ?)", args),
      );
      expect({ args, ...e }).toMatchObject({ args, code: "PL001", column, detail });
      expect(e.message.length).toBeGreaterThan(20);
    }
  });
});

describe("the company table", () => {
  it("stores canonical values whoever writes the row, and refreshes ein_valid", async () => {
    const c = await insertCompany("Umbrella", "umbrella.com", null, "12-3456789");
    await db.knex.raw(
      "UPDATE marketing.company SET website = 'https://www.Umbrella-Corp.com/en', ein_raw = '00-0000000' WHERE company_uid = ?",
      [c.company_uid],
    );
    const stored = await row<{ website: string; ein_raw: string; ein_valid: boolean }>(
      db.knex,
      "SELECT website, ein_raw, ein_valid FROM marketing.company WHERE company_uid = ?",
      [c.company_uid],
    );
    expect(stored).toEqual({
      website: "umbrella-corp.com",
      ein_raw: "00-0000000",
      ein_valid: false,
    });
    const e = await sqlError(
      db.knex.raw("UPDATE marketing.company SET website = 'intranet' WHERE company_uid = ?", [
        c.company_uid,
      ]),
    );
    expect(e).toMatchObject({ code: "PL001", column: "website", detail: "no_dot" });
  });

  it("refuses a second company with the same canonical website", async () => {
    await insertCompany("Stark", "stark.com");
    const e = await sqlError(
      db.knex.raw(
        "INSERT INTO marketing.company (company_uid, company_name, website) VALUES (marketing.gen_company_uid(), 'Stark 2', 'WWW.STARK.COM')",
      ),
    );
    expect(e.code).toBe("23505");
    expect(e.message).toContain("company_website_key");
  });
});

describe("races", () => {
  async function withClients<T>(
    n: number,
    fn: (client: pg.Client, i: number) => Promise<T>,
  ): Promise<T[]> {
    const clients = await Promise.all(Array.from({ length: n }, () => connect(url)));
    try {
      return await Promise.all(clients.map((client, i) => fn(client, i)));
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  }

  it("8 connections × 2,000 companies: every UID unique and well-formed, exactly 3 slots each", async () => {
    const perConnection = 2000;
    const batch = 250;
    await withClients(8, async (client, i) => {
      for (let from = 1; from <= perConnection; from += batch) {
        await client.query(
          `SELECT marketing.insert_company_with_slots('Race ' || $1 || '-' || g, 'race-' || $1 || '-' || g || '.example.com', NULL, NULL)
             FROM generate_series($2::int, $3::int) AS g`,
          [i, from, from + batch - 1],
        );
      }
    });
    const companies = await rows<{ company_uid: string; slots: number; proper: number }>(
      db.knex,
      `SELECT c.company_uid, count(s.slot_uid)::int AS slots,
              count(*) FILTER (WHERE s.slot_uid = 'SL-' || c.company_uid || '-' || s.role AND s.status = 'open')::int AS proper
         FROM marketing.company AS c LEFT JOIN marketing.company_slot AS s USING (company_uid)
        WHERE c.website LIKE 'race-%'
        GROUP BY c.company_uid`,
    );
    expect(companies).toHaveLength(8 * perConnection);
    expect(new Set(companies.map((c) => c.company_uid)).size).toBe(8 * perConnection);
    const malformed = companies.filter((c) => !parseCompanyUid(c.company_uid).ok);
    expect(malformed).toEqual([]);
    const wrongSlots = companies.filter((c) => c.slots !== 3 || c.proper !== 3);
    expect(wrongSlots).toEqual([]);
  });

  it("8 connections inserting the same website at once make one company", async () => {
    for (let round = 0; round < 5; round++) {
      const variants = [
        `same-${round}.com`,
        `https://same-${round}.com`,
        `https://www.same-${round}.com/`,
        `SAME-${round}.COM`,
        `http://same-${round}.com:80/x`,
        `www.Same-${round}.com.`,
        `//same-${round}.com`,
        `same-${round}.com?ref=1`,
      ];
      const results = await withClients(8, async (client, i) => {
        await client.query("BEGIN");
        const r = await client.query<{ r: CompanyJson }>(
          "SELECT marketing.insert_company_with_slots($1, $2, NULL, NULL) AS r",
          [`Same ${i}`, variants[i]],
        );
        await client.query("SELECT pg_sleep(0.02)");
        await client.query("COMMIT");
        const first = r.rows[0];
        if (first === undefined) throw new Error("no result");
        return first.r;
      });
      expect(results.filter((r) => r.status === "created")).toHaveLength(1);
      expect(new Set(results.map((r) => r.company_uid)).size).toBe(1);
      for (const r of results) expect(r.slots).toHaveLength(3);
      const { n } = await row<{ n: number }>(
        db.knex,
        "SELECT count(*)::int AS n FROM marketing.company WHERE website = ?",
        [`same-${round}.com`],
      );
      expect(n).toBe(1);
    }
  });

  it("8 connections inserting the same Apollo id under different websites make one company", async () => {
    const results = await withClients(8, async (client, i) => {
      const r = await client.query<{ r: CompanyJson }>(
        "SELECT marketing.insert_company_with_slots($1, $2, 'apollo-race', NULL) AS r",
        [`Apollo ${i}`, `apollo-race-${i}.com`],
      );
      const first = r.rows[0];
      if (first === undefined) throw new Error("no result");
      return first.r;
    });
    expect(results.filter((r) => r.status === "created")).toHaveLength(1);
    expect(new Set(results.map((r) => r.company_uid)).size).toBe(1);
  });
});
