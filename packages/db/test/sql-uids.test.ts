/**
 * The daily UID generators of migration 008: next_daily_uid's inline fast path
 * and the set-based gen_company_uids give the UIDs, day rolls and errors that
 * gen_company_uid gave before (PL007 past 999999, format_daily_uid's checks
 * for any value that is not today's), on a server and on the embedded database.
 */
import { parseCompanyUid } from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { createEmbeddedTestDatabase, createTestDatabase } from "../src/testing.js";
import { row, rows, sqlError } from "./sql-helpers.js";

const KINDS = ["server", "embedded"] as const;

function utcDay(offsetDays = 0): string {
  const at = new Date(Date.now() + offsetDays * 86_400_000);
  return at.toISOString().slice(0, 10).replaceAll("-", "");
}

describe.each(KINDS)("company UID generators (%s)", (kind) => {
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

  /** Puts the company UID sequence at `day`'s counter `counter` (the next UID gets counter + 1). */
  async function setCounter(day: string, counter: number): Promise<void> {
    await db.knex.raw("SELECT setval('marketing.company_uid_seq', ?::bigint)", [
      String(Number(day) * 10_000_000 + counter),
    ]);
  }

  async function many(count: number | null): Promise<string[]> {
    const result = await rows<{ uid: string }>(
      db.knex,
      "SELECT u.uid FROM marketing.gen_company_uids(?::integer) WITH ORDINALITY AS u(uid, n) ORDER BY u.n",
      [count],
    );
    return result.map((r) => r.uid);
  }

  async function one(): Promise<string> {
    return (await row<{ uid: string }>(db.knex, "SELECT marketing.gen_company_uid() AS uid")).uid;
  }

  it("gen_company_uids(n) gives n distinct UIDs of today, ascending and consecutive, that core parses", async () => {
    const before = await one();
    const uids = await many(50);
    expect(uids).toHaveLength(50);
    expect(new Set(uids).size).toBe(50);
    const counters = uids.map((uid) => {
      const parsed = parseCompanyUid(uid);
      if (!parsed.ok) throw new Error(`unparseable UID ${uid}`);
      expect(parsed.value.day).toBe(utcDay());
      return parsed.value.counter;
    });
    const first = parseCompanyUid(before);
    if (!first.ok) throw first.error;
    expect(counters).toEqual(counters.map((_, i) => first.value.counter + 1 + i));
    const after = parseCompanyUid(await one());
    expect(after.ok && after.value.counter).toBe(first.value.counter + 51);
  });

  it("gen_company_uids of 0 or NULL gives none and uses no counter", async () => {
    const before = parseCompanyUid(await one());
    expect(await many(0)).toEqual([]);
    expect(await many(null)).toEqual([]);
    const after = parseCompanyUid(await one());
    if (!before.ok || !after.ok) throw new Error("unparseable UID");
    expect(after.value.counter).toBe(before.value.counter + 1);
  });

  it("moves a sequence left on an earlier day to today once: the batch starts at 000001", async () => {
    await setCounter("20200101", 4242);
    expect(await many(3)).toEqual(
      ["000001", "000002", "000003"].map((counter) => `CO-${utcDay()}-${counter}`),
    );
    await setCounter("20200101", 4242);
    expect(await one()).toBe(`CO-${utcDay()}-000001`);
  });

  it("past 999999: PL007 with the same column, reason and message as gen_company_uid", async () => {
    const today = utcDay();
    await setCounter(today, 999_997);
    expect(await many(2)).toEqual([`CO-${today}-999998`, `CO-${today}-999999`]);
    await setCounter(today, 999_997);
    const bulk = await sqlError(many(3));
    await setCounter(today, 999_999);
    const single = await sqlError(one());
    expect(bulk).toMatchObject({
      code: "PL007",
      column: "company_uid",
      detail: "counter_out_of_range",
    });
    // knex puts the statement before the database's message.
    const raised = (e: { message: string }) => e.message.slice(e.message.lastIndexOf(" - ") + 3);
    expect(raised(bulk)).toBe(
      `company_uid: no more CO UIDs can be issued for ${today.slice(0, 4)}-${today.slice(4, 6)}-${today.slice(6)}: the daily counter is past 999999 (UTC day)`,
    );
    expect({ ...bulk, message: raised(bulk) }).toEqual({ ...single, message: raised(single) });
    await setCounter(today, 500_000);
  });

  it("a value of a later day (another session passed midnight first) keeps that day", async () => {
    const tomorrow = utcDay(1);
    await setCounter(tomorrow, 41);
    expect(await one()).toBe(`CO-${tomorrow}-000042`);
    expect(await many(2)).toEqual([`CO-${tomorrow}-000043`, `CO-${tomorrow}-000044`]);
    await setCounter(utcDay(), 600_000);
  });

  it("a counter of 000000 (a sequence set by hand) is refused as format_daily_uid refuses it", async () => {
    const today = utcDay();
    const previous = String(Number(today) * 10_000_000 - 1);
    const expected = {
      code: "PL001",
      column: "counter",
      detail: "counter_out_of_range",
    };
    await db.knex.raw("SELECT setval('marketing.company_uid_seq', ?::bigint)", [previous]);
    expect(await sqlError(one())).toMatchObject(expected);
    await db.knex.raw("SELECT setval('marketing.company_uid_seq', ?::bigint)", [previous]);
    expect(await sqlError(many(2))).toMatchObject(expected);
    await setCounter(today, 700_000);
  });
});
