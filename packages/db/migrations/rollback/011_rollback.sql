-- Reverses 011: the merge and upsert functions, the alias and merge tables go,
-- and insert_company_with_slots gets back its 001 definition (word for word).

DROP TRIGGER pii_erasure_erase_merged_people ON marketing.pii_erasure;
DROP FUNCTION marketing.erase_merged_people();
DROP FUNCTION marketing.merge_people(text, text, boolean);
DROP FUNCTION marketing.merge_people_apply(text, text);
DROP FUNCTION marketing.merge_companies(text, text, jsonb, boolean);
DROP FUNCTION marketing.merge_companies_apply(text, text, jsonb);
DROP FUNCTION marketing.raise_merge_missing(text, text, text);
DROP FUNCTION marketing.occupy_slot(marketing.company_slot, text, text);
DROP FUNCTION marketing.release_slot(marketing.company_slot);
DROP FUNCTION marketing.upsert_person(text, text, text, text, text, text, text);
DROP FUNCTION marketing.apply_person_policy(text, text, text, text, text, text);
DROP FUNCTION marketing.match_person(text, text);
DROP FUNCTION marketing.upsert_company(text, text, text, text, text);
DROP FUNCTION marketing.apply_company_policy(text, text, text, text, text, text);
DROP FUNCTION marketing.match_company(text, text);
DROP FUNCTION marketing.check_on_existing(text);

CREATE OR REPLACE FUNCTION marketing.insert_company_with_slots(
  p_name text,
  p_website text,
  p_apollo_id text,
  p_ein text
)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_name text := marketing.normalise_name(p_name, 'company_name');
  v_website text := marketing.normalise_website(p_website);
  v_apollo text := marketing.normalise_apollo_id(p_apollo_id);
  v_ein text := CASE
    WHEN marketing.blank_to_null(p_ein) IS NULL THEN NULL
    ELSE marketing.normalise_ein(p_ein) ->> 'raw'
  END;
  v_uid text;
  v_matched_by text;
  v_attempt integer := 0;
BEGIN
  LOOP
    v_attempt := v_attempt + 1;
    SELECT c.company_uid,
           CASE WHEN c.website = v_website THEN 'website' ELSE 'apollo_company_id' END
      INTO v_uid, v_matched_by
      FROM marketing.company AS c
     WHERE c.website = v_website
        OR (v_apollo IS NOT NULL AND c.apollo_company_id = v_apollo)
     ORDER BY (c.website = v_website) DESC
     LIMIT 1;
    IF v_uid IS NOT NULL THEN
      INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
      SELECT marketing.gen_slot_uid(v_uid, r.role), v_uid, r.role
        FROM unnest(ARRAY['CEO', 'CFO', 'HR']) AS r(role)
      ON CONFLICT DO NOTHING;
      RETURN marketing.company_json(v_uid, 'exists', v_matched_by);
    END IF;

    INSERT INTO marketing.company (company_uid, company_name, website, apollo_company_id, ein_raw)
    VALUES (marketing.gen_company_uid(), v_name, v_website, v_apollo, v_ein)
    ON CONFLICT DO NOTHING
    RETURNING company_uid INTO v_uid;
    IF v_uid IS NOT NULL THEN
      INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
      SELECT marketing.gen_slot_uid(v_uid, r.role), v_uid, r.role
        FROM unnest(ARRAY['CEO', 'CFO', 'HR']) AS r(role);
      RETURN marketing.company_json(v_uid, 'created', NULL);
    END IF;

    -- A concurrent transaction holds the website or Apollo id; in READ
    -- COMMITTED the next look-up sees its row. A fixed snapshot never will.
    IF v_attempt >= 3 THEN
      RAISE EXCEPTION USING
        ERRCODE = '40001',
        MESSAGE = format('website: %s was inserted by a concurrent transaction; retry', v_website),
        COLUMN = 'website',
        SCHEMA = 'marketing';
    END IF;
  END LOOP;
END;
$$;

DROP FUNCTION marketing.resolve_person_alias(text, text);
DROP FUNCTION marketing.resolve_company_alias(text, text);
DROP TABLE marketing.person_alias;
DROP TABLE marketing.company_alias;
DROP TABLE marketing.record_merge;
