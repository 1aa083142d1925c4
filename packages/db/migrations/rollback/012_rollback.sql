-- Reverses 012: the erasure reason, the suppression list (its entries and key
-- go with it; the audit log keeps its rows about them), the company-per-person
-- triggers, and pgcrypto if 012 installed it.

DROP FUNCTION marketing.erase_person(text, text);
ALTER TABLE marketing.pii_erasure
  DROP CONSTRAINT pii_erasure_reason_length,
  DROP COLUMN reason;

DROP FUNCTION marketing.unsuppress_identity(text, text);
DROP FUNCTION marketing.suppress_identity(text, text);
DROP TRIGGER import_reject_redact_suppressed ON marketing.import_reject;
DROP FUNCTION marketing.import_reject_redact_suppressed();
DROP TRIGGER people_suppress_erased ON marketing.people;
DROP FUNCTION marketing.people_suppress_erased();
DROP TRIGGER people_refuse_suppressed ON marketing.people;
DROP FUNCTION marketing.people_refuse_suppressed();
DROP FUNCTION marketing.refuse_suppressed(text, text);
DROP FUNCTION marketing.raise_suppressed(text);
DROP FUNCTION marketing.suppressed_kind(text, text);
DROP FUNCTION marketing.suppression_identity(text);
DROP FUNCTION marketing.suppression_hash_for_entry(text, text);
DROP FUNCTION marketing.suppression_hash(text, text);
DROP TABLE marketing.suppression;
DROP TABLE marketing.suppression_secret;

DROP VIEW marketing.person_company_mismatch;
DROP FUNCTION marketing.displace_slot_person(text, text, text, boolean);
DROP FUNCTION marketing.propose_person_for_slot(text, text, boolean);
DROP FUNCTION marketing.link_person_to_slot(text, text, boolean);
DROP TRIGGER people_company_of_slot ON marketing.people;
DROP FUNCTION marketing.people_company_of_slot();
DROP TRIGGER company_slot_person_company ON marketing.company_slot;
DROP FUNCTION marketing.company_slot_person_company();
DROP FUNCTION marketing.raise_company_mismatch(text, text, text, text);

DO $$
BEGIN
  IF obj_description((SELECT oid FROM pg_extension WHERE extname = 'pgcrypto'), 'pg_extension')
       LIKE '%installed by PLE migration 012%' THEN
    DROP EXTENSION pgcrypto RESTRICT;
  END IF;
EXCEPTION WHEN dependent_objects_still_exist THEN
  RAISE NOTICE 'pgcrypto is kept: objects outside PLE use it';
END;
$$;
