/**
 * Hostile import rows: fast-check generated CSV files (random unicode, NUL bytes, SQL
 * meta-characters, very long cells, wrong column counts, empty cells) through the real
 * `ple import` binary. Every row is created, found existing or rejected with a typed
 * reason kept in the database; nothing crashes; a re-run changes nothing.
 */
import { join } from "node:path";
import { normaliseWebsite } from "@ple/core";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowCounts } from "../support/database.js";
import { tempDir, writeCsv } from "../support/files.js";
import { recordCheck } from "../support/metrics.js";
import { jsonOf, runPle } from "../support/ple-binary.js";

const dir = tempDir();
let test: TestDatabase;

beforeAll(async () => {
  test = await createTestDatabase();
});
afterAll(async () => {
  await test?.drop();
  dir.remove();
});

const SQL_META = [
  "'; DROP TABLE marketing.company; --",
  "1' OR '1'='1",
  "$$; SELECT pg_sleep(10); $$",
  "%_%",
  "\\x00",
];

// NUL bytes have their own test below: PostgreSQL text cannot hold them at all.
const withoutNul = (a: fc.Arbitrary<string>) => a.map((v) => v.replaceAll("\u0000", "?"));

const hostileCell = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 25 }) },
  withoutNul(fc.string({ unit: "binary", maxLength: 25 })),
  fc.constantFrom(...SQL_META, "\uFEFFbom", "\uD800", " ", "", '"', "\r\n", "=cmd|' /C calc'!A0"),
  fc.string({ minLength: 300, maxLength: 5000 }),
);

const valid = {
  name: fc.stringMatching(/^[A-Z][a-z]{2,12}( [A-Z][a-z]{2,10})?$/),
  website: fc.integer({ min: 1, max: 400 }).map((n) => `https://www.h${n}.example/`),
  apollo: fc.integer({ min: 1, max: 400 }).map((n) => `ap${n}`),
  ein: fc.constantFrom("12-3456789", "00-0000000", "123456789", "n/a"),
  email: fc.integer({ min: 1, max: 400 }).map((n) => `h.${n}@example.com`),
  linkedin: fc.integer({ min: 1, max: 400 }).map((n) => `linkedin.com/in/h-${n}`),
  title: fc.constantFrom("CEO", "CFO", "VP People", "Intern"),
};

const cell = (good: fc.Arbitrary<string>) => fc.oneof({ weight: 2, arbitrary: good }, hostileCell);

/** Rows of the header's width, or sometimes one cell short or long. */
function rowsOf(cells: fc.Arbitrary<string>[], count: number, seed: number): string[][] {
  const row = fc
    .tuple(fc.tuple(...cells), fc.integer({ min: -1, max: 1 }), fc.nat({ max: 9 }))
    .map(([values, delta, odds]) => {
      const out = [...values];
      if (odds === 0 && delta < 0) out.pop();
      if (odds === 0 && delta > 0) out.push("extra");
      return out;
    });
  return fc.sample(row, { numRuns: count, seed });
}

interface Summary {
  rows: number;
  created: number;
  existing: number;
  updated: number;
  unchanged: number;
  rejected: number;
  rejects: Array<{ error_code: string; field: string | null; message: string }>;
}

async function rejectsOf(file: string): Promise<number> {
  const r = await test.db
    .knex("marketing.import_reject")
    .where({ source_file: file })
    .count<Array<{ count: string }>>("* as count");
  return Number(r[0]?.count ?? 0);
}

describe("fuzzed import files", () => {
  for (const kind of ["companies", "people"] as const) {
    it(`${kind}: every row is created, existing or rejected with a typed reason; a re-run changes nothing`, async () => {
      await recordCheck(
        "hostile input",
        `fast-check rows through \`ple import ${kind}\``,
        async (check) => {
          const header =
            kind === "companies"
              ? ["name", "website", "apollo_company_id", "ein_raw"]
              : ["name", "email", "linkedin_url", "title", "company_name", "website"];
          const cells =
            kind === "companies"
              ? [cell(valid.name), cell(valid.website), cell(valid.apollo), cell(valid.ein)]
              : [
                  cell(valid.name),
                  cell(valid.email),
                  cell(valid.linkedin),
                  cell(valid.title),
                  cell(valid.name),
                  cell(valid.website),
                ];
          for (const seed of [1, 2]) {
            const rows = rowsOf(cells, 250, seed * 31 + (kind === "people" ? 7 : 0));
            const file = writeCsv(join(dir.path, `${kind}-${seed}.csv`), header, rows);
            const before = await rowCounts(test.db);
            // --on-existing skip: a known record is reported as existing and left as it is, so
            // a re-run must change nothing at all.
            const importArgs = [
              "import",
              kind,
              file,
              "--batch-size",
              "40",
              "--on-existing",
              "skip",
            ];
            const first = await runPle([...importArgs, "--json"], {
              DATABASE_URL: test.url,
            });
            check.add("cases", rows.length);
            expect(first.stderr).not.toMatch(/unexpected error/);
            if (first.code !== 0 && first.code !== 3) {
              check.add("unhandledErrors");
              throw new Error(
                `ple import ${kind} exited ${first.code}: ${first.stderr.slice(0, 800)}`,
              );
            }
            const summary = jsonOf<Summary>(first);
            const internal = summary.rejects.filter((r) => r.error_code === "INTERNAL");
            check.add("unhandledErrors", internal.length);
            expect(internal).toEqual([]);
            // Every rejected row names its problem.
            for (const r of summary.rejects) expect(r.message.length).toBeGreaterThan(5);
            expect(
              summary.created +
                summary.existing +
                summary.updated +
                summary.unchanged +
                summary.rejected,
            ).toBe(summary.rows);
            expect(summary.rows).toBeGreaterThanOrEqual(rows.length - 5);

            const after = await rowCounts(test.db);
            const grown = (t: string) => (after[t] ?? 0) - (before[t] ?? 0);
            const createdRows = grown(kind === "companies" ? "company" : "people");
            expect(createdRows).toBe(summary.created);
            expect(await rejectsOf(file)).toBe(summary.rejected);
            // Slots come only in threes.
            expect(after.company_slot).toBe((after.company ?? 0) * 3);
            check.add("rowsCompared", summary.rows);

            // The accepted companies are stored under their canonical website.
            if (kind === "companies") {
              const websites = new Set(
                rows.flatMap((r) => {
                  const w = normaliseWebsite(r[1] ?? "");
                  return w.ok ? [w.value] : [];
                }),
              );
              const stored = new Set(
                (await test.db.knex("marketing.company").select("website")).map(
                  (c: { website: string }) => c.website,
                ),
              );
              const missing = [...websites].filter((w) => !stored.has(w));
              // A valid website can still be rejected for another cell of its row (e.g. the name).
              expect(missing.length).toBeLessThanOrEqual(summary.rejected);
            }

            const again = await runPle([...importArgs, "--json"], {
              DATABASE_URL: test.url,
            });
            check.add("cases", rows.length);
            const second = jsonOf<Summary>(again);
            expect([again.code, second.created]).toEqual([first.code, 0]);
            // The re-run of a fuzzed people file may refuse a row or two more, or fewer, than
            // the first run: a row is judged against what the rows before it left, and on the
            // re-run the first run's later rows are there too. A LinkedIn URL a later row gave a
            // new person makes an earlier row's "email of A, LinkedIn URL of B" IDENTITY_CONFLICT
            // only now; a slot a later row filled turns an earlier row's COMPANY_MISMATCH into a
            // slot conflict (a link checks the slot before the person's company). It creates
            // nothing and changes no data row, only the reject report of a row refused only now.
            const extra = second.rejected - summary.rejected;
            expect(await rowCounts(test.db)).toEqual({
              ...after,
              import_reject: (after.import_reject ?? 0) + Math.max(0, extra),
            });
            check.add("rowsCompared", Object.keys(after).length);
          }
        },
      );
    });
  }
  it("SQL-injection strings in import rows are stored verbatim", async () => {
    await recordCheck(
      "hostile input",
      "SQL-injection strings through `ple import`",
      async (check) => {
        const rows = SQL_META.map((text, i) => [text, `inject-${i}.example`, `inj${i}`, text]);
        const file = writeCsv(
          join(dir.path, "inject.csv"),
          ["name", "website", "apollo_company_id", "ein_raw"],
          rows,
        );
        const run = await runPle(["import", "companies", file, "--json"], {
          DATABASE_URL: test.url,
        });
        check.add("cases", rows.length);
        expect([run.code, run.stderr]).toEqual([0, ""]);
        const stored = await test.db
          .knex("marketing.company")
          .whereIn(
            "website",
            rows.map((r) => r[1] ?? ""),
          )
          .orderBy("apollo_company_id")
          .select("company_name", "ein_raw", "apollo_company_id");
        const expected = rows
          .map((r) => ({ company_name: r[0], ein_raw: r[3], apollo_company_id: r[2] }))
          .sort((a, b) => String(a.apollo_company_id).localeCompare(String(b.apollo_company_id)));
        expect(stored).toEqual(expected);
        check.add("rowsCompared", stored.length);
        check.add("rowsLost", rows.length - stored.length);
      },
    );
  });

  it("a row holding a NUL byte is rejected and kept as a reject, not a crash of the import", async () => {
    await recordCheck("hostile input", "NUL bytes in import rows", async (check) => {
      const rows = [
        ["Nul\u0000 Corp", "nul-one.example", "nul1", "12-3456789"],
        ["Fine Corp", "nul-fine.example", "nul2", "12-3456789"],
        ["Other Corp", "nul\u0000two.example", "nul3", ""],
      ];
      const file = writeCsv(
        join(dir.path, "nul.csv"),
        ["name", "website", "apollo_company_id", "ein_raw"],
        rows,
      );
      const run = await runPle(["import", "companies", file, "--json"], { DATABASE_URL: test.url });
      check.add("cases", rows.length);
      if (run.code !== 3) check.add("unhandledErrors");
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 3, stderr: "" });
      const summary = jsonOf<Summary>(run);
      expect([summary.created, summary.rejected]).toEqual([1, 2]);
      expect(await rejectsOf(file)).toBe(2);
      check.add("rowsCompared", 3);
    });
  });
});
