/**
 * The filters of the company and people lists — name prefix and similarity, open role,
 * open slots, people without a slot, by validation status and company — and cursors that
 * keep them: the next page of a filtered list is the next page of the same question.
 */
import {
  CompanyCreateInput,
  CompanyListInput,
  isPleError,
  type Page,
  PersonCreateInput,
  PersonListInput,
  SetValidationInput,
  SlotLinkInput,
  SlotProposeInput,
} from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import {
  createCompany,
  createPerson,
  linkPersonToSlot,
  listCompanies,
  listPeople,
  proposePersonForSlot,
  setValidation,
} from "../src/index.js";
import { createTestDatabase } from "../src/testing.js";

let test: Awaited<ReturnType<typeof createTestDatabase>>;
let db: PleDatabase;
const uid: Record<string, string> = {};

const NAMES = [
  "Northwind Traders",
  "Northern Lights Energy",
  "Harbor Pine Logistics",
  "Southwind Supply",
  "Acme Northwind Holdings",
  "Blue Harbor Foods",
];

/** Every page of a list, following next_cursor with nothing but the cursor. */
async function allPages<T>(
  first: Page<T>,
  next: (cursor: string) => Promise<Page<T>>,
): Promise<T[]> {
  const items = [...first.items];
  let cursor = first.next_cursor;
  while (cursor !== null) {
    const page = await next(cursor);
    items.push(...page.items);
    cursor = page.next_cursor;
  }
  return items;
}

const companies = (input: Record<string, unknown>) =>
  listCompanies(db.knex, CompanyListInput.parse(input));
const companyNames = async (input: Record<string, unknown>) =>
  (
    await allPages(await companies({ ...input, limit: 1 }), (cursor) =>
      companies({ cursor, limit: 1 }),
    )
  ).map((c) => c.company_name);

beforeAll(async () => {
  test = await createTestDatabase();
  db = test.db;
  for (const [i, name] of NAMES.entries()) {
    const created = await createCompany(
      db.knex,
      CompanyCreateInput.parse({ company_name: name, website: `site${i}.example` }),
    );
    uid[name] = created.company.company_uid;
  }
  // Northwind Traders: every slot taken. Harbor Pine: CFO taken (pending).
  for (const role of ["CEO", "CFO", "HR"]) {
    const { person } = await createPerson(
      db.knex,
      PersonCreateInput.parse({ name: `NW ${role}`, email: `${role}@northwind.example` }),
    );
    await linkPersonToSlot(
      db.knex,
      SlotLinkInput.parse({
        slot_uid: `SL-${uid["Northwind Traders"]}-${role}`,
        person_id: person.person_id,
      }),
    );
  }
  const { person: cfo } = await createPerson(
    db.knex,
    PersonCreateInput.parse({ name: "HP CFO", email: "cfo@harborpine.example" }),
  );
  await proposePersonForSlot(
    db.knex,
    SlotProposeInput.parse({
      slot_uid: `SL-${uid["Harbor Pine Logistics"]}-CFO`,
      person_id: cfo.person_id,
    }),
  );
  for (const i of [1, 2, 3]) {
    const { person } = await createPerson(
      db.knex,
      PersonCreateInput.parse({
        name: `Free ${i}`,
        email: `free${i}@example.com`,
        company_uid: uid["Blue Harbor Foods"],
      }),
    );
    if (i === 2) {
      await setValidation(
        db.knex,
        SetValidationInput.parse({ person_id: person.person_id, status: "valid" }),
      );
    }
  }
});
afterAll(async () => {
  await test?.drop();
});

describe("company list filters", () => {
  it("the next page of --open-slots lists only companies with an open slot (the cursor keeps it)", async () => {
    const names = await companyNames({ has_open_slots: true });
    expect(names).toEqual(NAMES.filter((n) => n !== "Northwind Traders"));
    expect(await companyNames({ has_open_slots: false })).toEqual(["Northwind Traders"]);
  });

  it("by open role, name prefix (any case) and similarity, combined", async () => {
    expect(await companyNames({ open_role: "CFO" })).toEqual(
      NAMES.filter((n) => n !== "Northwind Traders" && n !== "Harbor Pine Logistics"),
    );
    expect(await companyNames({ name_prefix: "north" })).toEqual([
      "Northwind Traders",
      "Northern Lights Energy",
    ]);
    expect(await companyNames({ name_prefix: "north", open_role: "CEO" })).toEqual([
      "Northern Lights Energy",
    ]);
    // A misspelling finds the close word; a substring finds every name containing it.
    expect(await companyNames({ name_similar: "northwnd" })).toEqual([
      "Northwind Traders",
      "Acme Northwind Holdings",
    ]);
    expect(await companyNames({ name_similar: "harbor" })).toEqual([
      "Harbor Pine Logistics",
      "Blue Harbor Foods",
    ]);
    expect(await companyNames({ name_prefix: "100%_" })).toEqual([]);
  });

  it("a cursor given with a different filter is refused, naming the filter", async () => {
    const first = await companies({ has_open_slots: true, limit: 1 });
    const error = await companies({
      cursor: first.next_cursor,
      has_open_slots: false,
    }).catch((e: unknown) => e);
    expect(isPleError(error) && [error.code, error.field]).toEqual([
      "VALIDATION_FAILED",
      "has_open_slots",
    ]);
    const added = await companies({ cursor: first.next_cursor, open_role: "HR" }).catch(
      (e: unknown) => e,
    );
    expect(isPleError(added) && added.field).toBe("open_role");
    // Repeating the same filters with the cursor is fine.
    const same = await companies({ cursor: first.next_cursor, has_open_slots: true, limit: 1 });
    expect(same.items[0]?.company_name).toBe(NAMES[2]);
  });
});

describe("people list filters", () => {
  const people = (input: Record<string, unknown>) =>
    listPeople(db.knex, PersonListInput.parse(input));
  const emails = async (input: Record<string, unknown>) =>
    (
      await allPages(await people({ ...input, limit: 1 }), (cursor) => people({ cursor, limit: 1 }))
    ).map((p) => p.email);

  it("without a slot, with one, by validation status and by company, through every page", async () => {
    expect(await emails({ without_slot: true })).toEqual([
      "free1@example.com",
      "free2@example.com",
      "free3@example.com",
    ]);
    expect(await emails({ without_slot: false })).toEqual([
      "ceo@northwind.example",
      "cfo@northwind.example",
      "hr@northwind.example",
      "cfo@harborpine.example",
    ]);
    expect(await emails({ validation_status: "valid" })).toEqual(["free2@example.com"]);
    expect(
      await emails({ company_uid: uid["Blue Harbor Foods"], validation_status: "pending" }),
    ).toEqual(["free1@example.com", "free3@example.com"]);
  });
});
