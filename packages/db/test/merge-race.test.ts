/**
 * A company merge racing with 20 other operations on either company (links into their slots,
 * vacates, creates by the dropped website and Apollo id, people created for the dropped company,
 * person merges of slot holders, merges of the same pair the other way and into a third
 * company), each in its own transaction on its own connection. Whatever order they land in,
 * the state is consistent: no slot with two people, no person in two slots, three slots per
 * company, no reference to a company that is gone, and the dropped keys resolve.
 */
import {
  CompanyCreateInput,
  CompanyMergeInput,
  isPleError,
  PersonCreateInput,
  type PersonId,
  PersonMergeInput,
  type SlotUid,
} from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queryable } from "../src/database.js";
import {
  createCompany,
  linkPersonToSlot,
  mergeCompanies,
  mergePeople,
  proposePersonForSlot,
  upsertCompany,
  upsertPerson,
  vacateSlot,
  withActor,
} from "../src/index.js";
import { createTestDatabase, type TestDatabase } from "../src/testing.js";
import { rows } from "./sql-helpers.js";

let t: TestDatabase;
let q: Queryable;
beforeAll(async () => {
  t = await createTestDatabase({ poolMax: 24 });
  q = t.db.knex;
});
afterAll(() => t.drop());

/**
 * Errors a racing operation may meet, each a clear refusal; anything else fails the test.
 * COMPANY_MISMATCH comes when a vacate lands before a link of the vacated person into another
 * company ("vacate keep CEO", then "link keepCeo → drop CEO") and no merge has joined the two
 * companies yet: a vacated person keeps their company.
 */
const EXPECTED = new Set([
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

/** Runs one operation in its own transaction; a deadlock or serialization failure is retried. */
async function op(name: string, fn: (trx: Queryable) => Promise<unknown>): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      await withActor(t.db, { actor: `race:${name}` }, fn);
      return "ok";
    } catch (err) {
      if (!isPleError(err)) throw err;
      if (err.details?.retryable === true && attempt < 5) continue;
      if (EXPECTED.has(err.code)) return err.code;
      throw err;
    }
  }
}

const stamp = Date.now().toString(36);
let n = 0;

async function company(name: string, apollo?: string) {
  n += 1;
  return (
    await createCompany(
      q,
      CompanyCreateInput.parse({
        company_name: `${name} ${n}`,
        website: `${name.toLowerCase()}-${n}-${stamp}.example`,
        ...(apollo === undefined ? {} : { apollo_company_id: `${apollo}-${n}-${stamp}` }),
      }),
    )
  ).company;
}
async function person(label: string): Promise<PersonId> {
  n += 1;
  return (
    await upsertPerson(
      q,
      PersonCreateInput.parse({
        name: `${label} ${n}`,
        email: `${label}-${n}-${stamp}@example.com`,
      }),
    )
  ).person.person_id;
}
const slot = (companyUid: string, role: string) => `SL-${companyUid}-${role}` as SlotUid;

async function checkConsistent(keep: string, drop: string, dropWebsite: string) {
  expect(
    await rows(
      q,
      `SELECT person_id FROM marketing.company_slot WHERE person_id IS NOT NULL
        GROUP BY person_id HAVING count(*) > 1`,
    ),
  ).toEqual([]);
  expect(
    await rows(
      q,
      `SELECT c.company_uid FROM marketing.company c
        WHERE (SELECT count(*) FROM marketing.company_slot s WHERE s.company_uid = c.company_uid) <> 3`,
    ),
  ).toEqual([]);
  expect(
    await rows(
      q,
      `SELECT slot_uid FROM marketing.company_slot
        WHERE (person_id IS NULL) <> (status = 'open')
           OR (person_id IS NOT NULL AND NOT EXISTS
                (SELECT 1 FROM marketing.people p WHERE p.person_id = company_slot.person_id))`,
    ),
  ).toEqual([]);
  // The dropped website belongs to one live company or is an alias of one, never both.
  const holders = await rows<{ n: number }>(
    q,
    `SELECT (SELECT count(*) FROM marketing.company WHERE website = ?)::int
          + (SELECT count(*) FROM marketing.company_alias WHERE alias_kind = 'website' AND alias_value = ?)::int AS n`,
    [dropWebsite, dropWebsite],
  );
  expect(holders[0]?.n).toBe(1);
  // Both UIDs still answer: as a company, or as an alias of one.
  for (const uid of [keep, drop]) {
    const found = await rows(
      q,
      `SELECT 1 FROM marketing.company WHERE company_uid = ?
       UNION ALL SELECT 1 FROM marketing.company_alias WHERE alias_kind = 'company_uid' AND alias_value = ?`,
      [uid, uid],
    );
    expect(found).toHaveLength(1);
  }
}

describe("a company merge racing with 20 operations on either company", () => {
  it.each([1, 2, 3, 4, 5])("round %i ends consistent", async (round) => {
    const keep = await company("Keep");
    const drop = await company("Drop", "apollo-drop");
    const third = await company("Third");
    const keepCeo = await person("keepceo");
    const dropCfo = await person("dropcfo");
    const dropHr = await person("drophr");
    const free = await Promise.all(Array.from({ length: 8 }, () => person("free")));
    await linkPersonToSlot(q, { person_id: keepCeo, slot_uid: slot(keep.company_uid, "CEO") });
    await linkPersonToSlot(q, { person_id: dropCfo, slot_uid: slot(drop.company_uid, "CFO") });
    await proposePersonForSlot(q, { person_id: dropHr, slot_uid: slot(drop.company_uid, "HR") });
    const k = keep.company_uid;
    const d = drop.company_uid;
    const f = (i: number) => free[i] as PersonId;

    const operations: Array<[string, (trx: Queryable) => Promise<unknown>]> = [
      [
        "link free0 → keep CFO",
        (x) => linkPersonToSlot(x, { person_id: f(0), slot_uid: slot(k, "CFO") }),
      ],
      [
        "link free1 → keep HR",
        (x) => linkPersonToSlot(x, { person_id: f(1), slot_uid: slot(k, "HR") }),
      ],
      [
        "link free2 → drop CEO",
        (x) => linkPersonToSlot(x, { person_id: f(2), slot_uid: slot(d, "CEO") }),
      ],
      [
        "link free3 → drop CEO",
        (x) => linkPersonToSlot(x, { person_id: f(3), slot_uid: slot(d, "CEO") }),
      ],
      [
        "propose free4 → keep CFO",
        (x) => proposePersonForSlot(x, { person_id: f(4), slot_uid: slot(k, "CFO") }),
      ],
      [
        "link dropCfo → third CEO",
        (x) =>
          linkPersonToSlot(x, { person_id: dropCfo, slot_uid: slot(third.company_uid, "CEO") }),
      ],
      ["vacate drop CFO", (x) => vacateSlot(x, { slot_uid: slot(d, "CFO") })],
      [
        "link free5 → drop CFO",
        (x) => linkPersonToSlot(x, { person_id: f(5), slot_uid: slot(d, "CFO") }),
      ],
      [
        "merge person dropHr into free6",
        (x) => mergePeople(x, PersonMergeInput.parse({ keep: f(6), drop: dropHr })),
      ],
      [
        "merge person free7 into dropCfo",
        (x) => mergePeople(x, PersonMergeInput.parse({ keep: dropCfo, drop: f(7) })),
      ],
      [
        "merge keep into drop",
        (x) =>
          mergeCompanies(
            x,
            CompanyMergeInput.parse({
              keep: d,
              drop: k,
              prefer: { CEO: "keep", CFO: "keep", HR: "keep" },
            }),
          ),
      ],
      [
        "merge drop into third",
        (x) =>
          mergeCompanies(
            x,
            CompanyMergeInput.parse({
              keep: third.company_uid,
              drop: d,
              prefer: { CEO: "keep", CFO: "keep", HR: "keep" },
            }),
          ),
      ],
      [
        "create by dropped website",
        (x) =>
          upsertCompany(
            x,
            CompanyCreateInput.parse({
              company_name: "Again",
              website: `https://www.${drop.website}/`,
              on_existing: "fill",
            }),
          ),
      ],
      [
        "create by dropped Apollo id",
        (x) =>
          upsertCompany(
            x,
            CompanyCreateInput.parse({
              company_name: "Again",
              website: `again-${round}-${stamp}.example`,
              apollo_company_id: String(drop.apollo_company_id),
            }),
          ),
      ],
      [
        "create by dropped website, update",
        (x) =>
          upsertCompany(
            x,
            CompanyCreateInput.parse({
              company_name: "Renamed",
              website: drop.website,
              ein: "12-3456789",
              on_existing: "update",
            }),
          ),
      ],
      [
        "person for drop",
        (x) =>
          upsertPerson(
            x,
            PersonCreateInput.parse({
              name: "Late",
              email: `late-${round}-${stamp}@example.com`,
              company_uid: d,
            }),
          ),
      ],
      [
        "person for keep",
        (x) =>
          upsertPerson(
            x,
            PersonCreateInput.parse({
              name: "Late",
              email: `late-k-${round}-${stamp}@example.com`,
              company_uid: k,
            }),
          ),
      ],
      ["vacate keep CEO", (x) => vacateSlot(x, { slot_uid: slot(k, "CEO") })],
      [
        "link keepCeo → drop CEO",
        (x) => linkPersonToSlot(x, { person_id: keepCeo, slot_uid: slot(d, "CEO") }),
      ],
      [
        "merge drop into keep again",
        (x) =>
          mergeCompanies(
            x,
            CompanyMergeInput.parse({
              keep: k,
              drop: d,
              prefer: { CEO: "drop", CFO: "drop", HR: "drop" },
            }),
          ),
      ],
    ];
    expect(operations).toHaveLength(20);
    const merge = op("merge drop into keep", (x) =>
      mergeCompanies(
        x,
        CompanyMergeInput.parse({
          keep: k,
          drop: d,
          prefer: { CEO: "keep", CFO: "keep", HR: "keep" },
        }),
      ),
    );
    const outcomes = await Promise.all([merge, ...operations.map(([name, fn]) => op(name, fn))]);
    // Every operation ended in a success or a clear refusal (op() throws on anything else).
    expect(outcomes).toHaveLength(21);
    await checkConsistent(k, d, drop.website);
  });
});
