/**
 * The IDNA definition of core: tr46's tables with NFC from nfc.ts, pinned to one Unicode version,
 * and hosts that never depend on the runtime's URL, Intl, normalize or toLowerCase.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import fc from "fast-check";
import tr46 from "tr46";
import { describe, expect, it } from "vitest";
import {
  domainToAscii,
  IDNA_UNICODE_VERSION,
  isIpv4Address,
  NFC_UNICODE_VERSION,
  nfc,
  normaliseEmail,
  normaliseWebsite,
} from "../src/index.js";

const require = createRequire(import.meta.url);
// The runtime's ICU: only a runtime of the pinned Unicode version can judge the pinned data.
const runtimeHasPinnedUnicode = `${process.versions.unicode}.0` === IDNA_UNICODE_VERSION;

const URL_OPTIONS = {
  checkHyphens: false,
  checkBidi: true,
  checkJoiners: true,
  useSTD3ASCIIRules: false,
  transitionalProcessing: false,
  verifyDNSLength: false,
  ignoreInvalidPunycode: false,
} as const;

const SAMPLE_HOSTS = [
  "example.com",
  "Bücher。de",
  "ＥＸＡＭＰＬＥ．ｃｏｍ",
  "faß.de",
  "İstanbul.com.tr",
  "ΣΊΣΥΦΟΣ.gr",
  "क्‍ष.in",
  "a\u200db.com",
  "العربية.com",
  "xn--bcher-kva.de",
  "xn--a.com",
  "soft\u00adhyphen.com",
  "0x7f.1",
  "한국.kr",
  "한국.kr",
  "ǖ.com",
  "u\u0308\u0304.com",
];

describe("pinned IDNA definition", () => {
  it("uses tr46 6.0.0 (UTS #46 tables of Unicode 17.0) and NFC data of the same version", () => {
    expect(require("tr46/package.json").version).toBe("6.0.0");
    expect(require("punycode/package.json").version).toBe("2.3.1");
    expect(IDNA_UNICODE_VERSION).toBe("17.0.0");
    expect(NFC_UNICODE_VERSION).toBe(IDNA_UNICODE_VERSION);
  });

  it.runIf(runtimeHasPinnedUnicode)(
    "has the NFC data scripts/generate-nfc-data.mjs derives (runtime of Unicode 17.0)",
    () => {
      const script = new URL("../scripts/generate-nfc-data.mjs", import.meta.url).pathname;
      expect(() =>
        execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" }),
      ).not.toThrow();
    },
  );

  it.runIf(runtimeHasPinnedUnicode)(
    "nfc equals the runtime's NFC on every code point, alone and before a combining mark",
    () => {
      const wrong: string[] = [];
      for (let cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const s = String.fromCodePoint(cp);
        for (const t of [s, `${s}\u0301`, `${s}\u0323\u0302`, `\u1100${s}`]) {
          if (nfc(t) !== t.normalize("NFC")) wrong.push(cp.toString(16));
        }
      }
      expect(wrong).toEqual([]);
    },
    120_000,
  );

  it.runIf(runtimeHasPinnedUnicode)(
    "domainToAscii is tr46.toASCII with the URL Standard's options",
    () => {
      const pieces = fc.constantFrom(
        "a",
        "B",
        "0",
        "-",
        ".",
        "xn--",
        "ß",
        "ς",
        "Σ",
        "İ",
        "é",
        "e\u0301",
        "\u0301",
        "\u094d",
        "\u0915",
        "\u200c",
        "\u200d",
        "\u0627",
        "\u0644",
        "\u05d0",
        "1",
        "\u0661",
        "\u06f1",
        "。",
        "．",
        "\u00ad",
        "ｆ",
        "\u1100",
        "\u1161",
        "\u11a8",
        "한",
        "\u3099",
        "\u304b",
        "\ud83d\ude00",
        "xn--bcher-kva",
        "xn--ls8h",
        "\u2488",
        "\ufb01",
        "_",
        "%",
      );
      fc.assert(
        fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
          const host = parts.join("");
          const expected = tr46.toASCII(host, URL_OPTIONS);
          expect(domainToAscii(host)).toBe(expected === "" ? null : expected);
        }),
        { numRuns: 5000 },
      );
      for (const host of SAMPLE_HOSTS) {
        const expected = tr46.toASCII(host, URL_OPTIONS);
        expect(domainToAscii(host)).toBe(expected === "" ? null : expected);
      }
    },
  );

  it("gives the same keys with the runtime's URL, Intl, normalize and case mapping taken away", () => {
    const inputs = [
      ...SAMPLE_HOSTS.map((host) => `https://${host}/x`),
      ...SAMPLE_HOSTS.map((host) => `Jane@${host}`),
    ];
    const run = () =>
      inputs.map((input) => {
        const result = input.startsWith("Jane@") ? normaliseEmail(input) : normaliseWebsite(input);
        return result.ok ? result.value : result.error.details?.reason;
      });
    const before = run();
    const proto = String.prototype as unknown as Record<string, unknown>;
    const global = globalThis as unknown as Record<string, unknown>;
    const saved = {
      URL: global.URL,
      Intl: global.Intl,
      normalize: proto.normalize,
      toLowerCase: proto.toLowerCase,
      toLocaleLowerCase: proto.toLocaleLowerCase,
      toUpperCase: proto.toUpperCase,
    };
    const refuse = () => {
      throw new Error("the host path must not call the runtime's Unicode tables");
    };
    let after: unknown[];
    try {
      global.URL = undefined;
      global.Intl = undefined;
      proto.normalize = refuse;
      proto.toLowerCase = refuse;
      proto.toLocaleLowerCase = refuse;
      proto.toUpperCase = refuse;
      after = run();
    } finally {
      global.URL = saved.URL;
      global.Intl = saved.Intl;
      proto.normalize = saved.normalize;
      proto.toLowerCase = saved.toLowerCase;
      proto.toLocaleLowerCase = saved.toLocaleLowerCase;
      proto.toUpperCase = saved.toUpperCase;
    }
    expect(after).toEqual(before);
    expect(before).toContain("xn--bcher-kva.de");
  });
});

describe("IPv4 as the URL Standard parses it", () => {
  it.each([
    ["192.168.0.1", true],
    ["192.0x00A80001", true],
    ["0x.0x.0x.0x", true],
    ["0300.0250.0.1", true],
    ["3232235521", true],
    ["127.1", true],
    ["4294967295", true],
    ["4294967296", false],
    ["256.0.0.1", false],
    ["1.2.3.4.5", false],
    ["example.123", false],
    ["09.1", false],
    ["1.2.3.4.", true],
  ])("%s → %s", (host, expected) => {
    expect(isIpv4Address(host)).toBe(expected);
  });
});
