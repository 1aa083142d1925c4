import { CompanyUidSchema } from "@ple/core";
import { openDatabase } from "@ple/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompanyBatcher, MAX_COMPANY_BATCH } from "../src/company-batcher.js";
import {
  type Caller,
  seedCompany,
  setupTestApi,
  startTestServer,
  type TestApi,
} from "./helpers.js";

type Seeded = Awaited<ReturnType<typeof seedCompany>>;

let t: TestApi;
let writer: Caller;

beforeAll(async () => {
  t = await setupTestApi();
  writer = await t.as("write");
});
afterAll(async () => {
  await t?.drop();
});

function countingQueries(): { count: () => number; stop: () => void } {
  let n = 0;
  const onQuery = () => {
    n += 1;
  };
  t.db.knex.on("query", onQuery);
  return { count: () => n, stop: () => t.db.knex.off("query", onQuery) };
}

describe("companies.get by company_uid, coalesced", () => {
  it("answers concurrent look-ups with one statement, each caller its own company and slots", async () => {
    const seeded: Seeded[] = [];
    for (let i = 0; i < 5; i++) seeded.push(await seedCompany(writer));
    const batcher = new CompanyBatcher(t.db);
    const queries = countingQueries();
    try {
      const got = await Promise.all(seeded.map((s) => batcher.get(s.company.company_uid)));
      expect(queries.count()).toBe(1);
      got.forEach((hit, i) => {
        expect(hit.company).toEqual(seeded[i]?.company);
        expect(hit.slots.map((s) => s.role)).toEqual(["CEO", "CFO", "HR"]);
        expect(hit.slots.every((s) => s.company_uid === hit.company.company_uid)).toBe(true);
      });
      // The same company asked twice at once: equal answers, not the same objects.
      const uid = seeded[0]?.company.company_uid ?? CompanyUidSchema.parse("CO-20260101-000001");
      const [a, b] = await Promise.all([batcher.get(uid), batcher.get(uid)]);
      expect(a).toEqual(b);
      expect(a).not.toBe(b);
      expect(a?.company).not.toBe(b?.company);
      expect(a?.slots[0]).not.toBe(b?.slots[0]);
    } finally {
      queries.stop();
    }
  });

  it("an unknown uid in a batch is COMPANY_NOT_FOUND naming company_uid; the others are answered", async () => {
    const known = await seedCompany(writer);
    const batcher = new CompanyBatcher(t.db);
    const unknown = CompanyUidSchema.parse("CO-20200101-999999");
    const [hit, miss] = await Promise.allSettled([
      batcher.get(known.company.company_uid),
      batcher.get(unknown),
    ]);
    expect(hit.status === "fulfilled" && hit.value.company.company_uid).toBe(
      known.company.company_uid,
    );
    expect(miss.status === "rejected" && miss.reason).toMatchObject({
      code: "COMPANY_NOT_FOUND",
      field: "company_uid",
    });
  });

  it("splits a burst larger than one statement takes", async () => {
    const known = await seedCompany(writer);
    const batcher = new CompanyBatcher(t.db);
    const queries = countingQueries();
    try {
      const got = await Promise.all(
        Array.from({ length: MAX_COMPANY_BATCH + 1 }, () => batcher.get(known.company.company_uid)),
      );
      expect(got).toHaveLength(MAX_COMPANY_BATCH + 1);
      expect(queries.count()).toBe(2);
    } finally {
      queries.stop();
    }
  });

  it("a database failure rejects every caller of the batch with DATABASE_UNAVAILABLE", async () => {
    const broken = await openDatabase({ url: "postgres://postgres@127.0.0.1:1/none", poolMax: 1 });
    try {
      const batcher = new CompanyBatcher(broken);
      const uid = CompanyUidSchema.parse("CO-20260101-000001");
      const results = await Promise.allSettled([batcher.get(uid), batcher.get(uid)]);
      for (const result of results) {
        expect(result.status).toBe("rejected");
        expect(result.status === "rejected" && result.reason).toMatchObject({
          code: "DATABASE_UNAVAILABLE",
        });
      }
    } finally {
      await broken.close();
    }
  });

  it("over HTTP, 20 concurrent clients each get the company they asked for", async () => {
    const server = await startTestServer(t.db);
    try {
      const seeded: Seeded[] = [];
      for (let i = 0; i < 4; i++) seeded.push(await seedCompany(writer));
      const clients = Array.from({ length: 20 }, () => server.client(t.keys.read.key));
      const got = await Promise.all(
        clients.map((c, i) =>
          c.companies.get.query({
            company_uid: seeded[i % seeded.length]?.company.company_uid ?? "",
          }),
        ),
      );
      got.forEach((hit, i) => {
        expect(hit.company.company_uid).toBe(seeded[i % seeded.length]?.company.company_uid);
        expect(hit.slots).toHaveLength(3);
      });
    } finally {
      await server.close();
    }
  });
});
