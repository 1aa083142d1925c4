/**
 * marketing.company_before_write skips the normalisers for a value that is
 * already canonical (migration 001). The skip must never change a result: a
 * value written straight into marketing.company comes out exactly as the
 * normaliser makes it, or fails with the normaliser's error. Checked for every
 * input and output of core's website and company-name vectors, and for values
 * close to the edges of the cheap checks.
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
});
