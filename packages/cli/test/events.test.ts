/**
 * `ple events tail` and `ple events relay` as child processes. The relay is killed with
 * SIGKILL mid-stream and started again: the JetStream stream then holds every position once,
 * in order — nothing lost, nothing delivered twice to a consumer. Needs NATS with JetStream on
 * 127.0.0.1:4222 (.ci/run starts it); each test uses a stream and subject of its own.
 * Runs packages/cli/dist/bin.js: `pnpm test` builds first (`pnpm build` when run alone).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { relayPosition } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const NATS_URL = "nats://127.0.0.1:4222";
const SLOW_TEST_MS = 180_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ple(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 1 << 26 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let t: TestDatabase;
let nc: NatsConnection;
const streams: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  nc = await connect({ servers: NATS_URL });
});
afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => false);
  await nc.close();
  await t.drop();
});

/** N events in one transaction, through marketing.emit_event. */
async function emitEvents(n: number) {
  await t.db.knex.raw(
    `SELECT marketing.emit_event('company.updated',
              jsonb_build_object('company_uid', 'CO-20260101-' || lpad(g::text, 6, '0')),
              jsonb_build_object('company_name', jsonb_build_object('from', 'A', 'to', 'B' || g)))
       FROM generate_series(1, ?::integer) AS g`,
    [n],
  );
}

function uniqueRelay() {
  const tag = randomBytes(4).toString("hex");
  const stream = `PLE_TEST_${process.pid}_${tag}`;
  streams.push(stream);
  return {
    stream,
    env: {
      DATABASE_URL: t.url,
      PLE_NATS_URL: NATS_URL,
      PLE_NATS_STREAM: stream,
      PLE_NATS_SUBJECT: `ple.test.${tag}`,
    },
  };
}

/** Every message of the stream, in stream order, through an ordered consumer. */
async function readStream(stream: string, expected: number) {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream);
  const messages: Array<{ id: string; subject: string; position: number }> = [];
  while (messages.length < expected) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      messages.push({
        id: m.headers?.get("Nats-Msg-Id") ?? "",
        subject: m.subject,
        position: (m.json() as { position: number }).position,
      });
    }
    if (got === 0) break;
  }
  return messages;
}

describe("ple events tail", () => {
  it("prints the feed after a position, one JSON object a line with position and type", async () => {
    await emitEvents(3);
    const run = await ple(["events", "tail", "--after", "1", "--no-follow", "--json"], {
      DATABASE_URL: t.url,
    });
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((e) => [e.position, e.type])).toEqual([
      [2, "company.updated"],
      [3, "company.updated"],
    ]);
    const filtered = await ple(
      ["events", "tail", "--after", "0", "--no-follow", "--types", "person.created"],
      { DATABASE_URL: t.url },
    );
    expect(filtered.code).toBe(0);
    expect(filtered.stdout).toBe("");
    expect(filtered.stderr).toContain("resume with --after 3");
    const bad = await ple(["events", "tail", "--types", "company.exploded"], {
      DATABASE_URL: t.url,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--types: unknown event type "company.exploded"');
  });
});

describe("ple events relay", () => {
  it("is off without PLE_NATS_URL", async () => {
    const run = await ple(["events", "relay"], { DATABASE_URL: t.url, PLE_NATS_URL: "" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PLE_NATS_URL is not set");
  });

  it(
    "killed with SIGKILL mid-stream and restarted, leaves every position in the stream once, in order",
    async () => {
      await emitEvents(10_000);
      const head = Number(
        (await t.db.knex("marketing.event_clock").select("last_position").first()).last_position,
      );
      const { stream, env } = uniqueRelay();
      const jsm = await jetstreamManager(nc);

      const child: ChildProcess = spawn(
        process.execPath,
        [BIN, "events", "relay", "--batch", "50"],
        {
          env: { ...process.env, NO_COLOR: "1", ...env },
          stdio: "ignore",
        },
      );
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on("exit", (_code, signal) => resolve(signal)),
      );
      let inStream = 0;
      for (let i = 0; i < 600 && inStream < 2000; i++) {
        await sleep(50);
        inStream = await jsm.streams
          .info(stream)
          .then((info) => info.state.messages)
          .catch(() => 0);
      }
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");
      const stored = await relayPosition(t.db.knex, stream);
      const afterKill = (await jsm.streams.info(stream)).state.messages;
      expect(afterKill).toBeGreaterThanOrEqual(2000);
      expect(afterKill).toBeLessThan(head);
      expect(stored).toBeLessThanOrEqual(afterKill);

      const again = await ple(["events", "relay", "--until-caught-up", "--json"], env);
      expect(again.code).toBe(0);
      const summary = JSON.parse(again.stdout);
      expect(summary.from).toBeGreaterThanOrEqual(stored);
      expect(summary.position).toBe(head);
      expect(await relayPosition(t.db.knex, stream)).toBe(head);

      // A third run finds nothing to do.
      const idle = JSON.parse(
        (await ple(["events", "relay", "--until-caught-up", "--json"], env)).stdout,
      );
      expect(idle).toMatchObject({ from: head, position: head, published: 0 });

      const messages = await readStream(stream, head);
      expect(messages).toHaveLength(head);
      expect(messages.map((m) => m.position)).toEqual(
        Array.from({ length: head }, (_, i) => i + 1),
      );
      expect(messages.every((m) => m.id === String(m.position))).toBe(true);
      expect(messages[0]?.subject).toBe(`${env.PLE_NATS_SUBJECT}.company.updated`);
    },
    SLOW_TEST_MS,
  );
});
