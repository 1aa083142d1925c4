/**
 * What the REST API answers, as JSON on the wire: core's entity schemas with their timestamps as
 * ISO 8601 strings and bigint ids as strings (JSON.stringify of what the procedures return).
 * Each schema has an id, so the OpenAPI document shows it once under components.schemas.
 * routes.ts checks at compile time that every procedure's output, serialised, fits its schema.
 */
import {
  AuditEntry,
  ChangeEventSchema,
  Company,
  HistoryEntry,
  Person,
  Slot,
  SlotEvent,
  SlotLease,
  SlotReleaseOutput,
  SlotUidSchema,
} from "@ple/core";
import { API_KEY_ROLES } from "@ple/db";
import { z } from "zod";

/** A Date after JSON.stringify: an ISO 8601 string in UTC. */
export const DateTime = z.iso.datetime().meta({
  id: "DateTime",
  description: "A point in time, ISO 8601 in UTC (2026-11-26T09:30:00.000Z).",
});

const RowId = z.string().meta({ description: "A bigint key, as a decimal string." });

export const WireCompany = Company.extend({ created_at: DateTime, updated_at: DateTime }).meta({
  id: "Company",
});
export const WireSlot = Slot.extend({ created_at: DateTime, updated_at: DateTime }).meta({
  id: "Slot",
});
export const WirePerson = Person.extend({
  validated_at: DateTime.nullable(),
  created_at: DateTime,
  updated_at: DateTime,
}).meta({ id: "Person" });

export const CompanyWithSlots = z
  .object({
    company: WireCompany,
    slots: z.array(WireSlot),
    merged_from: z.string().optional().meta({
      description: "Present when the key asked for named a company merged into this one: that UID.",
    }),
  })
  .meta({ id: "CompanyWithSlots" });
/** What a create did: created, or for a known key by on_existing: exists (skip), updated, unchanged. */
const CreateStatus = z.enum(["created", "updated", "unchanged", "exists"]);
export const CreateCompanyResult = CompanyWithSlots.extend({
  status: CreateStatus,
  matched_by: z.enum(["website", "apollo_company_id"]).nullable(),
  changed: z.array(z.string()),
  merged_from: z.string().optional(),
}).meta({ id: "CreateCompanyResult" });
export const CompanyPage = z
  .object({ items: z.array(WireCompany), next_cursor: z.string().nullable() })
  .meta({ id: "CompanyPage" });
export const CompanySearchHits = z
  .array(z.object({ company: WireCompany, score: z.number() }))
  .meta({ id: "CompanySearchHits" });
export const DeleteCompanyResult = z
  .object({
    company_uid: z.string(),
    deleted: z.literal(true),
    released: z.array(z.object({ slot_uid: z.string(), person_id: z.string() })),
  })
  .meta({ id: "DeleteCompanyResult" });

export const Slots = z.array(WireSlot).meta({ id: "Slots" });
export const SlotChange = z
  .object({ slot: WireSlot, changed: z.boolean(), released_person_id: z.string().nullable() })
  .meta({ id: "SlotChange" });

// The work queue of open slots (core's slot-work.ts, with ISO timestamps).
export const WireSlotLease = SlotLease.extend({ claimed_at: DateTime, expires_at: DateTime }).meta({
  id: "SlotLease",
});
export const OpenSlotPage = z
  .object({
    items: z.array(
      z.object({ slot: WireSlot, company: WireCompany, lease: WireSlotLease.nullable() }),
    ),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: "OpenSlotPage" });
export const SlotClaimResult = z
  .object({
    claimed: z.array(z.object({ lease: WireSlotLease, slot: WireSlot, company: WireCompany })),
  })
  .meta({ id: "SlotClaimResult" });
export const SlotRenewResult = z
  .object({ renewed: z.array(WireSlotLease), lost: z.array(SlotUidSchema) })
  .meta({ id: "SlotRenewResult" });
export const SlotReleaseResult = SlotReleaseOutput.meta({ id: "SlotReleaseResult" });

// Merges (what marketing.merge_companies / merge_people answer, and the merge log).
const MergedSlot = z
  .object({
    role: z.string(),
    outcome: z.enum(["kept", "moved", "replaced", "taken_over"]),
    slot_uid: z.string(),
    status: z.string(),
    person_id: z.string().nullable(),
  })
  .meta({ id: "MergedSlot" });
const ReleasedPerson = z
  .object({ role: z.string(), slot_uid: z.string(), person_id: z.string(), status: z.string() })
  .meta({ id: "ReleasedPerson" });
const MergeCommon = z.object({
  keep: z.string(),
  drop: z.string(),
  dry_run: z.boolean(),
  filled: z.array(z.string()).meta({
    description: "Fields of the kept record that were empty and took the dropped one's value.",
  }),
  slots: z.array(MergedSlot),
  released: z.array(ReleasedPerson),
  aliases: z
    .array(z.object({ kind: z.string(), value: z.string() }))
    .meta({ description: "The dropped record's keys that now resolve to the kept one." }),
});
export const CompanyMergeResult = MergeCommon.extend({
  entity: z.literal("company"),
  people_repointed: z.array(z.string()),
  company: WireCompany,
  company_slots: z.array(WireSlot),
}).meta({ id: "CompanyMergeResult" });
export const PersonMergeResult = MergeCommon.extend({
  entity: z.literal("person"),
  person: WirePerson,
}).meta({ id: "PersonMergeResult" });
export const WireMergeRecord = z
  .object({
    merge_id: z.number().int(),
    entity: z.enum(["company", "person"]),
    kept_uid: z.string(),
    dropped_uid: z.string(),
    filled_columns: z.array(z.string()),
    slots: z.array(MergedSlot),
    released: z.array(ReleasedPerson),
    actor: z.string(),
    request_id: z.string().nullable(),
    at: DateTime,
  })
  .meta({ id: "MergeRecord" });

export const CreatePersonResult = z
  .object({
    status: CreateStatus,
    person: WirePerson,
    changed: z.array(z.string()),
    merged_from: z.string().optional(),
  })
  .meta({ id: "CreatePersonResult" });
export const PersonPage = z
  .object({ items: z.array(WirePerson), next_cursor: z.string().nullable() })
  .meta({ id: "PersonPage" });

const ErasureCounts = z.object({
  history_rows: z.number().int(),
  audit_rows: z.number().int(),
  import_rejects: z.number().int(),
  api_responses: z.number().int(),
  slots_vacated: z.number().int(),
});
export const PersonErasure = z
  .object({
    status: z.enum(["erased", "already_erased"]),
    person_id: z.string(),
    erased_fields: z.array(z.string()).optional(),
    erased_at: z.string().optional(),
    counts: ErasureCounts,
    tombstone: z
      .object({
        person_id: z.string(),
        erased_at: DateTime,
        actor: z.string(),
        request_id: z.string().nullable(),
        erased_fields: z.array(z.string()),
        counts: ErasureCounts,
        reason: z.string().nullable(),
      })
      .nullable(),
  })
  .meta({ id: "PersonErasure" });

export const EventPage = z
  .object({
    events: z.array(ChangeEventSchema.meta({ id: "ChangeEvent" })),
    next: z.number().int().meta({ description: "Where the next read starts: pass it as after." }),
    head: z.number().int().meta({ description: "The last position committed at the read." }),
  })
  .meta({ id: "EventPage" });

export const WireHistoryEntry = HistoryEntry.extend({
  history_id: z.string().nullable().meta({
    description:
      "The stored version's key, as a decimal string; null for the current version (the record itself).",
  }),
  valid_from: DateTime,
  valid_to: DateTime.nullable(),
  txid: RowId,
}).meta({ id: "HistoryEntry" });
export const WireAuditEntry = AuditEntry.extend({
  audit_id: RowId,
  at: DateTime,
  txid: RowId,
}).meta({ id: "AuditEntry" });
export const WireSlotEvent = SlotEvent.extend({ event_id: RowId, at: DateTime, txid: RowId }).meta({
  id: "SlotEvent",
});

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(API_KEY_ROLES),
    key_prefix: z.string(),
    created_at: DateTime,
    revoked_at: DateTime.nullable(),
    last_used_at: DateTime.nullable(),
  })
  .meta({ id: "ApiKey" });
export const CreatedApiKey = ApiKey.extend({
  key: z.string().meta({ description: "The key itself: shown once, store it now." }),
}).meta({ id: "CreatedApiKey" });

export const Health = z
  .object({
    status: z.enum(["ok", "degraded", "unavailable"]),
    database: z.object({
      reachable: z.boolean(),
      kind: z.enum(["server", "embedded"]),
      latency_ms: z.number().nullable(),
    }),
    migrations: z
      .object({
        current: z.boolean(),
        version: z.string().nullable(),
        pending: z.array(z.string()),
        drift: z.array(z.string()),
        missing: z.array(z.string()),
      })
      .nullable(),
    checked_at: DateTime,
  })
  .meta({ id: "Health" });
