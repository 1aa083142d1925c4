/**
 * PostgreSQL restarted (a crash-like immediate stop, then a start) while the API is under
 * write load: the API answers typed errors while the database is down, recovers without a
 * restart of its own, and every write it acknowledged is there afterwards. Runs on a private
 * cluster, never on the machine's shared server.
 */
import { migrateLatest, openDatabase, type PleDatabase } from "@ple/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodeOf, type RunningApi, startApi, unique } from "../support/api.js";
import { withClient } from "../support/database.js";
import { sleep, waitFor } from "../support/files.js";
import { recordCheck } from "../support/metrics.js";
import { type PrivateCluster, startPrivateCluster } from "../support/private-cluster.js";

let cluster: PrivateCluster;
let db: PleDatabase;
let api: RunningApi;

beforeAll(async () => {
  cluster = await startPrivateCluster();
  await withClient(cluster.url("postgres"), (c) => c.query("CREATE DATABASE ple"));
  db = await openDatabase({ url: cluster.url("ple"), poolMax: 8 });
  await migrateLatest(db);
  api = await startApi(db);
});
afterAll(async () => {
  await api?.close();
  await db?.close();
  cluster?.remove();
});

/** A call that must answer within the time limit: an API that hangs is as bad as one that fails. */
async function bounded<T>(call: Promise<T>, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe("PostgreSQL restarted under write load", () => {
  it("the API fails clearly while it is down, recovers by itself, and loses no acknowledged write", async () => {
    await recordCheck(
      "faults",
      "PostgreSQL stopped (immediate) and restarted under API write load",
      async (check) => {
        const acknowledged = new Map<string, string>(); // company_uid → website
        const errorCodes = new Map<string, number>();
        let phase: "up" | "down" | "recovering" = "up";
        const errorsWhileDown: string[] = [];
        let writing = true;

        const writer = async () => {
          const client = api.client(api.keys.write.key);
          while (writing) {
            const name = unique("restart");
            try {
              const { company } = await bounded(
                client.companies.create.mutate({
                  company_name: `${name} AG`,
                  website: `${name}.example`,
                }),
              );
              acknowledged.set(company.company_uid, company.website);
            } catch (error) {
              const code =
                error instanceof Error && /no answer within/.test(error.message)
                  ? "HUNG"
                  : errorCodeOf(error);
              errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
              if (phase === "down") errorsWhileDown.push(code);
              // Back off a little, as a well-behaved client would.
              await sleep(50);
            }
            check.add("cases");
          }
        };
        const writers = Array.from({ length: 4 }, () => writer());
        await waitFor("writes before the restart", async () =>
          acknowledged.size >= 30 ? true : undefined,
        );

        cluster.stop("immediate");
        phase = "down";
        check.add("faults");
        const ackedBeforeStop = acknowledged.size;
        await sleep(2_000);
        const health = await fetch(`${api.url}/health`);
        expect(health.status).toBe(503);

        cluster.start();
        phase = "recovering";
        const ackedAtRestart = acknowledged.size;
        // Recovers without restarting the API: new writes are acknowledged again.
        await waitFor("writes after the restart", async () =>
          acknowledged.size >= ackedAtRestart + 30 ? true : undefined,
        );
        writing = false;
        await Promise.all(writers);

        expect(errorsWhileDown.length).toBeGreaterThan(0);
        const untyped = [...errorCodes].filter(([code]) => code !== "DATABASE_UNAVAILABLE");
        check.add(
          "unhandledErrors",
          untyped.reduce((n, [, count]) => n + count, 0),
        );
        // What the server logged for them: the driver's message after knex's " - ".
        const causes = new Set(
          api.logs.flatMap((line) => {
            const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
            if (entry.msg !== "request failed") return [];
            const message = entry.err?.message ?? "";
            return [
              `${entry.err && "type" in entry.err ? String(entry.err.type) : ""}: ${message.slice(message.lastIndexOf(" - ") + 1)}`,
            ];
          }),
        );
        // Soft: the acknowledged writes are still checked below.
        expect.soft({ untyped: Object.fromEntries(untyped), causes: [...causes] }).toEqual({
          untyped: {},
          causes: [],
        });
        expect((await fetch(`${api.url}/health`)).status).toBe(200);

        // Every acknowledged write is there, with its three slots.
        const rows = await db.knex.raw<{
          rows: Array<{ company_uid: string; website: string; slots: number }>;
        }>(
          `SELECT c.company_uid, c.website, (SELECT count(*)::int FROM marketing.company_slot s
           WHERE s.company_uid = c.company_uid) AS slots FROM marketing.company c`,
        );
        const stored = new Map(rows.rows.map((r) => [r.company_uid, r]));
        const lost = [...acknowledged].filter(
          ([uid, website]) => stored.get(uid)?.website !== website,
        );
        check.add("rowsCompared", acknowledged.size).add("rowsLost", lost.length);
        expect(lost).toEqual([]);
        expect(rows.rows.filter((r) => r.slots !== 3)).toEqual([]);
        expect(ackedBeforeStop).toBeGreaterThanOrEqual(30);
      },
    );
  });
});
