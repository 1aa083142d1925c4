-- Rollback of 007 operations. The ERASE and PURGE entries of the audit log
-- cannot satisfy the original checks, so they go with the tombstone table.

DROP FUNCTION marketing.purge_retention(integer, integer, integer, boolean);
DROP FUNCTION marketing.erase_person(text);
DROP FUNCTION marketing.erase_person_json(jsonb, text);
DROP FUNCTION marketing.contains_any(text, text[]);
DROP FUNCTION marketing.erase_text(text, text[], text);
DROP FUNCTION marketing.erased_email(text);
DROP TABLE marketing.pii_erasure;

SELECT set_config('ple.audit_maintenance', 'on', true);
DELETE FROM marketing.audit_log WHERE operation IN ('ERASE', 'PURGE');
SELECT set_config('ple.audit_maintenance', 'off', true);

ALTER TABLE marketing.audit_log
  DROP CONSTRAINT audit_log_operation_check,
  DROP CONSTRAINT audit_log_values_check,
  ADD CONSTRAINT audit_log_operation_check
    CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')) NOT VALID,
  ADD CONSTRAINT audit_log_values_check CHECK (
    (operation = 'INSERT' AND old_values IS NULL AND new_values IS NOT NULL)
    OR (operation = 'UPDATE' AND old_values IS NOT NULL AND new_values IS NOT NULL)
    OR (operation = 'DELETE' AND old_values IS NOT NULL AND new_values IS NULL)
  ) NOT VALID;

ALTER TABLE marketing.audit_log VALIDATE CONSTRAINT audit_log_operation_check;
ALTER TABLE marketing.audit_log VALIDATE CONSTRAINT audit_log_values_check;
