/**
 * Merges of duplicate companies and people (marketing.merge_companies and
 * marketing.merge_people, one transaction each) and the merge log that ties a
 * dropped record's history to the record kept.
 */
import {
  Company,
  type CompanyMergeInput,
  Person,
  type PersonMergeInput,
  PleError,
  Slot,
} from "@ple/core";
import type { Queryable } from "./database.js";
import { mapErrors } from "./errors.js";

/** What happened to one role's slot in a company merge, or to the slot a person held. */
export interface MergedSlot {
  role: string;
  /**
   * kept: the kept record's slot as it was; moved: the dropped company's occupant moved into
   * the kept company's open slot; replaced: prefer drop put the dropped company's occupant in
   * place of the kept one's; taken_over: the kept person took the dropped person's slot.
   */
  outcome: "kept" | "moved" | "replaced" | "taken_over";
  slot_uid: string;
  status: string;
  person_id: string | null;
}

/** A person a company merge released from a slot (VACATED or REJECTED slot event). */
export interface ReleasedPerson {
  role: string;
  slot_uid: string;
  person_id: string;
  status: string;
}

interface MergeCommon {
  keep: string;
  drop: string;
  dry_run: boolean;
  /** Fields of the kept record that were empty and took the dropped record's value. */
  filled: string[];
  slots: MergedSlot[];
  released: ReleasedPerson[];
  /** The dropped record's keys that now resolve to the kept one. */
  aliases: Array<{ kind: string; value: string }>;
}

export interface CompanyMergeResult extends MergeCommon {
  entity: "company";
  /** People whose company_uid was the dropped company's. */
  people_repointed: string[];
  company: Company;
  company_slots: Slot[];
}

export interface PersonMergeResult extends MergeCommon {
  entity: "person";
  person: Person;
}

interface RawMerge {
  [key: string]: unknown;
  company?: unknown;
  company_slots?: unknown[];
  person?: unknown;
}

async function callMerge(q: Queryable, sql: string, bindings: unknown[]): Promise<RawMerge> {
  const result = await q.raw<{ rows: Array<{ result: RawMerge | null }> }>(sql, bindings as never);
  const out = result.rows[0]?.result;
  if (out === undefined || out === null)
    throw new PleError("INTERNAL", "The merge returned nothing");
  return out;
}

/**
 * Merges company `drop` into `keep` in one transaction: empty fields filled from the dropped
 * company, slots merged by role (MERGE_CONFLICT when both have one occupied and `prefer` does not
 * say which stays), its people re-pointed, its UID, website and Apollo id kept resolving. A dry
 * run answers the same and changes nothing.
 */
export function mergeCompanies(
  q: Queryable,
  input: CompanyMergeInput,
): Promise<CompanyMergeResult> {
  return mapErrors(async () => {
    const out = await callMerge(
      q,
      "SELECT marketing.merge_companies(?, ?, ?::jsonb, ?) AS result",
      [input.keep, input.drop, JSON.stringify(input.prefer), input.dry_run],
    );
    return {
      entity: "company",
      keep: input.keep,
      drop: input.drop,
      dry_run: input.dry_run,
      filled: out.filled as string[],
      slots: out.slots as MergedSlot[],
      released: out.released as ReleasedPerson[],
      people_repointed: out.people_repointed as string[],
      aliases: out.aliases as MergeCommon["aliases"],
      company: Company.parse(out.company),
      company_slots: (out.company_slots ?? []).map((slot) => Slot.parse(slot)),
    };
  });
}

/**
 * Merges person `drop` into `keep`: empty fields filled, the dropped person's slot taken over
 * when only they held one (both in slots → MERGE_CONFLICT), their id and email kept resolving.
 */
export function mergePeople(q: Queryable, input: PersonMergeInput): Promise<PersonMergeResult> {
  return mapErrors(async () => {
    const out = await callMerge(q, "SELECT marketing.merge_people(?, ?, ?) AS result", [
      input.keep,
      input.drop,
      input.dry_run,
    ]);
    return {
      entity: "person",
      keep: input.keep,
      drop: input.drop,
      dry_run: input.dry_run,
      filled: out.filled as string[],
      slots: out.slots as MergedSlot[],
      released: out.released as ReleasedPerson[],
      aliases: out.aliases as MergeCommon["aliases"],
      person: Person.parse(out.person),
    };
  });
}

/** One merge a record took part in, as kept or as dropped. */
export interface MergeRecord {
  merge_id: number;
  entity: "company" | "person";
  kept_uid: string;
  dropped_uid: string;
  filled_columns: string[];
  slots: MergedSlot[];
  released: ReleasedPerson[];
  actor: string;
  request_id: string | null;
  at: Date;
}

/** The merges a company or person UID took part in (kept or dropped), oldest first. */
export function listMerges(q: Queryable, uid: string): Promise<MergeRecord[]> {
  return mapErrors(async () => {
    const rows: Array<Record<string, unknown>> = await q("marketing.record_merge")
      .where("kept_uid", uid)
      .orWhere("dropped_uid", uid)
      .orderBy("merge_id")
      .select(
        "merge_id",
        "entity",
        "kept_uid",
        "dropped_uid",
        "filled_columns",
        "slots",
        "released",
        "actor",
        "request_id",
        "at",
      );
    return rows.map((row) => ({
      merge_id: Number(row.merge_id),
      entity: row.entity === "person" ? "person" : "company",
      kept_uid: String(row.kept_uid),
      dropped_uid: String(row.dropped_uid),
      filled_columns: (row.filled_columns as string[] | null) ?? [],
      slots: row.slots as MergedSlot[],
      released: row.released as ReleasedPerson[],
      actor: String(row.actor),
      request_id: row.request_id === null ? null : String(row.request_id),
      at: row.at instanceof Date ? row.at : new Date(String(row.at)),
    }));
  });
}
