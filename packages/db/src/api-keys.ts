/**
 * API keys of the tRPC API (table marketing.api_key, migration 006).
 *
 * A key is 32 random bytes shown once, at creation; only its SHA-256 hash and a
 * short display prefix are stored. The key's id is the actor of every change
 * made with it. Roles nest: admin can do all that write can, write all that read can.
 */
import { createHash, randomBytes } from "node:crypto";
import { PleError } from "@ple/core";
import type { Queryable } from "./database.js";

export const API_KEY_ROLES = ["read", "write", "admin"] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/** An API key as stored: everything but the key itself. */
export interface ApiKey {
  id: string;
  name: string;
  role: ApiKeyRole;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** What createApiKey returns: the stored key plus the plaintext, which is never shown again. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

const KEY_PREFIX = "ple_";
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 8;
const NAME_MAX_LENGTH = 100;
const COLUMNS = [
  "id",
  "name",
  "role",
  "key_prefix",
  "created_at",
  "revoked_at",
  "last_used_at",
] as const;
// A key's last_used_at is refreshed at most this often, so authenticating is
// not one write per request.
const LAST_USED_RESOLUTION_SECONDS = 60;

export function isApiKeyRole(value: unknown): value is ApiKeyRole {
  return typeof value === "string" && (API_KEY_ROLES as readonly string[]).includes(value);
}

/** True when a key holding `held` may call a procedure that needs `required`. */
export function roleAllows(held: ApiKeyRole, required: ApiKeyRole): boolean {
  return API_KEY_ROLES.indexOf(held) >= API_KEY_ROLES.indexOf(required);
}

/** The SHA-256 (hex) under which a plaintext key is stored. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

function toApiKey(row: Record<string, unknown>): ApiKey {
  const role = row.role;
  if (!isApiKeyRole(role)) {
    throw new PleError("INTERNAL", "An API key row has an unknown role.");
  }
  return {
    id: String(row.id),
    name: String(row.name),
    role,
    key_prefix: String(row.key_prefix),
    created_at: toDate(row.created_at) ?? new Date(0),
    revoked_at: toDate(row.revoked_at),
    last_used_at: toDate(row.last_used_at),
  };
}

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

/**
 * Creates an API key and returns its plaintext — the only time it is ever
 * available. Use it to bootstrap the first admin key.
 */
export async function createApiKey(
  db: Queryable,
  input: { name: string; role: ApiKeyRole },
): Promise<CreatedApiKey> {
  const name = typeof input.name === "string" ? input.name.trim() : "";
  if (name.length === 0 || name.length > NAME_MAX_LENGTH) {
    throw new PleError(
      "VALIDATION_FAILED",
      `API key name must be 1 to ${NAME_MAX_LENGTH} characters.`,
      { field: "name", details: { reason: name.length === 0 ? "empty" : "too_long" } },
    );
  }
  if (!isApiKeyRole(input.role)) {
    throw new PleError(
      "VALIDATION_FAILED",
      `API key role must be one of ${API_KEY_ROLES.join(", ")}.`,
      {
        field: "role",
        details: { reason: "unknown_role", allowed: [...API_KEY_ROLES] },
      },
    );
  }
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const [row] = await db("marketing.api_key")
    .insert({
      id: `ak_${randomBytes(8).toString("hex")}`,
      name,
      role: input.role,
      key_hash: hashApiKey(key),
      key_prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
    })
    .returning([...COLUMNS]);
  if (row === undefined) {
    throw new PleError("INTERNAL", "Creating the API key returned no row.");
  }
  return { ...toApiKey(row), key };
}

/**
 * The active key a plaintext belongs to, or null when it is unknown or revoked
 * (the caller must not tell the two apart). Refreshes last_used_at.
 */
export async function authenticateApiKey(db: Queryable, key: string): Promise<ApiKey | null> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
  const row = await db("marketing.api_key")
    .where({ key_hash: hashApiKey(key) })
    .whereNull("revoked_at")
    .first(...COLUMNS);
  if (row === undefined) return null;
  const apiKey = toApiKey(row);
  const stale =
    apiKey.last_used_at === null ||
    Date.now() - apiKey.last_used_at.getTime() > LAST_USED_RESOLUTION_SECONDS * 1000;
  if (stale) {
    await db("marketing.api_key").where({ id: apiKey.id }).update({ last_used_at: db.fn.now() });
  }
  return apiKey;
}

export async function getApiKey(db: Queryable, id: string): Promise<ApiKey> {
  const row = await db("marketing.api_key")
    .where({ id })
    .first(...COLUMNS);
  if (row === undefined) {
    throw new PleError("NOT_FOUND", `No API key with id ${id}.`, {
      field: "id",
      details: { reason: "not_found" },
    });
  }
  return toApiKey(row);
}

/** All keys, newest first; revoked ones only when asked for. */
export async function listApiKeys(
  db: Queryable,
  opts: { includeRevoked?: boolean } = {},
): Promise<ApiKey[]> {
  const query = db("marketing.api_key")
    .select(...COLUMNS)
    .orderBy([
      { column: "created_at", order: "desc" },
      { column: "id", order: "asc" },
    ]);
  if (opts.includeRevoked !== true) query.whereNull("revoked_at");
  const rows: Record<string, unknown>[] = await query;
  return rows.map(toApiKey);
}

/** Revokes a key (by id); revoking a revoked key keeps its first revocation time. */
export async function revokeApiKey(db: Queryable, id: string): Promise<ApiKey> {
  const [row] = await db("marketing.api_key")
    .where({ id })
    .update({ revoked_at: db.raw("coalesce(revoked_at, now())") })
    .returning([...COLUMNS]);
  if (row === undefined) {
    throw new PleError("NOT_FOUND", `No API key with id ${id}.`, {
      field: "id",
      details: { reason: "not_found" },
    });
  }
  return toApiKey(row);
}
