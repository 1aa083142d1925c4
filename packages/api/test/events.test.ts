/**
 * events.list and the events.onChange subscription over real HTTP (SSE): a subscriber gets
 * every event in position order; when its connection is cut mid-stream it reconnects with
 * the last event id and resumes right after it, nothing lost and nothing repeated.
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { ChangeEvent } from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupTestApi, startTestServer, type TestApi, type TestServer } from "./helpers.js";

let t: TestApi;
let server: TestServer;
/** The connections subscriptions stream on, to cut them. */
const streams: Socket[] = [];

beforeAll(async () => {
  t = await setupTestApi();
  server = await startTestServer(t.db);
  server.api.server.on("request", (req: IncomingMessage) => {
    if (req.url?.includes("events.onChange")) streams.push(req.socket);
  });
});
afterAll(async () => {
  server.api.server.closeAllConnections();
  await server.close();
  await t.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

let serial = 0;
async function createCompanies(n: number) {
  const writer = server.client(t.keys.write.key);
  for (let i = 0; i < n; i++) {
    serial++;
    await writer.companies.create.mutate({
      company_name: `Feed ${serial}`,
      website: `https://feed-${serial}.example.com/`,
    });
  }
}

describe("events.list", () => {
  it("pages through the feed for a read key and refuses a call without a key", async () => {
    await createCompanies(3);
    const reader = await t.as("read");
    const first = await reader.events.list({ after: 0, limit: 2 });
    expect(first.events.map((e) => e.position)).toEqual([1, 2]);
    expect(first.next).toBe(2);
    const rest = await reader.events.list({ after: first.next, limit: 100 });
    expect(rest.events[0]?.position).toBe(3);
    expect(rest.events.every((e) => e.type === "company.created")).toBe(true);
    const anonymous = await t.anonymous();
    await expect(anonymous.events.list({ after: 0 })).rejects.toThrow(/API key/);
    await expect(
      reader.events.list({ after: 0, types: ["company.exploded" as "company.created"] }),
    ).rejects.toThrow(/types/);
  });
});

describe("events.onChange over SSE", () => {
  it("delivers every event once in order, across a cut connection", async () => {
    const start = (await (await t.as("read")).events.list({ after: 0, limit: 1 })).head;
    const client = server.client(t.keys.read.key);
    const received: ChangeEvent[] = [];
    const ids: string[] = [];
    let errors = 0;
    const subscription = client.events.onChange.subscribe(
      { after: start },
      {
        onData: ({ id, data }) => {
          ids.push(id);
          received.push(data);
        },
        onError: () => {
          errors++;
        },
      },
    );
    try {
      await createCompanies(5);
      await until(() => received.length >= 5, "the first 5 events");

      // Cut every connection while more events are written; the client reconnects.
      const more = createCompanies(15);
      await sleep(50);
      expect(streams).toHaveLength(1);
      for (const socket of streams) socket.destroy();
      await more;
      await createCompanies(5);
      await until(() => received.length >= 25, "all 25 events");
      await sleep(500);

      const positions = received.map((e) => e.position);
      expect(positions).toEqual(Array.from({ length: 25 }, (_, i) => start + i + 1));
      expect(ids).toEqual(positions.map(String));
      expect(received.every((e) => e.type === "company.created")).toBe(true);
      expect(errors).toBe(0);
      // The stream was cut and opened again.
      expect(streams.length).toBeGreaterThanOrEqual(2);
    } finally {
      subscription.unsubscribe();
    }
  });

  it("sends only the asked types and resumes after lastEventId", async () => {
    const head = (await (await t.as("read")).events.list({ after: 0, limit: 1 })).head;
    await createCompanies(3);
    const client = server.client(t.keys.read.key);
    const received: ChangeEvent[] = [];
    const subscription = client.events.onChange.subscribe(
      { after: 0, types: ["company.created"], lastEventId: String(head + 1) },
      { onData: ({ data }) => received.push(data) },
    );
    try {
      await until(() => received.length >= 2, "2 events");
      await sleep(300);
      expect(received.map((e) => e.position)).toEqual([head + 2, head + 3]);
    } finally {
      subscription.unsubscribe();
    }
  });
});
