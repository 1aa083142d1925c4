/**
 * The lease race: workers claiming open slots at once — ten API clients over HTTP and
 * four `ple slot claim` processes — get disjoint slots while their leases live; expired
 * leases are handed out again; a slot filled while leased loses its lease.
 */
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodeOf, type RunningApi, startApi } from "../support/api.js";
import { sleep } from "../support/files.js";
import { recordCheck } from "../support/metrics.js";
import { jsonOf, runPle } from "../support/ple-binary.js";

let db: TestDatabase;
let api: RunningApi;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startApi(db.db);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

/** `companies` new companies (three open slots each). */
async function seedCompanies(companies: number, tag: string): Promise<void> {
  await db.db.knex.raw(
    `SELECT marketing.insert_company_with_slots('${tag} ' || i, '${tag}-' || i || '.example', NULL, NULL)
       FROM generate_series(1, ?) AS i ORDER BY i`,
    [companies],
  );
}

async function leaseRows(): Promise<Array<{ slot_uid: string; worker: string }>> {
  return db.db.knex("marketing.slot_lease").where("expires_at", ">", db.db.knex.fn.now());
}

describe("the lease race", () => {
  it("10 API clients claim at once from 1,000 open slots: disjoint, all handed out, none twice", async () => {
    await recordCheck(
      "concurrency",
      "10 API workers claim 1,000 open slots at once",
      async (check) => {
        await seedCompanies(334, "Lease"); // 1,002 open slots
        // Two slots leased by a bystander first, so exactly 1,000 are free.
        const bystander = await api
          .client(api.keys.write.key)
          .slots.claim.mutate({ worker: "bystander", limit: 2 });
        expect(bystander.claimed).toHaveLength(2);
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, w) =>
            api.client(api.keys.write.key).slots.claim.mutate({
              worker: `http-${w}`,
              limit: 100,
              lease_seconds: 600,
            }),
          ),
        );
        check.add("cases", 10).add("faults", 1);
        const errors = results.flatMap((r) =>
          r.status === "rejected" ? [errorCodeOf(r.reason)] : [],
        );
        check.add("unhandledErrors", errors.length);
        expect(errors).toEqual([]);
        const claimed = results.flatMap((r, w) =>
          r.status === "fulfilled" ? r.value.claimed.map((c) => ({ uid: c.slot.slot_uid, w })) : [],
        );
        const uids = claimed.map((c) => c.uid);
        expect(new Set(uids).size).toBe(uids.length);
        expect(uids).toHaveLength(1000);
        // The database agrees: one live lease per slot, held by the worker that was told so.
        const rows = await leaseRows();
        const holder = new Map(rows.map((r) => [r.slot_uid, r.worker]));
        let lost = 0;
        for (const c of claimed) if (holder.get(c.uid) !== `http-${c.w}`) lost++;
        check.add("rowsCompared", claimed.length).add("rowsLost", lost);
        expect(lost).toBe(0);
        const late = await api
          .client(api.keys.write.key)
          .slots.claim.mutate({ worker: "late", limit: 10 });
        expect(late.claimed).toEqual([]);
        await db.db.knex("marketing.slot_lease").delete();
      },
    );
  });

  it("4 `ple slot claim` processes at once, then their leases expire and are handed out again", async () => {
    await recordCheck(
      "concurrency",
      "4 `ple slot claim` processes at once; expired leases reclaimed",
      async (check) => {
        await db.db.knex("marketing.slot_lease").delete();
        const env = { DATABASE_URL: db.url, PLE_ACTOR: "reliability:leases" };
        const runs = await Promise.all(
          Array.from({ length: 4 }, (_, w) =>
            runPle(
              [
                "slot",
                "claim",
                "--worker",
                `proc-${w}`,
                "--role",
                "CFO",
                "--limit",
                "50",
                "--lease-seconds",
                "2",
              ],
              env,
            ),
          ),
        );
        check.add("cases", 4).add("faults", 1);
        check.add("unhandledErrors", runs.filter((r) => r.code !== 0).length);
        const sets = runs.map(
          (r) =>
            jsonOf<{ claimed: Array<{ slot: { slot_uid: string; role: string } }> }>(r).claimed,
        );
        const uids = sets.flat().map((c) => c.slot.slot_uid);
        expect(new Set(uids).size).toBe(uids.length);
        expect(uids).toHaveLength(200);
        expect(sets.flat().every((c) => c.slot.role === "CFO")).toBe(true);
        check.add("rowsCompared", uids.length);
        await sleep(2_200);
        const again = await api
          .client(api.keys.write.key)
          .slots.claim.mutate({ worker: "after-expiry", role: "CFO", limit: 200 });
        const reclaimed = new Set<string>(again.claimed.map((c) => c.slot.slot_uid));
        const missing = uids.filter((u) => !reclaimed.has(u)).length;
        check.add("rowsCompared", uids.length).add("rowsLost", missing);
        expect(missing).toBe(0);
        await db.db.knex("marketing.slot_lease").delete();
      },
    );
  });

  it("claims racing with links of expired-lease slots: no lease outlives a filled slot", async () => {
    await recordCheck(
      "concurrency",
      "claims racing with links of the claimed slots",
      async (check) => {
        const writer = api.client(api.keys.write.key);
        await seedCompanies(20, "Race");
        // Leases that expire at once: racers may take these slots while the links go in.
        const { claimed } = await writer.slots.claim.mutate({
          worker: "linker",
          role: "HR",
          limit: 20,
          lease_seconds: 1,
        });
        await sleep(1_100);
        const people = await Promise.all(
          claimed.map((_, i) =>
            writer.people.create.mutate({ name: `Found ${i}`, email: `found${i}@lease.example` }),
          ),
        );
        const [links, claims] = await Promise.all([
          Promise.allSettled(
            claimed.map((c, i) => {
              const person = people[i]?.person;
              if (person === undefined) throw new Error(`no person ${i}`);
              return writer.slots.link.mutate({
                slot_uid: c.slot.slot_uid,
                person_id: person.person_id,
              });
            }),
          ),
          Promise.allSettled(
            Array.from({ length: 5 }, (_, w) =>
              writer.slots.claim.mutate({ worker: `racer-${w}`, role: "HR", limit: 5 }),
            ),
          ),
        ]);
        check.add("cases", links.length + claims.length).add("faults", 1);
        const failed = [...links, ...claims].filter((r) => r.status === "rejected").length;
        check.add("unhandledErrors", failed);
        expect(failed).toBe(0);
        // Whatever the order, no lease outlives its slot's leaving `open`.
        const linked = new Set(claimed.map((c) => c.slot.slot_uid));
        const racers = claims.flatMap((r) =>
          r.status === "fulfilled" ? r.value.claimed.map((c) => c.slot.slot_uid) : [],
        );
        expect(new Set(racers).size).toBe(racers.length);
        const stale = await db.db
          .knex("marketing.slot_lease as l")
          .join("marketing.company_slot as s", "s.slot_uid", "l.slot_uid")
          .whereNot("s.status", "open")
          .select("l.slot_uid");
        check.add("rowsCompared", linked.size + racers.length).add("rowsLost", stale.length);
        expect(stale).toEqual([]);
        expect(linked.size).toBe(20);
        const filled = await db.db
          .knex("marketing.company_slot")
          .whereIn("slot_uid", [...linked])
          .where("status", "filled");
        expect(filled).toHaveLength(linked.size);
      },
    );
  });
});
