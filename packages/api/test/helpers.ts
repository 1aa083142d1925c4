/**
 * Test fixtures: a fresh database per test file, one API key per role, router
 * callers for each key, and a real HTTP server on a free port.
 */
import { type ApiKeyRole, type CreatedApiKey, createApiKey, type PleDatabase } from "@ple/db";
import { createTestDatabase } from "@ple/db/testing";
import { createPleClient, type PleClient } from "../src/client.js";
import { type ApiActor, createContextInner } from "../src/context.js";
import { createLogger, type Logger } from "../src/logger.js";
import { createCaller } from "../src/root.js";
import { createServer, type PleServer } from "../src/server.js";

export interface TestApi {
  db: PleDatabase;
  keys: Record<ApiKeyRole, CreatedApiKey>;
  /** A router caller authenticated with the key of this role. */
  as(role: ApiKeyRole, opts?: { idempotencyKey?: string; requestId?: string }): Promise<Caller>;
  /** A router caller without a key. */
  anonymous(): Promise<Caller>;
  drop(): Promise<void>;
}

export type Caller = ReturnType<typeof createCaller>;

export function actorOf(key: CreatedApiKey): ApiActor {
  return { keyId: key.id, name: key.name, role: key.role };
}

export async function setupTestApi(): Promise<TestApi> {
  const test = await createTestDatabase();
  const db = test.db;
  const keys = {
    read: await createApiKey(db.knex, { name: "test reader", role: "read" }),
    write: await createApiKey(db.knex, { name: "test writer", role: "write" }),
    admin: await createApiKey(db.knex, { name: "test admin", role: "admin" }),
  };
  return {
    db,
    keys,
    async as(role, opts = {}) {
      return createCaller(
        await createContextInner({
          db,
          actor: actorOf(keys[role]),
          idempotencyKey: opts.idempotencyKey ?? null,
          requestId: opts.requestId,
        }),
      );
    },
    async anonymous() {
      return createCaller(await createContextInner({ db, actor: null }));
    },
    drop: () => test.drop(),
  };
}

export interface TestServer {
  api: PleServer;
  url: string;
  client(apiKey?: string): PleClient;
  logs: string[];
  close(): Promise<void>;
}

/** Starts the API on 127.0.0.1 on a free port, capturing its log lines. */
export async function startTestServer(
  db: PleDatabase,
  opts: { bodyLimitBytes?: number; logger?: Logger; apiKeyCacheMs?: number } = {},
): Promise<TestServer> {
  const logs: string[] = [];
  const logger =
    opts.logger ??
    createLogger({ level: "info", destination: { write: (line: string) => logs.push(line) } });
  const api = createServer({
    db,
    logger,
    bodyLimitBytes: opts.bodyLimitBytes,
    apiKeyCacheMs: opts.apiKeyCacheMs,
  });
  const url = await api.listen(0);
  return {
    api,
    url,
    logs,
    client: (apiKey) => createPleClient({ url, apiKey }),
    close: () => api.close(),
  };
}

/** The parsed log lines once `ready` holds for them (the request line is written when the response closes). */
export async function logsWhen(
  server: TestServer,
  ready: (lines: Array<Record<string, unknown>>) => boolean,
): Promise<Array<Record<string, unknown>>> {
  for (let attempt = 0; ; attempt++) {
    const lines = server.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    if (ready(lines) || attempt >= 50) return lines;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A POST of raw JSON to a procedure, as a non-TypeScript caller would send it. */
export async function postJson(
  url: string,
  procedure: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${url}/trpc/${procedure}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : null,
    headers: response.headers,
  };
}

let sequence = 0;
/** A name unique within this test process, for websites and emails. */
export function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}${sequence}${Math.random().toString(36).slice(2, 7)}`;
}

/** A company (with its three slots) and `people` new people, made through the API. */
export async function seedCompany(caller: Caller, people = 0) {
  const name = unique("acme");
  const created = await caller.companies.create({
    company_name: `${name} Corp`,
    website: `https://www.${name}.example.com/`,
  });
  const persons = [];
  for (let i = 0; i < people; i++) {
    const handle = unique("p");
    const { person } = await caller.people.create({
      name: `Person ${handle}`,
      email: `${handle}@${name}.example.com`,
    });
    persons.push(person);
  }
  const slot = (role: "CEO" | "CFO" | "HR") => {
    const found = created.slots.find((s) => s.role === role);
    if (!found) throw new Error(`no ${role} slot`);
    return found.slot_uid;
  };
  return { ...created, people: persons, slot };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
