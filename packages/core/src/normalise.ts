/**
 * Normalisers: each turns user input into the one canonical form the database stores, or says in
 * a `PleError` (VALIDATION_FAILED, with `field` and `details.reason`) what is wrong with it. They
 * never throw; the `…OrThrow` variants throw that `PleError`.
 *
 * The SQL functions marketing.normalise_* implement the same steps and pass the same vector files
 * (see vectors/README.md), so each step here is kept simple enough to port to PL/pgSQL.
 */
import { err, ok, type Result, unwrap, validationError } from "./errors.js";
import { asciiLowerCase, domainToAscii, endsInNumber, isIpv4Address } from "./idna.js";

/** Characters read as whitespace: trimmed at the ends and, inside names, collapsed to one space. */
export const WHITESPACE_CHARS =
  "\t\n\u000b\f\r \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff";
/** C0 controls other than whitespace, DEL, C1 controls and bidirectional embedding/override/isolate marks. */
export const CONTROL_CHARS = "\u0000-\u0008\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069";

const IS_WHITESPACE = new RegExp(`^[${WHITESPACE_CHARS}]$`, "u");
const INNER_WHITESPACE = new RegExp(`[${WHITESPACE_CHARS}]+`, "gu");
const HAS_WHITESPACE = new RegExp(`[${WHITESPACE_CHARS}]`, "u");
const HAS_CONTROL = new RegExp(`[${CONTROL_CHARS}]`, "u");
const HAS_LONE_SURROGATE = /[\ud800-\udfff]/u;

export const MAX_LENGTHS = {
  website: 2048,
  email: 254,
  linkedin_url: 2048,
  ein: 64,
  company_name: 300,
  name: 300,
  title: 300,
} as const;

const COMMON_REASONS = [
  "invalid_type",
  "invalid_unicode",
  "empty",
  "control_characters",
  "too_long",
] as const;

/**
 * Every `details.reason` each normaliser can return (vectors/README.md says what each means).
 * The SQL functions raise the same words as the DETAIL of their errors.
 */
export const NORMALISER_REASONS = {
  website: [
    ...COMMON_REASONS,
    "email_not_website",
    "unsupported_scheme",
    "ip_address",
    "localhost",
    "no_dot",
    "invalid_host",
  ],
  email: [
    ...COMMON_REASONS,
    "display_name",
    "invalid_syntax",
    "invalid_local_part",
    "invalid_domain",
    "ip_address",
    "localhost",
    "no_dot",
  ],
  linkedin: [...COMMON_REASONS, "not_linkedin", "company_page", "not_profile", "invalid_handle"],
  ein: COMMON_REASONS,
  company_name: COMMON_REASONS,
  person_name: COMMON_REASONS,
} as const;

export type NormaliserReason = (typeof NORMALISER_REASONS)[keyof typeof NORMALISER_REASONS][number];

/** Trims the whitespace class at both ends (a loop: a `[ws]+$` regex is quadratic on long inner runs). */
function trimWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && IS_WHITESPACE.test(value.charAt(start))) start++;
  while (end > start && IS_WHITESPACE.test(value.charAt(end - 1))) end--;
  return value.slice(start, end);
}

function show(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function codePointLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

interface PrepareOptions {
  field: string;
  label: string;
  maxLength: number;
  nfc: boolean;
}

/** The checks every normaliser starts with: a string, no control characters, trimmed, not empty, not too long. */
function prepare(input: unknown, opts: PrepareOptions): Result<string> {
  const { field, label } = opts;
  if (typeof input !== "string") {
    return err(validationError(field, "invalid_type", `${label} must be a string`));
  }
  if (HAS_LONE_SURROGATE.test(input)) {
    return err(
      validationError(
        field,
        "invalid_unicode",
        `${label} contains broken Unicode (a lone surrogate)`,
      ),
    );
  }
  if (HAS_CONTROL.test(input)) {
    return err(
      validationError(field, "control_characters", `${label} contains control characters`),
    );
  }
  let value = trimWhitespace(input);
  if (opts.nfc) value = value.normalize("NFC");
  if (value.length === 0) {
    return err(validationError(field, "empty", `${label} is empty`));
  }
  if (codePointLength(value) > opts.maxLength) {
    return err(tooLong(opts));
  }
  return ok(value);
}

function tooLong(opts: PrepareOptions) {
  return validationError(
    opts.field,
    "too_long",
    `${opts.label} is longer than ${opts.maxLength} characters`,
    { max_length: opts.maxLength },
  );
}

// ── hosts (websites and email domains) ────────────────────────────────────────────────────────

type HostReason = "ip_address" | "localhost" | "no_dot" | "invalid_host";
type HostResult = { ok: true; host: string } | { ok: false; reason: HostReason; why: string };

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
// ASCII other than letters, digits, dots and hyphens: never part of a domain we store.
const ASCII_NOT_LDH = /[^A-Za-z0-9.\-\u0080-\u{10ffff}]/u;

/**
 * A host as the URL Standard reads it (UTS #46 domain-to-ASCII, see idna.ts), then the product's
 * own stricter rules: no IP address in any spelling, no `localhost`, at least one dot, and DNS
 * labels of letters, digits and inner hyphens. One trailing dot is dropped.
 */
function normaliseHost(rawHost: string): HostResult {
  if (ASCII_NOT_LDH.test(rawHost)) {
    return {
      ok: false,
      reason: "invalid_host",
      why: `the host ${show(rawHost)} contains characters a domain cannot have`,
    };
  }
  const ascii = domainToAscii(rawHost);
  if (ascii === null) {
    return {
      ok: false,
      reason: "invalid_host",
      why: `the host ${show(rawHost)} is not a valid domain name (UTS #46)`,
    };
  }
  const host = ascii.endsWith(".") ? ascii.slice(0, -1) : ascii;
  if (host.length === 0) return { ok: false, reason: "invalid_host", why: "there is no host name" };
  if (endsInNumber(host)) {
    return isIpv4Address(host)
      ? { ok: false, reason: "ip_address", why: `${show(host)} is an IP address, not a domain` }
      : {
          ok: false,
          reason: "invalid_host",
          why: `${show(host)} ends in a number, so it is not a domain`,
        };
  }
  if (host === "localhost" || host.endsWith(".localhost")) {
    return {
      ok: false,
      reason: "localhost",
      why: `${show(host)} is a local host name, not a public domain`,
    };
  }
  const labels = host.split(".");
  if (labels.length < 2) {
    return {
      ok: false,
      reason: "no_dot",
      why: `${show(host)} has no dot, so it is not a domain (e.g. example.com)`,
    };
  }
  if (host.length > 253 || labels.some((label) => label.length > 63 || !LABEL.test(label))) {
    return { ok: false, reason: "invalid_host", why: `${show(host)} is not a valid domain name` };
  }
  return { ok: true, host };
}

// ── website ─────────────────────────────────────────────────────────────────────────────────

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const AUTHORITY_END = /[/?#\\]/;

/**
 * A website as its canonical domain: lower-case host without scheme, `www.`, port, path, query,
 * fragment or trailing dot; IDN as punycode. `https://WWW.Bücher.de:443/shop?x#y` → `xn--bcher-kva.de`.
 */
export function normaliseWebsite(input: string): Result<string> {
  const field = "website";
  const prepared = prepare(input, {
    field,
    label: "The website",
    maxLength: MAX_LENGTHS.website,
    nfc: false,
  });
  if (!prepared.ok) return prepared;
  const value = prepared.value;
  const fail = (reason: string, why: string) =>
    err<string>(validationError(field, reason, `The website ${show(value)} is not usable: ${why}`));

  if (/^mailto:/i.test(value)) return fail("email_not_website", "it is an email address");
  let rest = value;
  const scheme = SCHEME.exec(value);
  if (scheme) {
    const name = asciiLowerCase(scheme[1] ?? "");
    if (name !== "http" && name !== "https") {
      return fail("unsupported_scheme", `only http and https websites are accepted, not ${name}:`);
    }
    rest = value.slice(scheme[0].length);
  } else if (rest.startsWith("//")) {
    rest = rest.slice(2);
  }
  const end = rest.search(AUTHORITY_END);
  let authority = end === -1 ? rest : rest.slice(0, end);
  if (authority.includes("@")) {
    return scheme
      ? fail("invalid_host", "it contains user credentials before the host")
      : fail("email_not_website", "it is an email address");
  }
  if (authority.startsWith("[")) return fail("ip_address", "it is an IPv6 address, not a domain");
  authority = authority.replace(/:[0-9]*$/, "");
  if (authority.includes(":")) return fail("invalid_host", "it has a malformed port or host");
  if (HAS_WHITESPACE.test(authority)) return fail("invalid_host", "the host contains spaces");

  const host = normaliseHost(authority);
  if (!host.ok) return fail(host.reason, host.why);
  let domain = host.host;
  // "www.com" is itself a domain, so only a www. that leaves a dotted name behind is dropped.
  while (domain.startsWith("www.") && domain.indexOf(".", 4) !== -1) domain = domain.slice(4);
  return ok(domain);
}

// ── email ──────────────────────────────────────────────────────────────────────────────────────

const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** An email address: trimmed, lower-case, one `@`, an ASCII dot-atom local part and a dotted domain (IDN → punycode). */
export function normaliseEmail(input: string): Result<string> {
  const field = "email";
  const prepared = prepare(input, {
    field,
    label: "The email",
    maxLength: MAX_LENGTHS.email,
    nfc: false,
  });
  if (!prepared.ok) return prepared;
  const value = prepared.value;
  const fail = (reason: string, why: string) =>
    err<string>(validationError(field, reason, `The email ${show(value)} is not valid: ${why}`));

  if (/[<>]/.test(value)) {
    return fail(
      "display_name",
      "give the bare address (name@example.com), without a display name or <>",
    );
  }
  if (HAS_WHITESPACE.test(value)) return fail("invalid_syntax", "it contains spaces");
  const parts = value.split("@");
  if (parts.length !== 2) return fail("invalid_syntax", "it must contain exactly one @");
  // ASCII-only lower-casing: "\u212a" (Kelvin sign) must not turn into "k" on one side only.
  const local = asciiLowerCase(parts[0] ?? "");
  const domainPart = parts[1] ?? "";
  if (local.length === 0) return fail("invalid_local_part", "nothing comes before the @");
  if (local.length > 64 || !LOCAL_PART.test(local)) {
    return fail(
      "invalid_local_part",
      "the part before the @ must be at most 64 ASCII letters, digits, dots (not leading, trailing or doubled) or !#$%&'*+/=?^_`{|}~-",
    );
  }
  if (domainPart.length === 0) return fail("invalid_domain", "nothing comes after the @");
  if (domainPart.startsWith("[")) return fail("ip_address", "the domain is an IP address literal");
  const host = normaliseHost(domainPart);
  if (!host.ok)
    return fail(host.reason === "invalid_host" ? "invalid_domain" : host.reason, host.why);
  const address = `${local}@${host.host}`;
  if (address.length > MAX_LENGTHS.email) {
    return err(
      validationError(
        field,
        "too_long",
        `The email ${show(value)} is longer than ${MAX_LENGTHS.email} characters as an ASCII address (RFC 5321)`,
        { max_length: MAX_LENGTHS.email },
      ),
    );
  }
  return ok(address);
}

// ── LinkedIn ───────────────────────────────────────────────────────────────────────────────────

const LINKEDIN_PREFIX = "https://www.linkedin.com/in/";
const ORGANISATION_PATHS = new Set(["company", "school", "showcase"]);
const HANDLE_CHARS = new RegExp(
  `^(?:[a-z0-9_-]|(?![${WHITESPACE_CHARS}${CONTROL_CHARS}])[^\\u0000-\\u007f])+$`,
  "u",
);

/**
 * A LinkedIn profile as `https://www.linkedin.com/in/<handle>`: any scheme, subdomain (www, m,
 * country), port, trailing path, query or fragment; the handle lower-case (NFC), non-ASCII
 * characters percent-encoded as UTF-8.
 */
export function normaliseLinkedinUrl(input: string): Result<string> {
  const field = "linkedin_url";
  const prepared = prepare(input, {
    field,
    label: "The LinkedIn URL",
    maxLength: MAX_LENGTHS.linkedin_url,
    nfc: true,
  });
  if (!prepared.ok) return prepared;
  const value = prepared.value;
  const fail = (reason: string, why: string) =>
    err<string>(
      validationError(field, reason, `The LinkedIn URL ${show(value)} is not usable: ${why}`),
    );
  const notLinkedin = () => fail("not_linkedin", "it is not a linkedin.com address");

  let rest = value;
  const scheme = SCHEME.exec(value);
  if (scheme) {
    const name = (scheme[1] ?? "").toLowerCase();
    if (name !== "http" && name !== "https") return notLinkedin();
    rest = value.slice(scheme[0].length);
  } else if (rest.startsWith("//")) {
    rest = rest.slice(2);
  }
  const end = rest.search(AUTHORITY_END);
  const authority = end === -1 ? rest : rest.slice(0, end);
  let host = authority.toLowerCase().replace(/:[0-9]*$/, "");
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host !== "linkedin.com" && !/^(?:[a-z0-9-]+\.)+linkedin\.com$/.test(host))
    return notLinkedin();

  const afterAuthority = end === -1 ? "" : rest.slice(end);
  const pathEnd = afterAuthority.search(/[?#]/);
  const path = pathEnd === -1 ? afterAuthority : afterAuthority.slice(0, pathEnd);
  const segments = path.split("/").filter((segment) => segment.length > 0);
  const first = (segments[0] ?? "").toLowerCase();
  if (ORGANISATION_PATHS.has(first)) {
    return fail("company_page", "it is a company, school or showcase page, not a person's profile");
  }
  const rawHandle = segments[1];
  if (first !== "in" || rawHandle === undefined) {
    return fail("not_profile", "a profile address looks like linkedin.com/in/<handle>");
  }
  let handle: string;
  try {
    handle = decodeURIComponent(rawHandle);
  } catch {
    return fail("invalid_handle", "the handle has broken percent-encoding");
  }
  handle = handle.normalize("NFC").toLowerCase();
  const length = codePointLength(handle);
  if (!HANDLE_CHARS.test(handle) || length < 3 || length > 100) {
    return fail(
      "invalid_handle",
      "the handle must be 3–100 letters, digits, hyphens or underscores",
    );
  }
  return ok(LINKEDIN_PREFIX + encodeURIComponent(handle));
}

// ── EIN ────────────────────────────────────────────────────────────────────────────────────────

/** IRS campus prefixes ever assigned (SPEC "Reference facts"). */
export const VALID_EIN_PREFIXES: ReadonlySet<string> = new Set(
  [
    [1, 6],
    [10, 16],
    [20, 27],
    [30, 39],
    [40, 48],
    [50, 68],
    [71, 77],
    [80, 88],
    [90, 95],
    [98, 99],
  ].flatMap(([from = 0, to = 0]) =>
    Array.from({ length: to - from + 1 }, (_, i) => String(from + i).padStart(2, "0")),
  ),
);

export interface NormalisedEin {
  /** The input, trimmed — what the database keeps, never rewritten. */
  raw: string;
  /** `NN-NNNNNNN` when the input is `NN-NNNNNNN` or nine digits, else null. */
  normalised: string | null;
  /** True when the shape is right and the prefix is an IRS-assigned one. */
  valid: boolean;
}

/**
 * An EIN, judged but not rewritten: junk is kept (valid=false). Fails only for input that cannot be
 * stored at all: empty, control characters (PostgreSQL text cannot even hold NUL), over 64 characters.
 */
export function normaliseEin(input: string): Result<NormalisedEin> {
  const prepared = prepare(input, {
    field: "ein",
    label: "The EIN",
    maxLength: MAX_LENGTHS.ein,
    nfc: false,
  });
  if (!prepared.ok) return prepared;
  const raw = prepared.value;
  const match = /^([0-9]{2})-?([0-9]{7})$/.exec(raw);
  if (!match) return ok({ raw, normalised: null, valid: false });
  const prefix = match[1] ?? "";
  return ok({
    raw,
    normalised: `${prefix}-${match[2] ?? ""}`,
    valid: VALID_EIN_PREFIXES.has(prefix),
  });
}

// ── names and other free text ─────────────────────────────────────────────────────────────────

/**
 * Free text such as a name or a job title: NFC, trimmed, inner whitespace collapsed to one space;
 * rejects empty text, control characters and text over `maxLength` characters.
 */
export function normaliseText(
  input: string,
  field: string,
  label: string,
  maxLength: number,
): Result<string> {
  const prepared = prepare(input, { field, label, maxLength, nfc: true });
  if (!prepared.ok) return prepared;
  return ok(prepared.value.replace(INNER_WHITESPACE, " "));
}

export function normaliseCompanyName(input: string): Result<string> {
  return normaliseText(input, "company_name", "The company name", MAX_LENGTHS.company_name);
}

export function normalisePersonName(input: string): Result<string> {
  return normaliseText(input, "name", "The name", MAX_LENGTHS.name);
}

// ── throwing variants ─────────────────────────────────────────────────────────────────────────

export const normaliseWebsiteOrThrow = (input: string): string => unwrap(normaliseWebsite(input));
export const normaliseEmailOrThrow = (input: string): string => unwrap(normaliseEmail(input));
export const normaliseLinkedinUrlOrThrow = (input: string): string =>
  unwrap(normaliseLinkedinUrl(input));
export const normaliseEinOrThrow = (input: string): NormalisedEin => unwrap(normaliseEin(input));
export const normaliseCompanyNameOrThrow = (input: string): string =>
  unwrap(normaliseCompanyName(input));
export const normalisePersonNameOrThrow = (input: string): string =>
  unwrap(normalisePersonName(input));
