import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPleClient } from "../src/client.js";
import {
  seedCompany,
  setupTestApi,
  startTestServer,
  type TestApi,
  type TestServer,
} from "./helpers.js";

let t: TestApi;
let server: TestServer;

beforeAll(async () => {
  t = await setupTestApi();
  server = await startTestServer(t.db);
});
afterAll(async () => {
  await server?.close();
  await t?.drop();
});

describe("a link race through the API", () => {
  it("20 clients linking 20 different people to one open slot: one winner, 19 SLOT_CONFLICT", async () => {
    const c = await seedCompany(await t.as("write"), 20);
    const slotUid = c.slot("CFO");
    const clients = c.people.map(() =>
      createPleClient({ url: server.url, apiKey: t.keys.write.key }),
    );
    const results = await Promise.allSettled(
      clients.map((client, i) =>
        client.slots.link.mutate({ slot_uid: slotUid, person_id: c.people[i]?.person_id ?? "" }),
      ),
    );
    const winners = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const losers = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    const winner = winners[0]?.slot.person_id;
    for (const loser of losers) {
      expect(loser).toMatchObject({
        data: {
          code: "SLOT_CONFLICT",
          httpStatus: 409,
          details: { person_id: winner, status: "filled" },
        },
      });
    }
    const slots = await clients[0]?.slots.list.query({ company_uid: c.company.company_uid });
    expect(slots?.find((s) => s.slot_uid === slotUid)).toMatchObject({
      status: "filled",
      person_id: winner,
    });
  });
});
