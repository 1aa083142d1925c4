import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  AuditEntry,
  Company,
  CompanyCreateInput,
  CompanyDeleteInput,
  CompanyGetInput,
  CompanyListInput,
  CompanySearchInput,
  CompanyUpdateInput,
  HistoryAsOfInput,
  HistoryEntry,
  Page,
  Person,
  PersonCreateInput,
  PersonGetInput,
  PersonUpdateInput,
  parseCompanyCells,
  parseInput,
  parsePersonCells,
  pleErrorFromZod,
  SetValidationInput,
  Slot,
  SlotDisplaceInput,
  SlotEvent,
  SlotEventsInput,
  SlotLinkInput,
} from "../src/index.js";
import { loadVectors } from "./vectors.js";

/** The PleError a schema produces for `data` (fails the test if the data parses). */
function failure(schema: z.ZodType, data: unknown) {
  const result = parseInput(schema, data);
  if (result.ok) throw new Error(`expected ${JSON.stringify(data)} to be rejected`);
  return result.error;
}

describe("CompanyCreateInput", () => {
  it("parseCompanyCells answers as the schema does, on the shared website, company-name and EIN vectors", () => {
    const strings = (name: string) =>
      loadVectors(name).flatMap((v) => (typeof v.input === "string" ? [v.input] : []));
    const websites = strings("website.json");
    const names = strings("company-name.json");
    const eins = strings("ein.json");
    const apollos = ["5f2a9c", " 5f2a9c ", "5f 2a", "", "x".repeat(129), "\u0000"];
    const longest = Math.max(websites.length, names.length, eins.length);
    let compared = 0;
    let accepted = 0;
    for (let i = 0; i < longest; i++) {
      const cells = {
        company_name: names[i % names.length] as string,
        website: websites[i % websites.length] as string,
        ...(i % 3 === 0 ? {} : { ein: eins[i % eins.length] as string }),
        ...(i % 4 === 0 ? {} : { apollo_company_id: apollos[i % apollos.length] as string }),
      };
      const fast = parseCompanyCells(cells);
      const schema = parseInput(CompanyCreateInput, cells);
      expect(fast.ok).toBe(schema.ok);
      if (fast.ok && schema.ok) {
        expect(fast.value).toStrictEqual(schema.value);
        accepted++;
      } else if (!fast.ok && !schema.ok) {
        expect(fast.error.toJSON()).toEqual(schema.error.toJSON());
      }
      compared++;
    }
    // Each column's vectors alone, the others valid.
    for (const website of websites) {
      const cells = { company_name: "Acme", website, ein: "12-3456789", apollo_company_id: "5f2a" };
      expect(parseCompanyCells(cells)).toEqual(parseInput(CompanyCreateInput, cells));
      compared++;
    }
    for (const company_name of names) {
      const cells = { company_name, website: "acme.com" };
      expect(parseCompanyCells(cells)).toEqual(parseInput(CompanyCreateInput, cells));
      compared++;
    }
    for (const ein of eins) {
      const cells = { company_name: "Acme", website: "acme.com", ein };
      expect(parseCompanyCells(cells)).toEqual(parseInput(CompanyCreateInput, cells));
      compared++;
    }
    expect(compared).toBeGreaterThan(200);
    expect(accepted).toBeGreaterThan(0);
  });

  it("parsePersonCells answers as the person schema does, on the shared person-name, email and LinkedIn vectors", () => {
    const strings = (name: string) =>
      loadVectors(name).flatMap((v) => (typeof v.input === "string" ? [v.input] : []));
    const names = strings("person-name.json");
    const emails = strings("email.json");
    const linkedins = strings("linkedin.json");
    const titles = ["CEO", "  Head of People ", "", "x".repeat(300), "Chief\u0000Officer"];
    // The schema the import parsed contact rows with before parsePersonCells.
    const schema = PersonCreateInput.omit({ company_uid: true, source: true });
    const longest = Math.max(names.length, emails.length, linkedins.length);
    let compared = 0;
    let accepted = 0;
    const same = (cells: Parameters<typeof parsePersonCells>[0]) => {
      const fast = parsePersonCells(cells);
      const slow = parseInput(schema, cells);
      expect(fast.ok).toBe(slow.ok);
      if (fast.ok && slow.ok) {
        expect(fast.value).toStrictEqual(slow.value);
        accepted++;
      } else if (!fast.ok && !slow.ok) {
        expect(fast.error.toJSON()).toEqual(slow.error.toJSON());
      }
      compared++;
    };
    for (let i = 0; i < longest; i++) {
      same({
        name: names[i % names.length] as string,
        email: emails[i % emails.length] as string,
        ...(i % 3 === 0 ? {} : { linkedin_url: linkedins[i % linkedins.length] as string }),
        ...(i % 4 === 0 ? {} : { title: titles[i % titles.length] as string }),
      });
    }
    for (const name of names) same({ name, email: "ada@example.com" });
    for (const email of emails) same({ name: "Ada Lovelace", email });
    for (const linkedin_url of linkedins) {
      same({ name: "Ada Lovelace", email: "ada@example.com", linkedin_url });
    }
    for (const title of titles) same({ name: "Ada Lovelace", email: "ada@example.com", title });
    expect(compared).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(20);
  });

  it("parses to canonical values", () => {
    expect(
      CompanyCreateInput.parse({
        company_name: "  Acme \t Inc ",
        website: "https://WWW.Acme.com/about?x=1",
        apollo_company_id: " 5f2a9c ",
        ein: " 12-3456789 ",
      }),
    ).toEqual({
      company_name: "Acme Inc",
      website: "acme.com",
      apollo_company_id: "5f2a9c",
      ein: "12-3456789",
    });
  });

  it("keeps an invalid EIN as given (the database flags it)", () => {
    const parsed = CompanyCreateInput.parse({ company_name: "A", website: "a.io", ein: "07-12" });
    expect(parsed.ein).toBe("07-12");
  });

  it("names the field and the normaliser's reason", () => {
    const error = failure(CompanyCreateInput, { company_name: "Acme", website: "john@acme.com" });
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.field).toBe("website");
    expect(error.details?.reason).toBe("email_not_website");
    expect(error.message).toBe('The website "john@acme.com" is not usable: it is an email address');
    // A message that does not name its field is prefixed with the field's path.
    expect(failure(CompanyListInput, { limit: 0 }).message).toMatch(/^limit: /);
  });

  it("reports a missing required field and unknown fields", () => {
    expect(failure(CompanyCreateInput, { website: "acme.com" })).toMatchObject({
      field: "company_name",
      details: { reason: "invalid_type" },
    });
    expect(
      failure(CompanyCreateInput, { company_name: "Acme", website: "acme.com", webiste: "x" }),
    ).toMatchObject({ field: "webiste", details: { reason: "unknown_field" } });
  });

  it("names the field an unknown one most likely meant, and the fields the input takes", () => {
    const typo = failure(CompanyCreateInput, { company_name: "A", website: "a.io", webiste: "x" });
    expect(typo.message).toBe(
      'Unknown field "webiste" (did you mean "website"?); this input takes company_name, website, apollo_company_id, ein, on_existing',
    );
    const raw = failure(CompanyCreateInput, { company_name: "A", website: "a.io", ein_raw: "1" });
    expect(raw.message).toContain('"ein_raw" (did you mean "ein"?)');
    const nested = failure(CompanyUpdateInput, {
      company_uid: "CO-20261126-000001",
      patch: { name: "B" },
    });
    expect(nested).toMatchObject({ field: "patch.name", details: { reason: "unknown_field" } });
    expect(nested.message).toContain('"name" (did you mean "company_name"?)');
    const far = failure(CompanyCreateInput, { company_name: "A", website: "a.io", colour: "red" });
    expect(far.message).toMatch(/^Unknown field "colour"; this input takes /);
  });

  it("refuses an Apollo id with spaces inside", () => {
    expect(
      failure(CompanyCreateInput, { company_name: "A", website: "a.io", apollo_company_id: "a b" }),
    ).toMatchObject({ field: "apollo_company_id", details: { reason: "invalid_syntax" } });
  });
});

describe("look-ups by one identifier", () => {
  it("CompanyGetInput takes exactly one of uid, website, apollo id (normalised)", () => {
    expect(CompanyGetInput.parse({ website: "HTTP://www.Acme.com/" })).toEqual({
      website: "acme.com",
    });
    expect(CompanyGetInput.parse({ company_uid: "CO-20261126-000001" })).toEqual({
      company_uid: "CO-20261126-000001",
    });
    expect(failure(CompanyGetInput, {}).details?.reason).toBe("missing_identifier");
    expect(
      failure(CompanyGetInput, { company_uid: "CO-20261126-000001", website: "acme.com" }).message,
    ).toBe("Give only one of company_uid, website, apollo_company_id (got company_uid, website)");
  });

  it("PersonGetInput normalises the email; SlotEventsInput needs a slot or a person", () => {
    expect(PersonGetInput.parse({ email: " Jane@Acme.COM " })).toEqual({ email: "jane@acme.com" });
    expect(SlotEventsInput.parse({ person_id: "PE-20261126-000003" })).toEqual({
      person_id: "PE-20261126-000003",
    });
    expect(failure(SlotEventsInput, {}).details?.reason).toBe("missing_identifier");
  });
});

describe("lists and search", () => {
  it("default the page size and bound it to 1..500", () => {
    expect(CompanyListInput.parse({})).toEqual({ limit: 50 });
    expect(CompanyListInput.parse({ limit: 500 }).limit).toBe(500);
    for (const limit of [0, 501, 2.5, "10"]) {
      expect(failure(CompanyListInput, { limit }).field).toBe("limit");
    }
  });

  it("accept ISO dates and date-times with an offset, as UTC instants", () => {
    expect(CompanyListInput.parse({ created_since: "2026-11-26" }).created_since).toEqual(
      new Date("2026-11-26T00:00:00Z"),
    );
    expect(
      CompanyListInput.parse({ created_since: "2026-11-26T10:00:00+02:00" }).created_since,
    ).toEqual(new Date("2026-11-26T08:00:00Z"));
    const at = new Date("2026-01-01T00:00:00Z");
    expect(CompanyListInput.parse({ created_since: at }).created_since).toEqual(at);
    for (const created_since of ["yesterday", "2026-02-30", "2026-11-26T10:00:00"]) {
      expect(failure(CompanyListInput, { created_since }).field).toBe("created_since");
    }
  });

  it("search queries are trimmed, collapsed, non-empty and at most 200 characters", () => {
    expect(CompanySearchInput.parse({ query: "  acme   labs " })).toEqual({
      query: "acme labs",
      limit: 20,
    });
    expect(failure(CompanySearchInput, { query: "  " }).details?.reason).toBe("empty");
    expect(failure(CompanySearchInput, { query: "a".repeat(201) }).details?.reason).toBe(
      "too_long",
    );
  });
});

describe("updates", () => {
  it("normalise the patch and name nested fields by path", () => {
    expect(
      CompanyUpdateInput.parse({
        company_uid: "CO-20261126-000001",
        patch: { website: "www.New-Site.com", apollo_company_id: null },
      }),
    ).toEqual({
      company_uid: "CO-20261126-000001",
      patch: { website: "new-site.com", apollo_company_id: null },
    });
    expect(
      failure(CompanyUpdateInput, {
        company_uid: "CO-20261126-000001",
        patch: { website: "localhost" },
      }),
    ).toMatchObject({ field: "patch.website", details: { reason: "localhost" } });
  });

  it("refuse an empty patch", () => {
    expect(
      failure(PersonUpdateInput, { person_id: "PE-20261126-000001", patch: {} }),
    ).toMatchObject({ field: "patch", details: { reason: "empty_patch" } });
  });

  it("delete defaults force to false", () => {
    expect(CompanyDeleteInput.parse({ company_uid: "CO-20261126-000001" }).force).toBe(false);
  });
});

describe("people and slots", () => {
  it("PersonCreateInput normalises and defaults the source to manual", () => {
    expect(
      PersonCreateInput.parse({
        name: " Jane  Doe ",
        email: "Jane.Doe@Acme.com",
        linkedin_url: "linkedin.com/in/Jane-Doe/",
        title: " Chief  People Officer ",
        company_uid: "CO-20261126-000001",
      }),
    ).toEqual({
      name: "Jane Doe",
      email: "jane.doe@acme.com",
      linkedin_url: "https://www.linkedin.com/in/jane-doe",
      title: "Chief People Officer",
      company_uid: "CO-20261126-000001",
      source: "manual",
    });
    expect(
      failure(PersonCreateInput, { name: "J", email: "j@acme.com", source: "scraper" }).field,
    ).toBe("source");
  });

  it("slot inputs check the UID kinds", () => {
    expect(
      SlotLinkInput.parse({
        slot_uid: "SL-CO-20261126-000001-CEO",
        person_id: "PE-20261126-000001",
      }),
    ).toEqual({ slot_uid: "SL-CO-20261126-000001-CEO", person_id: "PE-20261126-000001" });
    expect(
      failure(SlotDisplaceInput, {
        slot_uid: "SL-CO-20261126-000001-CEO",
        person_id: "CO-20261126-000001",
      }),
    ).toMatchObject({ field: "person_id", details: { reason: "wrong_kind" } });
  });

  it("SetValidationInput maps the verifier's word unless a status is given", () => {
    expect(
      SetValidationInput.parse({
        person_id: "PE-20261126-000001",
        result: "catch-all",
        provider: "zerobounce",
        checked_at: "2026-11-26T09:00:00Z",
      }),
    ).toEqual({
      person_id: "PE-20261126-000001",
      status: "risky",
      result: "catch-all",
      provider: "zerobounce",
      checked_at: new Date("2026-11-26T09:00:00Z"),
    });
    expect(
      SetValidationInput.parse({ person_id: "PE-20261126-000001", status: "valid", result: "x" })
        .status,
    ).toBe("valid");
    expect(failure(SetValidationInput, { person_id: "PE-20261126-000001" })).toMatchObject({
      field: "status",
      details: { reason: "missing_status" },
    });
  });

  it("HistoryAsOfInput takes a UID of any kind", () => {
    for (const uid of ["CO-20261126-000001", "PE-20261126-000001", "SL-CO-20261126-000001-HR"]) {
      expect(HistoryAsOfInput.parse({ uid, as_of: "2026-11-26" }).uid).toBe(uid);
    }
    expect(failure(HistoryAsOfInput, { uid: "XX-1", as_of: "2026-11-26" }).field).toBe("uid");
  });
});

describe("entities", () => {
  const createdAt = new Date("2026-11-26T10:00:00.000Z");

  it("read rows from the driver (Dates) and from JSON (ISO strings) alike", () => {
    const row = {
      company_uid: "CO-20261126-000001",
      company_name: "Acme Inc",
      website: "acme.com",
      apollo_company_id: null,
      ein_raw: "12-3456789",
      ein_valid: true,
      created_at: createdAt,
      updated_at: createdAt,
    };
    expect(Company.parse(row)).toEqual(row);
    expect(Company.parse(JSON.parse(JSON.stringify(row)))).toEqual(row);
  });

  it("enforce status, role and UID kinds", () => {
    const slot = {
      slot_uid: "SL-CO-20261126-000001-CEO",
      company_uid: "CO-20261126-000001",
      role: "CEO",
      status: "filled",
      person_id: "PE-20261126-000001",
      created_at: createdAt,
      updated_at: createdAt,
    };
    expect(Slot.parse(slot)).toEqual(slot);
    expect(Slot.safeParse({ ...slot, status: "closed" }).success).toBe(false);
    expect(Slot.safeParse({ ...slot, role: "CTO" }).success).toBe(false);
  });

  it("Person, AuditEntry, SlotEvent and Page", () => {
    const person = {
      person_id: "PE-20261126-000001",
      name: "Jane Doe",
      email: "jane@acme.com",
      linkedin_url: null,
      validation_status: "pending",
      validation_provider: null,
      validation_result_raw: null,
      validated_at: null,
      company_uid: null,
      title: null,
      source: "csv",
      created_at: createdAt,
      updated_at: createdAt,
    };
    expect(Page(Person).parse({ items: [person], next_cursor: null })).toEqual({
      items: [person],
      next_cursor: null,
    });
    const audit = AuditEntry.parse({
      audit_id: 12n,
      at: createdAt.toISOString(),
      operation: "UPDATE",
      table_name: "company",
      record_key: "CO-20261126-000001",
      old_values: { website: "old.com" },
      new_values: { website: "new.com" },
      changed_columns: ["website"],
      actor: "apikey:ops",
      request_id: null,
      application: "ple-api",
      txid: 98765,
    });
    expect(audit.audit_id).toBe("12");
    expect(audit.txid).toBe("98765");
    expect(audit.at).toEqual(createdAt);
    expect(
      SlotEvent.parse({
        event_id: "1",
        slot_uid: "SL-CO-20261126-000001-CEO",
        company_uid: "CO-20261126-000001",
        role: "CEO",
        event: "DISPLACED",
        person_id: "PE-20261126-000001",
        previous_person_id: "PE-20261126-000001",
        actor: "cli:ops",
        request_id: null,
        txid: "77",
        at: createdAt,
      }).event,
    ).toBe("DISPLACED");
  });

  it("HistoryEntry reads PostgreSQL's infinity as an open period (null)", () => {
    const version = {
      history_id: "5",
      entity: "company",
      uid: "CO-20261126-000001",
      operation: "UPDATE",
      valid_from: createdAt,
      row_data: { company_name: "Acme" },
      actor: "apikey:ops",
      request_id: "req-1",
      txid: "9",
    };
    for (const end of [Number.POSITIVE_INFINITY, "infinity", null]) {
      expect(HistoryEntry.parse({ ...version, valid_to: end }).valid_to).toBeNull();
    }
    expect(HistoryEntry.parse({ ...version, valid_to: createdAt }).valid_to).toEqual(createdAt);
    expect(HistoryEntry.safeParse({ ...version, valid_to: "soon" }).success).toBe(false);
  });
});

describe("pleErrorFromZod", () => {
  it("lists every issue with its path and reason", () => {
    const parsed = CompanyCreateInput.safeParse({ company_name: "", website: "x" });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    const error = pleErrorFromZod(parsed.error);
    expect(error.field).toBe("company_name");
    expect(error.details?.issues).toEqual([
      { path: "company_name", reason: "empty", message: "The company name is empty" },
      {
        path: "website",
        reason: "no_dot",
        message:
          'The website "x" is not usable: "x" has no dot, so it is not a domain (e.g. example.com)',
      },
    ]);
  });

  it("handles a top-level failure without a path", () => {
    const error = failure(CompanyCreateInput, "not an object");
    expect(error.field).toBeUndefined();
    expect(error.details?.reason).toBe("invalid_type");
  });
});
