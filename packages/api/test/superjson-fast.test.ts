/**
 * serializeAnswer must give, once through JSON.stringify, exactly what superjson.serialize gives:
 * the same json text and the same meta (key order included), so that every tRPC client reads
 * the same answer. Real answers of the API and hand-made edge cases are compared.
 */
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serializeAnswer } from "../src/superjson-fast.js";
import { type Caller, seedCompany, setupTestApi, type TestApi } from "./helpers.js";

const same = (value: unknown) =>
  expect(JSON.stringify(serializeAnswer(value))).toBe(JSON.stringify(superjson.serialize(value)));

let t: TestApi;
let caller: Caller;

beforeAll(async () => {
  t = await setupTestApi();
  caller = await t.as("admin");
});
afterAll(async () => {
  await t?.drop();
});

describe("serializeAnswer", () => {
  it("answers of the API's procedures", async () => {
    const seeded = await seedCompany(caller, 2);
    same(seeded);
    same(await caller.companies.get({ company_uid: seeded.company.company_uid }));
    same(await caller.companies.list({ created_since: new Date("2020-01-01"), limit: 10 }));
    const person = seeded.people[0];
    if (person === undefined) throw new Error("no person seeded");
    same(await caller.people.get({ person_id: person.person_id }));
    same(await caller.health.check());
    same(await caller.apiKeys.whoami());
    same(await caller.apiKeys.list());
  });

  it("plain values, Dates at any depth and keys superjson escapes", () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const cases: unknown[] = [
      null,
      "text",
      12.5,
      true,
      [],
      {},
      new Date(at),
      [new Date(at), 1, new Date(at)],
      { a: { b: [{ c: new Date(at) }, { d: 1 }] }, e: new Date(at) },
      { "a.b": new Date(at), "c\\d": { "e.f": new Date(at) } },
      Object.assign(Object.create(null), { x: new Date(at) }),
      // superjson orders integer-like keys first at each level, then flattens.
      { list: Array.from({ length: 12 }, (_, i) => (i % 2 ? new Date(at) : { x: new Date(at) })) },
      { 10: new Date(at), b: { 2: new Date(at) }, "3": [new Date(at)] },
    ];
    for (const value of cases) {
      same(value);
      // Not copied: the answer itself is the json.
      expect(serializeAnswer(value).json).toBe(value);
    }
  });

  it("leaves everything else to superjson", () => {
    const shared = { x: 1 };
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const date = new Date(0);
    const holes: number[] = [];
    holes[0] = 1;
    holes[2] = 3;
    const extra = Object.assign([1, 2], { more: new Date(0) });
    class Point {
      x = 1;
    }
    const cases: unknown[] = [
      { a: undefined },
      [undefined],
      { n: Number.NaN },
      { n: Number.POSITIVE_INFINITY },
      { n: -0 },
      { b: 10n },
      { m: new Map([[1, 2]]) },
      { s: new Set([1]) },
      { e: new Error("boom") },
      { r: /x/g },
      { u: new URL("https://example.com/") },
      { d: new Date(Number.NaN) },
      { p: new Point() },
      { a: shared, b: shared },
      { a: date, b: date },
      circular,
      holes,
      extra,
    ];
    for (const value of cases) same(value);
    expect(() => serializeAnswer(JSON.parse('{"__proto__": {"a": 1}}'))).toThrow(
      /prototype pollution/,
    );
    expect(() => serializeAnswer({ f: () => 1 })).not.toThrow();
  });
});
