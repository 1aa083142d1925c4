/** The API on the embedded PostgreSQL (PGlite), as `ple serve` runs it without DATABASE_URL. */
import { createApiKey, migrateLatest, openDatabase, type PleDatabase } from "@ple/db";
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
});
