-- Reverses 003: the slot operations, the slot → person link and the
-- person's company, title and source. People and slots keep their rows (a
-- filled slot keeps its person_id; only the foreign key and the one-slot-per-
-- person index go); the company_uid, title and source columns are dropped.

DROP FUNCTION marketing.insert_person(text, text, text, text, text, text);

DROP TRIGGER company_slot_before_delete ON marketing.company_slot;
DROP FUNCTION marketing.company_slot_before_delete();
DROP FUNCTION marketing.delete_company(text, boolean);
DROP FUNCTION marketing.displace_slot_person(text, text, text);
DROP FUNCTION marketing.vacate_slot(text);
DROP FUNCTION marketing.reject_slot(text);
DROP FUNCTION marketing.confirm_slot(text);
DROP FUNCTION marketing.propose_person_for_slot(text, text);
DROP FUNCTION marketing.link_person_to_slot(text, text);
DROP FUNCTION marketing.apply_slot_change(text, text, text);
DROP FUNCTION marketing.slot_json(marketing.company_slot, jsonb);
DROP FUNCTION marketing.raise_person_already_linked(text, text);
DROP FUNCTION marketing.slot_held_by(text, text);
DROP FUNCTION marketing.slot_status_after(marketing.company_slot, text);
DROP FUNCTION marketing.require_person(text);
DROP FUNCTION marketing.lock_slot(text);
DROP FUNCTION marketing.raise_error(text, text, text, jsonb);

DROP INDEX marketing.company_slot_person_id_key;

ALTER TABLE marketing.company_slot DROP CONSTRAINT company_slot_person_id_fkey;

ALTER TABLE marketing.people
  DROP CONSTRAINT people_source_check,
  DROP CONSTRAINT people_title_not_blank,
  DROP CONSTRAINT people_company_uid_fkey,
  DROP COLUMN source,
  DROP COLUMN title,
  DROP COLUMN company_uid;

-- 002's insert_person, as it was.
-- Idempotent by normalised email; concurrent inserts of one email yield one row.
CREATE FUNCTION marketing.insert_person(p_name text, p_email text, p_linkedin_url text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_name text := marketing.normalise_name(p_name, 'name');
  v_email text := marketing.normalise_email(p_email);
  v_linkedin text := CASE
    WHEN marketing.blank_to_null(p_linkedin_url) IS NULL THEN NULL
    ELSE marketing.normalise_linkedin_url(p_linkedin_url)
  END;
  v_id text;
  v_attempt integer := 0;
BEGIN
  LOOP
    v_attempt := v_attempt + 1;
    SELECT p.person_id INTO v_id FROM marketing.people AS p WHERE p.email = v_email;
    IF v_id IS NOT NULL THEN
      RETURN json_build_object('status', 'exists', 'person_id', v_id);
    END IF;
    INSERT INTO marketing.people (person_id, name, email, linkedin_url)
    VALUES (marketing.gen_person_uid(), v_name, v_email, v_linkedin)
    ON CONFLICT DO NOTHING
    RETURNING person_id INTO v_id;
    IF v_id IS NOT NULL THEN
      RETURN json_build_object('status', 'created', 'person_id', v_id);
    END IF;
    IF v_attempt >= 3 THEN
      RAISE EXCEPTION USING
        ERRCODE = '40001',
        MESSAGE = format('email: %s was inserted by a concurrent transaction; retry', v_email),
        COLUMN = 'email',
        SCHEMA = 'marketing';
    END IF;
  END LOOP;
END;
$$;
