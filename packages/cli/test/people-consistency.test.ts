/**
 * Erased people stay erased (an erasure survives the next import of the same file, a dry run
 * included; a pg_dump afterwards holds no trace of the email), `ple suppression`, `ple slot link
 * --move`, and `ple doctor` reporting people whose company disagrees with their slot.
 */
import { execFileSync } from "node:child_process";
import type { PleDatabase } from "@ple/db";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { captureIo, tempDir, writeTemp } from "./helpers.js";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

function borrowed(db: PleDatabase): PleDatabase {
  // runCli closes the database it opened; the test's database outlives each command.
  return { ...db, close: async () => {} };
}

async function cli(argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io, {
    env: { PLE_ACTOR: "test:consistency" },
    openDatabase: async () => borrowed(t.db),
  });
  return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) };
}

async function peopleCount(): Promise<number> {
  const result = await t.db.knex.raw<{ rows: Array<{ n: number }> }>(
    "SELECT count(*)::int AS n FROM marketing.people",
  );
  return result.rows[0]?.n ?? -1;
}

describe("an erasure survives the next import", () => {
  it("erase, then re-import the same file: no person comes back, the rows are SUPPRESSED", async () => {
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "contacts.csv",
      [
        "First Name,Last Name,Title,Company,Email,Person Linkedin Url,Website,Apollo Contact Id,Apollo Account Id",
        "Quentin,Zephyrwood,CEO,Zephyr Ltd,quentin.zephyrwood@zephyr.example,https://www.linkedin.com/in/qzephyrwood,zephyr.example,c1,a1",
        "Rosa,Keel,CFO,Zephyr Ltd,rosa@zephyr.example,,zephyr.example,c2,a1",
        "",
      ].join("\n"),
    );
    const first = (await cli(["import", "people", file, "--json"])).json();
    expect(first).toMatchObject({ created: 2, linked: 2, rejected: 0 });
    const person = (
      await cli(["person", "get", "quentin.zephyrwood@zephyr.example", "--json"])
    ).json();
    const personId: string = person.person?.person_id ?? person.person_id;
    expect(personId).toMatch(/^PE-/);

    const erased = await cli(["pii", "erase", personId, "--reason", "Art. 17 request 9", "--json"]);
    expect(erased.code).toBe(0);
    expect(erased.json()).toMatchObject({ status: "erased", person_id: personId });
    const count = await peopleCount();

    // A pg_dump now holds no trace of the email (nor its local part), the suppression list included.
    const dump = execFileSync("pg_dump", ["--no-owner", t.url], { maxBuffer: 256 * 1024 * 1024 });
    const text = dump.toString("utf8").toLowerCase();
    expect(text).toContain("suppression");
    expect(text).not.toContain("quentin.zephyrwood");
    expect(text).not.toContain("zephyrwood@");
    expect(text).not.toContain("qzephyrwood");

    // skip: the other row's person is reported as existing (fill would say unchanged).
    const dry = await cli([
      "import",
      "people",
      file,
      "--on-existing",
      "skip",
      "--dry-run",
      "--json",
    ]);
    const real = await cli(["import", "people", file, "--on-existing", "skip", "--json"]);
    for (const run of [dry.json(), real.json()]) {
      expect(run).toMatchObject({ created: 0, existing: 1, rejected: 1 });
      expect(run.rejects).toEqual([
        expect.objectContaining({ row_number: 1, error_code: "SUPPRESSED", field: "email" }),
      ]);
    }
    expect(real.code).toBe(3);
    expect(await peopleCount()).toBe(count);
    const ceo = await t.db.knex.raw<{ rows: Array<{ status: string; person_id: string | null }> }>(
      `SELECT s.status, s.person_id FROM marketing.company_slot AS s
         JOIN marketing.company AS c USING (company_uid)
        WHERE c.website = 'zephyr.example' AND s.role = 'CEO'`,
    );
    expect(ceo.rows).toEqual([{ status: "open", person_id: null }]);
    // The stored reject keeps no copy of the row; a re-run records nothing new.
    const stored = await t.db.knex.raw<{ rows: Array<{ raw_row: string }> }>(
      "SELECT raw_row FROM marketing.import_reject WHERE source_file = ?",
      [file],
    );
    expect(stored.rows).toEqual([{ raw_row: "[suppressed]" }]);
    await cli(["import", "people", file, "--json"]);
    const again = await t.db.knex.raw<{ rows: unknown[] }>(
      "SELECT 1 FROM marketing.import_reject WHERE source_file = ?",
      [file],
    );
    expect(again.rows).toHaveLength(1);
  });
});

describe("a stored person whose email is suppressed later", () => {
  it("is found as existing by the dry run and the real run alike; a new one is SUPPRESSED", async () => {
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "contacts.csv",
      [
        "First Name,Last Name,Title,Company,Email,Website",
        "Nadia,Quell,CEO,Quell Co,nadia@quell.example,quell.example",
        "",
      ].join("\n"),
    );
    expect((await cli(["import", "people", file, "--json"])).json()).toMatchObject({
      created: 1,
    });
    const added = await cli(["suppression", "add", "nadia@quell.example", "--reason", "objected"]);
    expect(added.code).toBe(0);
    const more = writeTemp(
      dir,
      "more.csv",
      [
        "First Name,Last Name,Title,Company,Email,Website",
        "Nadia,Quell,CEO,Quell Co,nadia@quell.example,quell.example",
        "Otto,Quell,CFO,Quell Co,otto@quell.example,quell.example",
        "",
      ].join("\n"),
    );
    await cli(["suppression", "add", "otto@quell.example", "--reason", "objected"]);
    const count = await peopleCount();
    const dry = (
      await cli(["import", "people", more, "--on-existing", "skip", "--dry-run", "--json"])
    ).json();
    const real = (await cli(["import", "people", more, "--on-existing", "skip", "--json"])).json();
    for (const run of [dry, real]) {
      expect(run).toMatchObject({ created: 0, existing: 1, rejected: 1 });
      expect(run.rejects).toEqual([
        expect.objectContaining({ row_number: 2, error_code: "SUPPRESSED", field: "email" }),
      ]);
    }
    expect(await peopleCount()).toBe(count);
  });
});

describe("ple suppression", () => {
  it("adds, lists and removes (with a reason), and the identity is refused meanwhile", async () => {
    expect((await cli(["suppression", "add", "Olive@Objects.example"])).code).toBe(2);
    const added = await cli([
      "suppression",
      "add",
      "Olive@Objects.example",
      "--reason",
      "objected by phone",
      "--json",
    ]);
    expect(added.json()).toMatchObject({ status: "added", kind: "email" });
    const list = (await cli(["suppression", "list", "--json"])).json();
    expect(list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          identity_hash: added.json().identity_hash,
          reason: "objected by phone",
        }),
      ]),
    );
    expect(JSON.stringify(list)).not.toContain("olive");
    await expect(
      t.db.knex.raw("SELECT marketing.insert_person('Olive', 'olive@objects.example')"),
    ).rejects.toMatchObject({ code: "PL122" });

    const removed = await cli([
      "suppression",
      "remove",
      "olive@objects.example",
      "--reason",
      "consent given again",
      "--json",
    ]);
    expect(removed.json()).toMatchObject({ status: "removed" });
    const audit = await t.db.knex.raw<{ rows: Array<{ operation: string; actor: string }> }>(
      "SELECT operation, actor FROM marketing.audit_log WHERE table_name = 'suppression' AND record_key = ? ORDER BY audit_id",
      [added.json().identity_hash],
    );
    expect(audit.rows).toEqual([
      { operation: "INSERT", actor: "test:consistency" },
      { operation: "DELETE", actor: "test:consistency" },
    ]);
  });
});

describe("ple slot link --move and ple doctor", () => {
  it("refuses another company's person with COMPANY_MISMATCH, moves with --move; doctor reports stored disagreements", async () => {
    const companyUid = async (name: string) => {
      const r = await t.db.knex.raw<{ rows: Array<{ r: { company_uid: string } }> }>(
        "SELECT marketing.insert_company_with_slots(?, ?, NULL, NULL) AS r",
        [name, `${name.toLowerCase()}.example`],
      );
      return r.rows[0]?.r.company_uid ?? "";
    };
    const [a, b] = [await companyUid("Alder"), await companyUid("Birch")];
    const p = await t.db.knex.raw<{ rows: Array<{ r: { person_id: string } }> }>(
      "SELECT marketing.insert_person('Mo Ver', 'mo@alder.example', NULL, ?) AS r",
      [a],
    );
    const personId = p.rows[0]?.r.person_id ?? "";
    const refused = await cli(["slot", "link", `SL-${b}-CFO`, personId, "--json"]);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain("COMPANY_MISMATCH");
    expect(refused.err).toContain(a);
    expect(refused.err).toContain(b);
    const moved = await cli(["slot", "link", `SL-${b}-CFO`, personId, "--move", "--json"]);
    expect(moved.code).toBe(0);
    expect(moved.json().slot).toMatchObject({ status: "filled", person_id: personId });

    const healthy = (await cli(["doctor", "--json"])).json();
    expect(healthy.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ check: "person companies", outcome: "ok" }),
      ]),
    );
    // A row stored before the rule (triggers off, as a restore of an old archive could).
    await t.db.knex.transaction(async (trx) => {
      await trx.raw("SET LOCAL session_replication_role = replica");
      await trx.raw("UPDATE marketing.people SET company_uid = ? WHERE person_id = ?", [
        a,
        personId,
      ]);
    });
    const doctor = await cli(["doctor", "--json"]);
    const check = doctor
      .json()
      .checks.find((c: { check: string }) => c.check === "person companies");
    expect(check).toMatchObject({ outcome: "warn" });
    expect(check.detail).toContain(personId);
    expect(check.detail).toContain("--move");
  });
});

describe("Apollo contact exports: Email Status and malformed optional fields", () => {
  it("maps Email Status to a validation result (provider apollo), drops a bad LinkedIn URL with a warning", async () => {
    const file = writeTemp(
      tempDir(),
      "apollo-contacts.csv",
      [
        "First Name,Last Name,Title,Company,Email,Email Status,Person Linkedin Url,Website,Apollo Contact Id,Apollo Account Id",
        "Vera,Valid,VP Ops,Status Co,vera@status.example,Verified,https://www.linkedin.com/in/vera-valid,status.example,c1,a9",
        "Bo,Bounce,VP Ops,Status Co,bo@status.example,Bounced,,status.example,c2,a9",
        "Gus,Guess,VP Ops,Status Co,gus@status.example,Guessed,,status.example,c3,a9",
        "Mars,Word,VP Ops,Status Co,mars@status.example,Sent to Mars,,status.example,c4,a9",
        "Una,Vail,VP Ops,Status Co,una@status.example,Unavailable,,status.example,c5,a9",
        "Lin,Kedout,VP Ops,Status Co,lin@status.example,Verified,not a linkedin url,status.example,c6,a9",
        "Bad,Mail,VP Ops,Status Co,not-an-email,Verified,,status.example,c7,a9",
        "",
      ].join("\n"),
    );
    const dry = (await cli(["import", "people", file, "--dry-run", "--json"])).json();
    const real = (await cli(["import", "people", file, "--json"])).json();
    for (const run of [dry, real]) {
      expect(run).toMatchObject({
        rows: 7,
        created: 6,
        rejected: 1,
        email_status: {
          mapped: 5,
          unknown: 1,
          unknown_values: [{ status: "Sent to Mars", count: 1 }],
        },
      });
      expect(run.warnings).toEqual([
        {
          row_number: 6,
          field: "linkedin_url",
          message: expect.stringContaining("linkedin_url dropped"),
        },
      ]);
      expect(run.rejects).toEqual([
        expect.objectContaining({ row_number: 7, error_code: "VALIDATION_FAILED", field: "email" }),
      ]);
    }
    const people = await t.db.knex.raw<{
      rows: Array<{
        email: string;
        validation_status: string;
        validation_provider: string | null;
        validation_result_raw: string | null;
        linkedin_url: string | null;
      }>;
    }>(
      `SELECT email, validation_status, validation_provider, validation_result_raw, linkedin_url
         FROM marketing.people WHERE email LIKE '%@status.example' ORDER BY email`,
    );
    expect(people.rows).toEqual([
      {
        email: "bo@status.example",
        validation_status: "invalid",
        validation_provider: "apollo",
        validation_result_raw: "Bounced",
        linkedin_url: null,
      },
      {
        email: "gus@status.example",
        validation_status: "risky",
        validation_provider: "apollo",
        validation_result_raw: "Guessed",
        linkedin_url: null,
      },
      {
        email: "lin@status.example",
        validation_status: "valid",
        validation_provider: "apollo",
        validation_result_raw: "Verified",
        linkedin_url: null,
      },
      {
        email: "mars@status.example",
        validation_status: "pending",
        validation_provider: null,
        validation_result_raw: null,
        linkedin_url: null,
      },
      {
        email: "una@status.example",
        validation_status: "pending",
        validation_provider: null,
        validation_result_raw: null,
        linkedin_url: null,
      },
      {
        email: "vera@status.example",
        validation_status: "valid",
        validation_provider: "apollo",
        validation_result_raw: "Verified",
        linkedin_url: "https://www.linkedin.com/in/vera-valid",
      },
    ]);
    const human = await cli(["import", "people", file, "--dry-run"]);
    expect(human.out).toContain("fields dropped");
    expect(human.out).toContain('"Sent to Mars" ×1');
  });

  it("records Email Status on the row-by-row path too (a suppressed row in the batch)", async () => {
    const added = await cli([
      "suppression",
      "add",
      "gone@rowbyrow.example",
      "--reason",
      "objected by phone",
      "--json",
    ]);
    expect(added.code).toBe(0);
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "contacts.csv",
      [
        "First Name,Last Name,Email,Email Status,Apollo Contact Id",
        "Gone,Away,gone@rowbyrow.example,Verified,r1",
        "Stay,Here,stay@rowbyrow.example,Verified,r2",
        "",
      ].join("\n"),
    );
    const dry = (await cli(["import", "people", file, "--dry-run", "--json"])).json();
    const real = (await cli(["import", "people", file, "--json"])).json();
    for (const run of [dry, real]) {
      expect(run).toMatchObject({ created: 1, existing: 0, rejected: 1 });
      expect(run.email_status).toEqual({ mapped: 2, unknown: 0, unknown_values: [] });
      expect(run.rejects).toEqual([
        expect.objectContaining({ row_number: 1, error_code: "SUPPRESSED" }),
      ]);
    }
    const people = await t.db.knex.raw<{
      rows: Array<{ email: string; validation_status: string; validation_provider: string }>;
    }>(
      `SELECT email, validation_status, validation_provider
         FROM marketing.people WHERE email LIKE '%@rowbyrow.example'`,
    );
    expect(people.rows).toEqual([
      { email: "stay@rowbyrow.example", validation_status: "valid", validation_provider: "apollo" },
    ]);
  });
});
