/**
 * @ple/api/client — the typed client for internal apps. It knows the API only
 * through the AppRouter *type*, so importing it pulls in no server code.
 *
 * @example
 * const ple = createPleClient({ url: "http://127.0.0.1:3000", apiKey: process.env.PLE_API_KEY });
 * const { company_uid } = await ple.companies.create.mutate(
 *   { company_name: "Acme", website: "https://www.acme.com/" },
 *   { context: { idempotencyKey: "import-42-row-7" } },
 * );
 *
 * // The change feed, live: resumes after the last position it got when the connection drops.
 * ple.events.onChange.subscribe({ after: 0 }, { onData: ({ id, data }) => console.log(id, data.type) });
 */
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  isTRPCClientError,
  type Operation,
  splitLink,
  type TRPCClient,
  type TRPCClientError,
} from "@trpc/client";
import { EventSource } from "eventsource";
import superjson from "superjson";
import type { AppRouter } from "./app-router.js";
import { MAX_BATCH_SIZE } from "./limits.js";

export { isTRPCClientError, TRPCClientError } from "@trpc/client";
export type { AppRouter } from "./app-router.js";

export interface PleClientOptions {
  /** The API's base URL (e.g. http://127.0.0.1:3000) or its /trpc endpoint. */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Extra headers for every request (e.g. X-Request-Id). */
  headers?: Record<string, string>;
  /** A fetch implementation (defaults to the global fetch). */
  fetch?: typeof fetch;
}

export type PleClient = TRPCClient<AppRouter>;

/** Per-call options: `{ context: { idempotencyKey } }` sends an Idempotency-Key. */
export interface PleCallContext {
  idempotencyKey?: string;
}

function trpcUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return trimmed.endsWith("/trpc") ? trimmed : `${trimmed}/trpc`;
}

function idempotencyKeyOf(op: Operation): string | undefined {
  const key = op.context.idempotencyKey;
  return typeof key === "string" && key.length > 0 ? key : undefined;
}

export function createPleClient(opts: PleClientOptions): PleClient {
  const url = trpcUrl(opts.url);
  const baseHeaders: Record<string, string> = { ...opts.headers };
  if (opts.apiKey !== undefined) baseHeaders.Authorization = `Bearer ${opts.apiKey}`;
  const common = { url, transformer: superjson, ...(opts.fetch ? { fetch: opts.fetch } : {}) };
  const fetchImpl = opts.fetch ?? fetch;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        // Subscriptions go over SSE. Node 20 has no EventSource of its own; the `eventsource`
        // package's takes a fetch, through which the API key header goes.
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) =>
              fetchImpl(input, { ...init, headers: { ...init.headers, ...baseHeaders } }),
          }),
        }),
        // A call with an Idempotency-Key goes alone: the header belongs to one call, not a batch.
        false: splitLink({
          condition: (op) => idempotencyKeyOf(op) !== undefined,
          true: httpLink({
            ...common,
            headers: ({ op }) => {
              const key = idempotencyKeyOf(op);
              return key === undefined ? baseHeaders : { ...baseHeaders, "Idempotency-Key": key };
            },
          }),
          false: httpBatchLink({ ...common, maxItems: MAX_BATCH_SIZE, headers: () => baseHeaders }),
        }),
      }),
    ],
  });
}

/** An error the API answered, with its PLE error data typed (`data.code` is a PleErrorCode). */
export type PleClientError = TRPCClientError<AppRouter>;

/** What the API puts under `error.data`: the stable code, the field, details and the request id. */
export type PleErrorData = NonNullable<PleClientError["data"]>;

/** The stable error codes (`"SLOT_CONFLICT"`, `"COMPANY_NOT_FOUND"`, …). */
export type PleErrorCode = PleErrorData["code"];

/** True for an error the client received from the API (not, say, a network failure). */
export function isPleClientError(error: unknown): error is PleClientError {
  return isTRPCClientError(error);
}

/**
 * True when the API answered with this code; narrows the error so `error.data` is typed. A
 * misspelt code does not compile: `hasErrorCode(error, "SLOT_CONFLIKT")`.
 */
export function hasErrorCode<C extends PleErrorCode>(
  error: unknown,
  code: C,
): error is PleClientError & { data: PleErrorData & { code: C } } {
  return isPleClientError(error) && error.data?.code === code;
}

/** The API's error data of an error, or null when it is not an answer from the API. */
export function pleErrorData(error: unknown): PleErrorData | null {
  return isPleClientError(error) ? (error.data ?? null) : null;
}
