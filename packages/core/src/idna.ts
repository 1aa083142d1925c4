/**
 * Host names as the WHATWG URL Standard reads them: UTS #46 domain-to-ASCII with the URL
 * Standard's options, and its "ends in a number" / IPv4 rules. The mapping table and the regular
 * expressions of the joiner and bidi checks are tr46's own (pinned, see IDNA_UNICODE_VERSION) and
 * NFC is nfc.ts: never the runtime's `URL`, `Intl`, `normalize` or `toLowerCase`, so a Node.js
 * upgrade cannot change a canonical key. `marketing.idna_to_ascii` in @ple/db runs the same steps
 * on the same data, generated into migration 009.
 */
/// <reference path="./vendor.d.ts" />
import punycode from "punycode/punycode.js";
import mappingTable from "tr46/lib/mappingTable.json" with { type: "json" };
import regexes from "tr46/lib/regexes.js";
import { nfc } from "./nfc.js";

/** The Unicode version of the pinned tr46 tables (IdnaMappingTable.txt of that version). */
export const IDNA_UNICODE_VERSION = "17.0.0";

const NON_ASCII = /[\u0080-\u{10ffff}]/u;
const ACE_LABEL = /(?:^|\.)xn--/i;

/** ASCII upper case to lower case and nothing else: no locale, no engine tables. */
export function asciiLowerCase(value: string): string {
  return value.replace(/[A-Z]+/g, (upper) =>
    String.fromCharCode(...Array.from(upper, (c) => c.charCodeAt(0) + 32)),
  );
}

// tr46's status numbers (lib/statusMapping.js).
const MAPPED = 1;
const VALID = 2;
const DEVIATION = 6;
const IGNORED = 7;

type TableRow = readonly [number | readonly [number, number], number, string?];
const TABLE = mappingTable as unknown as readonly TableRow[];

/** The UTS #46 status and mapping of a code point, by binary search of tr46's table. */
export function idnaStatus(cp: number): { status: number; mapping: string | undefined } {
  let low = 0;
  let high = TABLE.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const row = TABLE[mid];
    if (row === undefined) break;
    const [range, status, mapping] = row;
    const [min, max] = typeof range === "number" ? [range, range] : range;
    if (cp < min) high = mid - 1;
    else if (cp > max) low = mid + 1;
    else return { status, mapping };
  }
  return { status: 3, mapping: undefined };
}

function decodePunycode(label: string): string | null {
  try {
    return punycode.decode(label);
  } catch {
    return null;
  }
}

function isBidiDomain(labels: readonly string[]): boolean {
  const domain = labels
    .map((label) => (label.startsWith("xn--") ? (decodePunycode(label.slice(4)) ?? "") : label))
    .join(".");
  return regexes.bidiDomain.test(domain);
}

/** UTS #46 section 4.1 "Validity Criteria", non-transitional, CheckHyphens=false, CheckJoiners, CheckBidi. */
function isValidLabel(label: string, bidi: boolean): boolean {
  if (label.length === 0) return true;
  if (nfc(label) !== label) return false;
  const chars = Array.from(label);
  if (label.startsWith("xn--")) return false;
  if (label.includes(".")) return false;
  if (regexes.combiningMarks.test(chars[0] ?? "")) return false;
  for (const ch of chars) {
    const { status } = idnaStatus(ch.codePointAt(0) ?? 0);
    if (status !== VALID && status !== DEVIATION) return false;
  }
  // ContextJ (RFC 5892 appendix A): ZWJ/ZWNJ after a virama, or ZWNJ between joining letters.
  let last = 0;
  for (const [i, ch] of chars.entries()) {
    if (ch !== "\u200c" && ch !== "\u200d") continue;
    if (i > 0) {
      if (regexes.combiningClassVirama.test(chars[i - 1] ?? "")) continue;
      if (ch === "\u200c") {
        const next = chars.indexOf("\u200c", i + 1);
        const around = next < 0 ? chars.slice(last) : chars.slice(last, next);
        if (regexes.validZWNJ.test(around.join(""))) {
          last = i + 1;
          continue;
        }
      }
    }
    return false;
  }
  // The Bidi Rule (RFC 5893 section 2), for every label of a domain that has right-to-left text.
  if (bidi) {
    const first = chars[0] ?? "";
    if (regexes.bidiS1LTR.test(first)) {
      if (!regexes.bidiS5.test(label) || !regexes.bidiS6.test(label)) return false;
    } else if (regexes.bidiS1RTL.test(first)) {
      if (!regexes.bidiS2.test(label) || !regexes.bidiS3.test(label)) return false;
      if (regexes.bidiS4EN.test(label) && regexes.bidiS4AN.test(label)) return false;
    } else {
      return false;
    }
  }
  return true;
}

/**
 * UTS #46 ToASCII as the URL Standard's "domain to ASCII" calls it (not strict):
 * CheckHyphens=false, CheckBidi=true, CheckJoiners=true, UseSTD3ASCIIRules=false,
 * Transitional_Processing=false, VerifyDnsLength=false, invalid punycode an error.
 * Returns null where the standard returns failure (including an empty result).
 *
 * The steps are tr46's `toASCII` with those options, on tr46's tables, except that NFC comes
 * from nfc.ts instead of the runtime. A host of ASCII letters, digits, dots and hyphens without
 * an `xn--` label only needs lower-casing, so it skips the tables.
 */
export function domainToAscii(domain: string): string | null {
  if (!NON_ASCII.test(domain) && !ACE_LABEL.test(domain) && /^[A-Za-z0-9.-]*$/.test(domain)) {
    return domain === "" ? null : asciiLowerCase(domain);
  }
  let mapped = "";
  for (const ch of domain) {
    const { status, mapping } = idnaStatus(ch.codePointAt(0) ?? 0);
    if (status === MAPPED) mapped += mapping ?? "";
    else if (status !== IGNORED) mapped += ch;
  }
  const labels = nfc(mapped).split(".");
  const bidi = isBidiDomain(labels);
  let error = false;
  for (const [i, original] of labels.entries()) {
    let label = original;
    if (label.startsWith("xn--")) {
      const decoded = NON_ASCII.test(label) ? null : decodePunycode(label.slice(4));
      if (decoded === null) {
        error = true;
        continue;
      }
      label = decoded;
      labels[i] = label;
      if (label === "" || !NON_ASCII.test(label)) error = true;
    }
    if (!error && !isValidLabel(label, bidi)) error = true;
  }
  if (error) return null;
  let ascii: string;
  try {
    ascii = labels
      .map((label) => (NON_ASCII.test(label) ? `xn--${punycode.encode(label)}` : label))
      .join(".");
  } catch {
    return null;
  }
  return ascii === "" ? null : ascii;
}

/** The URL Standard's "ends in a number": its last label (one trailing empty label ignored) is a number. */
export function endsInNumber(host: string): boolean {
  const labels = host.split(".");
  if (labels[labels.length - 1] === "") {
    if (labels.length === 1) return false;
    labels.pop();
  }
  const last = labels[labels.length - 1] ?? "";
  return /^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/i.test(last);
}

function ipv4Number(part: string): number | null {
  if (part === "") return null;
  let digits = part;
  let radix = 10;
  if (/^0x/i.test(digits)) {
    digits = digits.slice(2);
    radix = 16;
    if (digits === "") return 0;
    if (!/^[0-9a-f]+$/i.test(digits)) return null;
  } else if (digits.length > 1 && digits.startsWith("0")) {
    digits = digits.slice(1);
    radix = 8;
    if (!/^[0-7]+$/.test(digits)) return null;
  } else if (!/^[0-9]+$/.test(digits)) {
    return null;
  }
  // Precision is lost only far above 2^32, where every comparison below still holds.
  return Number.parseInt(digits, radix);
}

/**
 * The URL Standard's IPv4 parser, for a host that ends in a number: true when it is an IPv4
 * address in any of the standard's spellings (`192.168.0.1`, `0xC0.0250.1`, `3232235521`,
 * `127.1`); false when the standard would fail it (`example.123`, `1.2.3.4.5`, `256.0.0.1`).
 */
export function isIpv4Address(host: string): boolean {
  const parts = host.split(".");
  if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
  if (parts.length > 4) return false;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = ipv4Number(part);
    if (n === null) return false;
    numbers.push(n);
  }
  const last = numbers.pop() ?? 0;
  if (numbers.some((n) => n > 255)) return false;
  return last < 256 ** (5 - parts.length);
}
