/**
 * marketing.people_before_write skips the normalisers for a name, email or LinkedIn URL that is
 * already canonical (migration 016). The skip must never change a result: a value written
 * straight into marketing.people (INSERT or UPDATE) comes out exactly as the SQL normaliser makes
 * it, or fails with its error, and @ple/core's TypeScript normaliser gives the same answer.
 * Checked for every input and output of core's email, LinkedIn and name vectors, the public
 * conformance suites (../shared/conformance: isemail's addresses, and every host of the IDNA,
 * URL and PSL suites as an email domain), and values at the edges of the cheap checks.
 */
import { normaliseEmail, normaliseLinkedinUrl, normalisePersonName, type Result } from "@ple/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../src/testing.js";
import { conformanceCases } from "./conformance-cases.js";
import { connect, containsNul, loadVectors } from "./sql-helpers.js";

/** A stored value, or the error's SQLSTATE, COLUMN and DETAIL (the reason). */
interface Outcome {
  value?: string | null;
  code?: string | null;
  column?: string | null;
  detail?: string | null;
}

interface Probe {
  input: string;
  via_trigger: Outcome;
  via_normaliser: Outcome;
}

type Column = "name" | "email" | "linkedin_url";

const NORMALISER_SQL: Record<Column, string> = {
  name: "marketing.normalise_name($1, 'name')",
  email: "marketing.normalise_email($1)",
  linkedin_url: "marketing.normalise_linkedin_url($1)",
};

const TS_NORMALISER: Record<Column, (input: string) => Result<string>> = {
  name: normalisePersonName,
  email: normaliseEmail,
  linkedin_url: normaliseLinkedinUrl,
};

let client: pg.Client;
let drop: () => Promise<void>;

// One write per value, each in its own subtransaction that is undone (SQLSTATE PLZ99) after its
// RETURNING, so thousands of values cost one round trip. UPDATE writes the person PE-…-999998.
const PROBE_FUNCTION = `
CREATE FUNCTION pg_temp.probe_people(p_column text, p_op text, p_values text[])
RETURNS TABLE (input text, via_trigger jsonb, via_normaliser jsonb)
LANGUAGE plpgsql
AS $fn$
DECLARE
  v text;
  r text;
  s text;
  c text;
  d text;
BEGIN
  FOREACH v IN ARRAY p_values LOOP
    input := v;
    r := NULL;
    BEGIN
      IF p_op = 'INSERT' THEN
        EXECUTE format('INSERT INTO marketing.people (person_id, name, email, linkedin_url)
                        VALUES ($1, $2, $3, $4) RETURNING %I', p_column)
          INTO r
          USING 'PE-20000101-999999',
                CASE WHEN p_column = 'name' THEN v ELSE 'Probe' END,
                CASE WHEN p_column = 'email' THEN v ELSE 'probe-insert@probe.example' END,
                CASE WHEN p_column = 'linkedin_url' THEN v END;
      ELSE
        EXECUTE format('UPDATE marketing.people SET %I = $1 WHERE person_id = $2 RETURNING %I',
                       p_column, p_column)
          INTO r
          USING v, 'PE-20000101-999998';
      END IF;
      RAISE EXCEPTION USING ERRCODE = 'PLZ99';
    EXCEPTION
      WHEN SQLSTATE 'PLZ99' THEN
        via_trigger := jsonb_build_object('value', r);
      WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, c = COLUMN_NAME, d = PG_EXCEPTION_DETAIL;
        via_trigger := jsonb_build_object('code', s, 'column', nullif(c, ''), 'detail', nullif(d, ''));
    END;
    BEGIN
      EXECUTE format('SELECT %s', CASE p_column
                       WHEN 'name' THEN ${`'${NORMALISER_SQL.name.replaceAll("'", "''")}'`}
                       WHEN 'email' THEN ${`'${NORMALISER_SQL.email}'`}
                       ELSE ${`'${NORMALISER_SQL.linkedin_url}'`} END)
        INTO r USING v;
      via_normaliser := jsonb_build_object('value', r);
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, c = COLUMN_NAME, d = PG_EXCEPTION_DETAIL;
      via_normaliser := jsonb_build_object('code', s, 'column', nullif(c, ''), 'detail', nullif(d, ''));
    END;
    RETURN NEXT;
  END LOOP;
END;
$fn$`;

beforeAll(async () => {
  const t = await createTestDatabase();
  drop = t.drop;
  client = await connect(t.url);
  await client.query(PROBE_FUNCTION);
  await client.query(
    `INSERT INTO marketing.people (person_id, name, email, linkedin_url)
     VALUES ('PE-20000101-999998', 'Update Probe', 'probe-update@probe.example',
             'https://www.linkedin.com/in/update-probe')`,
  );
});
afterAll(async () => {
  await client.end();
  await drop();
});

async function probe(column: Column, op: "INSERT" | "UPDATE", values: string[]): Promise<Probe[]> {
  const result = await client.query<Probe>(
    "SELECT input, via_trigger, via_normaliser FROM pg_temp.probe_people($1, $2, $3)",
    [column, op, values],
  );
  return result.rows;
}

/** What core's normaliser says, in the shape of a stored value or a PL001 error. */
function tsOutcome(column: Column, input: string): Outcome {
  const result = TS_NORMALISER[column](input);
  if (result.ok) return { value: result.value };
  return { code: "PL001", column, detail: String(result.error.details?.reason) };
}

/** Every string input and output of the vector files, the extra values, deduplicated. */
function candidates(files: readonly string[], extra: readonly string[]): string[] {
  const all = new Set<string>(extra);
  for (const file of files) {
    for (const v of loadVectors<unknown, unknown>(file)) {
      for (const s of [v.input, v.output]) {
        if (typeof s === "string") all.add(s);
      }
    }
  }
  return [...all].filter((s) => !containsNul(s));
}

/** Conformance-suite addresses, and every host the suites name used as an email's domain. */
function conformanceEmails(): string[] {
  const all = new Set<string>();
  for (const c of conformanceCases()) {
    if (c.kind === "email") {
      all.add(c.input);
      continue;
    }
    // hostCases wrap the suite's host as https://<host>/x; the PSL and punycode cases are bare.
    const host =
      c.suite === "toascii.json" || c.suite === "IdnaTestV2.json" ? c.input.slice(8, -2) : c.input;
    if (c.suite !== "urltestdata-http.json") all.add(`probe@${host}`);
    if (c.host !== undefined) all.add(`probe@${c.host}`);
  }
  return [...all].filter((s) => !containsNul(s));
}

const label63 = "a".repeat(63);
const local64 = "l".repeat(64);

const EMAIL_EDGES = [
  "jane@example.com",
  "jane.doe@example.com",
  "jane.doe+tag@mail.example.co.uk",
  "o'brien@example.ie",
  "!#$%&'*+/=?^_`{|}~-@example.com",
  "Jane@example.com",
  "jane@Example.com",
  " jane@example.com",
  "jane@example.com ",
  "jane@example.com.",
  ".jane@example.com",
  "jane.@example.com",
  "ja..ne@example.com",
  "jane@@example.com",
  "jane@",
  "@example.com",
  "jane",
  "jane@example",
  "jane@localhost",
  "jane@shop.localhost",
  "jane@localhost.com",
  "jane@1.2.3.4",
  "jane@example.123",
  "jane@example.0x1f",
  "jane@example.0x",
  "jane@example.0xg",
  "jane@example.c0m",
  "jane@123.example.com",
  "jane@0x1.example.com",
  "jane@-example.com",
  "jane@example-.com",
  "jane@exa--mple.com",
  "jane@a.b",
  "jane@a..b",
  "jane@.a.b",
  "jane@xn--bcher-kva.example",
  "jane@bücher.example",
  "jane@xn--p1ai.xn--p1ai",
  "jane@sub.xn--bcher-kva.example",
  "jane.xn--x@example.com",
  "xn--x@example.com",
  "jane@axn--b.example",
  "jane@[127.0.0.1]",
  "Jane <jane@example.com>",
  "ja ne@example.com",
  "jäne@example.com",
  "jane\u212a@example.com",
  "jane@example.com\u200b",
  "jane@exa_mple.com",
  "jane@www.example.com",
  `${local64}@example.com`,
  `${local64}l@example.com`,
  `jane@${label63}.com`,
  `jane@${label63}a.com`,
  `jane@${"a".repeat(59)}.com`,
  `jane@${"a".repeat(60)}.com`,
  `jane@${"a".repeat(61)}.b`,
  `jane@${"a".repeat(62)}.b`,
  `jane@b.${"a".repeat(61)}`,
  `jane@b.${"a".repeat(62)}`,
  `jane@${"a.".repeat(31)}b`,
  `jane@${"a.".repeat(31)}bc`,
  `${local64}@${`${label63}.`.repeat(2)}${"b".repeat(61)}`,
  `${local64}@${`${label63}.`.repeat(3)}${"b".repeat(61)}`,
  `${local64}@${`${label63}.`.repeat(3)}${"b".repeat(62)}`,
  "",
  " ",
];

const LINKEDIN_EDGES = [
  "https://www.linkedin.com/in/abc",
  "https://www.linkedin.com/in/ab",
  "https://www.linkedin.com/in/a_b-c",
  "https://www.linkedin.com/in/---",
  "https://www.linkedin.com/in/123",
  `https://www.linkedin.com/in/${"h".repeat(100)}`,
  `https://www.linkedin.com/in/${"h".repeat(101)}`,
  "https://www.linkedin.com/in/John-Doe",
  "https://www.linkedin.com/in/john-doe/",
  "https://www.linkedin.com/in/john-doe?x=1",
  "https://www.linkedin.com/in/john-doe#x",
  "https://www.linkedin.com/in/john.doe",
  "https://www.linkedin.com/in/john%2ddoe",
  "https://www.linkedin.com/in/j%C3%BCrgen",
  "https://www.linkedin.com/in/j%c3%bcrgen",
  "https://www.linkedin.com/in/jürgen",
  "https://www.linkedin.com/in/",
  "https://www.linkedin.com/in",
  "https://www.linkedin.com/company/acme",
  "http://www.linkedin.com/in/john-doe",
  "HTTPS://www.linkedin.com/in/john-doe",
  "https://WWW.linkedin.com/in/john-doe",
  "https://linkedin.com/in/john-doe",
  "https://uk.linkedin.com/in/john-doe",
  "https://www.linkedin.com:443/in/john-doe",
  "https://www.linkedin.com/IN/john-doe",
  "https://www.linkedin.com//in/john-doe",
  "https://www.linkedin.com/in//john-doe",
  " https://www.linkedin.com/in/john-doe",
  "https://www.linkedin.com/in/john-doe ",
  "https://www.linkedin.com/in/john doe",
  "https://www.linkedin.com/in/john-doe\u200b",
  "https://www.linkedin.com.evil.example/in/john-doe",
  "https://www.linkedin.com/in/john-doe/extra",
  "",
  " ",
];

const NAME_EDGES = [
  "Jane Doe",
  "J",
  "Jane  Doe",
  " Jane Doe",
  "Jane Doe ",
  "Jane\tDoe",
  "Jane\u00a0Doe",
  "Jane\u3000Doe",
  "José",
  "Jose\u0301",
  "O'Brien-Smith, Jr.",
  "~!@#$%^&*()_+{}|:<>?",
  "x".repeat(300),
  "x".repeat(301),
  `${"x".repeat(299)} `,
  "Jane\u007fDoe",
  "Jane\u200bDoe",
  "\u202eJane",
  "",
  " ",
];

const CASES: Array<{ column: Column; values: () => string[]; least: number }> = [
  {
    column: "email",
    values: () => [...new Set([...candidates(["email"], EMAIL_EDGES), ...conformanceEmails()])],
    least: 3000,
  },
  { column: "linkedin_url", values: () => candidates(["linkedin"], LINKEDIN_EDGES), least: 80 },
  {
    column: "name",
    values: () => candidates(["person-name", "company-name"], NAME_EDGES),
    least: 60,
  },
];

describe("people_before_write: the canonical-value shortcut changes no result", () => {
  for (const { column, values, least } of CASES) {
    for (const op of ["INSERT", "UPDATE"] as const) {
      it(`${column} (${op}): the stored value is the SQL and the TypeScript normaliser's, or their error`, async () => {
        const inputs = values();
        expect(inputs.length).toBeGreaterThan(least);
        const probes = await probe(column, op, inputs);
        expect(probes).toHaveLength(inputs.length);
        const mismatches: unknown[] = [];
        let stored = 0;
        for (const p of probes) {
          const ts = tsOutcome(column, p.input);
          if (
            JSON.stringify(p.via_trigger) !== JSON.stringify(p.via_normaliser) ||
            (ts.value !== undefined
              ? p.via_trigger.value !== ts.value
              : p.via_trigger.code !== ts.code ||
                p.via_trigger.column !== ts.column ||
                p.via_trigger.detail !== ts.detail)
          ) {
            mismatches.push({ ...p, ts });
          }
          if (p.via_trigger.value !== undefined) stored++;
        }
        expect(mismatches).toEqual([]);
        // Both sides of the shortcut are exercised: values stored, values refused.
        expect(stored).toBeGreaterThan(10);
        expect(probes.length - stored).toBeGreaterThan(10);
      });
    }
  }

  it("a row as core normalises it skips the normalisers; any other value goes through them", async () => {
    /**
     * The normalisers one INSERT calls, with their call counts (in its own, undone transaction).
     * normalise_name is a SQL function the planner inlines, so its prepare_text call counts it.
     */
    async function calls(name: string, email: string, linkedin: string): Promise<string[]> {
      await client.query("BEGIN");
      try {
        await client.query("SET LOCAL track_functions = 'all'");
        await client.query(
          `INSERT INTO marketing.people (person_id, name, email, linkedin_url)
           VALUES ('PE-20000101-999997', $1, $2, $3)`,
          [name, email, linkedin],
        );
        const result = await client.query<{ funcname: string; calls: string }>(
          `SELECT funcname, calls FROM pg_stat_xact_user_functions
            WHERE schemaname = 'marketing'
              AND funcname IN ('normalise_email', 'normalise_linkedin_url', 'prepare_text')
            ORDER BY funcname`,
        );
        return result.rows.map((r) => `${r.funcname} ${r.calls}`);
      } finally {
        await client.query("ROLLBACK");
      }
    }
    const raw = ["  Jane   Doe ", "Jane.Doe@Example.COM", "linkedin.com/in/Jane-Doe/"] as const;
    const name = normalisePersonName(raw[0]);
    const email = normaliseEmail(raw[1]);
    const linkedin = normaliseLinkedinUrl(raw[2]);
    if (!name.ok || !email.ok || !linkedin.ok) throw new Error("core refused the sample");
    expect(await calls(name.value, email.value, linkedin.value)).toEqual([]);
    expect(await calls(...raw)).toEqual([
      "normalise_email 1",
      "normalise_linkedin_url 1",
      "prepare_text 3",
    ]);
  });
});
