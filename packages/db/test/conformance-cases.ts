/**
 * The public conformance suites of ../shared/conformance (see its README) as normaliser cases:
 * each input as the website or email a user could give, with what the suite says about it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const CONFORMANCE_DIR = resolve(import.meta.dirname, "../../../../shared/conformance");

export interface ConformanceCase {
  suite: string;
  /** Where in the suite: index or id. */
  at: string;
  kind: "website" | "email";
  input: string;
  /** The suite marks the input invalid: the normaliser must refuse it. */
  invalid: boolean;
  /** The host the suite expects (ASCII), when it gives one and the input is valid. */
  host?: string;
  /** For PSL cases: the registrable domain the suite expects, a suffix of an accepted key. */
  registrable?: string;
}

function readJson(file: string): unknown[] {
  return JSON.parse(readFileSync(join(CONFORMANCE_DIR, file), "utf8")) as unknown[];
}

function hostCases(file: string): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  readJson(file).forEach((entry, i) => {
    if (typeof entry !== "object" || entry === null) return;
    const { input, output } = entry as { input: string; output: string | null };
    // The web-platform-tests harness reads each host as new URL(`https://${input}/x`).
    cases.push({
      suite: file,
      at: String(i),
      kind: "website",
      input: `https://${input}/x`,
      invalid: output === null,
      ...(output === null ? {} : { host: output }),
    });
  });
  return cases;
}

function urlCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  readJson("urltestdata-http.json").forEach((entry, i) => {
    if (typeof entry !== "object" || entry === null) return;
    const test = entry as { input: string; failure?: boolean; hostname?: string };
    cases.push({
      suite: "urltestdata-http.json",
      at: String(i),
      kind: "website",
      input: test.input,
      invalid: test.failure === true,
      ...(test.failure === true || test.hostname === undefined ? {} : { host: test.hostname }),
    });
  });
  return cases;
}

function xmlText(raw: string): string {
  return raw
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) =>
      String.fromCodePoint(Number.parseInt(hex, 16)),
    )
    .replace(/&#([0-9]+);/g, (_, dec: string) => String.fromCodePoint(Number.parseInt(dec, 10)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

function isemailCases(): ConformanceCase[] {
  const xml = readFileSync(join(CONFORMANCE_DIR, "isemail-tests.xml"), "utf8");
  const cases: ConformanceCase[] = [];
  for (const [, id, body] of xml.matchAll(/<test id="([^"]+)">([\s\S]*?)<\/test>/g)) {
    const address = /<address>([\s\S]*?)<\/address>/.exec(body ?? "")?.[1] ?? "";
    const category = /<category>([^<]*)<\/category>/.exec(body ?? "")?.[1] ?? "";
    // The isemail suite writes control characters as their Control Pictures (U+2400 block).
    const input = xmlText(address).replace(/[\u2400-\u241f]/g, (c) =>
      String.fromCharCode((c.codePointAt(0) ?? 0) - 0x2400),
    );
    cases.push({
      suite: "isemail-tests.xml",
      at: id ?? "",
      kind: "email",
      input,
      // ERR: invalid under the RFCs; RFC5322: valid only as a message header, not as an SMTP address.
      invalid: category === "ISEMAIL_ERR" || category === "ISEMAIL_RFC5322",
    });
  }
  return cases;
}

function pslCases(): ConformanceCase[] {
  const text = readFileSync(join(CONFORMANCE_DIR, "test_psl.txt"), "utf8");
  const cases: ConformanceCase[] = [];
  const literal = "(null|'[^']*')";
  for (const [, input, registrable] of text.matchAll(
    new RegExp(`checkPublicSuffix\\(${literal}, ${literal}\\);`, "g"),
  )) {
    if (input === undefined || input === "null") continue;
    const domain = input.slice(1, -1);
    cases.push({
      suite: "test_psl.txt",
      at: domain,
      kind: "website",
      input: domain,
      // A leading dot is an empty label: no host name a registry could hold.
      invalid: domain.startsWith("."),
      ...(registrable === undefined || registrable === "null"
        ? {}
        : { registrable: registrable.slice(1, -1) }),
    });
  }
  return cases;
}

function punycodeCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  readJson("punycode_tests.json").forEach((entry, i) => {
    const { decoded, encoded } = entry as { decoded: string; encoded: string };
    cases.push(
      {
        suite: "punycode_tests.json",
        at: `${i} decoded`,
        kind: "website",
        input: `${decoded}.com`,
        invalid: false,
      },
      {
        suite: "punycode_tests.json",
        at: `${i} encoded`,
        kind: "website",
        input: `xn--${encoded}.com`,
        invalid: false,
      },
    );
  });
  return cases;
}

/** Every case of every suite; throws when ../shared/conformance is missing. */
export function conformanceCases(): ConformanceCase[] {
  if (!existsSync(CONFORMANCE_DIR)) throw new Error(`no conformance data at ${CONFORMANCE_DIR}`);
  return [
    ...hostCases("toascii.json"),
    ...hostCases("IdnaTestV2.json"),
    ...urlCases(),
    ...isemailCases(),
    ...pslCases(),
    ...punycodeCases(),
  ];
}

export interface PunycodeSample {
  decoded: string;
  encoded: string;
}

export function punycodeSamples(): PunycodeSample[] {
  return readJson("punycode_tests.json") as PunycodeSample[];
}
