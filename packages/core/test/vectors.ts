/** Loads the shared vector files (the same files the SQL functions of @ple/db are tested against). */
import { readFileSync } from "node:fs";
import { z } from "zod";

export const VectorCase = z.union([
  z.strictObject({ input: z.unknown(), output: z.unknown() }),
  z.strictObject({ input: z.unknown(), error: z.string().min(1) }),
]);
export type VectorCase = z.infer<typeof VectorCase>;

export function loadVectors(name: string): VectorCase[] {
  const url = new URL(`../vectors/${name}`, import.meta.url);
  return z.array(VectorCase).parse(JSON.parse(readFileSync(url, "utf8")));
}

/** A short, readable test title for a vector input (escapes invisible characters, cuts long ones). */
export function title(input: unknown): string {
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 70 ? `${text.slice(0, 70)}… (${text.length} chars)` : text;
}
