/**
 * Several API processes on one port (PLE_API_WORKERS, node:cluster): the primary migrates the
 * database once, forks the workers (each a whole API with its own pool), restarts one that
 * crashes and, on SIGTERM, lets each drain its requests before it exits.
 *
 * What each process holds in memory, and why N of them still agree:
 * - Idempotency-Key records, slots, leases, events: in the database, in the request's own
 *   transaction; processes meet on its rows and locks as concurrent requests of one do.
 * - The API key cache (api-key-cache.ts): a key revoked through one worker is passed on to the
 *   others through the primary (a message, not awaited); any other process (another host, the
 *   CLI, SQL) is bounded by PLE_API_KEY_CACHE_MS, 5 s by default.
 * - The company batcher: coalesces reads of one process only; no state outlives a request.
 * - events.onChange subscriptions poll the change feed in the database; none is shared.
 * - No rate limit is kept in memory (limits.ts holds only the batch size a request may carry).
 */
import cluster, { type Worker } from "node:cluster";
import { forgetApiKeyHere, onApiKeyForgotten } from "./api-key-cache.js";

/** What the primary and its workers tell each other. */
type ClusterMessage = { ple: "listening"; url: string } | { ple: "apikey-forgotten"; id: string };

function isClusterMessage(value: unknown): value is ClusterMessage {
  if (value === null || typeof value !== "object" || !("ple" in value)) return false;
  const m = value as Record<string, unknown>;
  return (
    (m.ple === "listening" && typeof m.url === "string") ||
    (m.ple === "apikey-forgotten" && typeof m.id === "string")
  );
}

export interface ClusterPrimaryOptions {
  /** Workers to keep running. */
  workers: number;
  /** How long a worker may drain on stop before it is killed, in ms. */
  shutdownTimeoutMs: number;
  /** One line about a worker (started, crashed, restarted). */
  log: (message: string, fields: Record<string, unknown>) => void;
  /** First wait before restarting a crashed worker (doubles while restarts keep failing, up to 30 s). */
  restartDelayMs?: number;
}

export interface ClusterPrimary {
  /** The URL the workers listen on (the same port for all). */
  url: string;
  /** The running workers' process ids. */
  pids(): number[];
  /** SIGTERM to every worker, then waits for them (SIGKILL after the timeout); resolves true when all exited 0. */
  stop(): Promise<boolean>;
}

const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Forks the workers (this process must be the cluster's primary) and resolves once every one
 * listens. A worker that exits before it ever listened fails the start-up: the others are
 * stopped and the promise rejects with its exit code (its own stderr says why).
 */
export function startClusterPrimary(opts: ClusterPrimaryOptions): Promise<ClusterPrimary> {
  if (!cluster.isPrimary) throw new Error("startClusterPrimary: not the cluster's primary");
  const firstDelay = opts.restartDelayMs ?? 1_000;
  let restartDelay = firstDelay;
  let stopping = false;
  let started = false;
  let url: string | undefined;
  const listening = new Set<Worker>();
  const live = new Set<Worker>();

  return new Promise((resolve, reject) => {
    const fork = () => {
      const worker = cluster.fork();
      live.add(worker);
      worker.on("message", (message: unknown) => {
        if (!isClusterMessage(message)) return;
        if (message.ple === "listening") {
          listening.add(worker);
          url ??= message.url;
          if (started) {
            restartDelay = firstDelay;
            opts.log("API worker restarted", { worker_pid: worker.process.pid });
          } else if (listening.size === opts.workers) {
            started = true;
            resolve(primary);
          }
        } else {
          // A key revoked through this worker: every other worker drops it too.
          for (const other of live) {
            if (other !== worker && other.isConnected()) other.send(message);
          }
        }
      });
      worker.on("exit", (code, signal) => {
        live.delete(worker);
        const hadListened = listening.delete(worker);
        if (stopping) return;
        if (!started) {
          stopping = true;
          for (const other of live) other.process.kill("SIGTERM");
          reject(
            Object.assign(new Error(`an API worker failed to start (exit ${code ?? signal})`), {
              exitCode: typeof code === "number" && code !== 0 ? code : 1,
            }),
          );
          return;
        }
        opts.log("API worker exited; starting another", {
          worker_pid: worker.process.pid,
          code,
          signal,
          restart_in_ms: restartDelay,
        });
        const delay = restartDelay;
        if (!hadListened) restartDelay = Math.min(restartDelay * 2, MAX_RESTART_DELAY_MS);
        setTimeout(() => {
          if (!stopping) fork();
        }, delay).unref();
      });
    };

    const primary: ClusterPrimary = {
      get url() {
        return url ?? "";
      },
      pids: () => [...live].flatMap((w) => (w.process.pid === undefined ? [] : [w.process.pid])),
      stop: () => {
        stopping = true;
        const exits = [...live].map(
          (worker) =>
            new Promise<boolean>((done) => {
              if (worker.isDead()) return done(worker.process.exitCode === 0);
              const timer = setTimeout(
                () => worker.process.kill("SIGKILL"),
                opts.shutdownTimeoutMs + 5_000,
              );
              // A worker still starting has nothing to drain: SIGTERM ends it as it is.
              const starting = !listening.has(worker);
              worker.once("exit", (code, signal) => {
                clearTimeout(timer);
                done(code === 0 || (starting && signal === "SIGTERM"));
              });
              worker.process.kill("SIGTERM");
            }),
        );
        return Promise.all(exits).then((ok) => ok.every(Boolean));
      },
    };

    for (let i = 0; i < opts.workers; i++) fork();
  });
}

/**
 * In a cluster's worker: passes this worker's key revocations to the primary, drops the ones
 * the others made, tells the primary the URL once listening, and calls onPrimaryGone when the
 * primary goes away (the worker should then stop). Returns the function that tells it the URL.
 */
export function joinCluster(onPrimaryGone: () => void): (url: string) => void {
  if (!cluster.isWorker || process.send === undefined) {
    throw new Error("joinCluster: not a cluster worker");
  }
  const send = (message: ClusterMessage) => {
    if (process.connected) process.send?.(message);
  };
  onApiKeyForgotten((id) => send({ ple: "apikey-forgotten", id }));
  process.on("message", (message: unknown) => {
    if (isClusterMessage(message) && message.ple === "apikey-forgotten") {
      forgetApiKeyHere(message.id);
    }
  });
  process.on("disconnect", onPrimaryGone);
  return (url) => send({ ple: "listening", url });
}

/** True in a worker forked by startClusterPrimary. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}
