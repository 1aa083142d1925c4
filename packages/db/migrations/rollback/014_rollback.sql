-- Rollback of 014 change feed: the event triggers, functions and tables.

DROP TRIGGER record_merge_events ON marketing.record_merge;
DROP FUNCTION marketing.merge_events_insert();
DROP TRIGGER pii_erasure_events ON marketing.pii_erasure;
DROP TRIGGER people_events_update ON marketing.people;
DROP TRIGGER people_events_insert ON marketing.people;
DROP TRIGGER company_slot_events_change ON marketing.company_slot;
DROP TRIGGER company_events_delete ON marketing.company;
DROP TRIGGER company_events_update ON marketing.company;
DROP TRIGGER company_events_insert ON marketing.company;

DROP FUNCTION marketing.purge_events(integer, boolean);
DROP FUNCTION marketing.person_events_erase();
DROP FUNCTION marketing.erase_event_changes(jsonb, text);
DROP FUNCTION marketing.person_events_change();
DROP FUNCTION marketing.person_events_insert();
DROP FUNCTION marketing.slot_events_change();
DROP FUNCTION marketing.company_events_change();
DROP FUNCTION marketing.company_events_insert();
DROP FUNCTION marketing.event_changes(jsonb, jsonb, text[]);
DROP FUNCTION marketing.emit_event(text, jsonb, jsonb);

DROP TABLE marketing.event_relay;
DROP TABLE marketing.event_pending;
DROP TABLE marketing.event_clock;
DROP TABLE marketing.event;

DROP FUNCTION marketing.assign_event_positions();
DROP FUNCTION marketing.event_mark_transaction();
