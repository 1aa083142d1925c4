/**
 * Migration 009's IDNA data is the library's: regenerating it from tr46 and @ple/core gives the
 * file's text, and the rows a server or an embedded database holds are tr46's table; the
 * regular expressions answer as tr46's do.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { NFC_COMBINING_CLASSES, NFC_COMPOSITIONS, NFC_DECOMPOSITIONS } from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatedSection, generateIdnaData, MIGRATION_FILE } from "../scripts/generate-idna.mjs";
import type { PleDatabase } from "../src/database.js";
import { createEmbeddedTestDatabase, createTestDatabase } from "../src/testing.js";
import { row, rows } from "./sql-helpers.js";

const require = createRequire(import.meta.url);
type TableRow = [number | [number, number], number, string?];
const mappingTable = require("tr46/lib/mappingTable.json") as TableRow[];
const regexes = require("tr46/lib/regexes.js") as Record<string, RegExp>;

const KINDS = ["server", "embedded"] as const;

/** Code points at and around every boundary of tr46's character classes, plus a spread. */
function probeCodePoints(): number[] {
  const set = new Set<number>();
  for (const regex of Object.values(regexes)) {
    for (const [, hex] of regex.source.matchAll(
      /\\u\{?([0-9A-Fa-f]{2,6})\}?|\\x([0-9A-Fa-f]{2})/g,
    )) {
      if (hex === undefined) continue;
      const cp = Number.parseInt(hex, 16);
      for (const c of [cp - 1, cp, cp + 1]) set.add(c);
    }
  }
  for (let cp = 0x20; cp < 0x30000; cp += 97) set.add(cp);
  return [...set]
    .filter((cp) => cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff))
    .sort((a, b) => a - b);
}

describe("generated data of 009_idna.sql", () => {
  it("is what scripts/generate-idna.mjs makes from tr46 and @ple/core", () => {
    expect(generatedSection(readFileSync(MIGRATION_FILE, "utf8"))).toBe(generateIdnaData());
  });
});

describe.each(KINDS)("IDNA data in the database (%s)", (kind) => {
  let db: PleDatabase;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const t = kind === "server" ? await createTestDatabase() : await createEmbeddedTestDatabase();
    db = t.db;
    drop = t.drop;
  });
  afterAll(async () => {
    await drop();
  });

  it("holds tr46's mapping table row for row", async () => {
    const stored = await rows<{
      cp_from: number;
      cp_to: number;
      status: number;
      mapping: string | null;
    }>(
      db.knex,
      "SELECT cp_from, cp_to, status, mapping FROM marketing.idna_mapping ORDER BY cp_from",
    );
    const expected = mappingTable.map(([range, status, mapping]) => {
      const [from, to] = typeof range === "number" ? [range, range] : range;
      return { cp_from: from, cp_to: to, status, mapping: mapping ?? null };
    });
    expect(stored).toEqual(expected);
  });

  it("holds core's NFC data", async () => {
    const counts = await row<{ d: number; c: number; m: number }>(
      db.knex,
      `SELECT (SELECT count(*)::int FROM marketing.unicode_decomposition) AS d,
              (SELECT count(*)::int FROM marketing.unicode_combining_class) AS c,
              (SELECT count(*)::int FROM marketing.unicode_composition) AS m`,
    );
    expect(counts).toEqual({
      d: NFC_DECOMPOSITIONS.split(";").length,
      c: NFC_COMBINING_CLASSES.split(";").length,
      m: NFC_COMPOSITIONS.split(";").length,
    });
  });

  it("matches tr46's regular expressions on every class boundary", async () => {
    const cps = probeCodePoints();
    const stored = await rows<{ name: string; hits: number[] }>(
      db.knex,
      `SELECT p.name, COALESCE(array_agg(c.cp ORDER BY c.cp) FILTER (WHERE chr(c.cp) ~ p.pattern), '{}') AS hits
         FROM marketing.idna_pattern AS p
        CROSS JOIN unnest(?::int[]) AS c(cp)
        GROUP BY p.name ORDER BY p.name`,
      [cps],
    );
    const expected = Object.entries(regexes)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, regex]) => ({
        name,
        hits: cps.filter((cp) => regex.test(String.fromCodePoint(cp))),
      }));
    expect(stored).toEqual(expected);
  });
});
