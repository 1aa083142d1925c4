/**
 * The SQL side of the rules shared with @ple/core: every normaliser, the UID
 * formatter and parser, and the slot state machine pass core's vector files,
 * and the slot functions run, on a PostgreSQL server and on the embedded
 * PGlite database alike.
 */
import {
  formatSlotUid,
  parseCompanyUid,
  parsePersonId,
  parseUid,
  ROLES,
  SLOT_TRANSITIONS,
} from "@ple/core";
import type { Knex } from "knex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { createEmbeddedTestDatabase, createTestDatabase } from "../src/testing.js";
import { containsNul, loadVectors, row, rows, sqlError } from "./sql-helpers.js";

const KINDS = ["server", "embedded"] as const;

/** Vector file → the SQL that runs one input, and the field its errors must name. */
const NORMALISERS = [
  { file: "website", sql: "SELECT marketing.normalise_website(?) AS r", field: "website" },
  { file: "email", sql: "SELECT marketing.normalise_email(?) AS r", field: "email" },
  {
    file: "linkedin",
    sql: "SELECT marketing.normalise_linkedin_url(?) AS r",
    field: "linkedin_url",
  },
  { file: "ein", sql: "SELECT marketing.normalise_ein(?) AS r", field: "ein" },
  {
    file: "company-name",
    sql: "SELECT marketing.normalise_name(?, 'company_name') AS r",
    field: "company_name",
  },
  { file: "person-name", sql: "SELECT marketing.normalise_name(?, 'name') AS r", field: "name" },
  { file: "uid-parse", sql: "SELECT marketing.parse_uid(?) AS r", field: "uid" },
] as const;

interface Outcome {
  output?: unknown;
  code?: string | undefined;
  error?: string | undefined;
  column?: string | undefined;
}

async function outcome(
  db: PleDatabase,
  sql: string,
  bindings: Knex.RawBinding[],
): Promise<Outcome> {
  try {
    const result = await row<{ r: unknown }>(db.knex, sql, bindings);
    return { output: result.r };
  } catch (err) {
    const e = await sqlError(Promise.reject(err));
    return { code: e.code, error: e.detail, column: e.column };
  }
}

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10).replaceAll("-", "");
}

describe.each(KINDS)("SQL rules shared with @ple/core (%s)", (kind) => {
  let db: PleDatabase;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const t = kind === "server" ? await createTestDatabase() : await createEmbeddedTestDatabase();
    db = t.db;
    drop = t.drop;
  });
  afterAll(async () => {
    await drop();
  });

  for (const { file, sql, field } of NORMALISERS) {
    it(`${file}.json: same output, or PL001 with COLUMN ${field} and the vector's reason as DETAIL`, async () => {
      const vectors = loadVectors<string>(file).filter((v) => !containsNul(v.input));
      expect(vectors.length).toBeGreaterThan(10);
      const mismatches: unknown[] = [];
      for (const v of vectors) {
        const got = await outcome(db, sql, [v.input]);
        const want: Outcome =
          v.error === undefined
            ? { output: v.output }
            : { code: "PL001", error: v.error, column: field };
        try {
          expect(got).toEqual(want);
        } catch {
          mismatches.push({ input: v.input, want, got });
        }
      }
      expect(mismatches).toEqual([]);
    });
  }

  it("uid-format.json: format_daily_uid and gen_slot_uid format like core", async () => {
    interface FormatInput {
      kind: "company" | "person" | "slot";
      day?: string;
      date?: string;
      counter?: number;
      company_uid?: string;
      role?: string;
    }
    const mismatches: unknown[] = [];
    for (const v of loadVectors<FormatInput, string>("uid-format")) {
      const input = v.input;
      const got =
        input.kind === "slot"
          ? await outcome(db, "SELECT marketing.gen_slot_uid(?, ?) AS r", [
              input.company_uid ?? null,
              input.role ?? null,
            ])
          : await outcome(
              db,
              `SELECT marketing.format_daily_uid(?, coalesce(?::text,
                 to_char((?::timestamptz) AT TIME ZONE 'UTC', 'YYYYMMDD')), ?::numeric) AS r`,
              [
                input.kind === "company" ? "CO" : "PE",
                input.day ?? null,
                input.date ?? null,
                input.counter ?? null,
              ],
            );
      let want: Outcome;
      if (v.error === undefined) {
        want = { output: v.output };
      } else if (input.kind !== "slot" && (input.counter ?? 0) > 999_999) {
        // Core's formatter says UID_EXHAUSTED here; SQL raises it as PL007.
        want = { code: "PL007", error: v.error, column: "counter" };
      } else {
        const column =
          input.kind === "slot"
            ? v.error === "invalid_role"
              ? "role"
              : "company_uid"
            : v.error === "invalid_date"
              ? "day"
              : "counter";
        want = { code: "PL001", error: v.error, column };
      }
      try {
        expect(got).toEqual(want);
      } catch {
        mismatches.push({ input, want, got });
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("slot-transitions.json: next_slot_status follows the table, PL002 otherwise", async () => {
    const mismatches: unknown[] = [];
    for (const v of loadVectors<{ state: string; event: string }, string>("slot-transitions")) {
      const got = await outcome(db, "SELECT marketing.next_slot_status(?, ?) AS r", [
        v.input.state,
        v.input.event,
      ]);
      const ok =
        v.error === undefined
          ? got.output === v.output
          : got.code === "PL002" && got.column === "status";
      if (!ok) mismatches.push({ input: v.input, want: v.output ?? v.error, got });
    }
    expect(mismatches).toEqual([]);
  });

  it("marketing.slot_transition holds exactly core's SLOT_TRANSITIONS", async () => {
    const table = await rows<{ from: string; event: string; to: string }>(
      db.knex,
      `SELECT from_status AS "from", event, to_status AS "to" FROM marketing.slot_transition`,
    );
    const key = (t: { from: string; event: string; to: string }) => `${t.from}-${t.event}->${t.to}`;
    expect(table.map(key).sort()).toEqual(SLOT_TRANSITIONS.map(key).sort());
  });

  it("gen_company_uid and gen_person_uid issue today's UIDs that core parses, counting up", async () => {
    const generated = await rows<{ co: string; pe: string }>(
      db.knex,
      "SELECT marketing.gen_company_uid() AS co, marketing.gen_person_uid() AS pe FROM generate_series(1, 5)",
    );
    const today = todayUtc();
    const counters = { co: [] as number[], pe: [] as number[] };
    for (const { co, pe } of generated) {
      const company = parseCompanyUid(co);
      const person = parsePersonId(pe);
      if (!company.ok || !person.ok) throw new Error(`unparseable UIDs ${co} ${pe}`);
      expect(company.value.day).toBe(today);
      expect(person.value.day).toBe(today);
      counters.co.push(company.value.counter);
      counters.pe.push(person.value.counter);
    }
    for (const list of [counters.co, counters.pe]) {
      expect(list).toEqual([...list].sort((a, b) => a - b));
      expect(new Set(list).size).toBe(list.length);
    }
  });

  it("gen_slot_uid agrees with core's formatSlotUid for a generated company", async () => {
    const { uid } = await row<{ uid: string }>(
      db.knex,
      "SELECT marketing.gen_company_uid() AS uid",
    );
    const company = parseCompanyUid(uid);
    if (!company.ok) throw company.error;
    for (const role of ROLES) {
      const { slot } = await row<{ slot: string }>(
        db.knex,
        "SELECT marketing.gen_slot_uid(?, ?) AS slot",
        [uid, role],
      );
      expect(slot).toBe(formatSlotUid(uid as Parameters<typeof formatSlotUid>[0], role));
      const parsed = parseUid(slot);
      expect(parsed.ok && parsed.value.kind === "slot" && parsed.value.role === role).toBe(true);
    }
  });

  it("the first UID of a new UTC day restarts the counter at 000001", async () => {
    await db.knex.raw("SELECT setval('marketing.person_uid_seq', 202001010000000 + 4242)");
    const { uid } = await row<{ uid: string }>(db.knex, "SELECT marketing.gen_person_uid() AS uid");
    expect(uid).toBe(`PE-${todayUtc()}-000001`);
    const next = await row<{ uid: string }>(db.knex, "SELECT marketing.gen_person_uid() AS uid");
    expect(next.uid).toBe(`PE-${todayUtc()}-000002`);
  });

  it("past 999999 in one day the generator raises PL007 instead of a seventh digit", async () => {
    const day = Number(todayUtc());
    await db.knex.raw("SELECT setval('marketing.company_uid_seq', ?::bigint)", [
      String(day * 10_000_000 + 999_998),
    ]);
    const last = await row<{ uid: string }>(db.knex, "SELECT marketing.gen_company_uid() AS uid");
    expect(last.uid).toBe(`CO-${day}-999999`);
    const e = await sqlError(db.knex.raw("SELECT marketing.gen_company_uid()"));
    expect(e).toMatchObject({
      code: "PL007",
      column: "company_uid",
      detail: "counter_out_of_range",
    });
    expect(e.message).toContain("no more CO UIDs can be issued");
    const stillExhausted = await sqlError(db.knex.raw("SELECT marketing.gen_company_uid()"));
    expect(stillExhausted.code).toBe("PL007");
    // Give later tests UIDs again (well above any counter issued so far).
    await db.knex.raw("SELECT setval('marketing.company_uid_seq', ?::bigint)", [
      String(day * 10_000_000 + 500_000),
    ]);
  });

  it("the slot functions run the whole life cycle, with events and history", async () => {
    const k = db.knex;
    const { r: c } = await row<{ r: { company_uid: string } }>(
      k,
      "SELECT marketing.insert_company_with_slots('Life Cycle Co', 'life-cycle.example.com', NULL, NULL) AS r",
    );
    const ids: string[] = [];
    for (const email of ["a@life-cycle.example.com", "b@life-cycle.example.com"]) {
      const { r } = await row<{ r: { person_id: string } }>(
        k,
        "SELECT marketing.insert_person('P', ?) AS r",
        [email],
      );
      ids.push(r.person_id);
    }
    const [a, b] = ids;
    if (a === undefined || b === undefined) throw new Error("two people expected");
    const ceo = `SL-${c.company_uid}-CEO`;
    const linked = await row<{ r: boolean }>(k, "SELECT marketing.link_person_to_slot(?, ?) AS r", [
      a,
      ceo,
    ]);
    expect(linked.r).toBe(true);
    const taken = await row<{ r: boolean }>(k, "SELECT marketing.link_person_to_slot(?, ?) AS r", [
      b,
      ceo,
    ]);
    expect(taken.r).toBe(false);
    await k.raw("SELECT marketing.displace_slot_person(?, ?)", [ceo, b]);
    await k.raw("SELECT marketing.vacate_slot(?)", [ceo]);
    const events = await rows<{ event: string }>(
      k,
      "SELECT event FROM marketing.slot_event WHERE slot_uid = ? ORDER BY event_id",
      [ceo],
    );
    expect(events.map((e) => e.event)).toEqual(["ASSIGNED", "DISPLACED", "ASSIGNED", "VACATED"]);
    const versions = await row<{ n: number }>(
      k,
      "SELECT count(*)::int AS n FROM marketing.company_slot_versions WHERE slot_uid = ?",
      [ceo],
    );
    expect(versions.n).toBe(4);
    const e = await sqlError(k.raw("SELECT marketing.confirm_slot(?)", [ceo]));
    expect(e).toMatchObject({ code: "PL002", column: "status" });
  });
});
