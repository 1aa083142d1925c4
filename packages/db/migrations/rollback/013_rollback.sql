-- Reverses 013: slot leases go (the table, its trigger and functions).
DROP FUNCTION marketing.claim_open_slots(text, text, integer, integer);
DROP TRIGGER company_slot_end_lease ON marketing.company_slot;
DROP FUNCTION marketing.end_slot_lease();
DROP TABLE marketing.slot_lease;
