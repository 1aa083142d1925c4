-- Reverses 001: companies, slots, the slot state machine, the normalisers,
-- the UID generators and finally the marketing schema itself (which must be
-- empty by then: no CASCADE, so objects added outside 001–005 make this fail
-- loudly instead of vanishing).

DROP FUNCTION marketing.insert_company_with_slots(text, text, text, text);
DROP FUNCTION marketing.company_json(text, text, text);
DROP TRIGGER company_slot_before_write ON marketing.company_slot;
DROP FUNCTION marketing.company_slot_before_write();
DROP TRIGGER company_before_write ON marketing.company;
DROP FUNCTION marketing.company_before_write();
DROP FUNCTION marketing.next_slot_status(text, text);
DROP TABLE marketing.slot_transition;
DROP TABLE marketing.company_slot;
DROP TABLE marketing.company;
DROP FUNCTION marketing.gen_slot_uid(text, text);
DROP FUNCTION marketing.gen_company_uid();
DROP SEQUENCE marketing.company_uid_seq;
DROP FUNCTION marketing.next_daily_uid(regclass, text, text);
DROP FUNCTION marketing.format_daily_uid(text, text, numeric);
DROP FUNCTION marketing.parse_uid(text, text);
DROP FUNCTION marketing.is_valid_uid_day(text);
DROP FUNCTION marketing.normalise_apollo_id(text);
DROP FUNCTION marketing.blank_to_null(text);
DROP FUNCTION marketing.normalise_name(text, text);
DROP FUNCTION marketing.normalise_ein(text);
DROP FUNCTION marketing.normalise_website(text);
DROP FUNCTION marketing.check_host(text);
DROP FUNCTION marketing.prepare_text(text, text, text, integer, boolean);
DROP FUNCTION marketing.punycode_encode(text);
DROP FUNCTION marketing.raise_validation(text, text, text);
DROP SCHEMA marketing;
