/**
 * fast-check properties: normalisers are idempotent, UIDs round-trip, and no input of any shape
 * makes a core function throw anything but a PleError.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatCompanyUid,
  formatPersonId,
  formatSlotUid,
  isPleError,
  mapVerifierResult,
  normaliseCompanyName,
  normaliseCompanyNameOrThrow,
  normaliseEin,
  normaliseEinOrThrow,
  normaliseEmail,
  normaliseEmailOrThrow,
  normaliseLinkedinUrl,
  normaliseLinkedinUrlOrThrow,
  normalisePersonName,
  normalisePersonNameOrThrow,
  normaliseWebsite,
  normaliseWebsiteOrThrow,
  parseCompanyUid,
  parsePersonId,
  parseSlotUid,
  parseUid,
  type Result,
  ROLES,
  roleFromTitle,
  SLOT_EVENTS,
  SLOT_STATUSES,
  SLOT_TRANSITIONS,
  transition,
  uidDayFromDate,
  VALID_EIN_PREFIXES,
  VALIDATION_STATUSES,
  VALIDATION_TRANSITIONS,
  validationTransition,
  WHITESPACE_CHARS,
} from "../src/index.js";

const RUNS = { numRuns: 300 };

/** Fragments that steer random strings towards the interesting corners of each normaliser. */
const FRAGMENTS = [
  " ",
  "\t",
  "\n",
  "\u00a0",
  "\u200b",
  "\u3000",
  "\ufeff",
  "\u0000",
  "\u0007",
  "\u007f",
  "\u0085",
  "\u202e",
  "\u0301",
  "@",
  "@@",
  ".",
  "..",
  "/",
  "//",
  ":",
  "://",
  "?",
  "#",
  "%",
  "%C3%A9",
  "%ZZ",
  "\\",
  "[",
  "]",
  "-",
  "_",
  "<",
  ">",
  '"',
  "'",
  "www.",
  "WWW.",
  "https://",
  "http://",
  "ftp://",
  "mailto:",
  "xn--",
  "localhost",
  "127.0.0.1",
  "example",
  "com",
  ".com",
  "linkedin.com",
  "/in/",
  "/company/",
  "john-doe",
  "ü",
  "É",
  "ß",
  "пример",
  "日本",
  "😀",
  "12",
  "-3456789",
  "123456789",
  "CO-",
  "PE-",
  "SL-",
  "20261126",
  "000001",
  "-CEO",
  "CEO",
  "CFO",
  "HR",
  "Chief",
  " of ",
  "Head",
  "Assistant",
  "to the",
  "VP",
  "Finance",
  "People",
];

const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(...FRAGMENTS), maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(...FRAGMENTS), minLength: 200, maxLength: 400 }),
);

const stringNormalisers: Record<string, (input: string) => Result<string>> = {
  normaliseWebsite,
  normaliseEmail,
  normaliseLinkedinUrl,
  normaliseCompanyName,
  normalisePersonName,
};

function expectOnlyPleErrors(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(isPleError(error), String(error)).toBe(true);
  }
}

describe("no input makes a core function throw anything but PleError", () => {
  it("normalisers return a Result and never throw", () => {
    fc.assert(
      fc.property(hostileString, (input) => {
        for (const normalise of [...Object.values(stringNormalisers), normaliseEin]) {
          const result = normalise(input);
          if (!result.ok) {
            expect(isPleError(result.error)).toBe(true);
            expect(result.error.code).toBe("VALIDATION_FAILED");
            expect(typeof result.error.details?.reason).toBe("string");
            expect(result.error.field).toBeTruthy();
          }
        }
      }),
      RUNS,
    );
  });

  it("…OrThrow helpers throw only PleError, and return what the Result holds", () => {
    const pairs = [
      [normaliseWebsite, normaliseWebsiteOrThrow],
      [normaliseEmail, normaliseEmailOrThrow],
      [normaliseLinkedinUrl, normaliseLinkedinUrlOrThrow],
      [normaliseCompanyName, normaliseCompanyNameOrThrow],
      [normalisePersonName, normalisePersonNameOrThrow],
      [normaliseEin, normaliseEinOrThrow],
    ] as const;
    fc.assert(
      fc.property(hostileString, (input) => {
        for (const [normalise, orThrow] of pairs) {
          const result: Result<unknown> = normalise(input);
          if (result.ok) expect(orThrow(input)).toEqual(result.value);
          else expect(() => orThrow(input)).toThrow(result.error.message);
          expectOnlyPleErrors(() => orThrow(input));
        }
      }),
      RUNS,
    );
  });

  it("UID parsers, roleFromTitle, mapVerifierResult and the state machines never throw", () => {
    fc.assert(
      fc.property(hostileString, hostileString, (a, b) => {
        for (const parse of [parseUid, parseCompanyUid, parsePersonId, parseSlotUid]) {
          const result = parse(a);
          if (!result.ok) expect(result.error.code).toBe("VALIDATION_FAILED");
        }
        const role = roleFromTitle(a);
        expect(role === null || ROLES.includes(role)).toBe(true);
        expect(VALIDATION_STATUSES).toContain(mapVerifierResult(a));
        // Callers in plain JS (or a bad cast) can pass any string: still a Result, never a throw.
        expect(transition(a as never, b as never).ok).toBe(false);
        expect(validationTransition(a as never, b as never).ok).toBe(false);
      }),
      RUNS,
    );
  });

  it("UID formatters throw only PleError for any day and counter", () => {
    fc.assert(
      fc.property(
        fc.oneof(hostileString, fc.date()),
        fc.oneof(fc.integer(), fc.double(), fc.constant(Number.NaN)),
        hostileString,
        (day, counter, role) => {
          expectOnlyPleErrors(() => formatCompanyUid(day, counter));
          expectOnlyPleErrors(() => formatPersonId(day, counter));
          expectOnlyPleErrors(() => formatSlotUid(day as never, role as never));
        },
      ),
      RUNS,
    );
  });
});

describe("normalising twice equals normalising once", () => {
  for (const [name, normalise] of Object.entries(stringNormalisers)) {
    it(name, () => {
      fc.assert(
        fc.property(hostileString, (input) => {
          const once = normalise(input);
          if (once.ok) expect(normalise(once.value)).toEqual(once);
        }),
        RUNS,
      );
    });
  }

  it("normaliseEin (of its raw and of its normalised form)", () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, fc.stringMatching(/^\s?\d{2}-?\d{7}\s?$/)), (input) => {
        const once = normaliseEin(input);
        if (!once.ok) return;
        expect(normaliseEin(once.value.raw)).toEqual(once);
        if (once.value.normalised !== null) {
          const again = normaliseEin(once.value.normalised);
          expect(again.ok && again.value.normalised).toBe(once.value.normalised);
          expect(again.ok && again.value.valid).toBe(once.value.valid);
        }
      }),
      RUNS,
    );
  });
});

/** Upper-cases the characters picked by `mask` (a cheap mixed-case generator). */
function mixCase(text: string, mask: boolean[]): string {
  return [...text]
    .map((c, i) => (mask[i % Math.max(mask.length, 1)] ? c.toUpperCase() : c))
    .join("");
}

const padding = fc.constantFrom("", " ", "\t", "\u00a0", " \n", "\ufeff");

describe("website variants collapse to one canonical domain", () => {
  it("scheme, www., case, port, path, query, fragment, trailing dot and spaces do not matter", () => {
    fc.assert(
      fc.property(
        fc.domain(),
        fc.constantFrom("", "http://", "https://", "HTTPS://", "//"),
        fc.constantFrom("", "www.", "WWW."),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.constantFrom("", ".", ":443", ".:8080", ":"),
        fc.constantFrom("", "/", "/about", "/a/b?x=1", "?q=1", "#frag", "/x#y"),
        padding,
        padding,
        (domain, scheme, www, mask, suffix, rest, before, after) => {
          const canonical = normaliseWebsite(domain);
          const variant = `${before}${scheme}${mixCase(www + domain, mask)}${suffix}${rest}${after}`;
          expect(normaliseWebsite(variant)).toEqual(canonical);
          if (canonical.ok) {
            expect(canonical.value).toMatch(/^[a-z0-9.-]+$/);
            expect(canonical.value.endsWith(".")).toBe(false);
          }
        },
      ),
      RUNS,
    );
  });

  it("accepts every generated public domain", () => {
    fc.assert(
      fc.property(fc.domain(), (domain) => {
        const result = normaliseWebsite(domain);
        expect(result.ok ? "ok" : result.error.message).toBe("ok");
      }),
      RUNS,
    );
  });
});

describe("email", () => {
  it("accepts generated addresses, lower-cased, whatever the case and padding", () => {
    fc.assert(
      fc.property(
        fc.emailAddress({ size: "small" }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        padding,
        padding,
        (email, mask, before, after) => {
          const result = normaliseEmail(`${before}${mixCase(email, mask)}${after}`);
          expect(result).toEqual({ ok: true, value: email.toLowerCase() });
        },
      ),
      RUNS,
    );
  });
});

describe("LinkedIn", () => {
  it("any scheme, subdomain, case, trailing path or query gives the /in/<handle> form", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9_-]{3,40}$/),
        fc.constantFrom("", "http://", "https://", "//"),
        fc.constantFrom("linkedin.com", "www.linkedin.com", "uk.linkedin.com", "m.linkedin.com"),
        fc.constantFrom("", "/", "/details/experience/", "?trk=x", "/#about", "/?a=1&b=2"),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        padding,
        (handle, scheme, host, rest, mask, pad) => {
          const url = `${pad}${scheme}${mixCase(`${host}/in/${handle}`, mask)}${rest}${pad}`;
          expect(normaliseLinkedinUrl(url)).toEqual({
            ok: true,
            value: `https://www.linkedin.com/in/${handle}`,
          });
        },
      ),
      RUNS,
    );
  });
});

describe("EIN", () => {
  it("nine digits, with or without the hyphen, are NN-NNNNNNN and valid exactly for IRS prefixes", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{9}$/), fc.boolean(), (digits, hyphen) => {
        const input = hyphen ? `${digits.slice(0, 2)}-${digits.slice(2)}` : digits;
        const result = normaliseEin(input);
        expect(result).toEqual({
          ok: true,
          value: {
            raw: input,
            normalised: `${digits.slice(0, 2)}-${digits.slice(2)}`,
            valid: VALID_EIN_PREFIXES.has(digits.slice(0, 2)),
          },
        });
      }),
      RUNS,
    );
  });

  it("keeps any other non-empty text raw and invalid", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 64 }), (input) => {
        const result = normaliseEin(input);
        if (result.ok && result.value.normalised === null) {
          expect(result.value.valid).toBe(false);
          expect(input).toContain(result.value.raw);
        }
      }),
      RUNS,
    );
  });
});

describe("names", () => {
  const whitespace = new RegExp(`[${WHITESPACE_CHARS}]`, "u");

  it("come out trimmed, NFC, with single inner spaces", () => {
    fc.assert(
      fc.property(hostileString, (input) => {
        for (const normalise of [normaliseCompanyName, normalisePersonName]) {
          const result = normalise(input);
          if (!result.ok) continue;
          const name = result.value;
          expect(name.length).toBeGreaterThan(0);
          expect(name).toBe(name.normalize("NFC"));
          expect(whitespace.test(name.charAt(0))).toBe(false);
          expect(whitespace.test(name.charAt(name.length - 1))).toBe(false);
          expect(name.replaceAll(" ", "")).not.toMatch(whitespace);
          expect(name).not.toContain("  ");
        }
      }),
      RUNS,
    );
  });
});

describe("UIDs round-trip", () => {
  const day = fc.date({
    min: new Date("0001-01-01T00:00:00.000Z"),
    max: new Date("9999-12-31T23:59:59.999Z"),
    noInvalidDate: true,
  });
  const counter = fc.integer({ min: 1, max: 999_999 });

  it("parseUid(formatCompanyUid(day, counter)) gives back day and counter", () => {
    fc.assert(
      fc.property(day, counter, (date, n) => {
        const uid = formatCompanyUid(date, n);
        const expected = { kind: "company", day: uidDayFromDate(date), counter: n };
        expect(parseUid(uid)).toEqual({ ok: true, value: expected });
        expect(parseCompanyUid(uid)).toEqual({ ok: true, value: expected });
        expect(formatCompanyUid(expected.day, n)).toBe(uid);
      }),
      RUNS,
    );
  });

  it("parseUid(formatPersonId(day, counter)) gives back day and counter", () => {
    fc.assert(
      fc.property(day, counter, (date, n) => {
        const uid = formatPersonId(date, n);
        expect(parsePersonId(uid)).toEqual({
          ok: true,
          value: { kind: "person", day: uidDayFromDate(date), counter: n },
        });
      }),
      RUNS,
    );
  });

  it("parseUid(formatSlotUid(company, role)) gives back the company and the role", () => {
    fc.assert(
      fc.property(day, counter, fc.constantFrom(...ROLES), (date, n, role) => {
        const companyUid = formatCompanyUid(date, n);
        const uid = formatSlotUid(companyUid, role);
        expect(parseSlotUid(uid)).toEqual({
          ok: true,
          value: { kind: "slot", day: uidDayFromDate(date), counter: n, role, companyUid },
        });
      }),
      RUNS,
    );
  });

  it("a string that parses is exactly what formatting its parts gives", () => {
    const uidLike = fc.oneof(
      hostileString,
      fc.stringMatching(/^(CO|PE)-[0-9]{8}-[0-9]{6}$/),
      fc.stringMatching(/^SL-CO-[0-9]{8}-[0-9]{6}-(CEO|CFO|HR|ceo|Hr|CTO)$/),
    );
    fc.assert(
      fc.property(uidLike, (input) => {
        const parsed = parseUid(input);
        if (!parsed.ok) return;
        const p = parsed.value;
        const again =
          p.kind === "company"
            ? formatCompanyUid(p.day, p.counter)
            : p.kind === "person"
              ? formatPersonId(p.day, p.counter)
              : formatSlotUid(p.companyUid, p.role);
        expect(again).toBe(input);
      }),
      RUNS,
    );
  });
});

describe("state machines agree with their tables", () => {
  it("transition(state, event) is ok exactly for the rows of SLOT_TRANSITIONS", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SLOT_STATUSES), fc.constantFrom(...SLOT_EVENTS), (s, e) => {
        const row = SLOT_TRANSITIONS.find((t) => t.from === s && t.event === e);
        const result = transition(s, e);
        expect(result.ok ? result.value : null).toBe(row ? row.to : null);
      }),
    );
  });

  it("validationTransition(from, to) is ok exactly for VALIDATION_TRANSITIONS", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALIDATION_STATUSES),
        fc.constantFrom(...VALIDATION_STATUSES),
        (from, to) => {
          expect(validationTransition(from, to).ok).toBe(VALIDATION_TRANSITIONS[from].includes(to));
        },
      ),
    );
  });
});
