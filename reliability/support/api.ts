/** The API as its users meet it: a real HTTP server on loopback, keys per role, typed clients. */
import {
  createCaller,
  createContextInner,
  createLogger,
  createServer,
  describeError,
} from "@ple/api";
import { createPleClient, type PleClient } from "@ple/api/client";
import { type ApiKeyRole, type CreatedApiKey, createApiKey, type PleDatabase } from "@ple/db";
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import type { Check } from "./metrics.js";

export type Caller = ReturnType<typeof createCaller>;

export interface RunningApi {
  url: string;
  logs: string[];
  keys: Record<ApiKeyRole, CreatedApiKey>;
  client(apiKey?: string): PleClient;
  caller(role: ApiKeyRole | null): Promise<Caller>;
  close(): Promise<void>;
}

export async function startApi(
  db: PleDatabase,
  opts: { bodyLimitBytes?: number } = {},
): Promise<RunningApi> {
  const logs: string[] = [];
  const logger = createLogger({
    level: "info",
    destination: { write: (line: string) => logs.push(line) },
  });
  const keys = {
    read: await createApiKey(db.knex, { name: "reliability reader", role: "read" }),
    write: await createApiKey(db.knex, { name: "reliability writer", role: "write" }),
    admin: await createApiKey(db.knex, { name: "reliability admin", role: "admin" }),
  };
  const server = createServer({ db, logger, ...opts, shutdownTimeoutMs: 2_000 });
  const url = await server.listen(0, "127.0.0.1");
  return {
    url,
    logs,
    keys,
    client: (apiKey) => createPleClient(apiKey === undefined ? { url } : { url, apiKey }),
    async caller(role) {
      const key = role === null ? null : keys[role];
      return createCaller(
        await createContextInner({
          db,
          actor: key === null ? null : { keyId: key.id, name: key.name, role: key.role },
        }),
      );
    },
    close: () => server.close(),
  };
}

/** The PLE error code a client or caller error carries (data.code over HTTP, the cause's code in-process). */
export function errorCodeOf(error: unknown): string {
  if (error instanceof TRPCError) return describeError(error).code;
  if (error !== null && typeof error === "object") {
    const data = (error as { data?: { code?: unknown } }).data;
    if (typeof data?.code === "string") return data.code;
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if (typeof cause?.code === "string") return cause.code;
  }
  return "UNTYPED";
}

let sequence = 0;
/** A name unique within this process, for websites and emails. */
export function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}${process.pid}x${sequence}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * The end of 20 concurrent links of different people into one open slot: exactly one won, the
 * other 19 answered SLOT_CONFLICT (anything else counts as unhandled), and the slot holds the
 * winner with a single ASSIGNED event.
 */
export async function expectOneLinkWon(
  results: PromiseSettledResult<{ slot: { person_id: string | null } }>[],
  db: PleDatabase,
  slotUid: string,
  check: Check,
): Promise<void> {
  const ok = results.filter((r) => r.status === "fulfilled");
  const codes = results.flatMap((r) => (r.status === "rejected" ? [errorCodeOf(r.reason)] : []));
  check.add("unhandledErrors", codes.filter((c) => c !== "SLOT_CONFLICT").length);
  expect(ok).toHaveLength(1);
  expect(codes).toEqual(Array(results.length - 1).fill("SLOT_CONFLICT"));
  const winner = ok[0]?.status === "fulfilled" ? ok[0].value.slot.person_id : null;
  const row = await db.knex("marketing.company_slot").where({ slot_uid: slotUid }).first();
  expect(row).toMatchObject({ status: "filled", person_id: winner });
  const events = await db.knex("marketing.slot_event").where({ slot_uid: slotUid });
  expect(events.map((e: { event: string }) => e.event)).toEqual(["ASSIGNED"]);
  check.add("rowsCompared", 1 + events.length);
}
