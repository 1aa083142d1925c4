/**
 * The import's batch pipeline: batches go to the database in file order, each as one
 * transaction (or two, see below), while the next batch is read and parsed; their results are
 * applied in file order. This module also holds the import's one retry layer (retrying): the
 * database layer does not retry, it reports a lost race as a retryable PleError.
 *
 * An import on a server may write two batches at once: the later batch's rows that share no key
 * (a company import: website, Apollo id; a people import: email, LinkedIn URL, the companies a
 * row names) with the batch before go at once, the others once the batch before has committed
 * (splitOnPrior), so the result is exactly the file written in order.
 */
import { isPleError } from "@ple/core";
import type { Batch, ParsedRow } from "./import-rows.js";
import type { PartResult, RejectedRow } from "./import-summary.js";

/**
 * Attempts at a batch transaction that lost a race with another writer (deadlock, serialization
 * failure). Each retry rolls the whole transaction back first, releasing every lock it held, and
 * waits a jittered, growing while so that the writers it met get ahead; a batch that still loses
 * after this many fails the import rather than reject a valid row.
 */
const BATCH_ATTEMPTS = 8;
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 2000;

/** Full jitter: a random wait up to base · 2^(attempt-1), capped. */
function backoff(attemptNo: number): Promise<void> {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attemptNo - 1));
  return new Promise((done) => setTimeout(done, Math.random() * ceiling));
}

/** A lost race (deadlock 40P01, serialization failure 40001): retry the whole transaction. */
export function isRetryable(err: unknown): boolean {
  if (!isPleError(err)) return false;
  const sqlstate = err.details?.sqlstate;
  return err.details?.retryable === true || sqlstate === "40P01" || sqlstate === "40001";
}

/** Runs a whole transaction again after a lost race, up to BATCH_ATTEMPTS times. */
export async function retrying<T>(attempt: () => Promise<T>): Promise<T> {
  for (let attemptNo = 1; ; attemptNo++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isRetryable(err) || attemptNo >= BATCH_ATTEMPTS) throw err;
      await backoff(attemptNo);
    }
  }
}

/** A key that holds its row back whenever there is a batch before (what it needs may be there). */
export const ALWAYS_WAITS = "*";

/**
 * Splits a batch into the rows that can be written while the batch before is still being
 * written and those that must wait for it. A row waits when one of its keys (website, Apollo
 * id) is one of the batch before's, or one of an earlier waiting row's: what it finds or creates
 * may depend on those rows. A row that goes at once shares no key with the batch before nor with
 * any waiting row after it, so writing these rows first and the waiting ones after the batch
 * before ends exactly as writing the file in order would.
 */
export function splitOnPrior<T>(
  items: readonly T[],
  keysOf: (item: T) => readonly string[],
  priorKeys: ReadonlySet<string> | null,
): { now: T[]; later: T[] } {
  if (priorKeys === null || priorKeys.size === 0) return { now: [...items], later: [] };
  const now: T[] = [];
  const later: T[] = [];
  const waiting = new Set<string>();
  for (const item of items) {
    const keys = keysOf(item);
    if (keys.some((k) => k === ALWAYS_WAITS || priorKeys.has(k) || waiting.has(k))) {
      later.push(item);
      for (const k of keys) waiting.add(k);
    } else {
      now.push(item);
    }
  }
  return { now, later };
}

export interface PipelineOptions<T> {
  /** Batches written at once (1: one at a time). */
  depth: number;
  /** A row's keys: rows sharing one with the batch before wait for it (depth > 1). */
  keysOf: (row: ParsedRow<T>) => readonly string[];
  /**
   * Looks up, before a batch is split (depth > 1), what keysOf needs of the database for these
   * rows: the batch's and, again, the batch before's, whose own batch before has committed by
   * then. Without it, keysOf reads the rows alone.
   */
  resolve?: (rows: readonly ParsedRow<T>[]) => Promise<void>;
  /** Writes some rows of a batch in one transaction (retried there after a lost race). */
  writePart: (
    planned: readonly ParsedRow<T>[],
    invalid: readonly RejectedRow[],
  ) => Promise<PartResult>;
  /** A batch whose rows are all committed (or rejected), in file order. */
  onBatch: (batch: Batch<T>, parts: readonly PartResult[]) => void;
}

export interface Pipeline<T> {
  send(batch: Batch<T>): Promise<void>;
  /** Waits for every batch sent; the first failure (in file order) is thrown. */
  finish(): Promise<void>;
}

export function batchPipeline<T>(options: PipelineOptions<T>): Pipeline<T> {
  const { depth, keysOf, resolve, writePart, onBatch } = options;
  const inFlight: Array<{
    batch: Batch<T>;
    applied: Promise<() => void>;
    keys: ReadonlySet<string>;
  }> = [];

  /** Writes a batch; resolves once all its rows are committed, to applying it. */
  const runBatch = async (
    batch: Batch<T>,
    prior: { keys: ReadonlySet<string>; written: Promise<void> } | null,
  ): Promise<() => void> => {
    const parts: PartResult[] = [];
    if (batch.size > 0) {
      const { now, later } = splitOnPrior(batch.planned, keysOf, prior?.keys ?? null);
      if (now.length > 0 || batch.invalid.length > 0) {
        parts.push(await writePart(now, batch.invalid));
      }
      if (later.length > 0) {
        // Only after the batch before has committed, in a transaction of their own that
        // holds no lock while it waits: no wait can close a cycle through another writer.
        await prior?.written;
        parts.push(await writePart(later, []));
      }
    }
    return () => {
      if (batch.size > 0) onBatch(batch, parts);
    };
  };

  const settleFirst = async () => {
    const first = inFlight.shift();
    if (first === undefined) return;
    try {
      (await first.applied)();
    } catch (err) {
      // Nothing after a failed batch is kept waiting or left running.
      await Promise.allSettled(inFlight.map((b) => b.applied));
      inFlight.length = 0;
      throw err;
    }
  };

  return {
    async send(batch) {
      while (inFlight.length >= depth) await settleFirst();
      const before = inFlight.at(-1);
      if (depth > 1 && resolve !== undefined) {
        await resolve(
          before === undefined ? batch.planned : [...before.batch.planned, ...batch.planned],
        );
        if (before !== undefined) before.keys = new Set(before.batch.planned.flatMap(keysOf));
      }
      const prior =
        before === undefined
          ? null
          : { keys: before.keys, written: before.applied.then(() => undefined) };
      // A failed batch before fails this one too (its waiting rows must not take the failed
      // rows' places); the first failure is the one reported, when settled in file order.
      prior?.written.catch(() => {});
      const applied = runBatch(batch, prior);
      // Awaited in order by settleFirst; this only keeps a failure from being reported as
      // unhandled while the next batch is read.
      applied.catch(() => {});
      const keys = depth > 1 ? new Set(batch.planned.flatMap(keysOf)) : new Set<string>();
      inFlight.push({ batch, applied, keys });
    },
    async finish() {
      while (inFlight.length > 0) await settleFirst();
    },
  };
}
