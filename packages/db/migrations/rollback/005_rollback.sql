-- ple:transaction=false
-- Reverses 005: drops its indexes CONCURRENTLY (each statement safe to
-- re-run), then pg_trgm if 005 installed it (its comment says so) and no
-- object outside the extension depends on it.

DROP INDEX CONCURRENTLY IF EXISTS marketing.slot_event_previous_person_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.slot_event_person_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.slot_event_slot_uid_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.people_history_uid_valid_from_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.company_slot_history_uid_valid_from_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.company_history_uid_valid_from_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.audit_log_record_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.people_company_uid_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.people_lower_name_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.company_slot_open_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.company_created_at_uid_idx;
DROP INDEX CONCURRENTLY IF EXISTS marketing.company_name_trgm_idx;

DO $$
BEGIN
  IF obj_description((SELECT oid FROM pg_extension WHERE extname = 'pg_trgm'), 'pg_extension')
       LIKE '%installed by PLE migration 005%' THEN
    -- RESTRICT: an index or function elsewhere that uses pg_trgm keeps it.
    DROP EXTENSION pg_trgm RESTRICT;
  END IF;
EXCEPTION WHEN dependent_objects_still_exist THEN
  RAISE NOTICE 'pg_trgm is kept: objects outside PLE use it';
END;
$$;
