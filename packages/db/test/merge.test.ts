/**
 * Records stay current and single: on_existing fill/update on create (history and audit rows
 * checked), IDENTITY_CONFLICT, and company and person merges for every slot combination.
 */
import {
  CompanyCreateInput,
  CompanyMergeInput,
  isPleError,
  PersonCreateInput,
  type PersonId,
  PersonMergeInput,
  type PleError,
  type SlotUid,
} from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queryable } from "../src/database.js";
import {
  auditTrail,
  createCompany,
  getCompanyWithSlots,
  getPerson,
  linkPersonToSlot,
  listHistory,
  listMerges,
  mergeCompanies,
  mergePeople,
  proposePersonForSlot,
  slotEvents,
  upsertCompany,
  upsertPerson,
  withActor,
} from "../src/index.js";
import {
  createEmbeddedTestDatabase,
  createTestDatabase,
  type TestDatabase,
} from "../src/testing.js";
import { rows } from "./sql-helpers.js";

let t: TestDatabase;
let q: Queryable;
beforeAll(async () => {
  t = await createTestDatabase();
  q = t.db.knex;
});
afterAll(() => t.drop());

async function caught(promise: Promise<unknown>): Promise<PleError> {
  try {
    await promise;
  } catch (err) {
    if (isPleError(err)) return err;
    throw err;
  }
  throw new Error("expected a PleError, got success");
}

let seq = 0;
const stamp = Date.now().toString(36);
function site(): string {
  return `merge-${++seq}-${stamp}.example`;
}
async function company(fields: Partial<Record<string, string>> = {}) {
  return (
    await createCompany(
      q,
      CompanyCreateInput.parse({ company_name: `Company ${++seq}`, website: site(), ...fields }),
    )
  ).company;
}
async function person(fields: Partial<Record<string, string>> = {}) {
  return (
    await upsertPerson(
      q,
      PersonCreateInput.parse({
        name: `Person ${++seq}`,
        email: `p${seq}-${stamp}@example.com`,
        ...fields,
      }),
    )
  ).person;
}
function slotOf(companyUid: string, role: string): SlotUid {
  return `SL-${companyUid}-${role}` as SlotUid;
}
async function auditCount(uid: string): Promise<number> {
  return (await auditTrail(q, { uid, limit: 1000 })).length;
}

describe("companies.create with on_existing", () => {
  it("skip (the default) answers exists and changes nothing", async () => {
    const c = await company();
    const again = await upsertCompany(
      q,
      CompanyCreateInput.parse({
        company_name: "Other Name",
        website: c.website,
        ein: "12-3456789",
      }),
    );
    expect(again).toMatchObject({ status: "exists", matched_by: "website", changed: [] });
    expect(again.company.company_name).toBe(c.company_name);
    expect(again.company.ein_raw).toBeNull();
  });

  it("fill sets only empty fields, with one history version and one audit row", async () => {
    const c = await company({ company_name: "Trailing Dot" });
    const versions = (await listHistory(q, c.company_uid)).length;
    const audits = await auditCount(c.company_uid);
    const filled = await withActor(t.db, { actor: "tester" }, (trx) =>
      upsertCompany(
        trx,
        CompanyCreateInput.parse({
          company_name: "Trailing Dot Renamed",
          website: `https://www.${c.website}./`,
          apollo_company_id: `apollo-${seq}`,
          ein: "12-3456789",
          on_existing: "fill",
        }),
      ),
    );
    expect(filled.status).toBe("updated");
    expect(filled.changed).toEqual(["apollo_company_id", "ein"]);
    expect(filled.company).toMatchObject({
      company_name: "Trailing Dot",
      apollo_company_id: `apollo-${seq}`,
      ein_raw: "12-3456789",
    });
    const history = await listHistory(q, c.company_uid);
    expect(history).toHaveLength(versions + 1);
    expect(history.at(-1)?.actor).toBe("tester");
    const trail = await auditTrail(q, { uid: c.company_uid, limit: 10 });
    expect(trail).toHaveLength(audits + 1);
    expect(trail[0]).toMatchObject({ operation: "UPDATE", actor: "tester" });
    expect([...(trail[0]?.changed_columns ?? [])].sort()).toEqual(
      ["apollo_company_id", "ein_raw", "ein_valid", "updated_at"].sort(),
    );

    // The same call again changes nothing and writes nothing.
    const again = await upsertCompany(
      q,
      CompanyCreateInput.parse({
        company_name: "Trailing Dot Renamed",
        website: c.website,
        ein: "98-7654321",
        on_existing: "fill",
      }),
    );
    expect(again).toMatchObject({ status: "unchanged", changed: [] });
    expect(await listHistory(q, c.company_uid)).toHaveLength(versions + 1);
    expect(await auditCount(c.company_uid)).toBe(audits + 1);
  });

  it("update overwrites with the given non-empty values and keeps the rest", async () => {
    const c = await company({ apollo_company_id: `ap-${seq}-u`, ein: "12-3456789" });
    const audits = await auditCount(c.company_uid);
    const updated = await upsertCompany(
      q,
      CompanyCreateInput.parse({
        company_name: "Renamed Co",
        website: c.website,
        ein: "98-7654321",
        on_existing: "update",
      }),
    );
    expect(updated.status).toBe("updated");
    expect(updated.changed).toEqual(["company_name", "ein"]);
    expect(updated.company).toMatchObject({
      company_name: "Renamed Co",
      apollo_company_id: c.apollo_company_id,
      ein_raw: "98-7654321",
    });
    expect(await auditCount(c.company_uid)).toBe(audits + 1);
    const same = await upsertCompany(
      q,
      CompanyCreateInput.parse({
        company_name: "Renamed Co",
        website: c.website,
        on_existing: "update",
      }),
    );
    expect(same.status).toBe("unchanged");
    expect(await auditCount(c.company_uid)).toBe(audits + 1);
  });

  it("keys naming two companies are an IDENTITY_CONFLICT naming both, whatever the policy", async () => {
    const a = await company();
    const b = await company({ apollo_company_id: `ap-${seq}-b` });
    for (const on_existing of ["skip", "fill", "update"] as const) {
      const err = await caught(
        upsertCompany(
          q,
          CompanyCreateInput.parse({
            company_name: "X",
            website: a.website,
            apollo_company_id: b.apollo_company_id,
            on_existing,
          }),
        ),
      );
      expect(err.code).toBe("IDENTITY_CONFLICT");
      expect(err.field).toBe("apollo_company_id");
      expect(err.message).toContain(a.company_uid);
      expect(err.message).toContain(b.company_uid);
      expect(err.details?.company_uids).toEqual([a.company_uid, b.company_uid]);
    }
  });
});

describe("people.create with on_existing", () => {
  it("fill and update, with history and audit rows; skip unchanged", async () => {
    const c = await company();
    const p = await person();
    const versions = (await listHistory(q, p.person_id)).length;
    const skip = await upsertPerson(
      q,
      PersonCreateInput.parse({ name: "New Name", email: p.email, title: "CFO" }),
    );
    expect(skip).toMatchObject({ status: "exists", changed: [] });
    const fill = await upsertPerson(
      q,
      PersonCreateInput.parse({
        name: "New Name",
        email: p.email.toUpperCase(),
        title: "Chief Financial Officer",
        company_uid: c.company_uid,
        on_existing: "fill",
      }),
    );
    expect(fill.status).toBe("updated");
    expect(fill.changed).toEqual(["company_uid", "title"]);
    expect(fill.person).toMatchObject({ name: p.name, title: "Chief Financial Officer" });
    const update = await upsertPerson(
      q,
      PersonCreateInput.parse({
        name: "New Name",
        email: p.email,
        linkedin_url: `linkedin.com/in/new-name-${seq}`,
        on_existing: "update",
      }),
    );
    expect(update.changed).toEqual(["name", "linkedin_url"]);
    expect(update.person).toMatchObject({ name: "New Name", title: "Chief Financial Officer" });
    expect(await listHistory(q, p.person_id)).toHaveLength(versions + 2);
    const trail = await auditTrail(q, { uid: p.person_id, limit: 10 });
    expect(trail.filter((e) => e.operation === "UPDATE")).toHaveLength(2);
    const unchanged = await upsertPerson(
      q,
      PersonCreateInput.parse({ name: "New Name", email: p.email, on_existing: "update" }),
    );
    expect(unchanged.status).toBe("unchanged");
    expect(await auditTrail(q, { uid: p.person_id, limit: 10 })).toHaveLength(trail.length);
  });

  it("an email of one person with the LinkedIn URL of another is an IDENTITY_CONFLICT", async () => {
    const a = await person();
    const b = await person({ linkedin_url: `https://linkedin.com/in/handle-${seq}` });
    const err = await caught(
      upsertPerson(
        q,
        PersonCreateInput.parse({
          name: "X",
          email: a.email,
          linkedin_url: b.linkedin_url ?? "",
          on_existing: "fill",
        }),
      ),
    );
    expect(err.code).toBe("IDENTITY_CONFLICT");
    expect(err.details?.person_ids).toEqual([a.person_id, b.person_id]);
  });
});

type SlotState = "open" | "pending" | "filled";
async function occupy(companyUid: string, role: string, state: SlotState) {
  if (state === "open") return null;
  const p = await person();
  if (state === "filled")
    await linkPersonToSlot(q, { person_id: p.person_id, slot_uid: slotOf(companyUid, role) });
  else
    await proposePersonForSlot(q, { person_id: p.person_id, slot_uid: slotOf(companyUid, role) });
  return p.person_id;
}

/** No slot with two people, no person in two slots, no slot or person of a company that is gone. */
async function consistent(): Promise<void> {
  const twice = await rows(
    q,
    "SELECT person_id FROM marketing.company_slot WHERE person_id IS NOT NULL GROUP BY person_id HAVING count(*) > 1",
  );
  expect(twice).toEqual([]);
  const dangling = await rows(
    q,
    `SELECT p.person_id FROM marketing.people p
      WHERE p.company_uid IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM marketing.company c WHERE c.company_uid = p.company_uid)`,
  );
  expect(dangling).toEqual([]);
  const slotless = await rows(
    q,
    `SELECT c.company_uid FROM marketing.company c
      WHERE (SELECT count(*) FROM marketing.company_slot s WHERE s.company_uid = c.company_uid) <> 3`,
  );
  expect(slotless).toEqual([]);
}

describe("company merge", () => {
  const states: SlotState[] = ["open", "pending", "filled"];
  const combos = states.flatMap((k) => states.map((d) => [k, d] as const));

  it.each(combos)("kept slot %s, dropped slot %s", async (keepState, dropState) => {
    const keep = await company();
    const drop = await company({ apollo_company_id: `ap-${seq}-drop`, ein: "12-3456789" });
    const keepPerson = await occupy(keep.company_uid, "CEO", keepState);
    const dropPerson = await occupy(drop.company_uid, "CEO", dropState);
    const input = CompanyMergeInput.parse({ keep: keep.company_uid, drop: drop.company_uid });
    const conflict = keepState !== "open" && dropState !== "open";
    if (conflict) {
      const err = await caught(mergeCompanies(q, input));
      expect(err.code).toBe("MERGE_CONFLICT");
      expect(err.message).toContain(String(keepPerson));
      expect(err.message).toContain(String(dropPerson));
      expect(err.field).toBe("prefer");
      // Nothing changed.
      expect(
        (await getCompanyWithSlots(q, { company_uid: drop.company_uid })).merged_from,
      ).toBeUndefined();
      for (const prefer of ["keep", "drop"] as const) {
        const dry = await mergeCompanies(q, { ...input, dry_run: true, prefer: { CEO: prefer } });
        const stays = prefer === "keep" ? keepPerson : dropPerson;
        const leaves = prefer === "keep" ? dropPerson : keepPerson;
        expect(dry.slots[0]).toMatchObject({ role: "CEO", person_id: stays });
        expect(dry.released).toEqual([expect.objectContaining({ role: "CEO", person_id: leaves })]);
      }
      const dry = await mergeCompanies(q, { ...input, dry_run: true, prefer: { CEO: "drop" } });
      const real = await mergeCompanies(q, { ...input, prefer: { CEO: "drop" } });
      expect({ ...real, dry_run: true, company: null, company_slots: null }).toEqual({
        ...dry,
        company: null,
        company_slots: null,
      });
      expect(real.company_slots[0]).toMatchObject({ person_id: dropPerson, status: dropState });
      const events = await slotEvents(q, { person_id: keepPerson as PersonId });
      expect(events.at(-1)?.event).toBe(keepState === "filled" ? "VACATED" : "REJECTED");
    } else {
      const dry = await mergeCompanies(q, { ...input, dry_run: true });
      expect(await getCompanyWithSlots(q, { company_uid: drop.company_uid })).toMatchObject({
        company: { company_uid: drop.company_uid },
      });
      const merged = await mergeCompanies(q, input);
      expect({ ...merged, dry_run: true, company: null, company_slots: null }).toEqual({
        ...dry,
        company: null,
        company_slots: null,
      });
      const ceo = merged.company_slots[0];
      expect(ceo?.person_id).toBe(keepPerson ?? dropPerson);
      expect(ceo?.status).toBe(keepState !== "open" ? keepState : dropState);
      expect(merged.slots[0]?.outcome).toBe(dropState === "open" ? "kept" : "moved");
      expect(merged.filled).toEqual(["apollo_company_id", "ein"]);
      expect(merged.company).toMatchObject({
        apollo_company_id: drop.apollo_company_id,
        ein_raw: "12-3456789",
      });
    }
    // The dropped company's keys resolve to the kept one (which took its empty Apollo id).
    for (const key of [{ company_uid: drop.company_uid }, { website: drop.website }]) {
      const found = await getCompanyWithSlots(q, key as never);
      expect(found.company.company_uid).toBe(keep.company_uid);
      expect(found.merged_from).toBe(drop.company_uid);
    }
    const byApollo = await getCompanyWithSlots(q, {
      apollo_company_id: String(drop.apollo_company_id),
    });
    expect(byApollo.company.company_uid).toBe(keep.company_uid);
    // Its history stays readable and names the merge.
    const history = await listHistory(q, drop.company_uid);
    expect(history[0]?.operation).toBe("INSERT");
    expect(history.at(-1)?.valid_to).not.toBeNull();
    expect(await listMerges(q, drop.company_uid)).toEqual([
      expect.objectContaining({ kept_uid: keep.company_uid, dropped_uid: drop.company_uid }),
    ]);
    const trail = await auditTrail(q, { uid: drop.company_uid, limit: 10 });
    expect(trail[0]?.operation).toBe("DELETE");
    await consistent();
  });

  it("re-points the dropped company's people and a create of its website finds the kept one", async () => {
    const keep = await company({ apollo_company_id: `ap-${seq}-k` });
    const drop = await company({ apollo_company_id: `ap-${seq}-x` });
    const worker = await person({ company_uid: drop.company_uid });
    const merged = await mergeCompanies(
      q,
      CompanyMergeInput.parse({ keep: keep.company_uid, drop: drop.company_uid }),
    );
    expect(merged.people_repointed).toEqual([worker.person_id]);
    expect((await getPerson(q, { person_id: worker.person_id })).company_uid).toBe(
      keep.company_uid,
    );
    const before = await rows(q, "SELECT count(*)::int AS n FROM marketing.company");
    const again = await upsertCompany(
      q,
      CompanyCreateInput.parse({ company_name: "Again", website: `www.${drop.website}` }),
    );
    expect(again).toMatchObject({ status: "exists", merged_from: drop.company_uid });
    expect(again.company.company_uid).toBe(keep.company_uid);
    const byApollo = await getCompanyWithSlots(q, {
      apollo_company_id: String(drop.apollo_company_id),
    });
    expect(byApollo).toMatchObject({
      company: { company_uid: keep.company_uid, apollo_company_id: keep.apollo_company_id },
      merged_from: drop.company_uid,
    });
    const sql = await rows<{ r: { status: string; company_uid: string } }>(
      q,
      "SELECT marketing.insert_company_with_slots('Again', ?, NULL, NULL) AS r",
      [drop.website],
    );
    expect(sql[0]?.r).toMatchObject({ status: "exists", company_uid: keep.company_uid });
    expect(await rows(q, "SELECT count(*)::int AS n FROM marketing.company")).toEqual(before);
    // A person created with the dropped company's UID works for the kept one.
    const late = await upsertPerson(
      q,
      PersonCreateInput.parse({
        name: "Late",
        email: `late-${stamp}@example.com`,
        company_uid: drop.company_uid,
      }),
    );
    expect(late.person.company_uid).toBe(keep.company_uid);
    // Merging the dropped company again says where it went.
    const err = await caught(
      mergeCompanies(
        q,
        CompanyMergeInput.parse({ keep: keep.company_uid, drop: drop.company_uid }),
      ),
    );
    expect(err.code).toBe("COMPANY_NOT_FOUND");
    expect(err.message).toContain(`merged into ${keep.company_uid}`);
  });

  it("refuses bad prefer values naming the field", async () => {
    const keep = await company();
    const drop = await company();
    const err = await caught(
      mergeCompanies(q, {
        keep: keep.company_uid,
        drop: drop.company_uid,
        dry_run: false,
        prefer: { CEO: "both" } as never,
      }),
    );
    expect(err).toMatchObject({ code: "VALIDATION_FAILED", field: "prefer" });
  });
});

describe("person merge", () => {
  it.each([
    ["neither", false, false],
    ["only the kept person", true, false],
    ["only the dropped person", false, true],
    ["both", true, true],
  ] as const)("slot held by %s", async (_label, keepHolds, dropHolds) => {
    const c = await company();
    const keep = await person();
    const drop = await person({
      linkedin_url: `https://www.linkedin.com/in/dup-${seq}`,
      title: "CEO",
    });
    if (keepHolds)
      await linkPersonToSlot(q, {
        person_id: keep.person_id,
        slot_uid: slotOf(c.company_uid, "CFO"),
      });
    if (dropHolds)
      await proposePersonForSlot(q, {
        person_id: drop.person_id,
        slot_uid: slotOf(c.company_uid, "CEO"),
      });
    const input = PersonMergeInput.parse({ keep: keep.person_id, drop: drop.person_id });
    if (keepHolds && dropHolds) {
      const err = await caught(mergePeople(q, input));
      expect(err.code).toBe("MERGE_CONFLICT");
      expect(err.message).toContain(keep.person_id);
      expect(err.message).toContain(drop.person_id);
      return;
    }
    const dry = await mergePeople(q, { ...input, dry_run: true });
    const merged = await mergePeople(q, input);
    expect({ ...merged, dry_run: true, person: null }).toEqual({ ...dry, person: null });
    // A person in a slot has that slot's company (migration 012), which the kept one takes.
    expect(merged.filled).toEqual(
      dropHolds ? ["linkedin_url", "company_uid", "title"] : ["linkedin_url", "title"],
    );
    if (dropHolds) {
      expect(merged.slots).toEqual([
        expect.objectContaining({
          outcome: "taken_over",
          person_id: keep.person_id,
          status: "pending",
        }),
      ]);
      const slot = (await getCompanyWithSlots(q, { company_uid: c.company_uid })).slots[0];
      expect(slot).toMatchObject({ role: "CEO", person_id: keep.person_id, status: "pending" });
      expect((await slotEvents(q, { person_id: drop.person_id })).map((e) => e.event)).toEqual([
        "PROPOSED",
        "REJECTED",
      ]);
    }
    expect((await getPerson(q, { email: drop.email })).person_id).toBe(keep.person_id);
    expect((await getPerson(q, { person_id: drop.person_id })).person_id).toBe(keep.person_id);
    const again = await upsertPerson(
      q,
      PersonCreateInput.parse({ name: "Again", email: drop.email }),
    );
    expect(again).toMatchObject({ status: "exists", merged_from: drop.person_id });
    expect(again.person.person_id).toBe(keep.person_id);
    expect((await listHistory(q, drop.person_id))[0]?.operation).toBe("INSERT");
    expect(await listMerges(q, drop.person_id)).toHaveLength(1);
    await consistent();
  });
});

describe("on the embedded database", () => {
  let e: Awaited<ReturnType<typeof createEmbeddedTestDatabase>>;
  // Building the embedded image runs every migration in PGlite: a hook's time, not a test's.
  beforeAll(async () => {
    e = await createEmbeddedTestDatabase();
  });
  afterAll(() => e?.drop());

  it("upserts with fill and merges two companies", async () => {
    const k = e.db.knex;
    const keep = await createCompany(
      k,
      CompanyCreateInput.parse({ company_name: "Acme", website: "acme.com" }),
    );
    const drop = await createCompany(
      k,
      CompanyCreateInput.parse({
        company_name: "Acme Inc",
        website: "acme.co.uk",
        apollo_company_id: "apollo-acme",
      }),
    );
    const filled = await upsertCompany(
      k,
      CompanyCreateInput.parse({
        company_name: "Acme",
        website: "acme.com",
        ein: "12-3456789",
        on_existing: "fill",
      }),
    );
    expect(filled).toMatchObject({ status: "updated", changed: ["ein"] });
    const dry = await mergeCompanies(
      k,
      CompanyMergeInput.parse({
        keep: keep.company.company_uid,
        drop: drop.company.company_uid,
        dry_run: true,
      }),
    );
    const merged = await mergeCompanies(
      k,
      CompanyMergeInput.parse({ keep: keep.company.company_uid, drop: drop.company.company_uid }),
    );
    expect({ ...merged, dry_run: true }).toEqual({
      ...dry,
      company: merged.company,
      company_slots: merged.company_slots,
    });
    expect(merged.filled).toEqual(["apollo_company_id"]);
    const found = await getCompanyWithSlots(k, { website: "acme.co.uk" });
    expect(found.merged_from).toBe(drop.company.company_uid);
  });
});

describe("erasing a person", () => {
  it("erases the people merged into them too: no trace of the dropped e-mail, which no longer resolves", async () => {
    const keep = await person();
    const dropEmail = `merged-away-${stamp}@example.com`;
    const drop = (
      await upsertPerson(
        q,
        PersonCreateInput.parse({
          name: "Merged Away",
          email: dropEmail,
          linkedin_url: `https://www.linkedin.com/in/merged-away-${stamp}`,
        }),
      )
    ).person;
    await mergePeople(q, PersonMergeInput.parse({ keep: keep.person_id, drop: drop.person_id }));
    expect((await getPerson(q, { email: dropEmail })).person_id).toBe(keep.person_id);
    const traces = async () =>
      Number(
        (
          await rows<{ n: number }>(
            q,
            `SELECT (SELECT count(*) FROM marketing.people_history WHERE row_data::text LIKE :like)
            + (SELECT count(*) FROM marketing.audit_log
                WHERE coalesce(old_values::text, '') || coalesce(new_values::text, '') LIKE :like)
            + (SELECT count(*) FROM marketing.person_alias WHERE alias_value LIKE :like)
            + (SELECT count(*) FROM marketing.record_merge WHERE dropped_values::text LIKE :like)
            + (SELECT count(*) FROM marketing.people_history WHERE row_data::text LIKE '%Merged Away%') AS n`.replace(
              /:like/g,
              "?",
            ),
            [
              `%merged-away-${stamp}%`,
              `%merged-away-${stamp}%`,
              `%merged-away-${stamp}%`,
              `%merged-away-${stamp}%`,
            ],
          )
        )[0]?.n,
      );
    expect(await traces()).toBeGreaterThan(0);
    await rows(q, "SELECT marketing.erase_person(?)", [keep.person_id]);
    expect(await traces()).toBe(0);
    const err = await caught(getPerson(q, { email: dropEmail }));
    expect(err.code).toBe("PERSON_NOT_FOUND");
  });
});
