/** Shared helpers of @ple/db's tests: fixture migration folders and fresh databases of each kind. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PleDatabase } from "../src/database.js";
import { createEmbeddedTestDatabase, createTestDatabase } from "../src/testing.js";

export const FIXTURE_MIGRATIONS = fileURLToPath(new URL("./fixtures/migrations/", import.meta.url));

export type Kind = "server" | "embedded";
export const KINDS: Kind[] = ["server", "embedded"];

/** An empty database of the given kind (fixture migrations are applied by the test). */
export async function emptyDatabase(
  kind: Kind,
): Promise<{ db: PleDatabase; drop(): Promise<void> }> {
  if (kind === "server") return createTestDatabase({ empty: true });
  return createEmbeddedTestDatabase({ empty: true });
}

/** A copy of the fixture migrations in a temp folder, with extra files written in. */
export function migrationsCopy(extra: Record<string, string> = {}): {
  dir: string;
  write(file: string, sql: string): void;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), "ple-migrations-"));
  cpSync(FIXTURE_MIGRATIONS, dir, { recursive: true });
  const write = (file: string, sql: string) => writeFileSync(join(dir, file), sql);
  for (const [file, sql] of Object.entries(extra)) write(file, sql);
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
