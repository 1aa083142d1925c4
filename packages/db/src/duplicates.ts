/**
 * Duplicate candidates: pairs of companies or people that are likely one real record, each with
 * its reasons and a score (0–100), for an operator to merge. Nothing here changes a row.
 *
 * Companies: the same valid EIN; a website on one and the Apollo id on the other, as an import
 * row refused with IDENTITY_CONFLICT showed; trigram-similar names whose websites have the same
 * registrable name under the Public Suffix List (acme.com and acme.co.uk). People: the same
 * LinkedIn URL; the same name at the same company (the
 * one of their slot, else their company_uid) under different emails.
 */
import type { DuplicatesInput } from "@ple/core";
import { getDomain, getDomainWithoutSuffix } from "tldts";
import type { Queryable } from "./database.js";
import { mapErrors } from "./errors.js";

export const COMPANY_DUPLICATE_REASONS = [
  "website_and_apollo_id",
  "same_ein",
  "similar_name_same_domain",
] as const;
export type CompanyDuplicateReason = (typeof COMPANY_DUPLICATE_REASONS)[number];
export const PERSON_DUPLICATE_REASONS = ["same_linkedin_url", "same_name_same_company"] as const;
export type PersonDuplicateReason = (typeof PERSON_DUPLICATE_REASONS)[number];

export interface CompanyRef {
  company_uid: string;
  company_name: string;
  website: string;
  apollo_company_id: string | null;
  ein_raw: string | null;
}

export interface PersonRef {
  person_id: string;
  name: string;
  email: string;
  linkedin_url: string | null;
  company_uid: string | null;
}

/** A candidate pair: `a` is the older record (the one to keep by default), `b` the newer. */
export interface DuplicatePair<R, Reason extends string> {
  a: R;
  b: R;
  /** The strongest reason first. */
  reasons: Reason[];
  /** 0–100: the strongest reason's score. */
  score: number;
}

export type CompanyDuplicate = DuplicatePair<CompanyRef, CompanyDuplicateReason>;
export type PersonDuplicate = DuplicatePair<PersonRef, PersonDuplicateReason>;

/** Scores per reason; a similar name scores 50 + 50 × its pg_trgm similarity. */
const SCORES = {
  website_and_apollo_id: 95,
  same_linkedin_url: 95,
  same_ein: 90,
  same_name_same_company: 80,
} as const;

/** Least pg_trgm similarity of two names under one registrable name (pg_trgm's own default). */
export const NAME_SIMILARITY = 0.3;
/**
 * Companies sharing one registrable name beyond which the group's pairs are not compared (a
 * label such as "shop" that hundreds of unrelated sites share says nothing).
 */
const MAX_DOMAIN_GROUP = 50;

/**
 * The registrable domain of a host under the Public Suffix List (ICANN and private sections),
 * e.g. shop.acme.co.uk → acme.co.uk; null for a public suffix itself or a malformed host.
 */
export function registrableDomain(host: string): string | null {
  if (host === "" || host.startsWith(".") || host.includes("..")) return null;
  return getDomain(host, { allowPrivateDomains: true });
}

/** The registrable domain without its public suffix: acme.co.uk and acme.com → "acme". */
export function registrableName(host: string): string | null {
  if (registrableDomain(host) === null) return null;
  return getDomainWithoutSuffix(host, { allowPrivateDomains: true }) || null;
}

class Pairs<R, Reason extends string> {
  readonly #pairs = new Map<string, { a: string; b: string; reasons: Map<Reason, number> }>();

  add(x: string, y: string, reason: Reason, score: number): void {
    if (x === y) return;
    const [a, b] = x < y ? [x, y] : [y, x];
    const key = `${a} ${b}`;
    let pair = this.#pairs.get(key);
    if (pair === undefined) {
      pair = { a, b, reasons: new Map() };
      this.#pairs.set(key, pair);
    }
    pair.reasons.set(reason, Math.max(score, pair.reasons.get(reason) ?? 0));
  }

  uids(): string[] {
    return [...new Set([...this.#pairs.values()].flatMap((p) => [p.a, p.b]))];
  }

  result(refs: Map<string, R>, input: DuplicatesInput): Array<DuplicatePair<R, Reason>> {
    const out: Array<DuplicatePair<R, Reason>> = [];
    for (const pair of this.#pairs.values()) {
      const a = refs.get(pair.a);
      const b = refs.get(pair.b);
      if (a === undefined || b === undefined) continue;
      const ranked = [...pair.reasons.entries()].sort((x, y) => y[1] - x[1]);
      const score = ranked[0]?.[1] ?? 0;
      if (score < input.min_score) continue;
      out.push({ a, b, reasons: ranked.map(([reason]) => reason), score });
    }
    out.sort((x, y) => y.score - x.score || (x.a < y.a ? -1 : x.a > y.a ? 1 : 0));
    return out.slice(0, input.limit);
  }
}

const UID_IN_TEXT = /CO-\d{8}-\d{6}/g;

/** Company duplicate candidates, best first. */
export function companyDuplicates(
  q: Queryable,
  input: DuplicatesInput,
): Promise<CompanyDuplicate[]> {
  return mapErrors(async () => {
    const pairs = new Pairs<CompanyRef, CompanyDuplicateReason>();

    const sameEin = await q.raw<{ rows: Array<{ a: string; b: string }> }>(
      `SELECT a.company_uid AS a, b.company_uid AS b
         FROM marketing.company AS a
         JOIN marketing.company AS b
           ON regexp_replace(b.ein_raw, '[^0-9]', '', 'g') = regexp_replace(a.ein_raw, '[^0-9]', '', 'g')
          AND b.company_uid > a.company_uid
        WHERE a.ein_valid AND b.ein_valid`,
    );
    for (const r of sameEin.rows) pairs.add(r.a, r.b, "same_ein", SCORES.same_ein);

    // An import row refused with IDENTITY_CONFLICT named both companies in its message.
    const conflicts = await q.raw<{ rows: Array<{ message: string }> }>(
      `SELECT DISTINCT message FROM marketing.import_reject WHERE error_code = 'IDENTITY_CONFLICT'`,
    );
    for (const r of conflicts.rows) {
      const uids = [...new Set(r.message.match(UID_IN_TEXT) ?? [])];
      const [x, y] = uids;
      if (uids.length === 2 && x !== undefined && y !== undefined)
        pairs.add(x, y, "website_and_apollo_id", SCORES.website_and_apollo_id);
    }

    // Names under one registrable name, compared by pg_trgm similarity in one statement.
    const groups = new Map<string, Array<{ uid: string; name: string }>>();
    const all = await q.raw<{
      rows: Array<{ company_uid: string; company_name: string; website: string }>;
    }>("SELECT company_uid, company_name, website FROM marketing.company");
    for (const r of all.rows) {
      const label = registrableName(r.website);
      if (label === null) continue;
      let group = groups.get(label);
      if (group === undefined) {
        group = [];
        groups.set(label, group);
      }
      group.push({ uid: r.company_uid, name: r.company_name });
    }
    const left: string[] = [];
    const right: string[] = [];
    const leftNames: string[] = [];
    const rightNames: string[] = [];
    for (const group of groups.values()) {
      if (group.length < 2 || group.length > MAX_DOMAIN_GROUP) continue;
      for (let i = 0; i < group.length; i++) {
        for (let j = i + 1; j < group.length; j++) {
          const x = group[i];
          const y = group[j];
          if (x === undefined || y === undefined) continue;
          left.push(x.uid);
          right.push(y.uid);
          leftNames.push(x.name);
          rightNames.push(y.name);
        }
      }
    }
    if (left.length > 0) {
      const similar = await q.raw<{ rows: Array<{ a: string; b: string; sim: number }> }>(
        `SELECT t.a, t.b, public.similarity(t.x, t.y) AS sim
           FROM unnest(?::text[], ?::text[], ?::text[], ?::text[]) AS t(a, b, x, y)
          WHERE public.similarity(t.x, t.y) >= ?`,
        [left, right, leftNames, rightNames, NAME_SIMILARITY],
      );
      for (const r of similar.rows) {
        pairs.add(r.a, r.b, "similar_name_same_domain", Math.round(50 + 50 * Number(r.sim)));
      }
    }

    const refs = new Map<string, CompanyRef>();
    const uids = pairs.uids();
    if (uids.length > 0) {
      const rows: CompanyRef[] = await q("marketing.company")
        .whereIn("company_uid", uids)
        .select("company_uid", "company_name", "website", "apollo_company_id", "ein_raw");
      for (const r of rows) refs.set(r.company_uid, r);
    }
    return pairs.result(refs, input);
  });
}

/** People duplicate candidates, best first. */
export function personDuplicates(q: Queryable, input: DuplicatesInput): Promise<PersonDuplicate[]> {
  return mapErrors(async () => {
    const pairs = new Pairs<PersonRef, PersonDuplicateReason>();
    const sameLinkedin = await q.raw<{ rows: Array<{ a: string; b: string }> }>(
      `SELECT a.person_id AS a, b.person_id AS b
         FROM marketing.people AS a
         JOIN marketing.people AS b ON b.linkedin_url = a.linkedin_url AND b.person_id > a.person_id`,
    );
    for (const r of sameLinkedin.rows)
      pairs.add(r.a, r.b, "same_linkedin_url", SCORES.same_linkedin_url);
    const sameName = await q.raw<{ rows: Array<{ a: string; b: string }> }>(
      `WITH p AS (
         SELECT p.person_id, p.name, p.email, coalesce(s.company_uid, p.company_uid) AS company_uid
           FROM marketing.people AS p
           LEFT JOIN marketing.company_slot AS s ON s.person_id = p.person_id)
       SELECT a.person_id AS a, b.person_id AS b
         FROM p AS a
         JOIN p AS b
           ON b.company_uid = a.company_uid
          AND lower(b.name) = lower(a.name)
          AND b.person_id > a.person_id
          AND b.email <> a.email`,
    );
    for (const r of sameName.rows)
      pairs.add(r.a, r.b, "same_name_same_company", SCORES.same_name_same_company);
    const refs = new Map<string, PersonRef>();
    const ids = pairs.uids();
    if (ids.length > 0) {
      const rows: PersonRef[] = await q("marketing.people")
        .whereIn("person_id", ids)
        .select("person_id", "name", "email", "linkedin_url", "company_uid");
      for (const r of rows) refs.set(r.person_id, r);
    }
    return pairs.result(refs, input);
  });
}
