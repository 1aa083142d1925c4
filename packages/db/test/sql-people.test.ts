/**
 * marketing.insert_person and the people table: canonical values,
 * idempotency by email (also under a race), the company a person works for,
 * and clear errors.
 */
import { parsePersonId } from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { createTestDatabase } from "../src/testing.js";
import { connect, row, sqlError } from "./sql-helpers.js";

interface PersonResult {
  status: "created" | "exists";
  person_id: string;
}

let db: PleDatabase;
let url: string;
let drop: () => Promise<void>;
let companyUid: string;

beforeAll(async () => {
  const t = await createTestDatabase();
  db = t.db;
  url = t.url;
  drop = t.drop;
  const { r } = await row<{ r: { company_uid: string } }>(
    db.knex,
    "SELECT marketing.insert_company_with_slots('People Co', 'people.example.com', NULL, NULL) AS r",
  );
  companyUid = r.company_uid;
});
afterAll(async () => {
  await drop();
});

async function insertPerson(...args: Array<string | null>): Promise<PersonResult> {
  const placeholders = args.map(() => "?").join(", ");
  const { r } = await row<{ r: PersonResult }>(
    db.knex,
    `SELECT marketing.insert_person(${placeholders}) AS r`,
    args,
  );
  return r;
}

describe("insert_person", () => {
  it("creates a person with canonical name, email, LinkedIn URL, company, title and source", async () => {
    const r = await insertPerson(
      "  Jane   Doe ",
      " Jane.Doe@People.Example.COM ",
      "http://uk.linkedin.com/in/Jane-Doe/?trk=x",
      companyUid,
      "  Chief  Financial Officer ",
      "APOLLO",
    );
    expect(r.status).toBe("created");
    expect(parsePersonId(r.person_id).ok).toBe(true);
    const stored = await row(
      db.knex,
      `SELECT name, email, linkedin_url, company_uid, title, source, validation_status
         FROM marketing.people WHERE person_id = ?`,
      [r.person_id],
    );
    expect(stored).toEqual({
      name: "Jane Doe",
      email: "jane.doe@people.example.com",
      linkedin_url: "https://www.linkedin.com/in/jane-doe",
      company_uid: companyUid,
      title: "Chief Financial Officer",
      source: "apollo",
      validation_status: "pending",
    });
  });

  it("returns the existing person for the same email in any spelling, never overwriting", async () => {
    const first = await insertPerson("Sam Smith", "sam@example.com");
    const again = await insertPerson(
      "Samuel Smith",
      "  SAM@Example.com ",
      null,
      companyUid,
      "CEO",
      "csv",
    );
    expect(again).toEqual({ status: "exists", person_id: first.person_id });
    const stored = await row(
      db.knex,
      "SELECT name, company_uid, source FROM marketing.people WHERE person_id = ?",
      [first.person_id],
    );
    expect(stored).toEqual({ name: "Sam Smith", company_uid: null, source: "manual" });
  });

  it("names the field and the reason of bad input", async () => {
    const cases: Array<[Array<string | null>, string, string, string]> = [
      [["Ann", "not-an-email"], "PL001", "email", "invalid_syntax"],
      [["Ann", "ann@localhost"], "PL001", "email", "localhost"],
      [["", "ann@example.com"], "PL001", "name", "empty"],
      [
        ["Ann", "ann@example.com", "https://www.linkedin.com/company/acme"],
        "PL001",
        "linkedin_url",
        "company_page",
      ],
      [["Ann", "ann@example.com", null, null, null, "import"], "PL001", "source", "invalid_source"],
      [["Ann", "ann@example.com", null, "CO-2026-1"], "PL001", "company_uid", "invalid_syntax"],
      [["Ann", "ann@example.com", null, null, "x".repeat(301)], "PL001", "title", "too_long"],
    ];
    for (const [args, code, column, detail] of cases) {
      const placeholders = args.map(() => "?").join(", ");
      const e = await sqlError(
        db.knex.raw(`SELECT marketing.insert_person(${placeholders})`, args),
      );
      expect({ args, ...e }).toMatchObject({ args, code, column, detail });
    }
    const missing = await sqlError(
      insertPerson("Ann", "ann@example.com", null, "CO-20200101-999999"),
    );
    expect(missing).toMatchObject({ code: "PL004", column: "company_uid" });
  });

  it("8 connections inserting the same email at once make one person", async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect(url)));
    try {
      const results = await Promise.all(
        clients.map(async (client, i) => {
          await client.query("BEGIN");
          const r = await client.query<{ r: PersonResult }>(
            "SELECT marketing.insert_person($1, $2) AS r",
            [`Racer ${i}`, i % 2 === 0 ? "racer@example.com" : " RACER@example.com"],
          );
          await client.query("SELECT pg_sleep(0.02)");
          await client.query("COMMIT");
          return r.rows[0]?.r;
        }),
      );
      expect(results.filter((r) => r?.status === "created")).toHaveLength(1);
      expect(new Set(results.map((r) => r?.person_id)).size).toBe(1);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });
});

describe("the people table", () => {
  it("normalises direct writes and refuses an unknown validation status", async () => {
    const p = await insertPerson("Lee", "lee@example.com");
    await db.knex.raw(
      "UPDATE marketing.people SET email = ' LEE@EXAMPLE.COM ', linkedin_url = 'linkedin.com/in/Lee-1' WHERE person_id = ?",
      [p.person_id],
    );
    const stored = await row(
      db.knex,
      "SELECT email, linkedin_url FROM marketing.people WHERE person_id = ?",
      [p.person_id],
    );
    expect(stored).toEqual({
      email: "lee@example.com",
      linkedin_url: "https://www.linkedin.com/in/lee-1",
    });
    const e = await sqlError(
      db.knex.raw("UPDATE marketing.people SET validation_status = 'ok' WHERE person_id = ?", [
        p.person_id,
      ]),
    );
    expect(e.code).toBe("23514");
    expect(e.message).toContain("people_validation_status_check");
  });

  it("a person's company is cleared when the company is deleted", async () => {
    const { r } = await row<{ r: { company_uid: string } }>(
      db.knex,
      "SELECT marketing.insert_company_with_slots('Gone Co', 'gone.example.com', NULL, NULL) AS r",
    );
    const p = await insertPerson("Kim", "kim@gone.example.com", null, r.company_uid);
    await db.knex.raw("SELECT marketing.delete_company(?)", [r.company_uid]);
    const stored = await row(
      db.knex,
      "SELECT company_uid FROM marketing.people WHERE person_id = ?",
      [p.person_id],
    );
    expect(stored).toEqual({ company_uid: null });
  });
});
