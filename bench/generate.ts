/**
 * Synthetic Apollo.io-like account exports. Every row is a pure function of its index, so a
 * file of any size streams out in constant memory and the benchmark can rebuild "the same
 * companies" for the raw COPY without reading the file back: about 5% of rows repeat an
 * earlier company (another spelling of its website, or its Apollo id with another website)
 * and about 2% are bad (no usable website, blank name, an Apollo id with a space).
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";

export const DUPLICATE_SHARE = 0.05;
export const BAD_SHARE = 0.02;

/** A 32-bit mix of (index, salt): a cheap deterministic "random" number in [0, 1). */
export function rand(index: number, salt: number): number {
  let h = Math.imul(index ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 0x27d4eb2f, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

function pick<T>(list: readonly T[], index: number, salt: number): T {
  const item = list[Math.floor(rand(index, salt) * list.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

// Names are built from onset + vowel + coda syllables (some 2,500 of them), so their trigrams
// are about as varied as real company names': a trigram index is only as selective as the data.
const ONSETS = [
  "b",
  "c",
  "d",
  "f",
  "g",
  "h",
  "j",
  "k",
  "l",
  "m",
  "n",
  "p",
  "r",
  "s",
  "t",
  "v",
  "w",
  "z",
  "br",
  "ch",
  "cl",
  "dr",
  "gr",
  "pl",
  "sh",
  "st",
  "th",
  "tr",
];
const VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io"];
const CODAS = ["", "n", "r", "s", "l", "t", "m", "x", "ck", "nd"];
const SUFFIXES = ["Inc", "LLC", "Group", "Labs", "Partners", "Systems", "Co", "Holdings", "", ""];
const TLDS = ["com", "io", "co", "net", "ai", "org"] as const;
const INDUSTRIES = [
  "Logistics",
  "Information Technology & Services",
  "Health, Wellness & Fitness",
  "Retail",
  "Financial Services",
  "Construction",
];
const STATES = ["Texas", "Ohio", "California", "New York", "Georgia", "Colorado"];
const STAGES = ["Cold", "Approaching", "Replied", "Customer"];

function word(index: number, salt: number): string {
  const n = 2 + Math.floor(rand(index, salt) * 2);
  let out = "";
  for (let s = 0; s < n; s++) {
    const at = salt * 97 + s * 3;
    out += pick(ONSETS, index, at + 1) + pick(VOWELS, index, at + 2) + pick(CODAS, index, at + 3);
  }
  return out;
}

/** Company number k: canonical fields (what the database should hold) and how the file spells them. */
export interface SyntheticCompany {
  name: string;
  /** Canonical domain. */
  domain: string;
  apolloId: string;
  ein: string;
}

export function company(k: number): SyntheticCompany {
  const first = word(k, 1);
  const second = word(k, 2);
  const suffix = pick(SUFFIXES, k, 3);
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const prefix = 1 + Math.floor(rand(k, 4) * 99);
  return {
    name: `${cap(first)} ${cap(second)}${suffix ? ` ${suffix}` : ""}`,
    domain: `${first}${second}-${k.toString(36)}.${pick(TLDS, k, 5)}`,
    apolloId: `5f${(k * 2654435761).toString(16).padStart(12, "0").slice(-12)}${k.toString(16).padStart(10, "0")}`,
    ein: `${String(prefix).padStart(2, "0")}-${String(Math.floor(rand(k, 6) * 1e7)).padStart(7, "0")}`,
  };
}

/** How the export spells a canonical domain: scheme, www., case and trailing slash vary. */
function spellWebsite(domain: string, index: number): string {
  switch (Math.floor(rand(index, 7) * 5)) {
    case 0:
      return `https://www.${domain}/`;
    case 1:
      return `http://${domain}`;
    case 2:
      return `www.${domain}`;
    case 3:
      return `HTTPS://${domain.toUpperCase()}/about`;
    default:
      return domain;
  }
}

export type RowKind = "new" | "duplicate" | "bad";

export function rowKind(i: number): RowKind {
  const r = rand(i, 8);
  if (i > 0 && r < DUPLICATE_SHARE) return "duplicate";
  if (r < DUPLICATE_SHARE + BAD_SHARE) return "bad";
  return "new";
}

/** The earlier "new" row a duplicate row repeats. */
function duplicateOf(i: number): number {
  let j = Math.floor(rand(i, 9) * i);
  while (j > 0 && rowKind(j) !== "new") j--;
  return j;
}

export const HEADER = [
  "Company",
  "Company Name for Emails",
  "Account Stage",
  "# Employees",
  "Industry",
  "Website",
  "Company Linkedin Url",
  "Company City",
  "Company State",
  "Company Country",
  "Apollo Account Id",
  "EIN",
];

function csv(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Row i of the export as its CSV fields. */
export function exportRow(i: number): string[] {
  const kind = rowKind(i);
  let c = company(i);
  let website = spellWebsite(c.domain, i);
  let name = c.name;
  let apollo = c.apolloId;
  if (kind === "duplicate") {
    c = company(duplicateOf(i));
    name = c.name;
    apollo = c.apolloId;
    // Mostly the same site spelled differently; sometimes the same Apollo id on a new site.
    website = rand(i, 10) < 0.8 ? spellWebsite(c.domain, i + 1) : `moved-${c.domain}`;
  } else if (kind === "bad") {
    switch (Math.floor(rand(i, 11) * 4)) {
      case 0:
        website = "not a website";
        break;
      case 1:
        name = "   ";
        break;
      case 2:
        website = "http://localhost:8080";
        break;
      default:
        apollo = `${apollo} x`;
    }
  }
  return [
    name,
    name,
    pick(STAGES, i, 12),
    String(5 + Math.floor(rand(i, 13) * 5000)),
    pick(INDUSTRIES, i, 14),
    website,
    `http://www.linkedin.com/company/${c.domain.split(".")[0]}`,
    "Springfield",
    pick(STATES, i, 15),
    "United States",
    apollo,
    rand(i, 16) < 0.7 ? c.ein : "",
  ];
}

/** Writes a CSV of a header and n rows; returns the file's size in bytes. */
async function writeCsv(
  path: string,
  header: readonly string[],
  n: number,
  row: (i: number) => string[],
): Promise<number> {
  const out = createWriteStream(path, { encoding: "utf8" });
  let bytes = 0;
  const write = async (line: string) => {
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, "drain");
  };
  await write(`${header.map(csv).join(",")}\r\n`);
  let chunk = "";
  for (let i = 0; i < n; i++) {
    chunk += `${row(i).map(csv).join(",")}\r\n`;
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = "";
    }
  }
  if (chunk) await write(chunk);
  out.end();
  await once(out, "finish");
  return bytes;
}

/** Writes an export of n rows; returns the file's size in bytes. */
export function writeExport(path: string, n: number): Promise<number> {
  return writeCsv(path, HEADER, n, exportRow);
}

/** The companies an import of the first n rows should end with (k of every "new" row). */
export function* newCompanies(n: number): Generator<number> {
  for (let i = 0; i < n; i++) if (rowKind(i) === "new") yield i;
}

// ---------------------------------------------------------------------------
// Contacts: an Apollo.io-like contact export for the people import
// ---------------------------------------------------------------------------

export const CONTACT_HEADER = [
  "First Name",
  "Last Name",
  "Title",
  "Company",
  "Email",
  "Email Status",
  "Person Linkedin Url",
  "Website",
  "Apollo Contact Id",
  "Apollo Account Id",
];

// Titles by role: about 30% CEO, 25% CFO, 20% HR, 25% no slot (the title maps to none).
const CEO_TITLES = ["CEO", "Chief Executive Officer", "Co-Founder & CEO"];
const CFO_TITLES = ["CFO", "Chief Financial Officer", "Finance Director"];
const HR_TITLES = ["HR Director", "Head of People", "Human Resources Manager"];
const OTHER_TITLES = ["Sales Manager", "Software Engineer", "Account Executive", "Founder"];
const EMAIL_STATUSES = [
  "Verified",
  "Verified",
  "Guessed",
  "Unavailable",
  "Bounced",
  "Extrapolated",
];

export type ContactKind = "new" | "duplicate" | "bad" | "second";

/**
 * Contact row j: ~3% repeat an earlier contact's email (another spelling), ~2% are bad (no
 * usable email, or no name), ~2% are a second CEO of a company whose CEO came earlier (a slot
 * already taken); the rest are new people of company floor(j / 2) of the accounts export
 * (its name and canonical website), so a file of 2N contacts names the N companies of an
 * N-row account export (a few of which the account import rejected: the contact creates them).
 */
export function contactKind(j: number): ContactKind {
  const r = rand(j, 20);
  if (j > 10 && r < 0.03) return "duplicate";
  if (r < 0.05) return "bad";
  if (j > 10 && r < 0.07) return "second";
  return "new";
}

/** Contact j's fields. */
export function contactRow(j: number): string[] {
  const kind = contactKind(j);
  let i = j;
  if (kind === "duplicate") {
    i = Math.floor(rand(j, 21) * j);
    while (i > 0 && contactKind(i) !== "new") i--;
  }
  const k = Math.floor(i / 2);
  const c = company(k);
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  let first = cap(word(i, 22));
  const last = cap(word(i, 23));
  let email = `${first}.${last}${i.toString(36)}@${c.domain}`.toLowerCase();
  if (kind === "duplicate") email = ` ${email.toUpperCase()} `;
  const r = rand(i, 24);
  let title =
    r < 0.3
      ? pick(CEO_TITLES, i, 25)
      : r < 0.55
        ? pick(CFO_TITLES, i, 25)
        : r < 0.75
          ? pick(HR_TITLES, i, 25)
          : pick(OTHER_TITLES, i, 25);
  if (kind === "second") title = "CEO";
  if (kind === "bad") {
    if (rand(j, 26) < 0.5) email = `${first}.${last} at ${c.domain}`;
    else first = "";
  }
  return [
    first,
    kind === "bad" && first === "" ? "" : last,
    title,
    c.name,
    email,
    pick(EMAIL_STATUSES, i, 27),
    rand(i, 28) < 0.8 ? `https://www.linkedin.com/in/${first}-${last}-${i.toString(36)}` : "",
    c.domain,
    `6a${i.toString(16).padStart(22, "0")}`,
    c.apolloId,
  ];
}

/** Writes a contact export of n rows; returns the file's size in bytes. */
export function writeContacts(path: string, n: number): Promise<number> {
  return writeCsv(path, CONTACT_HEADER, n, contactRow);
}
