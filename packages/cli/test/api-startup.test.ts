/**
 * One API start-up: every API setting is honoured by each of the three ways to start the API —
 * the API's own main (packages/api/dist/main.js; `pnpm test` builds first), `ple serve` and
 * `ple start` — and a bad API setting fails only the commands that start the API.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createApiKey, type PleDatabase, readMigrationFiles, revokeApiKey } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { captureIo } from "./helpers.js";

const API_MAIN = fileURLToPath(new URL("../../api/dist/main.js", import.meta.url));
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

interface Running {
  url: string;
  /** Everything logged so far. */
  logs(): string;
  /** Stops the API; resolves when it has stopped. */
  stop(): Promise<void>;
}

type Entry = (env: Record<string, string>) => Promise<Running>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(read: () => T | undefined, what: string, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const shared = (db: PleDatabase) => async () => ({ ...db, close: async () => {} });

/** `ple serve` or `ple start`, in this process, on the test database. */
function cliEntry(argv: string[], listening: RegExp): Entry {
  return async (env) => {
    const io = captureIo();
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const done = runCli(argv, io, {
      env: { PORT: "0", ...env },
      openDatabase: shared(t.db),
      waitForShutdown: () => stopped,
    });
    const url = await Promise.race([
      waitFor(() => listening.exec(io.out())?.[1], `${argv.join(" ")} to listen`),
      done.then((code) => {
        throw new Error(`${argv.join(" ")} exited ${code}: ${io.err()}`);
      }),
    ]);
    return {
      url,
      logs: () => io.err(),
      stop: async () => {
        stop();
        await done;
      },
    };
  };
}

/** The API's own main, as a process. */
const apiMain: Entry = async (env) => {
  const child: ChildProcess = spawn(process.execPath, [API_MAIN], {
    env: { PATH: process.env.PATH ?? "", DATABASE_URL: t.url, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await Promise.race([
    waitFor(() => /PLE API listening on (\S+) \(/.exec(out)?.[1], "the API's main to listen"),
    exited.then(() => {
      throw new Error(`the API's main exited: ${out}`);
    }),
  ]);
  return {
    url,
    logs: () => out,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
};

const ENTRIES: Record<string, Entry> = {
  "the API's main": apiMain,
  "ple serve": cliEntry(["serve"], /PLE API listening on (\S+) /),
  "ple start": cliEntry(["start", "--no-sample"], /PLE is running at (\S+)/),
};

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

async function listCompanies(url: string, key: string): Promise<number> {
  const input = encodeURIComponent(JSON.stringify({ json: { limit: 1 } }));
  const res = await fetch(`${url}/trpc/companies.list?input=${input}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  await res.arrayBuffer();
  return res.status;
}

async function withApi(
  entry: Entry,
  env: Record<string, string>,
  fn: (api: Running) => Promise<void>,
) {
  const api = await entry(env);
  try {
    await fn(api);
  } finally {
    await api.stop();
  }
}

describe.each(Object.entries(ENTRIES))("%s honours", (_name, entry) => {
  it("PORT (and logs each request as JSON when not on a terminal)", async () => {
    const port = await freePort();
    await withApi(entry, { PORT: String(port) }, async (api) => {
      expect(api.url).toBe(`http://127.0.0.1:${port}`);
      expect((await fetch(`${api.url}/health`)).status).toBe(200);
      const line = await waitFor(
        () =>
          api
            .logs()
            .split("\n")
            .find((l) => l.includes('"msg":"request"')),
        "the request's log line",
      );
      expect(JSON.parse(line)).toMatchObject({ level: 30, path: "/health", status: 200 });
      expect(JSON.parse(line).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
  });

  it("HOST", async () => {
    await withApi(entry, { HOST: "0.0.0.0" }, async (api) => {
      expect(api.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    });
  });

  it("PLE_API_BODY_LIMIT_BYTES", async () => {
    const { key } = await createApiKey(t.db.knex, { name: "body-limit", role: "admin" });
    await withApi(entry, { PLE_API_BODY_LIMIT_BYTES: "1024" }, async (api) => {
      const res = await fetch(`${api.url}/trpc/companies.create`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body: JSON.stringify({ json: { name: "x".repeat(2000), website: "big.example" } }),
      });
      await res.arrayBuffer();
      expect(res.status).toBe(413);
    });
  });

  it("PLE_API_SHUTDOWN_TIMEOUT_MS", async () => {
    const api = await entry({ PLE_API_SHUTDOWN_TIMEOUT_MS: "200" });
    // A request still sending its body is in flight until the timeout cuts it.
    const { port } = new URL(api.url);
    const socket = connect(Number(port), "127.0.0.1");
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      "POST /trpc/companies.create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    );
    await sleep(200);
    const started = Date.now();
    await api.stop();
    // The default (10 s) would wait for the request much longer.
    expect(Date.now() - started).toBeLessThan(5000);
    socket.destroy();
  });

  it("LOG_LEVEL", async () => {
    await withApi(entry, { LOG_LEVEL: "warn" }, async (api) => {
      expect((await fetch(`${api.url}/health`)).status).toBe(200);
      await sleep(300);
      expect(api.logs()).not.toContain('"msg":"request"');
      expect(api.logs()).not.toContain('"level":30');
    });
  });

  it("PLE_API_KEY_CACHE_MS", async () => {
    const created = await createApiKey(t.db.knex, { name: "cache", role: "read" });
    await withApi(entry, { PLE_API_KEY_CACHE_MS: "0" }, async (api) => {
      expect(await listCompanies(api.url, created.key)).toBe(200);
      await revokeApiKey(t.db.knex, created.id);
      // With the default (5 s) the revoked key would still be trusted now.
      expect(await listCompanies(api.url, created.key)).toBe(401);
    });
  });
});

describe("API settings are read by the commands that start the API only", () => {
  it("PORT=abc fails `ple serve` naming PORT, and `ple db status` still works", async () => {
    const env = { PORT: "abc" };
    const status = captureIo();
    expect(await runCli(["db", "status"], status, { env, openDatabase: shared(t.db) })).toBe(0);
    expect(status.out()).toContain(`Current version: ${readMigrationFiles().at(-1)?.version}`);
    for (const command of ["serve", "start"]) {
      const io = captureIo();
      expect(await runCli([command], io, { env, openDatabase: shared(t.db) })).toBe(2);
      expect(io.err()).toMatch(/^ple: PORT: /);
    }
  });
});

describe("PLE_API_WORKERS > 1", () => {
  it("is refused by `ple serve` and `ple start` (one process), before anything is changed", async () => {
    const env = { PORT: "0", PLE_API_WORKERS: "2" };
    const keys = (await t.db.knex("marketing.api_key").count<[{ count: string }]>("* as count"))[0];
    for (const command of ["serve", "start"]) {
      const io = captureIo();
      expect(await runCli([command], io, { env, openDatabase: shared(t.db) })).toBe(2);
      expect(io.err()).toMatch(/^ple: PLE_API_WORKERS: this start-up runs one API process/);
    }
    // `ple start` created no admin key and loaded nothing.
    expect(
      (await t.db.knex("marketing.api_key").count<[{ count: string }]>("* as count"))[0],
    ).toEqual(keys);
  });
});
