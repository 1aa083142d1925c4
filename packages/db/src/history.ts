/**
 * History and audit: "as of" versions of a company, slot or person, the
 * per-record audit trail, and slot assignment events per slot or per person.
 */
import {
  AuditEntry,
  type AuditTrailInput,
  type HistoryAsOfInput,
  type HistoryEntity,
  HistoryEntry,
  parseUid,
  SlotEvent,
  type SlotEventsInput,
} from "@ple/core";
import type { Queryable } from "./database.js";
import { mapErrors } from "./errors.js";

// Every version of a record (migration 015): the superseded ones stored in company_history,
// company_slot_history and people_history, and the current one, which is the live row
// (history_id null).
const HISTORY_TABLES: Record<HistoryEntity, { table: string; key: string }> = {
  company: { table: "marketing.company_versions", key: "company_uid" },
  slot: { table: "marketing.company_slot_versions", key: "slot_uid" },
  person: { table: "marketing.people_versions", key: "person_id" },
};

function entityOf(uid: string): HistoryEntity {
  const parsed = parseUid(uid);
  if (!parsed.ok) throw parsed.error;
  return parsed.value.kind;
}

function historyQuery(q: Queryable, entity: HistoryEntity, uid: string) {
  const { table, key } = HISTORY_TABLES[entity];
  return q(table)
    .where(key, uid)
    .select(
      "history_id",
      "operation",
      "valid_from",
      q.raw("CASE WHEN valid_to = 'infinity' THEN NULL ELSE valid_to END AS valid_to"),
      "row_data",
      "actor",
      "request_id",
      "txid",
    );
}

function toEntry(entity: HistoryEntity, uid: string, row: Record<string, unknown>): HistoryEntry {
  return HistoryEntry.parse({ ...row, entity, uid });
}

/** The version of a record current at `as_of`; null when it did not exist then. */
export function historyAsOf(q: Queryable, input: HistoryAsOfInput): Promise<HistoryEntry | null> {
  return mapErrors(async () => {
    const entity = entityOf(input.uid);
    const row: Record<string, unknown> | undefined = await historyQuery(q, entity, input.uid)
      .where("valid_from", "<=", input.as_of)
      .where("valid_to", ">", input.as_of)
      .first();
    return row === undefined ? null : toEntry(entity, input.uid, row);
  });
}

/** Every version of a record, oldest first. */
export function listHistory(q: Queryable, uid: string): Promise<HistoryEntry[]> {
  return mapErrors(async () => {
    const entity = entityOf(uid);
    const rows: Array<Record<string, unknown>> = await historyQuery(q, entity, uid).orderBy(
      "valid_from",
    );
    return rows.map((row) => toEntry(entity, uid, row));
  });
}

/** The audit trail of one record (company, slot or person), newest first. */
export function auditTrail(q: Queryable, input: AuditTrailInput): Promise<AuditEntry[]> {
  return mapErrors(async () => {
    entityOf(input.uid);
    const rows: Array<Record<string, unknown>> = await q("marketing.audit_log")
      .where("record_key", input.uid)
      .orderBy([
        { column: "at", order: "desc" },
        { column: "audit_id", order: "desc" },
      ])
      .limit(input.limit)
      .select("*");
    return rows.map((row) => AuditEntry.parse(row));
  });
}

/** Slot assignment events of a slot, or concerning a person (as newcomer or leaver), oldest first. */
export function slotEvents(q: Queryable, input: SlotEventsInput): Promise<SlotEvent[]> {
  return mapErrors(async () => {
    const query = q("marketing.slot_event")
      .orderBy([
        { column: "at", order: "asc" },
        { column: "event_id", order: "asc" },
      ])
      .select("*");
    if ("slot_uid" in input) query.where("slot_uid", input.slot_uid);
    else query.where("person_id", input.person_id);
    const rows: Array<Record<string, unknown>> = await query;
    return rows.map((row) => SlotEvent.parse(row));
  });
}
