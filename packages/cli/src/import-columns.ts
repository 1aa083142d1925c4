/**
 * Which CSV columns feed which fields. Accepts Apollo.io account and contact exports (their
 * many other columns are ignored) and the simple `name,website,apollo_company_id,ein_raw`
 * and `name,email,...` formats. Header names are compared loosely (see headerKey).
 */
import { PleError } from "@ple/core";
import { findColumn } from "./csv-source.js";

const COMPANY_ALIASES = {
  name: ["name", "company_name", "Company", "Company Name", "Account Name"],
  website: ["website", "Website", "Company Website", "Domain", "Company Domain"],
  apolloCompanyId: ["apollo_company_id", "Apollo Account Id", "Account Id", "apollo_id"],
  ein: ["ein_raw", "ein", "EIN"],
} as const;

const PERSON_ALIASES = {
  name: ["name", "Full Name", "Person Name"],
  firstName: ["First Name", "first_name"],
  lastName: ["Last Name", "last_name"],
  email: ["email", "Email", "Email Address", "Work Email"],
  linkedinUrl: ["linkedin_url", "Person Linkedin Url", "LinkedIn", "Linkedin Url"],
  title: ["title", "Title", "Job Title"],
  emailStatus: ["Email Status", "email_status"],
  companyUid: ["company_uid"],
  companyName: ["company_name", "Company", "Company Name"],
  website: ["website", "Website", "Company Website", "company_website", "Domain"],
  apolloCompanyId: ["apollo_company_id", "Apollo Account Id", "Account Id"],
} as const;

export type CompanyColumns = {
  name: string;
  website: string;
  apolloCompanyId: string | null;
  ein: string | null;
};

export type PersonColumns = {
  name: string | null;
  firstName: string | null;
  lastName: string | null;
  email: string;
  linkedinUrl: string | null;
  title: string | null;
  /** Apollo's "Email Status". */
  emailStatus: string | null;
  companyUid: string | null;
  companyName: string | null;
  website: string | null;
  apolloCompanyId: string | null;
};

function missing(what: string, aliases: readonly string[], header: readonly string[]): PleError {
  return new PleError(
    "VALIDATION_FAILED",
    `the file has no ${what} column (expected one of: ${aliases.join(", ")}; found: ${header.join(", ") || "nothing"})`,
    { field: "header", details: { reason: "missing_column", column: what } },
  );
}

export function companyColumns(header: readonly string[]): CompanyColumns {
  const name = findColumn(header, COMPANY_ALIASES.name);
  if (name === null) throw missing("company name", COMPANY_ALIASES.name, header);
  const website = findColumn(header, COMPANY_ALIASES.website);
  if (website === null) throw missing("website", COMPANY_ALIASES.website, header);
  return {
    name,
    website,
    apolloCompanyId: findColumn(header, COMPANY_ALIASES.apolloCompanyId),
    ein: findColumn(header, COMPANY_ALIASES.ein),
  };
}

export function personColumns(header: readonly string[]): PersonColumns {
  const email = findColumn(header, PERSON_ALIASES.email);
  if (email === null) throw missing("email", PERSON_ALIASES.email, header);
  const name = findColumn(header, PERSON_ALIASES.name);
  const firstName = findColumn(header, PERSON_ALIASES.firstName);
  const lastName = findColumn(header, PERSON_ALIASES.lastName);
  if (name === null && firstName === null && lastName === null) {
    throw missing("name", [...PERSON_ALIASES.name, ...PERSON_ALIASES.firstName], header);
  }
  return {
    name,
    firstName,
    lastName,
    email,
    linkedinUrl: findColumn(header, PERSON_ALIASES.linkedinUrl),
    title: findColumn(header, PERSON_ALIASES.title),
    emailStatus: findColumn(header, PERSON_ALIASES.emailStatus),
    companyUid: findColumn(header, PERSON_ALIASES.companyUid),
    companyName: findColumn(header, PERSON_ALIASES.companyName),
    website: findColumn(header, PERSON_ALIASES.website),
    apolloCompanyId: findColumn(header, PERSON_ALIASES.apolloCompanyId),
  };
}

/** A cell's value trimmed; empty → null. */
export function cellValue(record: Record<string, string>, column: string | null): string | null {
  if (column === null) return null;
  const value = record[column]?.trim() ?? "";
  return value === "" ? null : value;
}

/** The person's name: the name column, else "First Last". */
export function personName(record: Record<string, string>, cols: PersonColumns): string | null {
  const full = cellValue(record, cols.name);
  if (full !== null) return full;
  const parts = [cellValue(record, cols.firstName), cellValue(record, cols.lastName)].filter(
    (p): p is string => p !== null,
  );
  return parts.length > 0 ? parts.join(" ") : null;
}
