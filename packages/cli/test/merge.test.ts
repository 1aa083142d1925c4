/**
 * `ple company|person duplicates` and `ple company|person merge` in-process through runCli: from
 * candidates to a merge, --dry-run equal to the real run, MERGE_CONFLICT and --prefer, exit codes,
 * and `ple history` of the dropped UID.
 */
import { CompanyCreateInput, PersonCreateInput } from "@ple/core";
import { createCompany, linkPersonToSlot, type PleDatabase, upsertPerson } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { parsePrefer } from "../src/commands/merge.js";
import { captureIo } from "./helpers.js";

function borrowed(db: PleDatabase): PleDatabase {
  return { ...db, close: async () => {} };
}

async function cli(db: PleDatabase, argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io, {
    env: { PLE_ACTOR: "test:merge" },
    openDatabase: async () => borrowed(db),
  });
  return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) };
}

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("--prefer", () => {
  it("reads ROLE=keep|drop, repeated or comma-separated, and refuses anything else", () => {
    expect(parsePrefer("ceo=drop,HR=keep")).toEqual({ CEO: "drop", HR: "keep" });
    expect(() => parsePrefer("CTO=keep")).toThrow(/ROLE=keep\|drop/);
    expect(() => parsePrefer("CEO=both")).toThrow(/ROLE=keep\|drop/);
  });
});

describe("ple company duplicates → ple company merge", () => {
  it("walks from a candidate pair to a merge, and history of the dropped UID shows it", async () => {
    const q = t.db.knex;
    const keep = await createCompany(
      q,
      CompanyCreateInput.parse({ company_name: "Acme Widgets", website: "acme.com" }),
    );
    const drop = await createCompany(
      q,
      CompanyCreateInput.parse({
        company_name: "Acme Widgets Ltd",
        website: "acme.co.uk",
        apollo_company_id: "apollo-acme-uk",
      }),
    );
    const k = keep.company.company_uid;
    const d = drop.company.company_uid;
    const ceo1 = await upsertPerson(
      q,
      PersonCreateInput.parse({ name: "Ada", email: "ada@acme.com" }),
    );
    const ceo2 = await upsertPerson(
      q,
      PersonCreateInput.parse({ name: "Bob", email: "bob@acme.co.uk" }),
    );
    await linkPersonToSlot(q, {
      person_id: ceo1.person.person_id,
      slot_uid: `SL-${k}-CEO` as never,
    });
    await linkPersonToSlot(q, {
      person_id: ceo2.person.person_id,
      slot_uid: `SL-${d}-CEO` as never,
    });

    const dupes = await cli(t.db, ["company", "duplicates", "--json"]);
    expect(dupes.code).toBe(0);
    expect(dupes.json()).toEqual([
      expect.objectContaining({
        a: expect.objectContaining({ company_uid: k }),
        b: expect.objectContaining({ company_uid: d }),
        reasons: ["similar_name_same_domain"],
      }),
    ]);
    const human = await cli(t.db, ["company", "duplicates"]);
    expect(human.out).toContain("similar_name_same_domain");
    expect(human.out).toContain("ple company merge KEEP DROP");
    expect((await cli(t.db, ["company", "duplicates", "--min-score", "101"])).code).toBe(2);

    const conflict = await cli(t.db, ["company", "merge", k, d, "--json"]);
    expect(conflict.code).toBe(1);
    expect(conflict.json().error).toMatchObject({ code: "MERGE_CONFLICT", field: "prefer" });
    expect(conflict.json().error.message).toContain(ceo1.person.person_id);
    expect(conflict.json().error.message).toContain(ceo2.person.person_id);

    const dry = await cli(t.db, [
      "company",
      "merge",
      k,
      d,
      "--prefer",
      "CEO=keep",
      "--dry-run",
      "--json",
    ]);
    expect(dry.code).toBe(0);
    const real = await cli(t.db, ["company", "merge", k, d, "--prefer", "CEO=keep", "--json"]);
    expect(real.code).toBe(0);
    const strip = (r: Record<string, unknown>) => ({
      ...r,
      dry_run: null,
      company: null,
      company_slots: null,
    });
    expect(strip(real.json())).toEqual(strip(dry.json()));
    expect(real.json()).toMatchObject({
      filled: ["apollo_company_id"],
      released: [expect.objectContaining({ person_id: ceo2.person.person_id })],
    });

    const got = await cli(t.db, ["company", "get", "acme.co.uk", "--json"]);
    expect(got.json()).toMatchObject({ company: { company_uid: k }, merged_from: d });
    const history = await cli(t.db, ["history", d]);
    expect(history.code).toBe(0);
    expect(history.out).toContain("Merges:");
    expect(history.out).toContain(k);
    expect(history.out).toContain("DELETE");
    expect((await cli(t.db, ["company", "duplicates", "--json"])).json()).toEqual([]);
  });
});

describe("ple person duplicates → ple person merge", () => {
  it("merges a person known under two emails", async () => {
    const q = t.db.knex;
    const a = await upsertPerson(
      q,
      PersonCreateInput.parse({
        name: "Cy",
        email: "cy@one.example",
        linkedin_url: "https://www.linkedin.com/in/cy-dupe",
      }),
    );
    const b = await upsertPerson(
      q,
      PersonCreateInput.parse({
        name: "Cy",
        email: "cy@two.example",
        linkedin_url: "linkedin.com/in/cy-dupe",
      }),
    );
    const pairs = (await cli(t.db, ["person", "duplicates", "--json"])).json();
    expect(pairs).toEqual([
      expect.objectContaining({
        a: expect.objectContaining({ person_id: a.person.person_id }),
        reasons: ["same_linkedin_url"],
        score: 95,
      }),
    ]);
    const merged = await cli(t.db, ["person", "merge", a.person.person_id, b.person.person_id]);
    expect(merged.code).toBe(0);
    expect(merged.out).toContain(`Merged person ${b.person.person_id} into ${a.person.person_id}`);
    const got = await cli(t.db, ["person", "get", "cy@two.example", "--json"]);
    expect(got.json()).toMatchObject({ person_id: a.person.person_id });
  });
});
