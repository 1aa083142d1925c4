import { describe, expect, it } from "vitest";
import {
  formatCompanyUid,
  formatPersonId,
  formatSlotUid,
  isPleError,
  NORMALISER_REASONS,
  normaliseCompanyName,
  normaliseEin,
  normaliseEmail,
  normaliseLinkedinUrl,
  normalisePersonName,
  normaliseWebsite,
  parseUid,
  type Result,
  type Role,
  roleFromTitle,
  type SlotStatus,
  type SlotTransitionEvent,
  transition,
  UID_REASONS,
} from "../src/index.js";
import { loadVectors, title, type VectorCase } from "./vectors.js";

const normalisers: Record<
  string,
  { file: string; field: string; run: (input: string) => Result<unknown> }
> = {
  website: { file: "website.json", field: "website", run: normaliseWebsite },
  email: { file: "email.json", field: "email", run: normaliseEmail },
  linkedin: { file: "linkedin.json", field: "linkedin_url", run: normaliseLinkedinUrl },
  ein: { file: "ein.json", field: "ein", run: normaliseEin },
  company_name: { file: "company-name.json", field: "company_name", run: normaliseCompanyName },
  person_name: { file: "person-name.json", field: "name", run: normalisePersonName },
};

function expectResult(result: Result<unknown>, vector: VectorCase, field: string) {
  if ("output" in vector) {
    expect(result.ok ? result.value : result.error.toJSON()).toEqual(vector.output);
    return;
  }
  expect(result.ok ? { ok: result.value } : result.error.details?.reason).toBe(vector.error);
  if (!result.ok) {
    expect(result.error.code).toBe("VALIDATION_FAILED");
    expect(result.error.field).toBe(field);
    expect(result.error.message.length).toBeGreaterThan(10);
  }
}

for (const [name, { file, field, run }] of Object.entries(normalisers)) {
  const vectors = loadVectors(file);

  describe(`${file} (${vectors.length} cases)`, () => {
    it("has at least 20 cases, hostile ones included", () => {
      expect(vectors.length).toBeGreaterThanOrEqual(20);
      expect(vectors.some((v) => "error" in v)).toBe(true);
    });

    it("uses only documented reasons, and every reason of the normaliser has a case", () => {
      const documented: readonly string[] =
        NORMALISER_REASONS[name as keyof typeof NORMALISER_REASONS];
      const used = new Set(vectors.flatMap((v) => ("error" in v ? [v.error] : [])));
      expect([...used].filter((reason) => !documented.includes(reason))).toEqual([]);
      // invalid_type and invalid_unicode cannot be written in JSON for every consumer
      // (non-strings, lone surrogates); unit tests cover them.
      const untestable = new Set(["invalid_type", "invalid_unicode"]);
      expect(documented.filter((r) => !untestable.has(r) && !used.has(r))).toEqual([]);
    });

    it.each(vectors.map((v) => [title(v.input), v] as const))("%s", (_, vector) => {
      expect(typeof vector.input).toBe("string");
      expectResult(run(vector.input as string), vector, field);
    });
  });
}

describe("uid-format.json", () => {
  const vectors = loadVectors("uid-format.json");

  it("has at least 20 cases and only documented reasons", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(20);
    for (const v of vectors) if ("error" in v) expect(UID_REASONS).toContain(v.error);
  });

  it.each(vectors.map((v) => [title(v.input), v] as const))("%s", (_, vector) => {
    const input = vector.input as {
      kind: "company" | "person" | "slot";
      day?: string;
      date?: string;
      counter?: number;
      company_uid?: string;
      role?: string;
    };
    const format = (): string => {
      if (input.kind === "slot") {
        // The vectors feed unchecked strings on purpose: the runtime checks are what is tested.
        return formatSlotUid(input.company_uid as never, input.role as Role);
      }
      const day = input.date === undefined ? (input.day ?? "") : new Date(input.date);
      const counter = input.counter ?? Number.NaN;
      return input.kind === "company"
        ? formatCompanyUid(day, counter)
        : formatPersonId(day, counter);
    };
    if ("output" in vector) {
      expect(format()).toBe(vector.output);
      return;
    }
    let thrown: unknown;
    try {
      format();
    } catch (error) {
      thrown = error;
    }
    expect(isPleError(thrown)).toBe(true);
    if (isPleError(thrown)) expect(thrown.details?.reason).toBe(vector.error);
  });
});

describe("uid-parse.json", () => {
  const vectors = loadVectors("uid-parse.json");

  it("has at least 20 cases and only documented reasons", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(20);
    for (const v of vectors) if ("error" in v) expect(UID_REASONS).toContain(v.error);
  });

  it.each(vectors.map((v) => [title(v.input), v] as const))("%s", (_, vector) => {
    expectResult(parseUid(vector.input as string), vector, "uid");
  });
});

describe("slot-transitions.json", () => {
  const vectors = loadVectors("slot-transitions.json");

  it("covers every (state, event) pair", () => {
    const pairs = new Set(
      vectors.map((v) => {
        const { state, event } = v.input as { state: string; event: string };
        return `${state}/${event}`;
      }),
    );
    for (const state of ["open", "pending", "filled"]) {
      for (const event of ["link", "propose", "confirm", "reject", "vacate", "displace"]) {
        expect(pairs).toContain(`${state}/${event}`);
      }
    }
  });

  it.each(vectors.map((v) => [title(v.input), v] as const))("%s", (_, vector) => {
    const { state, event } = vector.input as { state: SlotStatus; event: SlotTransitionEvent };
    const result = transition(state, event);
    if ("output" in vector) {
      expect(result).toEqual({ ok: true, value: vector.output });
      return;
    }
    expect(result.ok ? result.value : result.error.code).toBe(vector.error);
    if (!result.ok) expect(result.error.details).toEqual({ from: state, event });
  });
});

describe("role-from-title.json (TypeScript only; not a SQL function)", () => {
  const vectors = loadVectors("role-from-title.json");

  it.each(vectors.map((v) => [title(v.input), v] as const))("%s", (_, vector) => {
    expect("output" in vector).toBe(true);
    if ("output" in vector) expect(roleFromTitle(vector.input as string)).toBe(vector.output);
  });
});
