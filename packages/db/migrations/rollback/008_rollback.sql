-- Reverses 008: next_daily_uid, company_before_write and record_insert get
-- back their 001 and 004 definitions (word for word), and the functions 008
-- added go.

CREATE OR REPLACE FUNCTION marketing.next_daily_uid(p_seq regclass, p_prefix text, p_field text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_today bigint := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD')::bigint;
  v bigint := nextval(p_seq);
  v_lock integer := hashtext(p_seq::text);
  v_day text;
  v_counter bigint;
BEGIN
  IF v / 10000000 < v_today THEN
    PERFORM pg_advisory_lock(hashtext('ple.uid'), v_lock);
    BEGIN
      v := nextval(p_seq);
      IF v / 10000000 < v_today THEN
        v := v_today * 10000000 + 1;
        PERFORM setval(p_seq, v, true);
      END IF;
    EXCEPTION WHEN OTHERS THEN
      PERFORM pg_advisory_unlock(hashtext('ple.uid'), v_lock);
      RAISE;
    END;
    PERFORM pg_advisory_unlock(hashtext('ple.uid'), v_lock);
  END IF;
  -- A value from a later day (the clock just passed midnight in another
  -- session) carries that day.
  v_day := lpad((v / 10000000)::text, 8, '0');
  v_counter := v % 10000000;
  IF v_counter > 999999 THEN
    RAISE EXCEPTION USING
      ERRCODE = 'PL007',
      MESSAGE = format(
        '%s: no more %s UIDs can be issued for %s-%s-%s: the daily counter is past 999999 (UTC day)',
        p_field, p_prefix,
        substring(v_day FROM 1 FOR 4), substring(v_day FROM 5 FOR 2), substring(v_day FROM 7 FOR 2)
      ),
      DETAIL = 'counter_out_of_range',
      COLUMN = p_field,
      SCHEMA = 'marketing';
  END IF;
  RETURN marketing.format_daily_uid(p_prefix, v_day, v_counter);
END;
$$;

CREATE OR REPLACE FUNCTION marketing.company_before_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_ein json;
BEGIN
  -- A value already in canonical form is left as it is: the normaliser would
  -- return it unchanged, and an import's rows arrive normalised by core, so
  -- the cheap checks spare most rows the PL/pgSQL normalisers. Each check
  -- accepts only values the normaliser maps to themselves: printable ASCII
  -- (so no control characters, NFC, no other whitespace) without leading,
  -- trailing or doubled spaces for a name and the Apollo id (which keeps inner
  -- spaces as given), and for a website a lower-case dotted DNS name with
  -- labels of at most 63 characters, no numeric last label, no "localhost" and
  -- no "www." that would be stripped.
  IF NOT coalesce(NEW.company_name ~ '^[!-~]([ -~]*[!-~])?$' AND strpos(NEW.company_name, '  ') = 0
                   AND length(NEW.company_name) <= 300, false) THEN
    NEW.company_name := marketing.normalise_name(NEW.company_name, 'company_name');
  END IF;
  IF NOT coalesce(NEW.website ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'
                   AND length(NEW.website) <= 253
                   AND NEW.website !~ '\.[0-9]+$'
                   AND NEW.website NOT LIKE '%.localhost'
                   AND NOT (NEW.website LIKE 'www.%' AND strpos(substring(NEW.website FROM 5), '.') > 0), false) THEN
    NEW.website := marketing.normalise_website(NEW.website);
  END IF;
  IF NEW.apollo_company_id IS NOT NULL
     AND NOT (NEW.apollo_company_id ~ '^[!-~]([ -~]*[!-~])?$' AND length(NEW.apollo_company_id) <= 300) THEN
    NEW.apollo_company_id := marketing.normalise_apollo_id(NEW.apollo_company_id);
  END IF;
  IF marketing.blank_to_null(NEW.ein_raw) IS NULL THEN
    NEW.ein_raw := NULL;
    NEW.ein_valid := NULL;
  ELSE
    v_ein := marketing.normalise_ein(NEW.ein_raw);
    NEW.ein_raw := v_ein ->> 'raw';
    NEW.ein_valid := (v_ein ->> 'valid')::boolean;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := OLD.updated_at;
    IF NEW IS DISTINCT FROM OLD THEN
      NEW.updated_at := greatest(clock_timestamp(), OLD.updated_at);
    END IF;
  END IF;
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION marketing.record_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_actor text := marketing.current_actor();
  v_request_id text := marketing.current_request_id();
  v_application text := marketing.current_application();
  v_txid bigint := txid_current();
BEGIN
  IF TG_TABLE_NAME = 'company' THEN
    INSERT INTO marketing.audit_log (
      at, operation, table_name, record_key, new_values, actor, request_id, application, txid
    )
    SELECT clock_timestamp(), 'INSERT', 'company', n.company_uid, to_jsonb(n),
           v_actor, v_request_id, v_application, v_txid
      FROM new_company AS n;
    INSERT INTO marketing.company_history (company_uid, valid_from, operation, row_data, actor, request_id, txid)
    SELECT n.company_uid, coalesce(n.updated_at, clock_timestamp()), 'INSERT', to_jsonb(n),
           v_actor, v_request_id, v_txid
      FROM new_company AS n;
  ELSIF TG_TABLE_NAME = 'company_slot' THEN
    INSERT INTO marketing.audit_log (
      at, operation, table_name, record_key, new_values, actor, request_id, application, txid
    )
    SELECT clock_timestamp(), 'INSERT', 'company_slot', n.slot_uid, to_jsonb(n),
           v_actor, v_request_id, v_application, v_txid
      FROM new_company_slot AS n;
    INSERT INTO marketing.company_slot_history (slot_uid, valid_from, operation, row_data, actor, request_id, txid)
    SELECT n.slot_uid, coalesce(n.updated_at, clock_timestamp()), 'INSERT', to_jsonb(n),
           v_actor, v_request_id, v_txid
      FROM new_company_slot AS n;
  ELSIF TG_TABLE_NAME = 'people' THEN
    INSERT INTO marketing.audit_log (
      at, operation, table_name, record_key, new_values, actor, request_id, application, txid
    )
    SELECT clock_timestamp(), 'INSERT', 'people', n.person_id, to_jsonb(n),
           v_actor, v_request_id, v_application, v_txid
      FROM new_people AS n;
    INSERT INTO marketing.people_history (person_id, valid_from, operation, row_data, actor, request_id, txid)
    SELECT n.person_id, coalesce(n.updated_at, clock_timestamp()), 'INSERT', to_jsonb(n),
           v_actor, v_request_id, v_txid
      FROM new_people AS n;
  ELSE
    RAISE EXCEPTION 'marketing.record_insert() has no history table for %', TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END;
$$;

DROP FUNCTION marketing.gen_company_uids(integer);
DROP FUNCTION marketing.next_daily_uids(regclass, text, text, integer);
DROP FUNCTION marketing.daily_uid_of_value(bigint, text, text);
DROP FUNCTION marketing.roll_daily_uid_sequence(regclass, bigint);
