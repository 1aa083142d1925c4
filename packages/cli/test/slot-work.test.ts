/** `ple slot list --open`, `ple slot claim|renew|release` in-process through runCli. */
import type { PleDatabase } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { captureIo } from "./helpers.js";

function borrowed(db: PleDatabase): PleDatabase {
  return { ...db, close: async () => {} };
}

async function cli(db: PleDatabase, argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io, {
    env: { PLE_ACTOR: "test:slot-work" },
    openDatabase: async () => borrowed(db),
  });
  return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) };
}

/** The arguments of the "More: ple …" line of a human page. */
function moreArgs(out: string): string[] | null {
  const line = out.split("\n").find((l) => l.startsWith("More: ple "));
  return line === undefined ? null : line.slice("More: ple ".length).split(" ");
}

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await t.db.knex.raw(
    `SELECT marketing.insert_company_with_slots('Firm ' || i, 'firm' || i || '.example', NULL, NULL)
       FROM generate_series(1, 7) AS i ORDER BY i`,
  );
});
afterAll(async () => {
  await t?.drop();
});

describe("ple slot list --open", () => {
  it("lists open slots with their companies; the printed next-page command keeps --role", async () => {
    let args: string[] | null = ["slot", "list", "--open", "--role", "cfo", "--limit", "3"];
    const seen: string[] = [];
    while (args !== null) {
      const page = await cli(t.db, args);
      expect(page.code).toBe(0);
      for (const line of page.out.split("\n").filter((l) => l.startsWith("SL-"))) {
        expect(line).toMatch(/^SL-CO-\d{8}-\d{6}-CFO\s+CFO\s+Firm \d\s+firm\d\.example/);
        seen.push(line.split(/\s+/)[0] ?? "");
      }
      args = moreArgs(page.out);
      if (args !== null) expect(args).toContain("--role");
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);

    const json = (await cli(t.db, ["slot", "list", "--open", "--limit", "500", "--json"])).json();
    expect(json.items).toHaveLength(21);
    expect(json.items[0]).toMatchObject({
      slot: { status: "open" },
      company: { company_name: "Firm 1" },
      lease: null,
    });
  });

  it("refuses a company together with --open, and --role without --open", async () => {
    expect((await cli(t.db, ["slot", "list", "--open", "CO-20261126-000001"])).code).toBe(2);
    const noOpen = await cli(t.db, ["slot", "list", "--role", "CEO"]);
    expect(noOpen.code).toBe(2);
    expect(noOpen.err).toContain("--role needs --open");
    const badRole = await cli(t.db, ["slot", "list", "--open", "--role", "CTO"]);
    // A bad option value is a usage error naming the option as typed.
    expect(badRole.code).toBe(2);
    expect(badRole.err).toContain('--role "CTO"');
  });
});

describe("ple slot claim | renew | release", () => {
  it("claims disjoint slots per worker as JSON, renews and releases them", async () => {
    const a = await cli(t.db, ["slot", "claim", "--worker", "a", "--limit", "4", "--role", "HR"]);
    expect(a.code).toBe(0);
    const claimedA = a.json().claimed as Array<{
      slot: { slot_uid: string; role: string };
      company: { website: string };
      lease: { worker: string };
    }>;
    expect(claimedA).toHaveLength(4);
    expect(claimedA.every((c) => c.slot.role === "HR" && c.lease.worker === "a")).toBe(true);
    expect(claimedA[0]?.company.website).toMatch(/^firm\d\.example$/);
    const b = (
      await cli(t.db, ["slot", "claim", "--worker", "b", "--limit", "10", "--role", "HR"])
    ).json();
    expect(b.claimed).toHaveLength(3);
    const uidsA = claimedA.map((c) => c.slot.slot_uid);
    for (const c of b.claimed) expect(uidsA).not.toContain(c.slot.slot_uid);

    const listed = (await cli(t.db, ["slot", "list", "--open", "--role", "HR", "--json"])).json();
    expect(listed.items.every((i: { lease: { worker: string } | null }) => i.lease !== null)).toBe(
      true,
    );

    const renew = (
      await cli(t.db, ["slot", "renew", ...uidsA, "--worker", "a", "--lease-seconds", "60"])
    ).json();
    expect(renew.renewed).toHaveLength(4);
    expect(renew.lost).toEqual([]);
    const release = (
      await cli(t.db, ["slot", "release", ...uidsA.slice(0, 2), "--worker", "a"])
    ).json();
    expect(release.released).toEqual(uidsA.slice(0, 2).sort());
    const again = (await cli(t.db, ["slot", "claim", "--worker", "c", "--role", "HR"])).json();
    expect(
      again.claimed.map((c: { slot: { slot_uid: string } }) => c.slot.slot_uid).sort(),
    ).toEqual(uidsA.slice(0, 2).sort());
  });

  it("needs --worker; a bad lease length is a usage error", async () => {
    const missing = await cli(t.db, ["slot", "claim"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("--worker NAME is required");
    expect((await cli(t.db, ["slot", "claim", "--worker", "x", "--lease-seconds", "0"])).code).toBe(
      2,
    );
    expect((await cli(t.db, ["slot", "release", "--worker", "x"])).code).toBe(2);
  });
});

describe("next-page hints keep the filters", () => {
  it("ple company list --open-slots, then the printed command, lists only companies with an open slot", async () => {
    // Fill every slot of Firm 2.
    const firm2 = (await cli(t.db, ["company", "get", "firm2.example", "--json"])).json();
    for (const [i, slot] of (firm2.slots as Array<{ slot_uid: string }>).entries()) {
      await t.db.knex.raw("SELECT marketing.insert_person(?, ?, NULL, NULL, NULL, 'manual')", [
        `Taken ${i}`,
        `taken${i}@firm2.example`,
      ]);
      const person = await t.db
        .knex("marketing.people")
        .where({ email: `taken${i}@firm2.example` })
        .first();
      expect((await cli(t.db, ["slot", "link", slot.slot_uid, person.person_id])).code).toBe(0);
    }
    let args: string[] | null = ["company", "list", "--open-slots", "--limit", "2"];
    const names: string[] = [];
    while (args !== null) {
      const page = await cli(t.db, args);
      expect(page.code).toBe(0);
      for (const line of page.out.split("\n").filter((l) => l.startsWith("CO-"))) {
        names.push(line.split(/\s{2,}/)[1] ?? "");
      }
      args = moreArgs(page.out);
      if (args !== null)
        expect(args.slice(0, 5)).toEqual(["company", "list", "--open-slots", "--limit", "2"]);
    }
    expect(names).toEqual(["Firm 1", "Firm 3", "Firm 4", "Firm 5", "Firm 6", "Firm 7"]);

    for (const i of [1, 2]) {
      await t.db.knex.raw("SELECT marketing.insert_person(?, ?, NULL, NULL, NULL, 'manual')", [
        `Free ${i}`,
        `free${i}@example.com`,
      ]);
    }
    const people = await cli(t.db, ["person", "list", "--without-slot", "--limit", "1"]);
    expect(people.out).toContain("free1@example.com");
    expect(people.code).toBe(0);
    expect(moreArgs(people.out) ?? []).toEqual(expect.arrayContaining(["--without-slot"]));
  });
});
