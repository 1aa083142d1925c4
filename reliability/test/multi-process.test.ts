/**
 * Several API processes on one database: two clusters of PLE_API_WORKERS=2 (four API
 * processes behind two ports), started together on an empty database, directly and through
 * a PgBouncer in transaction pooling mode (migrations over DATABASE_DIRECT_URL). Across the
 * processes: a revoked key is refused by every one within PLE_API_KEY_CACHE_MS, one
 * Idempotency-Key sent to all at once runs once, 20 links into one slot leave one winner,
 * a killed worker is replaced, and SIGTERM stops each cluster cleanly.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { createPleClient, type PleClient } from "@ple/api/client";
import type { Role } from "@ple/core";
import { type CreatedApiKey, createApiKey, readMigrationFiles } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodeOf, expectOneLinkWon, unique } from "../support/api.js";
import { collectOutput, sleep, waitFor } from "../support/files.js";
import { recordCheck } from "../support/metrics.js";
import { pgbouncerBinary, type RunningPgBouncer, startPgBouncer } from "../support/pgbouncer.js";

const API_MAIN = fileURLToPath(new URL("../../packages/api/dist/main.js", import.meta.url));
const WORKERS = 2;
/** The documented bound for a revocation to reach another process (PLE_API_KEY_CACHE_MS). */
const KEY_CACHE_MS = 2_000;

const PGBOUNCER = pgbouncerBinary();
if (PGBOUNCER === null) {
  console.warn(
    "multi-process: the pgbouncer binary is missing, so the PgBouncer half is skipped: `apt-get install -y pgbouncer` (.ci/run installs it)",
  );
}

interface ApiCluster {
  url: string;
  child: ChildProcess;
  output(): string;
  /** The worker processes' ids (children of the primary). */
  workers(): number[];
  /** SIGTERM; resolves with the primary's exit code. */
  stop(): Promise<number | null>;
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map(Number);
  } catch {
    return [];
  }
}

async function startCluster(env: Record<string, string>): Promise<ApiCluster> {
  if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} is missing: run \`pnpm build\``);
  const child = spawn(process.execPath, [API_MAIN], {
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      PLE_API_WORKERS: String(WORKERS),
      PLE_API_KEY_CACHE_MS: String(KEY_CACHE_MS),
      PLE_API_SHUTDOWN_TIMEOUT_MS: "5000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = collectOutput(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const url = await waitFor(
    "the API cluster to listen",
    async () => {
      if (child.exitCode !== null) throw new Error(`the API cluster exited:\n${output()}`);
      return /PLE API listening on (http:\/\/\S+)/.exec(output())?.[1];
    },
    60_000,
  );
  return {
    url,
    child,
    output,
    workers: () => (child.pid === undefined ? [] : childrenOf(child.pid)),
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      return Promise.race([exited, sleep(20_000).then(() => "timeout" as const)]).then((code) => {
        if (code === "timeout") {
          child.kill("SIGKILL");
          throw new Error(`the API cluster did not stop on SIGTERM:\n${output()}`);
        }
        return code;
      });
    },
  };
}

/** GET on a new TCP connection (no keep-alive), so the cluster hands it to its next worker. */
function freshGet(url: string, apiKey: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "GET", agent: false, headers: { authorization: `Bearer ${apiKey}` } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Statuses of n requests in a row, each on its own connection (round robin over the workers). */
async function roundOfStatuses(base: string, apiKey: string, n = 4 * WORKERS): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push(await freshGet(`${base}/v1/keys/me`, apiKey));
  return statuses;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

const MODES = [
  { name: "directly", pgbouncer: false },
  { name: "through PgBouncer (transaction pooling)", pgbouncer: true },
] as const;

describe.each(MODES)("two clusters of PLE_API_WORKERS=2 on one database, $name", (mode) => {
  const skip = mode.pgbouncer && PGBOUNCER === null;
  let db: TestDatabase;
  let bouncer: RunningPgBouncer | undefined;
  let a: ApiCluster;
  let b: ApiCluster;
  let admin: CreatedApiKey;
  let writer: CreatedApiKey;
  const label = mode.pgbouncer ? "through PgBouncer" : "direct";

  beforeAll(async () => {
    if (skip) return;
    db = await createTestDatabase({ empty: true });
    const name = new URL(db.url).pathname.slice(1);
    let env: Record<string, string> = { DATABASE_URL: db.url };
    if (mode.pgbouncer && PGBOUNCER !== null) {
      bouncer = await startPgBouncer(PGBOUNCER, db.url);
      // The API through the pooler; migrations (a session advisory lock) on the direct URL.
      env = { DATABASE_URL: bouncer.url(name), DATABASE_DIRECT_URL: db.url };
    }
    // Both start together on the empty database: their primaries migrate it once, in turn.
    [a, b] = await Promise.all([startCluster(env), startCluster(env)]);
    admin = await createApiKey(db.db.knex, { name: "multi-process admin", role: "admin" });
    writer = await createApiKey(db.db.knex, { name: "multi-process writer", role: "write" });
  });
  afterAll(async () => {
    for (const cluster of [a, b]) {
      if (cluster?.child.exitCode === null) cluster.child.kill("SIGKILL");
    }
    await bouncer?.stop();
    await db?.drop();
  });

  /** A client per call, alternating between the two clusters. */
  function clientFor(i: number, key: CreatedApiKey): PleClient {
    return createPleClient({ url: (i % 2 === 0 ? a : b).url, apiKey: key.key });
  }

  it.skipIf(skip)("each cluster runs its workers; migrations were applied once", async () => {
    expect(a.workers()).toHaveLength(WORKERS);
    expect(b.workers()).toHaveLength(WORKERS);
    const applied = await db.db.knex.raw<{ rows: Array<{ n: number }> }>(
      "SELECT count(*)::int AS n FROM ple_migrations.knex_migrations",
    );
    expect(applied.rows[0]?.n).toBe(readMigrationFiles().length);
    // Each migration ran once (one runner applied them, the other found nothing to do).
    const log = await db.db
      .knex("ple_migrations.migration_run_log")
      .select<Array<{ migration: string; direction: string; outcome: string }>>(
        "migration",
        "direction",
        "outcome",
      );
    expect(log.map((r) => `${r.migration} ${r.direction} ${r.outcome}`).sort()).toEqual(
      readMigrationFiles()
        .map((f) => `${f.name} up success`)
        .sort(),
    );
  });

  it.skipIf(skip)(
    `a key revoked through one process is refused by every process within ${KEY_CACHE_MS} ms`,
    async () => {
      await recordCheck(
        "security",
        `a revoked key across 4 API processes (${label})`,
        async (check) => {
          const victim = await createApiKey(db.db.knex, { name: "victim", role: "read" });
          // Every worker of both clusters accepts it, and caches it (a last, just before the
          // revocation, so that only the message between its workers can drop it early).
          for (const cluster of [b, a]) {
            expect(await roundOfStatuses(cluster.url, victim.key)).toEqual(
              Array(4 * WORKERS).fill(200),
            );
          }
          await createPleClient({ url: a.url, apiKey: admin.key }).apiKeys.revoke.mutate({
            id: victim.id as never,
          });
          const revokedAt = Date.now();
          const refusedAfter: number[] = [];
          for (const cluster of [a, b]) {
            await waitFor(
              "every worker to refuse the revoked key",
              async () => {
                const statuses = await roundOfStatuses(cluster.url, victim.key);
                return statuses.every((s) => s === 401) ? true : undefined;
              },
              KEY_CACHE_MS + 5_000,
              100,
            );
            refusedAfter.push(Date.now() - revokedAt);
          }
          check.add("cases", 2 * 4 * WORKERS).add("faults");
          // The revoking cluster's other worker was told (its cache would have held the key
          // for nearly KEY_CACHE_MS); the other cluster within the bound (plus the time a round
          // of requests takes); and for good.
          expect(refusedAfter[0]).toBeLessThan(KEY_CACHE_MS / 2);
          expect(Math.max(...refusedAfter)).toBeLessThanOrEqual(KEY_CACHE_MS + 1_500);
          for (const cluster of [a, b]) {
            const later = await roundOfStatuses(cluster.url, victim.key);
            check.add("unhandledErrors", later.filter((s) => s >= 500).length);
            expect(later).toEqual(Array(4 * WORKERS).fill(401));
          }
        },
      );
    },
  );

  it.skipIf(skip)("one Idempotency-Key sent to all 4 processes at once runs once", async () => {
    await recordCheck(
      "concurrency",
      `10 calls with one Idempotency-Key across 4 API processes (${label})`,
      async (check) => {
        for (let round = 0; round < 3; round++) {
          const site = unique("multi");
          const key = `multi-${site}`;
          const results = await Promise.allSettled(
            Array.from({ length: 10 }, (_, i) =>
              clientFor(i, writer).companies.create.mutate(
                { company_name: "Many Processes Inc", website: `${site}.example` },
                { context: { idempotencyKey: key } },
              ),
            ),
          );
          check.add("cases", 10).add("faults");
          const codes = results.flatMap((r) =>
            r.status === "rejected" ? [errorCodeOf(r.reason)] : [],
          );
          check.add("unhandledErrors", codes.length);
          expect(codes).toEqual([]);
          const answers = results.flatMap((r) =>
            r.status === "fulfilled" ? [canonical(r.value)] : [],
          );
          expect(new Set(answers).size).toBe(1);
          const rows = await db.db.knex("marketing.company").where({ website: `${site}.example` });
          const audit = await db.db.knex("marketing.audit_log").where({
            table_name: "company",
            operation: "INSERT",
            record_key: rows[0]?.company_uid ?? "",
          });
          const records = await db.db
            .knex("marketing.idempotency_key")
            .where({ key, actor: writer.id });
          expect([rows.length, audit.length, records.length]).toEqual([1, 1, 1]);
          check.add("rowsCompared", rows.length + audit.length + records.length);
        }
      },
    );
  });

  it.skipIf(skip)(
    "20 links into one slot across 4 processes: one wins, 19 SLOT_CONFLICT",
    async () => {
      await recordCheck(
        "concurrency",
        `20 links into one slot across 4 API processes (${label})`,
        async (check) => {
          const seeder = createPleClient({ url: a.url, apiKey: writer.key });
          for (const role of ["CEO", "CFO", "HR"] as Role[]) {
            const name = unique("slotrace");
            const created = await seeder.companies.create.mutate({
              company_name: `${name} Inc`,
              website: `https://${name}.example/`,
            });
            const people: string[] = [];
            for (let i = 0; i < 20; i++) {
              const { person } = await clientFor(i, writer).people.create.mutate({
                name: `Racer ${i}`,
                email: `racer.${i}.${name}@example.com`,
              });
              people.push(person.person_id);
            }
            const slotUid = created.slots.find((s) => s.role === role)?.slot_uid ?? "";
            const results = await Promise.allSettled(
              people.map((person, i) =>
                clientFor(i, writer).slots.link.mutate({
                  slot_uid: slotUid as never,
                  person_id: person as never,
                }),
              ),
            );
            check.add("cases", 20).add("faults");
            await expectOneLinkWon(results, db.db, slotUid, check);
          }
        },
      );
    },
  );

  it.skipIf(skip)(
    "companies.get by 40 callers at once across the processes: every answer the same",
    async () => {
      const site = unique("read");
      const created = await clientFor(0, writer).companies.create.mutate({
        company_name: "Read Everywhere",
        website: `${site}.example`,
      });
      const uid = created.company.company_uid;
      // Several rounds: behind PgBouncer a pooled connection meets server connections where
      // the prepared statement is missing or already there.
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            clientFor(i, writer).companies.get.query({ company_uid: uid }),
          ),
        );
        expect(new Set(answers.map((r) => canonical(r))).size).toBe(1);
        expect(answers[0]?.company.company_uid).toBe(uid);
        expect(answers[0]?.slots).toHaveLength(3);
      }
    },
  );

  it.skipIf(skip)("a killed worker is replaced and its cluster keeps answering", async () => {
    await recordCheck("faults", `an API worker killed (${label})`, async (check) => {
      const before = a.workers();
      const victim = before[0];
      expect(victim).toBeDefined();
      process.kill(victim as number, "SIGKILL");
      check.add("faults");
      // Long enough for the primary to see the exit, shorter than its 1 s restart delay.
      await sleep(400);
      // The other worker answers meanwhile.
      const during = await roundOfStatuses(a.url, writer.key, 4);
      check.add("cases", during.length);
      check.add("unhandledErrors", during.filter((s) => s !== 200).length);
      expect(during).toEqual(Array(4).fill(200));
      const after = await waitFor(
        "a new worker",
        async () => {
          const now = a.workers();
          return now.length === WORKERS && !now.includes(victim as number) ? now : undefined;
        },
        20_000,
        100,
      );
      expect(after.filter((pid) => before.includes(pid))).toHaveLength(WORKERS - 1);
      // The new worker listens (the primary says so), and the cluster answers every request.
      await waitFor(
        "the new worker to listen",
        async () => (a.output().includes("API worker restarted") ? true : undefined),
        30_000,
        100,
      );
      const later = await roundOfStatuses(a.url, writer.key);
      check.add("cases", later.length);
      check.add("unhandledErrors", later.filter((s) => s !== 200).length);
      expect(later).toEqual(Array(4 * WORKERS).fill(200));
    });
  });

  it.skipIf(skip)("SIGTERM stops each cluster: workers drain, the primary exits 0", async () => {
    for (const cluster of [a, b]) {
      const workers = cluster.workers();
      expect(await cluster.stop(), cluster.output()).toBe(0);
      for (const pid of workers) {
        expect(() => process.kill(pid, 0)).toThrow();
      }
    }
  });
});

describe("PLE_API_WORKERS with the embedded database", () => {
  it("is refused with exit 2 and a message naming the variable", async () => {
    const run = spawn(process.execPath, [API_MAIN], {
      env: { ...process.env, DATABASE_URL: "", PLE_API_WORKERS: "2", PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    run.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    const code = await new Promise<number | null>((resolve) => run.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/PLE_API_WORKERS: 2 API processes need a PostgreSQL server/);
  });
});
