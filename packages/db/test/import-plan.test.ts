/** The import planner, pure: which rows of a batch create a company and which find one. */
import type { CompanyUid } from "@ple/core";
import { describe, expect, it } from "vitest";
import {
  type HeldCompanies,
  newDryRunMemory,
  planCompanyBatch,
  previewFromHeld,
} from "../src/import-plan.js";

const nothingHeld: HeldCompanies = { byWebsite: new Map(), byApollo: new Map() };
const uid = (text: string) => text as CompanyUid;

describe("planCompanyBatch", () => {
  it("makes a row's keys known only when it creates: (w1,A1), (w1,A2), (w3,A2) creates w1 and w3", () => {
    const rows = [
      { website: "w1.example", apollo_company_id: "A1" },
      { website: "w1.example", apollo_company_id: "A2" },
      { website: "w3.example", apollo_company_id: "A2" },
    ];
    expect(planCompanyBatch(rows, nothingHeld)).toEqual([
      { action: "create" },
      { action: "same-as", row: 0, matched_by: "website" },
      { action: "create" },
    ]);
  });

  it("finds by website before Apollo id, from the table or an earlier creating row", () => {
    const held: HeldCompanies = {
      byWebsite: new Map([["held.example", uid("CO-1")]]),
      byApollo: new Map([["A-held", uid("CO-2")]]),
    };
    const rows = [
      { website: "held.example", apollo_company_id: "A-held" },
      { website: "new.example", apollo_company_id: "A-held" },
      { website: "other.example", apollo_company_id: "A-new" },
      { website: "third.example", apollo_company_id: "A-new" },
      { website: "other.example", apollo_company_id: null },
    ];
    expect(planCompanyBatch(rows, held)).toEqual([
      { action: "existing", company_uid: "CO-1", matched_by: "website" },
      { action: "existing", company_uid: "CO-2", matched_by: "apollo_company_id" },
      { action: "create" },
      { action: "same-as", row: 2, matched_by: "apollo_company_id" },
      { action: "same-as", row: 2, matched_by: "website" },
    ]);
  });
});

describe("previewFromHeld (the dry run)", () => {
  it("remembers what earlier batches would create, and only that", () => {
    const memory = newDryRunMemory();
    const first = previewFromHeld(
      [
        { website: "w1.example", apollo_company_id: "A1" },
        { website: "w1.example", apollo_company_id: "A2" },
      ],
      nothingHeld,
      memory,
    );
    expect(first.map((o) => o.status)).toEqual(["created", "existing"]);
    const second = previewFromHeld(
      [
        { website: "w3.example", apollo_company_id: "A2" },
        { website: "w4.example", apollo_company_id: "A1" },
      ],
      nothingHeld,
      memory,
    );
    expect(second).toEqual([
      { status: "created", company_uid: null, matched_by: null },
      { status: "existing", company_uid: null, matched_by: "apollo_company_id" },
    ]);
  });
});
