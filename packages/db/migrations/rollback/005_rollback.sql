-- ple:transaction=false
-- Reverses 005: drops its indexes CONCURRENTLY (each statement safe to
-- re-run). pg_trgm stays installed: it is database-wide and other schemas of
-- the same database may use it; 005's CREATE EXTENSION IF NOT EXISTS makes
-- re-applying a no-op.

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
