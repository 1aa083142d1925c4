/**
 * A short-lived cache of authenticated API keys, so a request does not cost a
 * database look-up (and a hash compare in SQL) every time.
 *
 * Security properties:
 * - Only accepted keys are cached, by their SHA-256 hash (never the plaintext);
 *   an unknown or revoked key is looked up every time.
 * - An entry lives at most `ttlMs` (default 5 s, PLE_API_KEY_CACHE_MS, 0 turns
 *   the cache off). A key revoked elsewhere (the CLI, another API process, SQL)
 *   therefore stops working within ttlMs.
 * - A key revoked through this process's API (apiKeys.revoke) is dropped from
 *   every cache of the process at once: forgetApiKey(id). A look-up that was
 *   in flight during a revocation is answered but not cached.
 * - Under PLE_API_WORKERS (cluster.ts) forgetApiKey is also told to the other
 *   workers of the cluster (onApiKeyForgotten), which drop the key as soon as
 *   the message arrives; ttlMs stays the bound for every other process.
 * - At most `maxEntries` keys are held; the oldest is evicted first.
 */
import { type ApiKey, authenticateApiKey, hashApiKey, type Queryable } from "@ple/db";

export const DEFAULT_API_KEY_CACHE_MS = 5_000;
export const MAX_API_KEY_CACHE_MS = 60_000;
const DEFAULT_MAX_ENTRIES = 1_000;

interface Entry {
  key: ApiKey;
  expiresAt: number;
}

/** Every live cache of this process, so a revocation reaches all of them. */
const caches = new Set<ApiKeyCache>();
/** Bumped by every forgetApiKey, so a look-up racing a revocation is not cached. */
let revocations = 0;

export class ApiKeyCache {
  readonly ttlMs: number;
  readonly maxEntries: number;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: { ttlMs?: number; maxEntries?: number } = {}) {
    const ttlMs = opts.ttlMs ?? DEFAULT_API_KEY_CACHE_MS;
    if (!Number.isInteger(ttlMs) || ttlMs < 0 || ttlMs > MAX_API_KEY_CACHE_MS) {
      throw new RangeError(
        `apiKeyCacheMs must be a whole number of milliseconds from 0 to ${MAX_API_KEY_CACHE_MS}, got ${ttlMs}`,
      );
    }
    this.ttlMs = ttlMs;
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (ttlMs > 0) caches.add(this);
  }

  /** The active key a plaintext belongs to, or null (unknown or revoked). */
  async authenticate(db: Queryable, plaintext: string): Promise<ApiKey | null> {
    if (this.ttlMs === 0) return authenticateApiKey(db, plaintext);
    const hash = hashApiKey(plaintext);
    const now = Date.now();
    const hit = this.entries.get(hash);
    if (hit !== undefined) {
      if (hit.expiresAt > now) return hit.key;
      this.entries.delete(hash);
    }
    const generation = revocations;
    const key = await authenticateApiKey(db, plaintext);
    if (key !== null && generation === revocations) {
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
      this.entries.set(hash, { key, expiresAt: now + this.ttlMs });
    }
    return key;
  }

  /** Drops a key (by id) from this cache. */
  forget(id: string): void {
    for (const [hash, entry] of this.entries) {
      if (entry.key.id === id) this.entries.delete(hash);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Stops taking part in process-wide revocation and empties the cache. */
  close(): void {
    this.entries.clear();
    caches.delete(this);
  }
}

/** Told of each forgetApiKey of this process (the cluster passes it on to its other workers). */
const forgetListeners = new Set<(id: string) => void>();

/** Drops a revoked key from every cache of this process, and tells onApiKeyForgotten's listeners. */
export function forgetApiKey(id: string): void {
  forgetApiKeyHere(id);
  for (const listener of forgetListeners) listener(id);
}

/** Drops a key from every cache of this process only (a revocation another process made). */
export function forgetApiKeyHere(id: string): void {
  revocations += 1;
  for (const cache of caches) cache.forget(id);
}

/** Calls listener with the id of each key forgetApiKey drops; returns the unsubscribe. */
export function onApiKeyForgotten(listener: (id: string) => void): () => void {
  forgetListeners.add(listener);
  return () => forgetListeners.delete(listener);
}
