/**
 * The relay of the change feed to NATS JetStream, for the services downstream that read the
 * broker rather than the API. Each event goes to `<subject>.<type>` (e.g.
 * ple.events.company.created) with its position as the JetStream message id, so the stream's
 * duplicate detection drops a position published twice. The relay saves the position it has
 * published up to (marketing.event_relay) after every batch the stream has acknowledged, and
 * starts after the greater of that and the last position already in the stream: after a
 * crash between publishing and saving, nothing is lost and nothing reaches the stream twice.
 * One stream per database: the positions of two databases would collide.
 */
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  StorageType,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type ChangeEvent, PleError } from "@ple/core";
import { listEvents, type PleDatabase, relayPosition, saveRelayPosition } from "@ple/db";

export interface EventRelayOptions {
  db: PleDatabase;
  /** The NATS server(s), e.g. nats://127.0.0.1:4222. */
  natsUrl: string;
  /** The JetStream stream, created when missing (default PLE_EVENTS). */
  stream?: string;
  /** The subject prefix; an event goes to `<subject>.<type>` (default ple.events). */
  subject?: string;
  /** The relay's name in marketing.event_relay (default: the stream's name). */
  name?: string;
  /** Events read and published per batch (default 1000). */
  batchSize?: number;
  /** How long to wait for new events once caught up, in ms (default 200). */
  pollMs?: number;
  /** Stop once every committed event is published, instead of waiting for more. */
  untilCaughtUp?: boolean;
  /** Stops the relay after the batch in flight. */
  signal?: AbortSignal;
  /** Called after each batch is acknowledged and its position saved. */
  onBatch?: (batch: RelayBatch) => void;
}

export interface RelayBatch {
  /** The last position published and saved. */
  position: number;
  /** Messages the stream stored in this batch. */
  published: number;
  /** Messages the stream had already (dropped by its duplicate detection). */
  duplicates: number;
}

export interface RelaySummary {
  stream: string;
  subject: string;
  /** The position the relay started after. */
  from: number;
  /** The last position published. */
  position: number;
  published: number;
  duplicates: number;
}

export const DEFAULT_RELAY_STREAM = "PLE_EVENTS";
export const DEFAULT_RELAY_SUBJECT = "ple.events";

const STREAM_NAME = /^[A-Za-z0-9_-]{1,100}$/;
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The stream for the subject, created (file storage) when it does not exist yet. */
async function ensureStream(jsm: JetStreamManager, stream: string, subject: string) {
  try {
    return await jsm.streams.info(stream);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) {
      throw err;
    }
    return await jsm.streams.add({
      name: stream,
      subjects: [`${subject}.>`],
      storage: StorageType.File,
    });
  }
}

/** The position of the last message in the stream (its message id), 0 when it is empty. */
async function lastPositionInStream(jsm: JetStreamManager, stream: string): Promise<number> {
  const info = await jsm.streams.info(stream);
  if (info.state.messages === 0) return 0;
  const last = await jsm.streams.getMessage(stream, { seq: info.state.last_seq });
  const id = last?.header?.get("Nats-Msg-Id") ?? "";
  if (!/^\d{1,16}$/.test(id)) {
    throw new PleError(
      "VALIDATION_FAILED",
      `stream ${stream}: its last message has no event position as message id; give the relay a stream of its own (PLE_NATS_STREAM)`,
      { field: "stream", details: { reason: "foreign_stream" } },
    );
  }
  return Number(id);
}

/** Publishes the change feed to JetStream until stopped (or caught up, with untilCaughtUp). */
export async function runEventRelay(opts: EventRelayOptions): Promise<RelaySummary> {
  const stream = opts.stream ?? DEFAULT_RELAY_STREAM;
  const subject = opts.subject ?? DEFAULT_RELAY_SUBJECT;
  const name = opts.name ?? stream;
  const batchSize = opts.batchSize ?? 1000;
  if (!STREAM_NAME.test(stream)) {
    throw new PleError("VALIDATION_FAILED", "stream: letters, digits, '_' or '-' (1 to 100)", {
      field: "stream",
      details: { reason: "invalid" },
    });
  }
  if (!SUBJECT.test(subject)) {
    throw new PleError("VALIDATION_FAILED", "subject: dot-separated tokens without wildcards", {
      field: "subject",
      details: { reason: "invalid" },
    });
  }
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: opts.natsUrl, name: `ple-relay-${name}` });
  } catch (err) {
    throw new PleError(
      "VALIDATION_FAILED",
      `PLE_NATS_URL: cannot reach NATS at ${opts.natsUrl} (${err instanceof Error ? err.message : String(err)})`,
      { field: "PLE_NATS_URL", details: { reason: "unreachable" } },
    );
  }
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, stream, subject);
    const js = jetstream(nc);
    const from = Math.max(
      await relayPosition(opts.db.knex, name),
      await lastPositionInStream(jsm, stream),
    );
    const summary: RelaySummary = {
      stream,
      subject,
      from,
      position: from,
      published: 0,
      duplicates: 0,
    };
    while (opts.signal?.aborted !== true) {
      const page = await listEvents(opts.db.knex, { after: summary.position, limit: batchSize });
      if (page.events.length > 0) {
        // Pipelined: the whole batch is in flight at once, and saved only once all are stored.
        const acks = await Promise.all(
          page.events.map((event: ChangeEvent) =>
            js.publish(`${subject}.${event.type}`, JSON.stringify(event), {
              msgID: String(event.position),
              timeout: 30_000,
            }),
          ),
        );
        const duplicates = acks.filter((ack) => ack.duplicate).length;
        const position = page.events[page.events.length - 1]?.position ?? summary.position;
        await saveRelayPosition(opts.db.knex, name, position);
        summary.position = position;
        summary.published += acks.length - duplicates;
        summary.duplicates += duplicates;
        opts.onBatch?.({ position, published: acks.length - duplicates, duplicates });
      }
      if (page.events.length < batchSize) {
        if (opts.untilCaughtUp) break;
        await pause(opts.pollMs ?? 200, opts.signal);
      }
    }
    return summary;
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}
