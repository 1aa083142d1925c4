/**
 * Duplicate candidates on a seeded set with known duplicates (precision and recall printed), and
 * the registrable-domain rule checked against the Public Suffix List's own test vectors.
 */
import { readFileSync } from "node:fs";
import { CompanyCreateInput, isPleError, PersonCreateInput } from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queryable } from "../src/database.js";
import {
  companyDuplicates,
  createCompany,
  linkPersonToSlot,
  personDuplicates,
  recordImportRejects,
  registrableDomain,
  registrableName,
  upsertCompany,
  upsertPerson,
} from "../src/index.js";
import { createTestDatabase, type TestDatabase } from "../src/testing.js";

describe("registrable domains agree with the Public Suffix List's test_psl.txt", () => {
  const text = readFileSync(new URL("./fixtures/psl/test_psl.txt", import.meta.url), "utf8");
  const cases = [...text.matchAll(/^checkPublicSuffix\((null|'[^']*'), (null|'[^']*')\);/gm)].map(
    (m) => [
      m[1] === "null" ? null : m[1]?.slice(1, -1),
      m[2] === "null" ? null : m[2]?.slice(1, -1),
    ],
  );
  it("has the vectors", () => expect(cases.length).toBeGreaterThan(70));
  it.each(cases)("%s → %s", (input, want) => {
    expect(input == null ? null : registrableDomain(input)).toBe(want ?? null);
  });
  it("names acme.com and shop.acme.co.uk alike", () => {
    expect(registrableName("acme.com")).toBe("acme");
    expect(registrableName("shop.acme.co.uk")).toBe("acme");
    expect(registrableName("co.uk")).toBeNull();
  });
});

let t: TestDatabase;
let q: Queryable;
beforeAll(async () => {
  t = await createTestDatabase();
  q = t.db.knex;
});
afterAll(() => t.drop());

async function company(name: string, website: string, extra: Record<string, string> = {}) {
  return (
    await createCompany(q, CompanyCreateInput.parse({ company_name: name, website, ...extra }))
  ).company.company_uid;
}

describe("company duplicates on a seeded set", () => {
  it("finds the known pairs with their reasons (precision and recall)", async () => {
    const truth = new Set<string>();
    const pair = (x: string, y: string) => truth.add(x < y ? `${x} ${y}` : `${y} ${x}`);

    // Same registrable name, similar names.
    const similar: Array<[string, string, string, string]> = [
      ["Acme Widgets", "acme.com", "Acme Widgets Ltd", "acme.co.uk"],
      ["Globex Corporation", "globex.com", "Globex Corp", "globex.de"],
      ["Initech", "initech.com", "Initech Inc.", "shop.initech.com"],
      [
        "Umbrella Holdings",
        "umbrella-holdings.com",
        "Umbrella Holdings GmbH",
        "umbrella-holdings.at",
      ],
      ["Stark Industries", "starkindustries.com", "Stark Industries Pty", "starkindustries.com.au"],
      ["Wayne Enterprises", "wayne-ent.com", "Wayne Enterprises LLC", "wayne-ent.io"],
      ["Hooli", "hooli.com", "Hooli XYZ", "hooli.xyz"],
    ];
    for (const [n1, w1, n2, w2] of similar) pair(await company(n1, w1), await company(n2, w2));

    // Same valid EIN, unrelated names and sites.
    const eins = ["12-3456789", "23-4567890", "34-5678901", "45-6789012", "51-2345678"];
    for (const [i, ein] of eins.entries()) {
      pair(
        await company(`Ein Holder ${i}`, `ein-holder-${i}.com`, { ein }),
        await company(`Renamed Co ${i}`, `renamed-${i}.net`, { ein: ein.replace("-", "") }),
      );
    }

    // A website on one, the Apollo id on the other: an import row refused with IDENTITY_CONFLICT.
    for (let i = 0; i < 4; i++) {
      const bySite = await company(`Site Co ${i}`, `site-co-${i}.com`);
      const byApollo = await company(`Apollo Co ${i}`, `apollo-co-${i}.com`, {
        apollo_company_id: `apollo-dup-${i}`,
      });
      pair(bySite, byApollo);
      let message = "";
      try {
        await upsertCompany(
          q,
          CompanyCreateInput.parse({
            company_name: `Site Co ${i}`,
            website: `site-co-${i}.com`,
            apollo_company_id: `apollo-dup-${i}`,
          }),
        );
      } catch (err) {
        if (!isPleError(err) || err.code !== "IDENTITY_CONFLICT") throw err;
        message = err.message;
      }
      await recordImportRejects(q, [
        {
          source_file: "seed.csv",
          row_number: i + 1,
          raw_row: `Site Co ${i},site-co-${i}.com,apollo-dup-${i}`,
          error_code: "IDENTITY_CONFLICT",
          field: "apollo_company_id",
          message,
        },
      ]);
    }

    // Distinct companies, some sharing a registrable name with unrelated names, some an invalid
    // (placeholder) EIN.
    const noise: Array<[string, string]> = [
      ["Delta Air Lines", "delta.com"],
      ["Faucets of Delta", "delta.co.uk"],
      ["Apple Orchard Farm", "apple-farm.com"],
      ["Mercury Insurance", "mercury.com"],
      ["Mercury Marine Engines", "mercury.de"],
      ["Northwind Traders", "northwind.com"],
      ["Contoso Pharmaceuticals", "contoso.com"],
      ["Fabrikam Logistics", "fabrikam.com"],
      ["Tailspin Toys", "tailspin.com"],
      ["Wingtip Toys", "wingtip.com"],
      ["Adventure Works Cycles", "adventure-works.com"],
      ["Litware Software", "litware.com"],
      ["Proseware", "proseware.com"],
      ["Lucerne Publishing", "lucerne.com"],
      ["Coho Vineyard", "coho.com"],
      ["Coho Winery", "cohowinery.com"],
    ];
    for (const [n, w] of noise) await company(n, w);
    await company("Placeholder One", "placeholder-one.com", { ein: "00-0000000" });
    await company("Placeholder Two", "placeholder-two.com", { ein: "00-0000000" });

    const found = await companyDuplicates(q, { min_score: 50, limit: 1000 });
    const reported = new Set(found.map((d) => `${d.a.company_uid} ${d.b.company_uid}`));
    const hits = [...reported].filter((k) => truth.has(k)).length;
    const precision = reported.size === 0 ? 0 : hits / reported.size;
    const recall = hits / truth.size;
    console.log(
      `company duplicates: ${truth.size} known pairs, ${reported.size} reported, ${hits} right — ` +
        `precision ${precision.toFixed(2)}, recall ${recall.toFixed(2)}`,
    );
    expect(recall).toBe(1);
    expect(precision).toBeGreaterThanOrEqual(0.9);

    const acme = found.find((d) => d.a.website === "acme.com");
    expect(acme).toMatchObject({
      b: { website: "acme.co.uk" },
      reasons: ["similar_name_same_domain"],
    });
    expect(acme?.score).toBeGreaterThan(70);
    expect(found.find((d) => d.a.company_name === "Ein Holder 0")).toMatchObject({
      reasons: ["same_ein"],
      score: 90,
    });
    expect(found.find((d) => d.a.company_name === "Site Co 0")).toMatchObject({
      reasons: ["website_and_apollo_id"],
      score: 95,
    });
    // min_score filters.
    const strict = await companyDuplicates(q, { min_score: 91, limit: 1000 });
    expect(strict.every((d) => d.score >= 91)).toBe(true);
    expect(strict.length).toBeLessThan(found.length);
  });
});

describe("person duplicates on a seeded set", () => {
  it("finds the same LinkedIn URL and the same name at one company (precision and recall)", async () => {
    const c1 = await company("People Co", "people-co.com");
    const c2 = await company("Other People Co", "other-people.com");
    const person = async (name: string, email: string, extra: Record<string, string> = {}) =>
      (await upsertPerson(q, PersonCreateInput.parse({ name, email, ...extra }))).person.person_id;
    const truth = new Set<string>();
    const pair = (x: string, y: string) => truth.add(x < y ? `${x} ${y}` : `${y} ${x}`);
    for (let i = 0; i < 4; i++) {
      pair(
        await person(`Linked ${i}`, `linked${i}@a.example`, {
          linkedin_url: `https://www.linkedin.com/in/linked-${i}`,
        }),
        await person(`L. ${i}`, `linked${i}@b.example`, {
          linkedin_url: `linkedin.com/in/linked-${i}/`,
        }),
      );
    }
    for (let i = 0; i < 3; i++) {
      pair(
        await person(`Jane Roe ${i}`, `jane${i}@people-co.com`, { company_uid: c1 }),
        await person(`jane roe ${i}`, `j.roe${i}@gmail.example`, { company_uid: c1 }),
      );
    }
    // One of a pair known by the slot they hold rather than company_uid.
    const slotHolder = await person("Sam Slot", "sam@other-people.com");
    await linkPersonToSlot(q, {
      person_id: slotHolder as never,
      slot_uid: `SL-${c2}-CEO` as never,
    });
    pair(slotHolder, await person("Sam Slot", "sam.slot@gmail.example", { company_uid: c2 }));
    // Not duplicates: same name at different companies, different names at one company.
    await person("John Smith", "john@people-co.com", { company_uid: c1 });
    await person("John Smith", "john@other-people.com", { company_uid: c2 });
    await person("Ann Other", "ann@people-co.com", { company_uid: c1 });

    const found = await personDuplicates(q, { min_score: 50, limit: 1000 });
    const reported = new Set(found.map((d) => `${d.a.person_id} ${d.b.person_id}`));
    const hits = [...reported].filter((k) => truth.has(k)).length;
    const precision = reported.size === 0 ? 0 : hits / reported.size;
    const recall = hits / truth.size;
    console.log(
      `person duplicates: ${truth.size} known pairs, ${reported.size} reported, ${hits} right — ` +
        `precision ${precision.toFixed(2)}, recall ${recall.toFixed(2)}`,
    );
    expect(recall).toBe(1);
    expect(precision).toBe(1);
    expect(found[0]).toMatchObject({ reasons: ["same_linkedin_url"], score: 95 });
  });
});
