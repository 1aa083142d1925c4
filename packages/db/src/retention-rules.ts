/**
 * Which tables grow with use and how long their rows are kept: the one registry behind
 * `ple retention purge`, its help text, the README and the test that fails when a table of
 * the schema is in neither list below.
 *
 * A new table is one entry: in RETENTION_RULES when rows pile up as the system is used
 * (logs, stored responses, rejects, leases, events…), or in KEPT_TABLES when its rows are
 * the data itself (kept until someone deletes them) or written by migrations only.
 */

export interface RetentionRule {
  /** Schema-qualified table. */
  table: string;
  /** The environment variable (whole days, or `forever`) that overrides the default. */
  setting: string;
  /** Days a row is kept by default; null keeps rows forever until the setting says otherwise. */
  defaultDays: number | null;
  /**
   * How a row's age is measured: the timestamp column compared with the cut-off (plus an
   * optional SQL condition), or "purge_retention" for the tables whose purge is the SQL
   * function marketing.purge_retention (migration 007: it writes the PURGE audit entry and may
   * rewrite the append-only logs), or `{ purge }`: a SQL function `(days integer, dry_run boolean)
   * → bigint` that deletes (or counts) the rows itself, for an append-only table whose triggers
   * refuse a plain delete.
   */
  age: { column: string; where?: string } | { purge: string } | "purge_retention";
  /** What the rows are and why this default. */
  why: string;
}

export const RETENTION_RULES: readonly RetentionRule[] = [
  {
    table: "marketing.company_history",
    setting: "PLE_RETENTION_HISTORY_DAYS",
    defaultDays: null,
    age: "purge_retention",
    why: "closed versions of companies (time travel); current versions are never purged",
  },
  {
    table: "marketing.company_slot_history",
    setting: "PLE_RETENTION_HISTORY_DAYS",
    defaultDays: null,
    age: "purge_retention",
    why: "closed versions of slots (time travel); current versions are never purged",
  },
  {
    table: "marketing.people_history",
    setting: "PLE_RETENTION_HISTORY_DAYS",
    defaultDays: null,
    age: "purge_retention",
    why: "closed versions of people (time travel); current versions are never purged",
  },
  {
    table: "marketing.audit_log",
    setting: "PLE_RETENTION_AUDIT_DAYS",
    defaultDays: null,
    age: "purge_retention",
    why: "who changed what: kept until an audit period is set",
  },
  {
    table: "marketing.slot_event",
    setting: "PLE_RETENTION_AUDIT_DAYS",
    defaultDays: null,
    age: "purge_retention",
    why: "slot moves, with the audit log",
  },
  {
    table: "marketing.import_reject",
    setting: "PLE_RETENTION_REJECT_DAYS",
    defaultDays: 90,
    age: "purge_retention",
    why: "rows an import could not take, with their raw text (personal data): 90 days to fix and re-import",
  },
  {
    table: "marketing.idempotency_key",
    setting: "PLE_RETENTION_IDEMPOTENCY_DAYS",
    defaultDays: 1,
    age: { column: "created_at" },
    why: "stored API responses for retried mutations (may hold personal data): a client retries within minutes, 1 day covers it",
  },
  {
    table: "ple_migrations.migration_run_log",
    setting: "PLE_RETENTION_RUN_LOG_DAYS",
    defaultDays: 365,
    age: { column: "started_at", where: "outcome <> 'running'" },
    why: "one row per migration run; a crashed run's 'running' row is kept until it is looked at",
  },
  {
    table: "marketing.slot_lease",
    setting: "PLE_RETENTION_LEASE_DAYS",
    defaultDays: 0,
    age: { column: "expires_at" },
    why: "workers' claims on open slots (migration 013): an expired lease means nothing, so it goes at the next purge",
  },
  {
    table: "marketing.event",
    setting: "PLE_RETENTION_EVENT_DAYS",
    defaultDays: 90,
    age: { purge: "marketing.purge_events" },
    why: "the change feed (migration 014): consumers and the relay read it within minutes; 90 days lets one that was down catch up",
  },
  {
    table: "marketing.event_commit",
    setting: "PLE_RETENTION_EVENT_DAYS",
    defaultDays: 90,
    age: { purge: "marketing.purge_event_commits" },
    why: "one row per commit that wrote events (migration 018: where its positions start); it goes with its last event",
  },
];

/** Tables that do not grow with use alone, and why their rows are kept. */
export const KEPT_TABLES: Readonly<Record<string, string>> = {
  "marketing.company": "the data: kept until deleted",
  "marketing.company_slot": "the data: six slots per company",
  "marketing.people": "the data: kept until deleted or erased",
  "marketing.api_key": "credentials: kept until revoked and deleted",
  "marketing.pii_erasure":
    "one tombstone per erased person, the proof of the erasure (no personal data)",
  "marketing.slot_transition": "reference data written by migration 001 (the slot state machine)",
  "marketing.idna_mapping": "reference data written by migration 009 (UTS #46 mapping table)",
  "marketing.idna_pattern":
    "reference data written by migration 009 (UTS #46 joiner and bidi rules)",
  "marketing.unicode_decomposition": "reference data written by migration 009 (NFC decompositions)",
  "marketing.unicode_combining_class":
    "reference data written by migration 009 (canonical combining classes)",
  "marketing.unicode_composition": "reference data written by migration 009 (NFC compositions)",
  "marketing.suppression":
    "erased identities as keyed hashes (migration 012): kept so an erasure survives the next import",
  "marketing.suppression_secret": "one row: the key of the suppression list's hashes",
  "marketing.record_merge":
    "one row per merge (migration 011): what the dropped record held, so a merge can be read back",
  "marketing.company_alias":
    "the keys of merged-away companies: they keep resolving to the kept one",
  "marketing.person_alias": "the keys of merged-away people: they keep resolving to the kept one",
  "marketing.event_clock": "one row: the last change-feed position handed out",
  "marketing.event_pending":
    "empty between transactions: those whose events get positions at commit",
  "marketing.event_relay": "one row per relay: the position it published up to",
  "ple_migrations.knex_migrations": "one row per applied migration",
  "ple_migrations.knex_migrations_lock": "the runner's lock row",
  "ple_migrations.migration_checksum": "one row per applied migration",
};

/** Tables whose rows are written by migrations only: dropping them loses no one's data. */
export const REFERENCE_TABLES: ReadonlySet<string> = new Set([
  "marketing.slot_transition",
  "marketing.idna_mapping",
  "marketing.idna_pattern",
  "marketing.unicode_decomposition",
  "marketing.unicode_combining_class",
  "marketing.unicode_composition",
]);

/** The settings, each once, with its default (the rules sharing a setting share a default). */
export function retentionSettings(): Array<{
  setting: string;
  defaultDays: number | null;
  tables: string[];
}> {
  const settings = new Map<
    string,
    { setting: string; defaultDays: number | null; tables: string[] }
  >();
  for (const rule of RETENTION_RULES) {
    const entry = settings.get(rule.setting);
    if (entry) entry.tables.push(rule.table);
    else
      settings.set(rule.setting, {
        setting: rule.setting,
        defaultDays: rule.defaultDays,
        tables: [rule.table],
      });
  }
  return [...settings.values()];
}
