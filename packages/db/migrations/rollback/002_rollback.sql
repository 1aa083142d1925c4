-- Reverses 002: the people table (and its rows), its UID sequence and the
-- email and LinkedIn normalisers. Slots that held one of those people are
-- opened again, since the people they pointed to are gone.

UPDATE marketing.company_slot
   SET status = 'open', person_id = NULL
 WHERE person_id IS NOT NULL;

DROP FUNCTION marketing.insert_person(text, text, text);
DROP TRIGGER people_before_write ON marketing.people;
DROP FUNCTION marketing.people_before_write();
DROP TABLE marketing.people;
DROP FUNCTION marketing.gen_person_uid();
DROP SEQUENCE marketing.person_uid_seq;
DROP FUNCTION marketing.normalise_linkedin_url(text);
DROP FUNCTION marketing.percent_decode(text);
DROP FUNCTION marketing.normalise_email(text);
