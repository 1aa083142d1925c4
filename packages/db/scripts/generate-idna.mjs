#!/usr/bin/env node
/**
 * Generates the data of migration 009 (the IDNA definition of the SQL normalisers) from the
 * same sources the TypeScript side reads: tr46's own tables (mapping table and the regular
 * expressions of its joiner and bidi checks) and @ple/core's NFC data. The data sits in
 * migrations/009_idna.sql between the GENERATED markers; the rest of that file is written by hand.
 *
 *   pnpm --filter @ple/core build && node packages/db/scripts/generate-idna.mjs           # rewrite
 *   pnpm --filter @ple/core build && node packages/db/scripts/generate-idna.mjs --check   # compare
 *
 * test/idna-data.test.ts runs generateIdnaData() and compares it with the file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import {
  IDNA_UNICODE_VERSION,
  NFC_COMBINING_CLASSES,
  NFC_COMPOSITIONS,
  NFC_DECOMPOSITIONS,
  NFC_UNICODE_VERSION,
} from "@ple/core";

const require = createRequire(import.meta.url);
const mappingTable = require("tr46/lib/mappingTable.json");
const regexes = require("tr46/lib/regexes.js");
const tr46Version = require("tr46/package.json").version;

export const MIGRATION_FILE = fileURLToPath(new URL("../migrations/009_idna.sql", import.meta.url));
export const BEGIN = "-- BEGIN GENERATED DATA (scripts/generate-idna.mjs; do not edit by hand)";
export const END = "-- END GENERATED DATA";

/** A code point as a PostgreSQL regular-expression escape. */
function regexEscape(cp) {
  const hex = cp.toString(16).toUpperCase();
  return cp <= 0xffff ? `\\u${hex.padStart(4, "0")}` : `\\U${hex.padStart(8, "0")}`;
}

/** One escape or character of a JavaScript `u` character class at `i`: [code point, next index]. */
function classAtom(source, i) {
  if (source[i] !== "\\")
    return [source.codePointAt(i), i + String.fromCodePoint(source.codePointAt(i)).length];
  const rest = source.slice(i);
  let m = /^\\u\{([0-9A-Fa-f]+)\}/.exec(rest);
  if (m) return [Number.parseInt(m[1], 16), i + m[0].length];
  m = /^\\u([0-9A-Fa-f]{4})/.exec(rest);
  if (m) return [Number.parseInt(m[1], 16), i + m[0].length];
  m = /^\\x([0-9A-Fa-f]{2})/.exec(rest);
  if (m) return [Number.parseInt(m[1], 16), i + m[0].length];
  if (rest.startsWith("\\0")) return [0, i + 2];
  if (/^\\[[\]{}\\^$.*+?()|/-]/.test(rest)) return [rest.codePointAt(1), i + 2];
  throw new Error(`unexpected escape ${rest.slice(0, 6)}`);
}

/** A JavaScript character class body as sorted code point ranges (no NUL, no surrogates). */
function classRanges(body) {
  const ranges = [];
  let i = 0;
  while (i < body.length) {
    const [from, next] = classAtom(body, i);
    i = next;
    let to = from;
    if (body[i] === "-" && i + 1 < body.length) {
      [to, i] = classAtom(body, i + 1);
    }
    ranges.push([from, to]);
  }
  const cut = [];
  for (const [from, to] of ranges) {
    // PostgreSQL text holds neither NUL nor surrogates, so neither can be asked about.
    const pieces = [
      [Math.max(from, 1), Math.min(to, 0xd7ff)],
      [Math.max(from, 0xe000), to],
    ];
    for (const [a, b] of pieces) if (a <= b) cut.push([a, b]);
  }
  cut.sort((a, b) => a[0] - b[0]);
  return cut;
}

/** A tr46 regular expression, rewritten for PostgreSQL with the same structure and sets. */
export function postgresPattern(regex) {
  const source = regex.source;
  let out = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === "[") {
      let j = i + 1;
      while (source[j] !== "]")
        j +=
          source[j] === "\\"
            ? source[j + 1] === "u" && source[j + 2] === "{"
              ? source.indexOf("}", j) + 1 - j
              : source[j + 1] === "u"
                ? 6
                : source[j + 1] === "x"
                  ? 4
                  : 2
            : 1;
      const body = source.slice(i + 1, j);
      out += `[${classRanges(body)
        .map(([a, b]) => (a === b ? regexEscape(a) : `${regexEscape(a)}-${regexEscape(b)}`))
        .join("")}]`;
      i = j + 1;
    } else if (ch === "^" || ch === "$" || ch === "*") {
      out += ch;
      i++;
    } else if (source.startsWith("\\u200C", i)) {
      out += "\\u200C";
      i += 6;
    } else {
      throw new Error(`unexpected ${source.slice(i, i + 10)} in ${regex}`);
    }
  }
  return out;
}

function sqlText(value) {
  if (/^[\x20-\x7e]*$/.test(value)) return `'${value.replaceAll("'", "''")}'`;
  let body = "";
  for (const ch of value) {
    const cp = ch.codePointAt(0);
    if (cp >= 0x20 && cp <= 0x7e && ch !== "\\" && ch !== "'") body += ch;
    else if (ch === "'") body += "''";
    else
      body +=
        cp <= 0xffff
          ? `\\${cp.toString(16).padStart(4, "0")}`
          : `\\+${cp.toString(16).padStart(6, "0")}`;
  }
  return `U&'${body}'`;
}

function insert(table, columns, rows, perLine = 8) {
  const lines = [];
  for (let i = 0; i < rows.length; i += perLine) {
    lines.push(
      `  ${rows
        .slice(i, i + perLine)
        .map((r) => `(${r.join(", ")})`)
        .join(", ")}`,
    );
  }
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES\n${lines.join(",\n")};\n`;
}

const numbers = (data) => data.split(";").map((row) => row.split(",").map(Number));

/** The SQL between the GENERATED markers of 009_idna.sql. */
export function generateIdnaData() {
  if (NFC_UNICODE_VERSION !== IDNA_UNICODE_VERSION) {
    throw new Error(`NFC data is Unicode ${NFC_UNICODE_VERSION}, IDNA ${IDNA_UNICODE_VERSION}`);
  }
  const mapping = mappingTable.map(([range, status, to]) => {
    const [from, upTo] = Array.isArray(range) ? range : [range, range];
    return [from, upTo, status, to === undefined ? "NULL" : sqlText(to)];
  });
  const patterns = Object.entries(regexes)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, regex]) => [sqlText(name), `'${postgresPattern(regex)}'`]);
  const decompositions = numbers(NFC_DECOMPOSITIONS).map(([cp, ...to]) => [
    cp,
    `'{${to.join(",")}}'`,
  ]);
  const classes = numbers(NFC_COMBINING_CLASSES);
  const compositions = numbers(NFC_COMPOSITIONS);
  return [
    BEGIN,
    `-- tr46 ${tr46Version} (UTS #46, Unicode ${IDNA_UNICODE_VERSION}); NFC data of @ple/core (Unicode ${NFC_UNICODE_VERSION}).`,
    "",
    insert("marketing.idna_mapping", ["cp_from", "cp_to", "status", "mapping"], mapping),
    insert("marketing.idna_pattern", ["name", "pattern"], patterns, 1),
    insert("marketing.unicode_decomposition", ["cp", "decomposition"], decompositions),
    insert("marketing.unicode_combining_class", ["cp", "rank"], classes, 12),
    insert("marketing.unicode_composition", ["first", "second", "composite"], compositions),
    END,
  ].join("\n");
}

/** The generated section of a migration file's text. */
export function generatedSection(text) {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start === -1 || end === -1) throw new Error("009_idna.sql has no GENERATED markers");
  return text.slice(start, end + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = readFileSync(MIGRATION_FILE, "utf8");
  const data = generateIdnaData();
  if (process.argv.includes("--check")) {
    if (generatedSection(text) !== data) {
      console.error("009_idna.sql: the generated data differs from tr46 and @ple/core");
      process.exit(1);
    }
    console.error("009_idna.sql: generated data up to date");
  } else {
    writeFileSync(
      MIGRATION_FILE,
      text.replace(generatedSection(text), () => data),
    );
    console.error(`009_idna.sql: ${mappingTable.length} mapping rows written`);
  }
}
