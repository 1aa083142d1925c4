/**
 * The set-based steps of a people import batch that come after importPersonBatch: which rows the
 * suppression list refuses, and the links of people into their companies' slots. Each costs one
 * or two statements per batch instead of a function call (and three round trips) per row, and
 * ends as the per-row SQL would, row by row in file order:
 * - marketing.people_refuse_suppressed refuses a row whose insert would create a person with a
 *   suppressed email or LinkedIn URL (a row finding a stored person inserts nothing);
 * - marketing.link_person_to_slot links into an open slot a person who holds no other, and the
 *   CLI's store reads its refusals as slot_taken / person_in_other_slot; the trigger
 *   company_slot_person_company sets an empty company or refuses another (COMPANY_MISMATCH).
 * Whatever these steps cannot decide the same way (a missing slot, a COMPANY_MISMATCH, a slot in
 * an odd state, a concurrent writer) they answer with null, and the caller redoes the batch row
 * by row, where the per-row SQL decides and rejects exactly that row.
 */
import type { Knex } from "knex";
import type { Queryable } from "./database.js";
import { toPleError } from "./errors.js";

/** A person row's identity, normalised by @ple/core. */
export interface ImportIdentity {
  email: string;
  linkedin_url?: string | null | undefined;
}

// Whether each row's email names a stored person (or a merged-away one), and which of its email
// and LinkedIn URL is suppressed ('email' first, as suppressed_kind answers). The HMACs are only
// computed when the list holds anything (an InitPlan evaluated once), and on the values as the
// people_before_write trigger would store them.
const SUPPRESSION_LOOKUP_SQL = `
  SELECT r.i,
         EXISTS (SELECT 1 FROM marketing.people AS p WHERE p.email = r.email)
           OR EXISTS (SELECT 1 FROM marketing.person_alias AS a
                       WHERE a.alias_kind = 'email' AND a.alias_value = r.email) AS known,
         CASE WHEN EXISTS (SELECT 1 FROM marketing.suppression)
              THEN marketing.suppressed_kind(
                     marketing.normalise_email(r.email),
                     CASE WHEN r.linkedin_url IS NULL THEN NULL
                          ELSE marketing.normalise_linkedin_url(r.linkedin_url) END)
         END AS kind
    FROM json_to_recordset(?::json) AS r(i integer, email text, linkedin_url text)`;

/**
 * The rows of a batch (indexes, in order) whose person the suppression list refuses: the first
 * row of an email nobody has (neither stored nor created by an earlier row of the batch) whose
 * email or LinkedIn URL is suppressed. A refused row creates nobody, so a later row of the same
 * email is judged again by its own LinkedIn URL. One statement; reads only.
 */
export async function suppressedImportRows(
  q: Queryable,
  rows: readonly ImportIdentity[],
): Promise<number[]> {
  if (rows.length === 0) return [];
  try {
    const result = await q.raw<{ rows: Array<{ i: number; known: boolean; kind: string | null }> }>(
      SUPPRESSION_LOOKUP_SQL,
      [
        JSON.stringify(
          rows.map((r, i) => ({ i, email: r.email, linkedin_url: r.linkedin_url ?? null })),
        ),
      ],
    );
    const byIndex = new Map(result.rows.map((r) => [r.i, r] as const));
    if (!result.rows.some((r) => r.kind !== null)) return [];
    const created = new Set<string>();
    const refused: number[] = [];
    for (const [i, row] of rows.entries()) {
      const found = byIndex.get(i);
      if (found?.known || created.has(row.email)) continue;
      if (found?.kind) refused.push(i);
      else created.add(row.email);
    }
    return refused;
  } catch (err) {
    throw toPleError(err);
  }
}

/** What linking a person into a slot did (the CLI store's LinkOutcome). */
export type ImportLinkOutcome = "linked" | "already_linked" | "slot_taken" | "person_in_other_slot";

export interface ImportLink {
  person_id: string;
  slot_uid: string;
}

interface SlotState {
  company_uid: string;
  status: string;
  person_id: string | null;
}

/**
 * link_person_to_slot's decisions for a batch's links in file order, from the slots' and people's
 * state before the batch links anyone (pure; see linkImportedPeople). Null when a link is one the
 * per-row path must decide: a slot or person not found, a person proposed for the slot, or a
 * person of another company (COMPANY_MISMATCH).
 */
export function planImportLinks(
  links: readonly ImportLink[],
  slots: ReadonlyMap<string, SlotState>,
  people: ReadonlyMap<string, { company_uid: string | null; held: string | null }>,
): { outcomes: ImportLinkOutcome[]; writes: ImportLink[] } | null {
  // Working copies: the state as the links before each one leave it.
  const slot = new Map<string, SlotState>([...slots].map(([uid, s]) => [uid, { ...s }]));
  const person = new Map<string, { company_uid: string | null; held: string | null }>(
    [...people].map(([id, p]) => [id, { ...p }]),
  );
  const outcomes: ImportLinkOutcome[] = [];
  const writes: ImportLink[] = [];
  for (const link of links) {
    const s = slot.get(link.slot_uid);
    const p = person.get(link.person_id);
    if (s === undefined || p === undefined) return null;
    if (s.person_id === link.person_id) {
      if (s.status !== "filled") return null;
      outcomes.push("already_linked");
      continue;
    }
    const heldElsewhere = p.held !== null && p.held !== link.slot_uid;
    if (s.status !== "open" || s.person_id !== null || heldElsewhere) {
      // link_person_to_slot answers false; linkPersonToSlot then names why.
      outcomes.push(s.person_id === null && heldElsewhere ? "person_in_other_slot" : "slot_taken");
      continue;
    }
    if (p.company_uid !== null && p.company_uid !== s.company_uid) return null;
    s.status = "filled";
    s.person_id = link.person_id;
    p.held = link.slot_uid;
    p.company_uid = s.company_uid;
    writes.push(link);
    outcomes.push("linked");
  }
  return { outcomes, writes };
}

/** The link UPDATE did not write what was planned (rolled back). */
class NotAsPlanned extends Error {}

const SLOT_STATE_SQL = `
  SELECT s.slot_uid, s.company_uid, s.status, s.person_id
    FROM marketing.company_slot AS s
   WHERE s.slot_uid IN (SELECT json_array_elements_text(?::json))
   ORDER BY s.slot_uid
     FOR UPDATE OF s`;

const PERSON_STATE_SQL = `
  SELECT p.person_id, p.company_uid,
         (SELECT s.slot_uid FROM marketing.company_slot AS s WHERE s.person_id = p.person_id) AS held
    FROM marketing.people AS p
   WHERE p.person_id IN (SELECT json_array_elements_text(?::json))`;

// The same change apply_slot_change makes (its triggers: slot history and audit, the slot event,
// the change feed, the person's company), for every planned link in one statement.
const LINK_SQL = `
  UPDATE marketing.company_slot AS s
     SET status = 'filled', person_id = r.person_id
    FROM json_to_recordset(?::json) AS r(person_id text, slot_uid text)
   WHERE s.slot_uid = r.slot_uid`;

/**
 * Links a batch's people into their slots, as link_person_to_slot would in file order: the slots
 * are locked in slot_uid order (two imports linking into the same slots queue instead of
 * deadlocking), their state and the people's read, the links planned (planImportLinks) and
 * written in one UPDATE, in a savepoint. Null (nothing written) when the batch must go row by
 * row: a link the plan leaves to the per-row path, or an UPDATE the database refused (a person
 * linked or moved meanwhile). A lost race (deadlock) is thrown, for the caller to retry.
 */
export async function linkImportedPeople(
  q: Queryable,
  links: readonly ImportLink[],
): Promise<ImportLinkOutcome[] | null> {
  if (links.length === 0) return [];
  try {
    return await q.transaction(async (trx: Knex.Transaction) => {
      const slotRows = await trx.raw<{ rows: Array<SlotState & { slot_uid: string }> }>(
        SLOT_STATE_SQL,
        [JSON.stringify([...new Set(links.map((l) => l.slot_uid))])],
      );
      const personRows = await trx.raw<{
        rows: Array<{ person_id: string; company_uid: string | null; held: string | null }>;
      }>(PERSON_STATE_SQL, [JSON.stringify([...new Set(links.map((l) => l.person_id))])]);
      const plan = planImportLinks(
        links,
        new Map(slotRows.rows.map((s) => [s.slot_uid, s] as const)),
        new Map(personRows.rows.map((p) => [p.person_id, p] as const)),
      );
      if (plan === null) return null;
      if (plan.writes.length > 0) {
        const done = await trx.raw<{ rowCount: number | null }>(LINK_SQL, [
          JSON.stringify(plan.writes),
        ]);
        // A slot the UPDATE did not find although it was locked: undo the savepoint.
        if (done.rowCount !== plan.writes.length) throw new NotAsPlanned();
      }
      return plan.outcomes;
    });
  } catch (err) {
    if (err instanceof NotAsPlanned) return null;
    const error = toPleError(err);
    if (error.details?.retryable === true || error.code === "DATABASE_UNAVAILABLE") throw error;
    // Refused by the database (a trigger, the one-slot-per-person index): the per-row path
    // rejects exactly the row.
    return null;
  }
}
