/**
 * `recanonicalise` on a database filled under the rules of migration 008: keys the old rules
 * accepted that 009 refuses, keys stored in a form no normaliser gives (written with the
 * normalising trigger switched off), and two records that end up under one key. On a server and
 * on the embedded database.
 */
import { PleError } from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleDatabase } from "../src/database.js";
import { migrateLatest, rollbackTo, withActor } from "../src/index.js";
import { type RecanonicaliseReport, recanonicalise } from "../src/recanonicalise.js";
import { createEmbeddedTestDatabase, createTestDatabase } from "../src/testing.js";
import { row, rows } from "./sql-helpers.js";

const KINDS = ["server", "embedded"] as const;
const actor = "test:recanonicalise";

describe.each(KINDS)("recanonicalise after the rules changed (%s)", (kind) => {
  let db: PleDatabase;
  let drop: () => Promise<void>;
  const uid = {
    hex: "",
    ace: "",
    plain: "",
    held: "",
    www: "",
    twin: "",
    jane: "",
    janeDot: "",
    joe: "",
    hexMail: "",
  };

  async function company(name: string, website: string): Promise<string> {
    const { r } = await row<{ r: { company_uid: string } }>(
      db.knex,
      "SELECT marketing.insert_company_with_slots(?, ?, NULL, NULL) AS r",
      [name, website],
    );
    return r.company_uid;
  }
  async function person(name: string, email: string): Promise<string> {
    const { r } = await row<{ r: { person_id: string } }>(
      db.knex,
      "SELECT marketing.insert_person(?, ?) AS r",
      [name, email],
    );
    return r.person_id;
  }
  /** Stores a value as given, as a restore or a hand-written UPDATE of old could have. */
  async function storeRaw(table: "company" | "people", id: string, value: string) {
    const [trigger, column, key] =
      table === "company"
        ? ["company_before_write", "website", "company_uid"]
        : ["people_before_write", "email", "person_id"];
    await db.knex.raw(`ALTER TABLE marketing.${table} DISABLE TRIGGER ${trigger}`);
    await db.knex.raw(`UPDATE marketing.${table} SET ${column} = ? WHERE ${key} = ?`, [value, id]);
    await db.knex.raw(`ALTER TABLE marketing.${table} ENABLE TRIGGER ${trigger}`);
  }
  const websites = async () =>
    Object.fromEntries(
      (
        await rows<{ company_uid: string; website: string }>(
          db.knex,
          "SELECT company_uid, website FROM marketing.company",
        )
      ).map((r) => [r.company_uid, r.website]),
    );
  const run = (dryRun: boolean, skipCollisions = false) =>
    withActor(db, { actor }, (trx) => recanonicalise(trx, { dryRun, skipCollisions }));
  const summary = (report: RecanonicaliseReport) =>
    report.records.map((r) => [r.id, r.status, r.key, r.reason ?? null]);

  beforeAll(async () => {
    const t = kind === "server" ? await createTestDatabase() : await createEmbeddedTestDatabase();
    db = t.db;
    drop = t.drop;
    await rollbackTo(db, "008");
    // Accepted by 008, refused by 009: a hex last label, an xn-- label that is no IDNA name.
    uid.hex = await company("Hex", "example.0x1f");
    uid.ace = await company("Ace", "xn--a.com");
    uid.plain = await company("Plain", "example.org");
    uid.held = await company("Held", "ex.ample.com");
    uid.www = await company("Www", "shop.example.net");
    uid.twin = await company("Twin", "other.example.com");
    uid.jane = await person("Jane", "jane@example.com");
    uid.janeDot = await person("Jane Dot", "jane.dot@example.com");
    uid.joe = await person("Joe", "joe@example.net");
    uid.hexMail = await person("Hex Mail", "hex@example.0x1f");
    // Stored in a form no normaliser gives.
    await storeRaw("company", uid.www, "www.example.net");
    await storeRaw("company", uid.twin, "www.ex.ample.com");
    await storeRaw("people", uid.janeDot, "jane@example.com.");
    await storeRaw("people", uid.joe, "joe@example.net.");
    await migrateLatest(db);
  });
  afterAll(async () => {
    await drop();
  });

  it("reports every record: re-keyed, colliding (both listed), refused by the new rules", async () => {
    const before = await websites();
    const report = await run(true);
    expect(report.dry_run).toBe(true);
    expect(report.checked).toBe(10);
    expect(report.counts).toEqual({ unchanged: 1, rekeyed: 2, collides: 4, invalid: 3 });
    expect(summary(report)).toEqual(
      expect.arrayContaining([
        [uid.www, "rekeyed", "example.net", null],
        [uid.joe, "rekeyed", "joe@example.net", null],
        [uid.held, "collides", "ex.ample.com", null],
        [uid.twin, "collides", "ex.ample.com", null],
        [uid.jane, "collides", "jane@example.com", null],
        [uid.janeDot, "collides", "jane@example.com", null],
        [uid.hex, "invalid", null, "invalid_host"],
        [uid.ace, "invalid", null, "invalid_host"],
        [uid.hexMail, "invalid", null, "invalid_domain"],
      ]),
    );
    expect(report.collisions).toEqual(
      expect.arrayContaining([
        {
          field: "website",
          key: "ex.ample.com",
          records: expect.arrayContaining([
            { id: uid.held, stored: "ex.ample.com" },
            { id: uid.twin, stored: "www.ex.ample.com" },
          ]),
        },
      ]),
    );
    expect(await websites()).toEqual(before);
  });

  it("refuses a real run while records collide, changing nothing", async () => {
    const before = await websites();
    const dry = await run(true);
    const err = await run(false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PleError);
    expect((err as PleError).code).toBe("ALREADY_EXISTS");
    expect((err as PleError).message).toContain("ex.ample.com");
    expect(await websites()).toEqual(before);
    expect((await run(true)).records).toEqual(dry.records);
  });

  it("re-keys the others under the actor with --skip-collisions, with history and audit rows", async () => {
    const dry = await run(true, true);
    const real = await run(false, true);
    expect(summary(real)).toEqual(summary(dry));
    expect(real.applied).toBe(2);
    const after = await websites();
    expect(after[uid.www]).toBe("example.net");
    expect(after[uid.twin]).toBe("www.ex.ample.com");
    expect(after[uid.hex]).toBe("example.0x1f");
    const { email } = await row<{ email: string }>(
      db.knex,
      "SELECT email FROM marketing.people WHERE person_id = ?",
      [uid.joe],
    );
    expect(email).toBe("joe@example.net");
    const audit = await rows<{ record_key: string; actor: string }>(
      db.knex,
      "SELECT record_key, actor FROM marketing.audit_log WHERE operation = 'UPDATE' AND actor = ?",
      [actor],
    );
    expect(audit.map((a) => a.record_key).sort()).toEqual([uid.joe, uid.www].sort());
    const history = await row<{ website: string }>(
      db.knex,
      `SELECT row_data ->> 'website' AS website FROM marketing.company_versions
        WHERE company_uid = ? AND valid_to = 'infinity' AND actor = ?`,
      [uid.www, actor],
    );
    expect(history.website).toBe("example.net");
    const again = await run(true);
    expect(again.counts.rekeyed).toBe(0);
    expect(again.counts.collides).toBe(4);
  });
});
