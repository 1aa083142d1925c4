/**
 * Migration 014 and events.ts: the change feed. Every change writes its event in its own
 * transaction; positions come in commit order without gaps, so a reader following the cursor
 * sees every committed event exactly once, in order, while 8 writers commit out of order —
 * on the server and on the embedded database. Erasure scrubs a person's events; retention
 * purges old ones; the feed is append-only.
 */
import type { ChangeEvent, CompanyUid } from "@ple/core";
import type { Knex } from "knex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withActor } from "../src/actor.js";
import type { PleDatabase } from "../src/database.js";
import {
  emitEvent,
  eventHead,
  listEvents,
  relayPosition,
  saveRelayPosition,
} from "../src/events.js";
import { mergeCompanies } from "../src/merge.js";
import { migrateLatest, rollbackTo } from "../src/migrations/index.js";
import { erasePerson } from "../src/pii.js";
import { purgeRetention } from "../src/retention.js";
import { createEmbeddedTestDatabase, createTestDatabase } from "../src/testing.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function newCompany(q: Knex | Knex.Transaction, name: string): Promise<string> {
  const result = await q.raw<{ rows: Array<{ r: { company_uid: string } }> }>(
    "SELECT marketing.insert_company_with_slots(?, ?, NULL, NULL) AS r",
    [name, `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.com`],
  );
  const uid = result.rows[0]?.r.company_uid;
  if (uid === undefined) throw new Error("no company");
  return uid;
}

async function newPerson(q: Knex | Knex.Transaction, name: string, companyUid: string) {
  const handle = name.toLowerCase().replace(/[^a-z]+/g, "");
  const result = await q.raw<{ rows: Array<{ r: { person_id: string } }> }>(
    "SELECT marketing.insert_person(?, ?, ?, ?, NULL, 'manual') AS r",
    [name, `${handle}@example.com`, `https://www.linkedin.com/in/${handle}`, companyUid],
  );
  const id = result.rows[0]?.r.person_id;
  if (id === undefined) throw new Error("no person");
  return id;
}

/** Reads the whole feed after `after` in pages of `limit`. */
async function readAll(q: Knex, after = 0, limit = 100): Promise<ChangeEvent[]> {
  const all: ChangeEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await listEvents(q, { after: cursor, limit });
    all.push(...page.events);
    if (page.events.length < limit) return all;
    cursor = page.next;
  }
}

/**
 * 8 writers commit transactions that began in one order and commit in another (a random
 * pause between the change and the commit; some roll back), while one reader follows the
 * cursor with small pages. The reader must see positions 1, 2, 3, … with no gap and no
 * repeat, and in the end exactly the committed events.
 */
async function concurrentWritersAndReader(db: PleDatabase, writers: number, perWriter: number) {
  let writing = true;
  const seen: ChangeEvent[] = [];
  let gapOrRepeat: string | null = null;
  const reader = (async () => {
    let cursor = await eventHead(db.knex);
    const start = cursor;
    for (;;) {
      const stillWriting = writing;
      const page = await listEvents(db.knex, { after: cursor, limit: 7 });
      for (const event of page.events) {
        if (event.position !== cursor + 1 && gapOrRepeat === null) {
          gapOrRepeat = `after ${cursor} came ${event.position}`;
        }
        cursor = event.position;
        seen.push(event);
      }
      cursor = Math.max(cursor, page.next);
      if (!stillWriting && page.events.length === 0) return start;
      if (page.events.length === 0) await sleep(1);
    }
  })();
  let committed = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const rollback = i % 5 === 4;
        try {
          await withActor(db, { actor: `writer-${w}`, requestId: `w${w}-${i}` }, async (trx) => {
            const uid = await newCompany(trx, `Writer ${w} Company ${i}`);
            await sleep(Math.random() * 8);
            await trx.raw("UPDATE marketing.company SET company_name = ? WHERE company_uid = ?", [
              `Writer ${w} Company ${i} Renamed`,
              uid,
            ]);
            if (rollback) throw new Error("roll back");
          });
          committed++;
        } catch (err) {
          if (!(err instanceof Error && err.message === "roll back")) throw err;
        }
      }
    }),
  );
  writing = false;
  const start = await reader;
  return { seen, gapOrRepeat, committed, start };
}

describe.each([
  ["server", () => createTestDatabase({ poolMax: 12 })],
  ["embedded", () => createEmbeddedTestDatabase()],
] as const)("change feed on the %s database", (_kind, create) => {
  let db: PleDatabase;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const t = await create();
    db = t.db;
    drop = t.drop;
  });
  afterAll(async () => {
    await drop();
  });

  it("gives every committed event to a reader exactly once, in position order, under 8 writers", async () => {
    const { seen, gapOrRepeat, committed, start } = await concurrentWritersAndReader(db, 8, 20);
    expect(gapOrRepeat).toBeNull();
    // Each committed transaction: company.created and company.updated; rolled back ones: nothing.
    expect(committed).toBe(8 * 16);
    expect(seen).toHaveLength(committed * 2);
    expect(seen.map((e) => e.position)).toEqual(
      Array.from({ length: seen.length }, (_, i) => start + i + 1),
    );
    const inDb = await readAll(db.knex, start);
    expect(inDb).toEqual(seen);
    const byRequest = new Map<string, string[]>();
    for (const e of seen) {
      const key = e.request_id ?? "";
      byRequest.set(key, [...(byRequest.get(key) ?? []), e.type]);
    }
    // A transaction's events are consecutive and in the order it wrote them.
    for (const [, types] of byRequest)
      expect(types).toEqual(["company.created", "company.updated"]);
    for (let i = 0; i < seen.length; i += 2) {
      expect(seen[i]?.request_id).toBe(seen[i + 1]?.request_id);
    }
    expect(await eventHead(db.knex)).toBe(start + seen.length);
  });

  it("writes each kind of change with its UIDs, changes, actor and request id", async () => {
    const before = await eventHead(db.knex);
    const ctx = { actor: "tester", requestId: "req-kinds" };
    const { company, person, other } = await withActor(db, ctx, async (trx) => {
      const company = await newCompany(trx, "Kinds Co");
      const person = await newPerson(trx, "Kim Kind", company);
      const other = await newPerson(trx, "Olly Other", company);
      return { company, person, other };
    });
    const slot = `SL-${company}-CEO`;
    const cfo = `SL-${company}-CFO`;
    await withActor(db, ctx, async (trx) => {
      await trx.raw("SELECT marketing.link_person_to_slot(?, ?)", [person, slot]);
      await trx.raw("SELECT marketing.displace_slot_person(?, ?, ?)", [slot, other, person]);
      await trx.raw("SELECT marketing.vacate_slot(?)", [slot]);
      await trx.raw("SELECT marketing.propose_person_for_slot(?, ?)", [person, cfo]);
      await trx.raw("SELECT marketing.reject_slot(?)", [cfo]);
      await trx.raw("SELECT marketing.propose_person_for_slot(?, ?)", [person, cfo]);
      await trx.raw("SELECT marketing.confirm_slot(?)", [cfo]);
      await trx.raw(
        "UPDATE marketing.people SET validation_status = 'valid', validation_provider = 'zb', validated_at = now() WHERE person_id = ?",
        [person],
      );
      await trx.raw("UPDATE marketing.people SET name = 'Kim Kinder' WHERE person_id = ?", [
        person,
      ]);
      await trx.raw(
        "UPDATE marketing.company SET company_name = 'Kinds Inc' WHERE company_uid = ?",
        [company],
      );
      await emitEvent(trx, {
        type: "company.merged",
        uids: { company_uid: company, merged_company_uids: ["CO-20260101-000001"] },
        changes: {},
      });
    });
    const events = await readAll(db.knex, before);
    expect(events.map((e) => e.type)).toEqual([
      "company.created",
      "person.created",
      "person.created",
      "slot.assigned",
      "slot.displaced",
      "slot.vacated",
      "slot.proposed",
      "slot.rejected",
      "slot.proposed",
      "slot.confirmed",
      "person.validated",
      "person.updated",
      "company.updated",
      "company.merged",
    ]);
    for (const e of events) {
      expect(e.actor).toBe("tester");
      expect(e.request_id).toBe("req-kinds");
      expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    }
    expect(events[0]?.uids).toEqual({ company_uid: company });
    expect(events[0]?.changes).toMatchObject({ company_name: "Kinds Co", website: "kinds-co.com" });
    expect(events[4]?.uids).toEqual({
      slot_uid: slot,
      company_uid: company,
      person_id: other,
      previous_person_id: person,
    });
    expect(events[4]?.changes).toEqual({
      role: "CEO",
      person_id: { from: person, to: other },
    });
    expect(events[5]?.uids).toMatchObject({ person_id: other, previous_person_id: other });
    expect(events[5]?.changes).toMatchObject({ status: { from: "filled", to: "open" } });
    expect(events[10]?.changes).toMatchObject({
      validation_status: { from: "pending", to: "valid" },
      validation_provider: { from: null, to: "zb" },
    });
    expect(events[11]?.changes).toEqual({ name: { from: "Kim Kind", to: "Kim Kinder" } });
    expect(events[12]?.changes).toEqual({ company_name: { from: "Kinds Co", to: "Kinds Inc" } });

    // Deleting the company: its people lose their company (person.updated), then company.deleted.
    const head = await eventHead(db.knex);
    await withActor(db, ctx, async (trx) => {
      await trx.raw("SELECT marketing.vacate_slot(?)", [cfo]);
      await trx.raw("DELETE FROM marketing.company WHERE company_uid = ?", [company]);
    });
    const deleted = await readAll(db.knex, head);
    expect(deleted.map((e) => e.type).sort()).toEqual([
      "company.deleted",
      "person.updated",
      "person.updated",
      "slot.vacated",
    ]);
    expect(deleted.find((e) => e.type === "company.deleted")?.uids).toEqual({
      company_uid: company,
    });
    expect(deleted.find((e) => e.type === "person.updated")?.changes).toEqual({
      company_uid: { from: company, to: null },
    });
  });

  it("filters by type and moves the cursor past events of other types", async () => {
    const before = await eventHead(db.knex);
    await withActor(db, { actor: "tester" }, async (trx) => {
      const company = await newCompany(trx, "Filter Co");
      await newPerson(trx, "Fay Filter", company);
    });
    const page = await listEvents(db.knex, { after: before, limit: 10, types: ["person.created"] });
    expect(page.events.map((e) => e.type)).toEqual(["person.created"]);
    expect(page.next).toBe(page.head);
    const empty = await listEvents(db.knex, { after: page.next, types: ["person.created"] });
    expect(empty.events).toEqual([]);
    expect(empty.next).toBe(page.next);
    await expect(
      listEvents(db.knex, { after: -1 } as unknown as { after: number }),
    ).rejects.toThrow(/after/);
  });

  it("scrubs an erased person's personal data from every event and writes person.erased", async () => {
    const before = await eventHead(db.knex);
    const person = await withActor(db, { actor: "tester" }, async (trx) => {
      const company = await newCompany(trx, "Erase Co");
      const id = await newPerson(trx, "Erin Erasable", company);
      await trx.raw("SELECT marketing.link_person_to_slot(?, ?)", [id, `SL-${company}-HR`]);
      await trx.raw("UPDATE marketing.people SET name = 'Erin Erased-Soon' WHERE person_id = ?", [
        id,
      ]);
      return id;
    });
    await withActor(db, { actor: "tester" }, (trx) => erasePerson(trx, person));
    const events = await readAll(db.knex, before);
    const text = JSON.stringify(events);
    expect(text).not.toContain("Erin");
    expect(text).not.toContain("erinerasable");
    const erased = events.at(-1);
    expect(erased?.type).toBe("person.erased");
    expect(erased?.uids).toEqual({ person_id: person });
    // The UIDs stay: the slot events still say who held the slot.
    expect(events.filter((e) => e.uids.person_id === person).map((e) => e.type)).toEqual([
      "person.created",
      "slot.assigned",
      "person.updated",
      "slot.vacated",
      "person.erased",
    ]);
  });

  it("a company merge writes company.merged with both UIDs; a dry run writes nothing", async () => {
    const keep = (await newCompany(db.knex, "Merge Keep Events")) as CompanyUid;
    const drop = (await newCompany(db.knex, "Merge Drop Events")) as CompanyUid;
    const head = await eventHead(db.knex);
    await withActor(db, { actor: "merger" }, (trx) =>
      mergeCompanies(trx, { keep, drop, dry_run: true, prefer: {} }),
    );
    expect((await readAll(db.knex, head)).filter((e) => e.type === "company.merged")).toEqual([]);
    await withActor(db, { actor: "merger" }, (trx) =>
      mergeCompanies(trx, { keep, drop, dry_run: false, prefer: {} }),
    );
    const merged = (await readAll(db.knex, head)).filter((e) => e.type === "company.merged");
    expect(merged).toHaveLength(1);
    expect(merged[0]?.uids).toEqual({ company_uid: keep, merged_from: drop });
    expect(merged[0]?.actor).toBe("merger");
  });

  it("is append-only outside retention and erasure", async () => {
    await expect(db.knex.raw("DELETE FROM marketing.event")).rejects.toThrow(/append-only/);
    await expect(
      db.knex.raw(
        "UPDATE marketing.event SET changes = '{}' WHERE event_id = (SELECT min(event_id) FROM marketing.event)",
      ),
    ).rejects.toThrow(/append-only/);
  });

  it("stores relay positions and never moves them back", async () => {
    expect(await relayPosition(db.knex, "test-relay")).toBe(0);
    await saveRelayPosition(db.knex, "test-relay", 12);
    await saveRelayPosition(db.knex, "test-relay", 5);
    expect(await relayPosition(db.knex, "test-relay")).toBe(12);
    await expect(relayPosition(db.knex, "bad name!")).rejects.toThrow(/relay/);
  });

  it("numbers a commit's events from its first position: savepoints, large commits, early numbering", async () => {
    const positions = (events: ChangeEvent[]) => events.map((e) => e.position);
    const run = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i + 1);

    // A savepoint rolled back takes its events and their places with it: no gap.
    const head0 = await eventHead(db.knex);
    await db.knex.transaction(async (trx) => {
      await newCompany(trx, "Numbered One");
      await trx
        .transaction(async (sp) => {
          await newCompany(sp, "Numbered Rolled Back");
          throw new Error("roll back the savepoint");
        })
        .catch(() => undefined);
      await newCompany(trx, "Numbered Two");
    });
    const first = await readAll(db.knex, head0);
    expect(positions(first)).toEqual(run(head0, 2));
    expect(first.map((e) => e.changes.company_name)).toEqual(["Numbered One", "Numbered Two"]);

    // One commit of 250 events, read 7 at a time: in order, none twice, none missed.
    const head1 = await eventHead(db.knex);
    await db.knex.raw(
      `SELECT marketing.insert_company_with_slots('Bulk Numbered ' || i, 'bulk-numbered-' || i || '.com', NULL, NULL)
         FROM generate_series(1, 250) AS i`,
    );
    const bulk = await readAll(db.knex, head1, 7);
    expect(positions(bulk)).toEqual(run(head1, 250));
    expect(bulk.map((e) => e.changes.company_name)).toEqual(
      run(0, 250).map((i) => `Bulk Numbered ${i}`),
    );

    // Numbered early (SET CONSTRAINTS ALL IMMEDIATE), then more events: a second commit row.
    const head2 = await eventHead(db.knex);
    const commits = async () =>
      Number((await db.knex("marketing.event_commit").count({ n: "*" }).first())?.n ?? Number.NaN);
    const commitsBefore = await commits();
    await db.knex.transaction(async (trx) => {
      await newCompany(trx, "Numbered Early");
      await trx.raw("SET CONSTRAINTS ALL IMMEDIATE");
      await newCompany(trx, "Numbered Late");
    });
    expect(await commits()).toBe(commitsBefore + 2);
    const early = await readAll(db.knex, head2);
    expect(positions(early)).toEqual(run(head2, 2));
    expect(early.map((e) => e.changes.company_name)).toEqual(["Numbered Early", "Numbered Late"]);
  });

  it("retention purges events older than the period, the dry run counting the same", async () => {
    const total = (await readAll(db.knex)).length;
    expect(total).toBeGreaterThan(0);
    const periods = {
      PLE_RETENTION_HISTORY_DAYS: null,
      PLE_RETENTION_AUDIT_DAYS: null,
      PLE_RETENTION_REJECT_DAYS: null,
      PLE_RETENTION_EVENT_DAYS: 0,
    };
    const dry = await withActor(db, { actor: "tester" }, (trx) =>
      purgeRetention(trx, periods, { dryRun: true }),
    );
    expect(dry.rows["marketing.event"]).toBe(total);
    expect(dry.periods_days.PLE_RETENTION_EVENT_DAYS).toBe(0);
    const commits = async () =>
      Number((await db.knex("marketing.event_commit").count({ n: "*" }).first())?.n ?? Number.NaN);
    expect(dry.rows["marketing.event_commit"]).toBe(await commits());
    const head = await eventHead(db.knex);
    const real = await withActor(db, { actor: "tester" }, (trx) => purgeRetention(trx, periods));
    expect(real.rows["marketing.event"]).toBe(total);
    expect(real.rows["marketing.event_commit"]).toBe(dry.rows["marketing.event_commit"]);
    expect((await readAll(db.knex)).length).toBe(0);
    expect(await commits()).toBe(0);
    // The clock stays: positions are never reused.
    expect(await eventHead(db.knex)).toBe(head);
    await newCompany(db.knex, "After The Purge");
    expect((await readAll(db.knex)).map((e) => e.position)).toEqual([head + 1]);
    const kept = await withActor(db, { actor: "tester" }, (trx) =>
      purgeRetention(trx, { ...periods, PLE_RETENTION_EVENT_DAYS: null }, { dryRun: true }),
    );
    expect(kept.rows["marketing.event"]).toBe(0);
    await expect(
      withActor(db, { actor: "tester" }, (trx) =>
        purgeRetention(trx, { ...periods, PLE_RETENTION_EVENT_DAYS: -1 }),
      ),
    ).rejects.toThrow(/PLE_RETENTION_EVENT_DAYS/);
  });
});

describe("migration 018 (positions per commit) on a database holding events", () => {
  let db: PleDatabase;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const t = await createTestDatabase();
    db = t.db;
    drop = t.drop;
  });
  afterAll(async () => {
    await drop();
  });

  it("keeps every event's position going up, and writes them back going down", async () => {
    await rollbackTo(db, "017");
    const stored = () =>
      db.knex
        .raw<{ rows: Array<{ position: string; type: string; uids: unknown }> }>(
          "SELECT position, type, uids FROM marketing.event ORDER BY position",
        )
        .then((r) => r.rows.map((row) => ({ ...row, position: Number(row.position) })));
    // Three commits, one rolled back and one with two events of one transaction.
    await withActor(db, { actor: "before-018" }, async (trx) => {
      const uid = await newCompany(trx, "Before One");
      await trx.raw(
        "UPDATE marketing.company SET company_name = 'Before One B' WHERE company_uid = ?",
        [uid],
      );
    });
    await db.knex
      .transaction(async (trx) => {
        await newCompany(trx, "Before Rolled Back");
        throw new Error("roll back");
      })
      .catch(() => undefined);
    await newCompany(db.knex, "Before Two");
    const before = await stored();
    expect(before.map((e) => e.position)).toEqual([1, 2, 3]);

    await migrateLatest(db);
    const feed = await readAll(db.knex, 0, 2);
    expect(feed.map(({ position, type, uids }) => ({ position, type, uids }))).toEqual(before);
    await newCompany(db.knex, "After 018");
    expect((await readAll(db.knex, 3)).map((e) => e.position)).toEqual([4]);

    await rollbackTo(db, "017");
    expect(await stored()).toEqual([
      ...before,
      { position: 4, type: "company.created", uids: expect.any(Object) },
    ]);
    await migrateLatest(db);
    expect((await readAll(db.knex)).map((e) => e.position)).toEqual([1, 2, 3, 4]);
  });
});
