/**
 * The public conformance suites (../shared/conformance) through the TypeScript normalisers of
 * @ple/core and their SQL twins, on a PostgreSQL server and on the embedded database: both sides
 * give the same answer to every input; nothing a suite marks invalid is accepted; an accepted host
 * is stored under the suite's own ASCII name (after the documented repairs: one trailing dot and
 * leading "www." labels dropped).
 */
import { normaliseEmail, normaliseWebsite, type Result, WHITESPACE_CHARS } from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { createEmbeddedTestDatabase, createTestDatabase } from "../src/testing.js";
import { type ConformanceCase, conformanceCases } from "./conformance-cases.js";
import { rows } from "./sql-helpers.js";

const KINDS = ["server", "embedded"] as const;
const cases = conformanceCases();

/** "ok:<value>" or "error:<reason>": one comparable string per outcome. */
function tsOutcome(c: ConformanceCase): string {
  const result: Result<string> =
    c.kind === "website" ? normaliseWebsite(c.input) : normaliseEmail(c.input);
  return result.ok ? `ok:${result.value}` : `error:${String(result.error.details?.reason)}`;
}

/** The key the product stores for a host the suite names: the documented repairs applied. */
function repaired(host: string): string {
  let domain = host.endsWith(".") ? host.slice(0, -1) : host;
  while (domain.startsWith("www.") && domain.indexOf(".", 4) !== -1) domain = domain.slice(4);
  return domain;
}

const EDGE_WHITESPACE = new RegExp(`^[${WHITESPACE_CHARS}]+|[${WHITESPACE_CHARS}]+$`, "gu");

/** The input after the repairs the spec documents: whitespace trimmed, one trailing dot dropped. */
function repairedInput(c: ConformanceCase): string {
  const trimmed = c.input.replace(EDGE_WHITESPACE, "");
  return trimmed.endsWith(".") ? trimmed.slice(0, -1) : trimmed;
}

const ts = new Map(cases.map((c) => [c, tsOutcome(c)]));
const label = (c: ConformanceCase) => `${c.suite}#${c.at} ${JSON.stringify(c.input)}`;

describe(`conformance suites, TypeScript (${cases.length} inputs)`, () => {
  it("covers every suite", () => {
    const suites = new Set(cases.map((c) => c.suite));
    expect([...suites].sort()).toEqual([
      "IdnaTestV2.json",
      "isemail-tests.xml",
      "punycode_tests.json",
      "test_psl.txt",
      "toascii.json",
      "urltestdata-http.json",
    ]);
  });

  it("accepts nothing a suite marks invalid, unless a documented repair applies", () => {
    const accepted = cases.filter((c) => c.invalid && ts.get(c)?.startsWith("ok:"));
    const unrepaired = accepted.filter((c) => repairedInput(c) === c.input);
    expect(unrepaired.map((c) => `${label(c)} → ${ts.get(c)}`)).toEqual([]);
    // The repaired ones: surrounding whitespace (isemail's CFWS cases) and a trailing dot.
    expect(accepted.length).toBeLessThan(20);
  });

  it("stores an accepted host under the suite's ASCII name", () => {
    const renamed = cases.filter(
      (c) =>
        c.host !== undefined &&
        ts.get(c)?.startsWith("ok:") &&
        ts.get(c) !== `ok:${repaired(c.host)}`,
    );
    expect(renamed.map((c) => `${label(c)} → ${ts.get(c)}, suite: ${c.host}`)).toEqual([]);
  });

  it("keys a name under its registrable domain (PSL)", () => {
    const wrong = cases.filter((c) => {
      if (c.registrable === undefined) return false;
      const key = ts.get(c);
      const registrable = normaliseWebsite(c.registrable);
      if (!key?.startsWith("ok:") || !registrable.ok) return false;
      const domain = key.slice(3);
      return domain !== registrable.value && !domain.endsWith(`.${registrable.value}`);
    });
    expect(wrong.map((c) => `${label(c)} → ${ts.get(c)}`)).toEqual([]);
  });

  it("accepts the valid hosts of the suites (counts)", () => {
    const counts: Record<string, { accepted: number; refused: number }> = {};
    for (const c of cases) {
      const entry = counts[c.suite] ?? { accepted: 0, refused: 0 };
      counts[c.suite] = entry;
      if (ts.get(c)?.startsWith("ok:")) entry.accepted++;
      else entry.refused++;
    }
    console.log(counts);
    expect(Object.values(counts).every((n) => n.accepted > 0)).toBe(true);
  });
});

/** Runs every case through the SQL normalisers in one statement; "ok:…" or "error:<reason>" each. */
async function sqlOutcomes(db: PleDatabase, batch: ConformanceCase[]): Promise<string[]> {
  const result = await rows<{ r: string }>(
    db.knex,
    `SELECT public.conformance_outcome(c ->> 0, c ->> 1) AS r
       FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS t(c, ord)
      ORDER BY t.ord`,
    [JSON.stringify(batch.map((c) => [c.kind, c.input]))],
  );
  return result.map((r) => r.r);
}

const OUTCOME_FUNCTION = `
CREATE FUNCTION public.conformance_outcome(p_kind text, p_input text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_state text;
  v_detail text;
BEGIN
  IF p_kind = 'website' THEN
    RETURN 'ok:' || marketing.normalise_website(p_input);
  END IF;
  RETURN 'ok:' || marketing.normalise_email(p_input);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_detail = PG_EXCEPTION_DETAIL;
  RETURN CASE WHEN v_state = 'PL001' THEN 'error:' || v_detail ELSE 'sqlstate:' || v_state END;
END;
$$`;

describe.each(KINDS)("conformance suites, SQL (%s)", (kind) => {
  let db: PleDatabase;
  let drop: () => Promise<void>;
  // PostgreSQL text holds neither NUL nor lone surrogates: core refuses those inputs before
  // they reach the database.
  const sendable = cases.filter(
    (c) => !c.input.includes("\u0000") && !/\p{Surrogate}/u.test(c.input),
  );

  beforeAll(async () => {
    const t = kind === "server" ? await createTestDatabase() : await createEmbeddedTestDatabase();
    db = t.db;
    drop = t.drop;
    await db.knex.raw(OUTCOME_FUNCTION);
  });
  afterAll(async () => {
    await drop();
  });

  it("agrees with TypeScript on every input (accept or refuse, reason, output)", async () => {
    const outcomes = await sqlOutcomes(db, sendable);
    const differ = sendable
      .map((c, i) => ({ c, sql: outcomes[i], ts: ts.get(c) }))
      .filter(({ sql, ts }) => sql !== ts)
      .map(({ c, sql, ts }) => `${label(c)}: ts ${ts}, sql ${sql}`);
    expect(differ).toEqual([]);
    expect(cases.length - sendable.length).toBeLessThan(20);
    for (const c of cases) {
      if (!sendable.includes(c)) {
        expect(["error:control_characters", "error:invalid_unicode"]).toContain(ts.get(c));
      }
    }
  });
});
