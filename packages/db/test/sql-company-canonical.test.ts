/**
 * marketing.company_before_write skips the normalisers for a value that is
 * already canonical (migrations 001 and 008). The skip must never change a
 * result: a value written straight into marketing.company comes out exactly as
 * the normaliser makes it, or fails with the normaliser's error. Checked for
 * every input and output of core's website, company-name and EIN vectors, and
 * for values close to the edges of the cheap checks.
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../src/testing.js";
import { connect, containsNul, loadVectors } from "./sql-helpers.js";

interface Outcome {
  value?: string | null;
  code?: string | undefined;
  column?: string | undefined;
  detail?: string | undefined;
}

let client: pg.Client;
let drop: () => Promise<void>;

beforeAll(async () => {
  const t = await createTestDatabase();
  drop = t.drop;
  client = await connect(t.url);
});
afterAll(async () => {
  await client.end();
  await drop();
});

function errorOutcome(err: unknown): Outcome {
  if (typeof err !== "object" || err === null) throw err;
  const e = err as Record<string, unknown>;
  const text = (name: string) => (typeof e[name] === "string" ? e[name] : undefined);
  return { code: text("code"), column: text("column"), detail: text("detail") };
}

/** What the normaliser makes of a value (one statement, its own transaction). */
async function normalised(sql: string, value: string): Promise<Outcome> {
  try {
    const result = await client.query<{ r: string | null }>(sql, [value]);
    return { value: result.rows[0]?.r ?? null };
  } catch (err) {
    return errorOutcome(err);
  }
}

/** What the company trigger makes of a value written straight into the table (rolled back). */
async function stored(column: string, values: Record<string, string>): Promise<Outcome> {
  const names = Object.keys(values);
  await client.query("BEGIN");
  try {
    const result = await client.query<{ r: string | null }>(
      `INSERT INTO marketing.company (company_uid, ${names.join(", ")})
       VALUES (marketing.gen_company_uid(), ${names.map((_, i) => `$${i + 1}`).join(", ")})
       RETURNING ${column} AS r`,
      names.map((n) => values[n]),
    );
    return { value: result.rows[0]?.r ?? null };
  } catch (err) {
    return errorOutcome(err);
  } finally {
    await client.query("ROLLBACK");
  }
}

function candidates(file: string, extra: readonly string[]): string[] {
  const all = new Set<string>(extra);
  for (const v of loadVectors<unknown, unknown>(file)) {
    for (const s of [v.input, v.output]) {
      if (typeof s === "string" && !containsNul(s)) all.add(s);
    }
  }
  return [...all];
}

const label63 = "a".repeat(63);
const WEBSITE_EDGES = [
  "example.com",
  "www.example.com",
  "www.www.example.com",
  "www.com",
  "wwwexample.com",
  "sub.www.example.com",
  "xn--bcher-kva.example",
  "a-b.example.com",
  "-ab.example.com",
  "ab-.example.com",
  "a..example.com",
  ".example.com",
  "example.com.",
  "example",
  "localhost",
  "shop.localhost",
  "localhost.com",
  "1.2.3.4",
  "example.123",
  "example.c0m",
  "123.example.com",
  `${label63}.com`,
  `${label63}a.com`,
  `${`${label63}.`.repeat(3)}${"b".repeat(61)}`,
  `${`${label63}.`.repeat(3)}${"b".repeat(62)}`,
  "Example.com",
  "example.com/",
  "example.com:8080",
  " example.com",
  "exa mple.com",
  "bücher.example",
  "",
  // 008 tests names of at most 63 characters without the label bounds.
  `${"a".repeat(59)}.com`,
  `${"a".repeat(60)}.com`,
  `${"a".repeat(61)}.b`,
  `${"a".repeat(62)}.b`,
  `${"a".repeat(62)}.b.`,
  `b.${"a".repeat(61)}`,
  `${"a.".repeat(31)}b`,
  `${"a.".repeat(31)}bc`,
  "a.b",
  "a--b.example",
  "xn--p1ai.xn--p1ai",
  "a.b-",
  "a.-b",
  "a-.b",
  "-.com",
  "a.0",
  "a.0a",
  "a.a0",
  "0.com",
  "a_b.com",
  "a.b.c.d.e.f.g.h",
  "www.a",
  "www.a.b",
  "a.localhost",
  "a.localhostx",
  "a.b\n",
  "a.b\u00e9",
];

const NAME_EDGES = [
  "Acme",
  "A",
  "Acme Widgets Inc.",
  "Acme  Widgets",
  " Acme",
  "Acme ",
  "Acme\tWidgets",
  "Acme\u00a0Widgets",
  "Café",
  "Cafe\u0301",
  "~!@#$%^&*()_+{}|:<>?",
  "x".repeat(300),
  "x".repeat(301),
  "Acme\u007fWidgets",
  "",
  " ",
];

const APOLLO_EDGES = [
  "5f2a9c0e1b2c3d4e5f6a7b8c",
  "ap 1",
  " ap-1",
  "ap-1 ",
  "ap  1",
  "ap\t1",
  "ap\u00a01",
  "é1",
  "x".repeat(300),
  "x".repeat(301),
  "",
  "   ",
];

const ein = (prefix: number, dash: boolean) =>
  `${String(prefix).padStart(2, "0")}${dash ? "-" : ""}3456789`;

const EIN_EDGES = [
  ...Array.from({ length: 100 }, (_, prefix) => ein(prefix, true)),
  ...Array.from({ length: 100 }, (_, prefix) => ein(prefix, false)),
  " 12-3456789",
  "12-3456789 ",
  "\u00a012-3456789",
  "12-3456789\u200b",
  "\t123456789\n",
  "12 3456789",
  "12--3456789",
  "12-345678",
  "12-34567890",
  "1234567890",
  "12345678",
  "1-23456789",
  "123-456789",
  "12-3456789-",
  "-123456789",
  "\uff11\uff12-\uff13\uff14\uff15\uff16\uff17\uff18\uff19",
  "\u0661\u0662-\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
  "12\u20103456789",
  "12\u20133456789",
  "12-345678\u0669",
  "12-3456789\u0301",
  "12-3456789\u0007",
  "12-345678a",
  "ab-cdefghi",
  "1".repeat(64),
  "1".repeat(65),
  "",
  " ",
  "\t\u3000",
];

describe("company_before_write: the canonical-value shortcut changes no result", () => {
  it("website: the stored value is normalise_website's, or its error", async () => {
    const values = candidates("website", WEBSITE_EDGES);
    expect(values.length).toBeGreaterThan(80);
    for (const value of values) {
      const expected = await normalised("SELECT marketing.normalise_website($1) AS r", value);
      const actual = await stored("website", { company_name: "Probe", website: value });
      expect({ input: value, ...actual }).toEqual({ input: value, ...expected });
    }
  });

  it("company name: the stored value is normalise_name's, or its error", async () => {
    const values = candidates("company-name", NAME_EDGES);
    expect(values.length).toBeGreaterThan(20);
    for (const value of values) {
      const expected = await normalised(
        "SELECT marketing.normalise_name($1, 'company_name') AS r",
        value,
      );
      const actual = await stored("company_name", {
        company_name: value,
        website: "probe.example",
      });
      expect({ input: value, ...actual }).toEqual({ input: value, ...expected });
    }
  });

  it("Apollo id: the stored value is normalise_apollo_id's, or its error", async () => {
    const values = candidates("company-name", APOLLO_EDGES);
    for (const value of values) {
      const expected = await normalised("SELECT marketing.normalise_apollo_id($1) AS r", value);
      const actual = await stored("apollo_company_id", {
        company_name: "Probe",
        website: "probe.example",
        apollo_company_id: value,
      });
      expect({ input: value, ...actual }).toEqual({ input: value, ...expected });
    }
  });

  it("EIN: ein_raw and ein_valid are normalise_ein's raw and valid (blank: none), or its error", async () => {
    const values = candidates("ein", EIN_EDGES);
    expect(values.length).toBeGreaterThan(230);
    const mismatches: unknown[] = [];
    for (const value of values) {
      let expected: Outcome;
      try {
        const result = await client.query<{ r: { raw: string; valid: boolean } | null }>(
          `SELECT CASE WHEN marketing.blank_to_null($1) IS NOT NULL
                       THEN marketing.normalise_ein($1) END AS r`,
          [value],
        );
        const judged = result.rows[0]?.r ?? null;
        expected = { value: judged === null ? null : `${judged.raw} ${judged.valid}` };
      } catch (err) {
        expected = errorOutcome(err);
      }
      const actual = await stored("ein_raw || ' ' || ein_valid", {
        company_name: "Probe",
        website: "probe.example",
        ein_raw: value,
      });
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        mismatches.push({ input: value, expected, actual });
      }
    }
    expect(mismatches).toEqual([]);
  });
});
