/**
 * The people import's set-based steps end as the per-row SQL does: linkImportedPeople as
 * link_person_to_slot called link by link in file order (same outcomes, same slots, same
 * people's companies), a link only the per-row path can answer (COMPANY_MISMATCH, a missing
 * slot) answered null with nothing written; suppressedImportRows refuses exactly the rows whose
 * insert the suppression trigger refuses; importPersonBatch records a row's validation result
 * with the person it creates. On the server and on PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importCompanyBatch, importPersonBatch } from "../src/bulk-import.js";
import type { PleDatabase } from "../src/database.js";
import { linkPersonToSlot, suppressedImportRows, toPleError, withActor } from "../src/index.js";
import {
  type ImportLink,
  type ImportLinkOutcome,
  linkImportedPeople,
} from "../src/people-import.js";
import {
  createEmbeddedTestDatabase,
  createTestDatabase,
  type TestDatabase,
} from "../src/testing.js";

const ACTOR = { actor: "cli:importer", application: "ple-import", requestId: "people-import" };

class Rollback extends Error {}

/** Runs fn in an actor transaction that is rolled back; returns what fn returned. */
async function rolledBack<T>(db: PleDatabase, fn: (trx: PleDatabase["knex"]) => Promise<T>) {
  let result: T | undefined;
  await withActor(db, ACTOR, async (trx) => {
    result = await fn(trx);
    throw new Rollback();
  }).catch((err) => {
    if (!(err instanceof Rollback)) throw err;
  });
  return result as T;
}

/** What the CLI's store made of linkPersonToSlot, link by link. */
async function perRow(q: PleDatabase["knex"], links: readonly ImportLink[]) {
  const outcomes: Array<ImportLinkOutcome | string> = [];
  for (const link of links) {
    try {
      const change = await q.transaction((sp) =>
        linkPersonToSlot(sp, {
          person_id: link.person_id as Parameters<typeof linkPersonToSlot>[1]["person_id"],
          slot_uid: link.slot_uid as Parameters<typeof linkPersonToSlot>[1]["slot_uid"],
        }),
      );
      outcomes.push(change.changed ? "linked" : "already_linked");
    } catch (err) {
      const code = toPleError(err).code;
      outcomes.push(
        code === "PERSON_ALREADY_LINKED"
          ? "person_in_other_slot"
          : code === "SLOT_CONFLICT" || code === "INVALID_TRANSITION"
            ? "slot_taken"
            : code,
      );
    }
  }
  return outcomes;
}

async function state(q: PleDatabase["knex"]) {
  const slots = await q("marketing.company_slot")
    .select("slot_uid", "status", "person_id")
    .orderBy("slot_uid");
  const people = await q("marketing.people")
    .select("person_id", "company_uid")
    .orderBy("person_id");
  const history = await q("marketing.audit_log").count<Array<{ n: string }>>({ n: "*" });
  return { slots, people, audit: Number(history[0]?.n) };
}

/** Two companies with their slots, and five people: two of A, one of B, two of none. */
async function seed(db: PleDatabase) {
  return withActor(db, ACTOR, async (trx) => {
    const companies = await importCompanyBatch(trx, [
      { company_name: "Alpha", website: "alpha.example" },
      { company_name: "Beta", website: "beta.example" },
    ]);
    const [a, b] = companies.map((c) => {
      if (c.status !== "created") throw new Error("a company was not created");
      return c.company_uid;
    });
    const people = await importPersonBatch(trx, [
      { name: "Ann", email: "ann@alpha.example", company_uid: a },
      { name: "Al", email: "al@alpha.example", company_uid: a },
      { name: "Bea", email: "bea@beta.example", company_uid: b },
      { name: "Nick", email: "nick@none.example" },
      { name: "Noor", email: "noor@none.example" },
    ]);
    const [ann, al, bea, nick, noor] = people.map((p) =>
      p.status === "rejected" ? "" : p.person_id,
    );
    return { a: a ?? "", b: b ?? "", ann, al, bea, nick, noor } as Record<string, string>;
  });
}

function checks(name: string, open: () => Promise<Pick<TestDatabase, "db" | "drop">>) {
  describe(name, () => {
    let t: Pick<TestDatabase, "db" | "drop">;
    let ids: Record<string, string>;
    beforeAll(async () => {
      t = await open();
      ids = await seed(t.db);
    });
    afterAll(async () => {
      await t?.drop();
    });
    const slot = (company: string, role: string) => `SL-${ids[company]}-${role}`;

    it("links as link_person_to_slot does, link by link in file order", async () => {
      const links: ImportLink[] = [
        { person_id: ids.ann ?? "", slot_uid: slot("a", "CEO") },
        { person_id: ids.al ?? "", slot_uid: slot("a", "CEO") }, // taken by Ann
        { person_id: ids.ann ?? "", slot_uid: slot("a", "CFO") }, // Ann holds another slot
        { person_id: ids.ann ?? "", slot_uid: slot("a", "CEO") }, // already hers
        { person_id: ids.nick ?? "", slot_uid: slot("b", "HR") }, // company set to B
        { person_id: ids.nick ?? "", slot_uid: slot("b", "HR") },
        { person_id: ids.bea ?? "", slot_uid: slot("b", "CEO") },
        { person_id: ids.noor ?? "", slot_uid: slot("a", "HR") },
      ];
      const before = await state(t.db.knex);
      const bulk = await rolledBack(t.db, async (trx) => ({
        outcomes: await linkImportedPeople(trx, links),
        after: await state(trx),
      }));
      const rows = await rolledBack(t.db, async (trx) => ({
        outcomes: await perRow(trx, links),
        after: await state(trx),
      }));
      expect(bulk.outcomes).toEqual([
        "linked",
        "slot_taken",
        "person_in_other_slot",
        "already_linked",
        "linked",
        "already_linked",
        "linked",
        "linked",
      ]);
      expect(bulk.outcomes).toEqual(rows.outcomes);
      expect(bulk.after).toEqual(rows.after);
      expect(bulk.after).not.toEqual(before);
      expect(await state(t.db.knex)).toEqual(before);
    });

    it("answers null and writes nothing where only the per-row path can answer", async () => {
      const before = await state(t.db.knex);
      // Bea works for B: linking her into A's slot is COMPANY_MISMATCH, which the per-row path
      // rejects; the links before hers in the batch must not stay written.
      const mismatch = await rolledBack(t.db, async (trx) => ({
        outcomes: await linkImportedPeople(trx, [
          { person_id: ids.ann ?? "", slot_uid: slot("a", "CEO") },
          { person_id: ids.bea ?? "", slot_uid: slot("a", "CFO") },
        ]),
        after: await state(trx),
      }));
      expect(mismatch).toEqual({ outcomes: null, after: before });
      const rows = await rolledBack(t.db, (trx) =>
        perRow(trx, [{ person_id: ids.bea ?? "", slot_uid: slot("a", "CFO") }]),
      );
      expect(rows).toEqual(["COMPANY_MISMATCH"]);
      const missing = await rolledBack(t.db, (trx) =>
        linkImportedPeople(trx, [
          { person_id: ids.ann ?? "", slot_uid: "SL-CO-20000101-999999-CEO" },
        ]),
      );
      expect(missing).toBeNull();
    });

    it("refuses the rows whose insert the suppression list refuses", async () => {
      await withActor(t.db, ACTOR, (trx) =>
        trx.raw("SELECT marketing.suppress_identity(?, 'test')", ["gone@none.example"]),
      );
      await withActor(t.db, ACTOR, (trx) =>
        trx.raw("SELECT marketing.suppress_identity(?, 'test')", [
          "https://www.linkedin.com/in/gone",
        ]),
      );
      const rows = [
        { email: "fine@none.example" },
        { email: "gone@none.example" }, // suppressed email
        { email: "new@none.example", linkedin_url: "https://www.linkedin.com/in/gone" },
        { email: "ann@alpha.example", linkedin_url: "https://www.linkedin.com/in/gone" }, // stored
        { email: "new@none.example" }, // the row before was refused: this one creates
        { email: "new@none.example", linkedin_url: "https://www.linkedin.com/in/gone" }, // exists now
      ];
      expect(await suppressedImportRows(t.db.knex, rows)).toEqual([1, 2]);
      // As the insert trigger decides: row by row, each in a savepoint.
      const refused = await rolledBack(t.db, async (trx) => {
        const out: number[] = [];
        for (const [i, row] of rows.entries()) {
          try {
            await trx.transaction((sp) =>
              sp.raw("SELECT marketing.insert_person('X', ?, ?, NULL, NULL, 'csv')", [
                row.email,
                row.linkedin_url ?? null,
              ]),
            );
          } catch (err) {
            if (toPleError(err).code === "SUPPRESSED") out.push(i);
            else throw err;
          }
        }
        return out;
      });
      expect(refused).toEqual([1, 2]);
    });

    it("refuses a found person's row giving another person's LinkedIn URL, as upsert_person does", async () => {
      const url = (n: string) => `https://www.linkedin.com/in/${n}`;
      const rows = [
        { name: "Lea", email: "lea@none.example", linkedin_url: url("lea") },
        { name: "Lou", email: "lou@none.example", linkedin_url: url("lou") },
      ];
      const batch = [
        { name: "Lea", email: "lea@none.example", linkedin_url: url("lou") }, // Lou's URL
        { name: "Lea", email: "lea@none.example", linkedin_url: url("lea") }, // her own
        { name: "Cat", email: "cat@none.example", linkedin_url: url("cat") }, // created
        { name: "Lou", email: "lou@none.example", linkedin_url: url("cat") }, // Cat's, made above
        { name: "Lou", email: "lou@none.example", linkedin_url: url("dan") }, // Dan's, made below
        { name: "Dan", email: "dan@none.example", linkedin_url: url("dan") },
      ];
      const run = (perRowPath: boolean) =>
        rolledBack(t.db, async (trx) => {
          await importPersonBatch(trx, rows);
          if (!perRowPath) {
            const out = await importPersonBatch(trx, batch);
            return out.map((o) => (o.status === "rejected" ? o.error.code : o.status));
          }
          const out: string[] = [];
          for (const row of batch) {
            try {
              const r = await trx.transaction((sp) =>
                sp.raw("SELECT marketing.upsert_person(?, ?, ?, NULL, NULL, 'csv', 'skip') AS r", [
                  row.name,
                  row.email,
                  row.linkedin_url,
                ]),
              );
              out.push(r.rows[0].r.status === "created" ? "created" : "existing");
            } catch (err) {
              out.push(toPleError(err).code);
            }
          }
          return out;
        });
      const expected = [
        "IDENTITY_CONFLICT",
        "existing",
        "created",
        "IDENTITY_CONFLICT",
        "existing",
        "created",
      ];
      expect(await run(false)).toEqual(expected);
      expect(await run(true)).toEqual(expected);
    });

    it("records a new person's validation result with the insert, not over a stored person's", async () => {
      const out = await rolledBack(t.db, async (trx) => {
        const outcomes = await importPersonBatch(trx, [
          {
            name: "Val",
            email: "val@none.example",
            validation: { status: "valid", provider: "apollo", result: "Verified" },
          },
          {
            name: "Pen",
            email: "pen@none.example",
            validation: { status: "pending", provider: "apollo", result: "Unavailable" },
          },
          {
            name: "Ann",
            email: "ann@alpha.example",
            validation: { status: "invalid", provider: "apollo", result: "Bounced" },
          },
        ]);
        const people = await trx("marketing.people")
          .whereIn("email", ["val@none.example", "pen@none.example", "ann@alpha.example"])
          .orderBy("email")
          .select("email", "validation_status", "validation_provider", "validation_result_raw")
          .select(trx.raw("validated_at IS NOT NULL AS validated"));
        return { statuses: outcomes.map((o) => o.status), people };
      });
      expect(out.statuses).toEqual(["created", "created", "existing"]);
      expect(out.people).toEqual([
        {
          email: "ann@alpha.example",
          validation_status: "pending",
          validation_provider: null,
          validation_result_raw: null,
          validated: false,
        },
        {
          email: "pen@none.example",
          validation_status: "pending",
          validation_provider: null,
          validation_result_raw: null,
          validated: false,
        },
        {
          email: "val@none.example",
          validation_status: "valid",
          validation_provider: "apollo",
          validation_result_raw: "Verified",
          validated: true,
        },
      ]);
    });
  });
}

checks("the people import's set-based steps (server)", () => createTestDatabase());
checks("the people import's set-based steps (PGlite)", () => createEmbeddedTestDatabase());
