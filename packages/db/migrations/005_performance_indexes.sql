-- ple:transaction=false
-- 005 performance indexes for the API's look-ups, searches and pagination,
-- built CONCURRENTLY so writes never block. Runs outside a transaction, one
-- statement at a time, and is safe to re-run after a crash: a crashed
-- CREATE INDEX CONCURRENTLY leaves an INVALID index that IF NOT EXISTS would
-- keep, so each index is first dropped (CONCURRENTLY, IF EXISTS). The file
-- only runs again when it was never recorded as applied, so the drop only
-- ever removes leftovers of an interrupted run.

-- pg_trgm is database-wide. When it is missing, 005 installs it in public and
-- says so in the extension's comment; the rollback removes it only then (and
-- only when nothing else has come to depend on it). An extension someone else
-- installed is used as it is and left alone.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE EXTENSION pg_trgm WITH SCHEMA public;
    COMMENT ON EXTENSION pg_trgm IS
      'text similarity measurement and index searching based on trigrams (installed by PLE migration 005, removed by its rollback)';
  END IF;
END;
$$;

-- Name search (ILIKE '%…%', similarity) on company names.
DROP INDEX CONCURRENTLY IF EXISTS marketing.company_name_trgm_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS company_name_trgm_idx
  ON marketing.company USING gin (company_name public.gin_trgm_ops);

-- Cursor pagination: ORDER BY created_at, company_uid.
DROP INDEX CONCURRENTLY IF EXISTS marketing.company_created_at_uid_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS company_created_at_uid_idx
  ON marketing.company (created_at, company_uid);

-- Companies with open slots.
DROP INDEX CONCURRENTLY IF EXISTS marketing.company_slot_open_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS company_slot_open_idx
  ON marketing.company_slot (company_uid, role)
  WHERE status = 'open';

-- People by name (case-insensitive) and by company.
DROP INDEX CONCURRENTLY IF EXISTS marketing.people_lower_name_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS people_lower_name_idx
  ON marketing.people (lower(name));

DROP INDEX CONCURRENTLY IF EXISTS marketing.people_company_uid_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS people_company_uid_idx
  ON marketing.people (company_uid);

-- A record's audit trail.
DROP INDEX CONCURRENTLY IF EXISTS marketing.audit_log_record_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_record_idx
  ON marketing.audit_log (table_name, record_key, at);

-- "As of" look-ups.
DROP INDEX CONCURRENTLY IF EXISTS marketing.company_history_uid_valid_from_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS company_history_uid_valid_from_idx
  ON marketing.company_history (company_uid, valid_from);

DROP INDEX CONCURRENTLY IF EXISTS marketing.company_slot_history_uid_valid_from_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS company_slot_history_uid_valid_from_idx
  ON marketing.company_slot_history (slot_uid, valid_from);

DROP INDEX CONCURRENTLY IF EXISTS marketing.people_history_uid_valid_from_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS people_history_uid_valid_from_idx
  ON marketing.people_history (person_id, valid_from);

-- Slot events per slot and per person (as newcomer or as previous holder).
DROP INDEX CONCURRENTLY IF EXISTS marketing.slot_event_slot_uid_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS slot_event_slot_uid_idx
  ON marketing.slot_event (slot_uid, at);

DROP INDEX CONCURRENTLY IF EXISTS marketing.slot_event_person_id_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS slot_event_person_id_idx
  ON marketing.slot_event (person_id, at);

DROP INDEX CONCURRENTLY IF EXISTS marketing.slot_event_previous_person_id_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS slot_event_previous_person_id_idx
  ON marketing.slot_event (previous_person_id, at);
