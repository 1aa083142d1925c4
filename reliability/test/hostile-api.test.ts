/**
 * Hostile input to the API: fast-check inputs for every procedure over createCaller
 * (random unicode, long strings, NUL bytes, SQL meta-characters, wrong types, missing and
 * extra fields), raw HTTP bodies, SQL-injection strings and oversized requests. Every answer
 * must be a success or a typed error, never INTERNAL / 500, and a failed call writes nothing.
 */
import { appRouter } from "@ple/api";
import type { PleDatabase } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { TRPCError } from "@trpc/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Caller, errorCodeOf, type RunningApi, startApi, unique } from "../support/api.js";
import { rowCounts } from "../support/database.js";
import { recordCheck } from "../support/metrics.js";

let test: TestDatabase;
let api: RunningApi;
let admin: Caller;
const pool = {
  companies: [] as string[],
  people: [] as string[],
  slots: [] as string[],
  keys: [] as string[],
};

beforeAll(async () => {
  test = await createTestDatabase();
  api = await startApi(test.db, { bodyLimitBytes: 256 * 1024 });
  admin = await api.caller("admin");
  for (let i = 0; i < 6; i++) {
    const name = unique("seed");
    const c = await admin.companies.create({
      company_name: `${name} Co`,
      website: `${name}.example`,
    });
    pool.companies.push(c.company.company_uid);
    pool.slots.push(...c.slots.map((s) => s.slot_uid));
    const p = await admin.people.create({ name: `Seed ${i}`, email: `seed${i}@${name}.example` });
    pool.people.push(p.person.person_id);
  }
  for (let i = 0; i < 3; i++) {
    const k = await admin.apiKeys.create({ name: `spare ${i}`, role: "read" });
    pool.keys.push(k.id);
  }
});
afterAll(async () => {
  await api?.close();
  await test?.drop();
});

export const SQL_META = [
  "'; DROP TABLE marketing.company; --",
  "Robert'); DROP TABLE marketing.people;--",
  "1' OR '1'='1",
  '" OR ""="',
  "$$; SELECT pg_sleep(10); $$",
  "\\'; TRUNCATE marketing.audit_log; --",
  "%_%",
  "?",
  "$1",
  ":name",
  "/* */ UNION SELECT key_hash FROM marketing.api_key --",
  "E'\\x00'",
];

const NUL = ["\u0000", "a\u0000b", "Acme\u0000 Inc", "\u0000@example.com"];
const WEIRD = ["\uFEFF", "\u202E", "\uD800", "e\u0301", "👩‍👩‍👧", "Ω≈ç√", "\r\n", "\t", " ", ""];

const hostileString = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom(...SQL_META, ...NUL, ...WEIRD),
  fc.string({ minLength: 250, maxLength: 3000 }),
  fc.constant("x".repeat(70_000)),
);

const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.date({ noInvalidDate: false }),
  fc.bigInt(),
);

const uidLike = fc.oneof(
  fc.constantFrom("CO-20261126-000001", "PE-20261126-999999", "SL-CO-20261126-000001-CEO"),
  fc.constantFrom("CO-99999999-000001", "PE-2026-1", "SL-x-CEO", "co-20261126-000001"),
);

function field(
  kind:
    | "company"
    | "person"
    | "slot"
    | "key"
    | "text"
    | "website"
    | "email"
    | "url"
    | "int"
    | "bool"
    | "date"
    | "role",
) {
  const real = {
    company: fc.constantFrom(...pool.companies),
    person: fc.constantFrom(...pool.people),
    slot: fc.constantFrom(...pool.slots),
    key: fc.constantFrom(...pool.keys),
    text: fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}[a-z]$/),
    website: fc.integer({ min: 1, max: 1e9 }).map((n) => `https://www.fz${n}.example/`),
    email: fc.integer({ min: 1, max: 1e9 }).map((n) => `fz.${n}@example.com`),
    url: fc.integer({ min: 1, max: 1e9 }).map((n) => `linkedin.com/in/fz-${n}`),
    int: fc.integer({ min: -5, max: 1200 }),
    bool: fc.boolean(),
    date: fc.oneof(
      fc.date({ noInvalidDate: false }),
      fc.constantFrom("2026-11-26", "2026-11-26T10:00:00Z", "yesterday"),
    ),
    role: fc.constantFrom("read", "write", "admin", "root", "CEO", "pending", "valid", "ok"),
  }[kind];
  const uid = kind === "company" || kind === "person" || kind === "slot" ? [uidLike] : [];
  return fc.oneof({ weight: 3, arbitrary: real }, hostileString, wrongType, ...uid);
}

type Fields = Record<string, fc.Arbitrary<unknown>>;

/** An object of some of these fields (missing ones dropped), sometimes with an extra field. */
function objectOf(fields: Fields): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.option(fc.tuple(fc.string({ maxLength: 8 }), hostileString), { freq: 5 }),
    )
    .map(([obj, extra]) => (extra === null ? obj : { ...obj, [extra[0]]: extra[1] }));
}

const patchOf = (fields: Fields) => fc.oneof(objectOf(fields), wrongType);

function inputs(): Record<string, fc.Arbitrary<unknown>> {
  const companyFields = {
    company_name: field("text"),
    website: field("website"),
    apollo_company_id: field("text"),
    ein: fc.oneof(fc.constantFrom("12-3456789", "00-0000000", "123456789"), hostileString),
    on_existing: fc.constantFrom("skip", "fill", "update", "merge"),
  };
  const personFields = {
    name: field("text"),
    email: field("email"),
    linkedin_url: field("url"),
    company_uid: field("company"),
    title: field("text"),
  };
  return {
    "health.check": fc.constant(undefined),
    "apiKeys.whoami": fc.constant(undefined),
    "apiKeys.list": objectOf({ include_revoked: field("bool") }),
    "apiKeys.create": objectOf({ name: field("text"), role: field("role") }),
    "apiKeys.revoke": objectOf({ id: field("key") }),
    "companies.create": objectOf(companyFields),
    "companies.get": objectOf({
      company_uid: field("company"),
      website: field("website"),
      apollo_company_id: field("text"),
    }),
    "companies.list": objectOf({
      cursor: hostileString,
      limit: field("int"),
      created_since: field("date"),
      has_open_slots: field("bool"),
      open_role: field("role"),
      name_prefix: field("text"),
      name_similar: field("text"),
    }),
    "companies.search": objectOf({ query: field("text"), limit: field("int") }),
    "companies.update": objectOf({ company_uid: field("company"), patch: patchOf(companyFields) }),
    "companies.delete": objectOf({ company_uid: field("company"), force: field("bool") }),
    "companies.merge": objectOf({
      keep: field("company"),
      drop: field("company"),
      dry_run: field("bool"),
      prefer: fc.oneof(
        objectOf({ CEO: fc.constantFrom("keep", "drop", "both"), HR: field("role") }),
        wrongType,
      ),
    }),
    "people.merge": objectOf({
      keep: field("person"),
      drop: field("person"),
      dry_run: field("bool"),
    }),
    "history.merges": objectOf({ uid: fc.oneof(field("company"), field("person")) }),
    "people.create": objectOf({
      ...personFields,
      source: fc.constantFrom("apollo", "csv", "manual", "ldap"),
      on_existing: fc.constantFrom("skip", "fill", "update", "merge"),
    }),
    "people.get": objectOf({ person_id: field("person"), email: field("email") }),
    "people.list": objectOf({
      cursor: hostileString,
      limit: field("int"),
      company_uid: field("company"),
      validation_status: field("role"),
      created_since: field("date"),
      without_slot: field("bool"),
    }),
    "people.update": objectOf({ person_id: field("person"), patch: patchOf(personFields) }),
    "people.slot": objectOf({ person_id: field("person") }),
    "people.erase": objectOf({ person_id: field("person"), reason: field("text") }),
    "people.setValidation": objectOf({
      person_id: field("person"),
      status: field("role"),
      result: field("role"),
      provider: field("text"),
      checked_at: field("date"),
    }),
    "slots.list": objectOf({ company_uid: field("company") }),
    "slots.link": objectOf({ slot_uid: field("slot"), person_id: field("person") }),
    "slots.propose": objectOf({ slot_uid: field("slot"), person_id: field("person") }),
    "slots.confirm": objectOf({ slot_uid: field("slot") }),
    "slots.reject": objectOf({ slot_uid: field("slot") }),
    "slots.vacate": objectOf({ slot_uid: field("slot") }),
    "slots.displace": objectOf({ slot_uid: field("slot"), person_id: field("person") }),
    "events.list": objectOf({
      after: field("int"),
      limit: field("int"),
      types: fc.oneof(fc.array(hostileString, { maxLength: 3 }), wrongType),
    }),
    "slots.listOpen": objectOf({
      role: field("role"),
      created_since: field("date"),
      cursor: hostileString,
      limit: field("int"),
    }),
    "slots.claim": objectOf({
      worker: field("text"),
      role: field("role"),
      limit: field("int"),
      lease_seconds: field("int"),
    }),
    "slots.renew": objectOf({
      worker: field("text"),
      slot_uids: fc.oneof(fc.array(field("slot"), { maxLength: 4 }), wrongType),
      lease_seconds: field("int"),
    }),
    "slots.release": objectOf({
      worker: field("text"),
      slot_uids: fc.oneof(fc.array(field("slot"), { maxLength: 4 }), wrongType),
    }),
    "history.asOf": objectOf({
      uid: fc.oneof(field("company"), field("person"), field("slot")),
      as_of: field("date"),
    }),
    "history.versions": objectOf({ uid: fc.oneof(field("company"), field("person")) }),
    "history.auditTrail": objectOf({
      uid: fc.oneof(field("company"), field("slot")),
      limit: field("int"),
    }),
    "history.slotEvents": objectOf({ slot_uid: field("slot"), person_id: field("person") }),
  };
}

type AnyProcedure = (input: unknown) => Promise<unknown>;

function procedureOf(caller: Caller, path: string): AnyProcedure {
  let target: unknown = caller;
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  return target as AnyProcedure;
}

async function invariants(db: PleDatabase): Promise<Record<string, number>> {
  const one = async (sql: string) =>
    (await db.knex.raw<{ rows: Array<{ n: number }> }>(sql)).rows[0]?.n ?? -1;
  return {
    companiesWithoutThreeSlots: await one(
      "SELECT count(*)::int AS n FROM marketing.company c WHERE (SELECT count(*) FROM marketing.company_slot s WHERE s.company_uid = c.company_uid) <> 3",
    ),
    recordsWithoutCurrentVersion: await one(
      "SELECT count(*)::int AS n FROM marketing.company c WHERE NOT EXISTS (SELECT 1 FROM marketing.company_versions h WHERE h.company_uid = c.company_uid AND h.valid_to = 'infinity')",
    ),
    slotsBreakingTheirState: await one(
      "SELECT count(*)::int AS n FROM marketing.company_slot WHERE (person_id IS NULL) <> (status = 'open')",
    ),
  };
}

describe("fuzzing every procedure over createCaller", () => {
  it("answers a success or a typed error, and a failed call changes no row", async () => {
    await recordCheck(
      "hostile input",
      "fast-check inputs for every API procedure (createCaller)",
      async (check) => {
        const arbitraries = inputs();
        // Subscriptions (events.onChange) stream rather than answer: the API's tests cover them.
        expect(Object.keys(arbitraries).sort()).toEqual(
          Object.entries(appRouter._def.procedures)
            .filter(
              ([, p]) => (p as unknown as { _def: { type: string } })._def.type !== "subscription",
            )
            .map(([path]) => path)
            .sort(),
        );
        const failures: string[] = [];
        for (const [path, arbitrary] of Object.entries(arbitraries)) {
          const input = fc.oneof({ weight: 4, arbitrary }, fc.anything());
          await fc.assert(
            fc.asyncProperty(input, async (value) => {
              const before = await rowCounts(test.db);
              check.add("cases");
              try {
                await procedureOf(admin, path)(value);
                return true;
              } catch (error) {
                const code = error instanceof TRPCError ? errorCodeOf(error) : "UNTYPED";
                if (code === "INTERNAL" || code === "UNTYPED") {
                  check.add("unhandledErrors");
                  failures.push(`${path}: ${code} for ${JSON.stringify(value)?.slice(0, 200)}`);
                  return true; // keep going: every unhandled error is counted and listed
                }
                const after = await rowCounts(test.db);
                check.add("rowsCompared", Object.keys(before).length);
                const changed = Object.keys(before).filter((t) => before[t] !== after[t]);
                check.add("rowsLost", changed.length);
                expect({ path, code, changed }).toEqual({ path, code, changed: [] });
                return true;
              }
            }),
            { numRuns: 150, seed: 7_2026 + path.length, endOnFailure: true },
          );
        }
        expect(failures).toEqual([]);
        expect(await invariants(test.db)).toEqual({
          companiesWithoutThreeSlots: 0,
          recordsWithoutCurrentVersion: 0,
          slotsBreakingTheirState: 0,
        });
      },
    );
  });
});

describe("raw HTTP bodies", () => {
  it("never get a 500: malformed JSON, wrong shapes, unknown procedures, batches", async () => {
    await recordCheck("hostile input", "raw HTTP bodies to random procedures", async (check) => {
      const paths = [
        ...Object.keys(appRouter._def.procedures),
        "nope",
        "companies",
        "../etc/passwd",
        "companies.create,people.create",
      ];
      const body = fc.oneof(
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.json(),
        fc.jsonValue().map((v) => JSON.stringify({ json: v })),
        hostileString.map((s) =>
          JSON.stringify({ json: { company_name: s, website: s, email: s, name: s } }),
        ),
      );
      const statuses: number[] = [];
      const leaked: string[] = [];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...paths),
          body,
          fc.boolean(),
          async (path, payload, batch) => {
            const url = `${api.url}/trpc/${encodeURIComponent(path)}${batch ? "?batch=1" : ""}`;
            const response = await fetch(url, {
              method: "POST",
              headers: {
                "Content-Type": "application/json",
                Authorization: `Bearer ${api.keys.admin.key}`,
              },
              body: payload,
            });
            const text = await response.text();
            statuses.push(response.status);
            check.add("cases");
            if (response.status >= 500) check.add("unhandledErrors");
            // No stack trace, source path or driver text in what the caller sees.
            const leaks =
              /node_modules|\/packages\/|at [\w.<>]+ \(|invalid byte sequence|syntax error at/.test(
                text,
              );
            if (leaks) leaked.push(text.slice(0, 300));
            return response.status < 500;
          },
        ),
        { numRuns: 300, seed: 2026 },
      );
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(leaked).toEqual([]);
    });
  });
});

describe("SQL-injection strings", () => {
  it("are stored and returned verbatim, and searched for as plain text", async () => {
    await recordCheck(
      "hostile input",
      "SQL-injection strings stored and returned verbatim",
      async (check) => {
        const writer = await api.caller("write");
        const client = api.client(api.keys.write.key);
        for (const [i, text] of SQL_META.entries()) {
          const site = unique("inj");
          const viaCaller = i % 2 === 0;
          const created = viaCaller
            ? await writer.companies.create({
                company_name: text,
                website: `${site}.example`,
                apollo_company_id: `inj-${site}`,
              })
            : await client.companies.create.mutate({
                company_name: text,
                website: `${site}.example`,
                apollo_company_id: `inj-${site}`,
              });
          const got = await client.companies.get.query({
            company_uid: created.company.company_uid,
          });
          expect(got.company.company_name).toBe(text);
          const person = await client.people.create.mutate({
            name: text,
            email: `p${i}@${site}.example`,
            title: text,
          });
          const read = await writer.people.get({ person_id: person.person.person_id });
          expect([read.name, read.title]).toEqual([text, text]);
          const found = await client.companies.search.query({ query: text });
          expect(found.map((hit) => hit.company.company_uid)).toContain(
            created.company.company_uid,
          );
          check.add("cases", 4).add("rowsCompared", 3);
        }
        // The tables the strings tried to drop or empty are all still there, in full.
        const counts = await rowCounts(test.db);
        expect(counts.company).toBeGreaterThan(SQL_META.length);
        expect(counts.audit_log).toBeGreaterThan(0);
      },
    );
  });
});

describe("oversized requests", () => {
  it("are refused with a clear error: a body over the limit, a string over its maximum, a batch over 50", async () => {
    await recordCheck("hostile input", "oversized bodies, strings and batches", async (check) => {
      const before = await rowCounts(test.db);
      const big = await fetch(`${api.url}/trpc/companies.create`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${api.keys.write.key}`,
        },
        body: JSON.stringify({
          json: { company_name: "x".repeat(400_000), website: "big.example" },
        }),
      });
      // superjson wraps the error under "json".
      const bigBody = (await big.json()) as {
        error: { json: { message: string; data: { code: string } } };
      };
      expect(big.status).toBe(413);
      expect(bigBody.error.json.data.code).toBe("PAYLOAD_TOO_LARGE");
      expect(bigBody.error.json.message).toMatch(/larger than the API accepts/);

      const client = api.client(api.keys.write.key);
      const tooLong = [
        {
          company_name: "n".repeat(301),
          website: `${unique("long")}.example`,
          field: "company_name",
        },
        { company_name: "Fine", website: `${"w".repeat(2100)}.example`, field: "website" },
      ];
      for (const { field, ...input } of tooLong) {
        const error = await client.companies.create.mutate(input).then(
          () => null,
          (e: unknown) =>
            e as { message: string; data: { code: string; field: string; httpStatus: number } },
        );
        expect(error?.data).toMatchObject({ code: "VALIDATION_FAILED", field, httpStatus: 400 });
        expect(error?.message).toMatch(/\d/);
      }
      const longEmail = await client.people.create
        .mutate({ name: "Long", email: `${"e".repeat(400)}@example.com` })
        .then(
          () => null,
          (e: unknown) => e as { data: { code: string; field: string } },
        );
      expect(longEmail?.data).toMatchObject({ code: "VALIDATION_FAILED", field: "email" });

      const calls = Array.from({ length: 60 }, () => "apiKeys.whoami").join(",");
      const batch = await fetch(`${api.url}/trpc/${calls}?batch=1`, {
        headers: { Authorization: `Bearer ${api.keys.read.key}` },
      });
      expect(batch.status).toBeGreaterThanOrEqual(400);
      expect(batch.status).toBeLessThan(500);
      check.add("cases", 5);
      expect(await rowCounts(test.db)).toEqual(before);
      check.add("rowsCompared", Object.keys(before).length);
      if (big.status >= 500 || batch.status >= 500) check.add("unhandledErrors");
    });
  });
});
