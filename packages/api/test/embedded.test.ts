/** The API on the embedded PostgreSQL (PGlite), as `ple serve` runs it without DATABASE_URL. */
import {
  createApiKey,
  getCompaniesWithSlots,
  migrateLatest,
  openDatabase,
  type PleDatabase,
} from "@ple/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPleClient } from "../src/client.js";
import { createServer, type PleServer } from "../src/server.js";

let db: PleDatabase;
let api: PleServer;
let url: string;
let key: string;

beforeAll(async () => {
  db = await openDatabase({ memory: true });
  await migrateLatest(db);
  key = (await createApiKey(db.knex, { name: "embedded admin", role: "admin" })).key;
  api = createServer({ db });
  url = await api.listen(0);
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

describe("on the embedded database", () => {
  it("serves health, creates, links and replays an idempotent call", async () => {
    const health = await fetch(`${url}/health`);
    expect(await health.json()).toMatchObject({ status: "ok", database: { kind: "embedded" } });

    const ple = createPleClient({ url, apiKey: key });
    const { company } = await ple.companies.create.mutate({
      company_name: "Embedded Co",
      website: "https://embedded.example.com",
    });
    const { person } = await ple.people.create.mutate({
      name: "Em Bedded",
      email: "em@embedded.example.com",
    });
    const slotUid = `SL-${company.company_uid}-HR` as const;
    const options = { context: { idempotencyKey: "embedded-link-1" } };
    const first = await ple.slots.link.mutate(
      { slot_uid: slotUid, person_id: person.person_id },
      options,
    );
    const replay = await ple.slots.link.mutate(
      { slot_uid: slotUid, person_id: person.person_id },
      options,
    );
    expect(replay).toEqual(first);
    expect(first.slot).toMatchObject({ status: "filled", person_id: person.person_id });

    const trail = await ple.history.auditTrail.query({ uid: slotUid });
    expect(trail[0]?.actor).toMatch(/^ak_/);
  });

  it("answers concurrent look-ups by uid (one coalesced statement) and names an unknown one", async () => {
    const clients = Array.from({ length: 6 }, () => createPleClient({ url, apiKey: key }));
    const made = [];
    for (let i = 0; i < 3; i++) {
      made.push(
        await clients[0]?.companies.create.mutate({
          company_name: `Batch Co ${i}`,
          website: `https://batch-${i}.example.com`,
        }),
      );
    }
    const uids = made.map((m) => m?.company.company_uid ?? "");
    const got = await Promise.all(
      clients.map((c, i) => c.companies.get.query({ company_uid: uids[i % uids.length] ?? "" })),
    );
    got.forEach((hit, i) => {
      expect(hit.company.company_uid).toBe(uids[i % uids.length]);
      expect(hit.slots.map((s) => s.role)).toEqual(["CEO", "CFO", "HR"]);
    });
    // The coalesced statement itself (= ANY of a text array) on PGlite.
    const batch = await getCompaniesWithSlots(db.knex, [...uids, "CO-20200101-999999"]);
    expect([...batch.keys()].sort()).toEqual([...uids].sort());
    expect([...batch.values()].every((c) => c.slots.length === 3)).toBe(true);
    const [found, missing] = await Promise.allSettled([
      clients[1]?.companies.get.query({ company_uid: uids[0] ?? "" }),
      clients[2]?.companies.get.query({ company_uid: "CO-20200101-999999" }),
    ]);
    expect(found?.status).toBe("fulfilled");
    expect(missing?.status === "rejected" && missing.reason).toMatchObject({
      data: { code: "COMPANY_NOT_FOUND", field: "company_uid" },
    });
  });
});
