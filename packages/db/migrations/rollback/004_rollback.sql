-- Reverses 004: the history, audit, slot-event and import-reject tables and
-- their triggers and functions. Companies, slots and people keep their rows;
-- the history and audit rows themselves go with their tables.

DROP FUNCTION marketing.person_as_of(text, timestamptz);
DROP FUNCTION marketing.company_slots_as_of(text, timestamptz);
DROP FUNCTION marketing.slot_as_of(text, timestamptz);
DROP FUNCTION marketing.company_as_of(text, timestamptz);

DROP TRIGGER slot_event_no_truncate ON marketing.slot_event;
DROP TRIGGER slot_event_append_only ON marketing.slot_event;
DROP TRIGGER audit_log_no_truncate ON marketing.audit_log;
DROP TRIGGER audit_log_append_only ON marketing.audit_log;
DROP FUNCTION marketing.refuse_log_rewrite();

DROP TRIGGER company_slot_record_event ON marketing.company_slot;
DROP FUNCTION marketing.record_slot_event();

DROP TRIGGER people_record_update ON marketing.people;
DROP TRIGGER people_record_change ON marketing.people;
DROP TRIGGER company_slot_record_update ON marketing.company_slot;
DROP TRIGGER company_slot_record_change ON marketing.company_slot;
DROP TRIGGER company_record_update ON marketing.company;
DROP TRIGGER company_record_change ON marketing.company;
DROP FUNCTION marketing.record_change();
DROP TRIGGER people_record_insert ON marketing.people;
DROP TRIGGER company_slot_record_insert ON marketing.company_slot;
DROP TRIGGER company_record_insert ON marketing.company;
DROP FUNCTION marketing.record_insert();

DROP TABLE marketing.import_reject;
DROP TABLE marketing.slot_event;
DROP TABLE marketing.audit_log;
DROP TABLE marketing.people_history;
DROP TABLE marketing.company_slot_history;
DROP TABLE marketing.company_history;

DROP FUNCTION marketing.current_application();
DROP FUNCTION marketing.current_request_id();
DROP FUNCTION marketing.current_actor();
