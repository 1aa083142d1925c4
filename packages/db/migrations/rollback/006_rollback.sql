-- Reverses 006_api_access.
DROP TABLE IF EXISTS marketing.idempotency_key;
DROP TABLE IF EXISTS marketing.api_key;
DROP FUNCTION IF EXISTS marketing.record_api_key_change();
