-- 008 import speed: the same results for less work per row on the paths an
-- import takes. Nothing here changes what is stored, raised or recorded.
--
-- UIDs: next_daily_uid formats a UID of today's counter inline (the day comes
-- from the clock, so it needs no re-validation); any other value still goes
-- through format_daily_uid. gen_company_uids(n) issues n company UIDs with one
-- call, for set-based inserts.
-- company_before_write: a website of at most 63 characters is checked for
-- canonical form without the {0,61} label bounds (no label of such a name can
-- be longer), and an EIN already written NN-NNNNNNN or NNNNNNNNN is judged
-- without normalise_ein.
-- record_insert: the audit row and the first history version of each
-- inserted row come from one statement that builds the row's JSON once.

-- ---------------------------------------------------------------------------
-- UIDs
-- ---------------------------------------------------------------------------

-- Moves p_seq to today's first value unless another session already did, under
-- the session advisory lock next_daily_uid (001) took for it; returns the value
-- the caller gets. Called only when a nextval came back from an earlier day.
CREATE FUNCTION marketing.roll_daily_uid_sequence(p_seq regclass, p_today bigint)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_lock integer := hashtext(p_seq::text);
  v bigint;
BEGIN
  PERFORM pg_advisory_lock(hashtext('ple.uid'), v_lock);
  BEGIN
    v := nextval(p_seq);
    IF v / 10000000 < p_today THEN
      v := p_today * 10000000 + 1;
      PERFORM setval(p_seq, v, true);
    END IF;
  EXCEPTION WHEN OTHERS THEN
    PERFORM pg_advisory_unlock(hashtext('ple.uid'), v_lock);
    RAISE;
  END;
  PERFORM pg_advisory_unlock(hashtext('ple.uid'), v_lock);
  RETURN v;
END;
$$;

-- The UID of a sequence value (YYYYMMDD * 10^7 + counter) the long way, as
-- next_daily_uid (001) always did: PL007 naming p_field past 999999, then
-- format_daily_uid's checks of the day and counter.
CREATE FUNCTION marketing.daily_uid_of_value(p_value bigint, p_prefix text, p_field text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
  v_day text := lpad((p_value / 10000000)::text, 8, '0');
  v_counter bigint := p_value % 10000000;
BEGIN
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

-- As in 001, plus the fast path: a value of today (a real date of years
-- 0001–9999, since it comes from the clock) with a counter of 1–999999 is
-- formatted inline, exactly as format_daily_uid would; it skipped
-- is_valid_uid_day's parse of a day just made from a date.
CREATE OR REPLACE FUNCTION marketing.next_daily_uid(p_seq regclass, p_prefix text, p_field text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_today bigint := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD')::bigint;
  v bigint := nextval(p_seq);
BEGIN
  IF v / 10000000 < v_today THEN
    v := marketing.roll_daily_uid_sequence(p_seq, v_today);
  END IF;
  IF v / 10000000 = v_today AND v_today <= 99991231 AND v % 10000000 BETWEEN 1 AND 999999 THEN
    RETURN p_prefix || '-' || lpad(v_today::text, 8, '0') || '-' || lpad((v % 10000000)::text, 6, '0');
  END IF;
  -- A value from a later day (the clock just passed midnight in another
  -- session) carries that day.
  RETURN marketing.daily_uid_of_value(v, p_prefix, p_field);
END;
$$;

-- p_count UIDs of p_seq in ascending order, as p_count calls of next_daily_uid
-- would give them, except that the day is rolled at most once (before the
-- first), and the rest are taken by one statement. Past 999999: PL007, and
-- none is returned.
CREATE FUNCTION marketing.next_daily_uids(p_seq regclass, p_prefix text, p_field text, p_count integer)
RETURNS SETOF text
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_today bigint := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD')::bigint;
  v_first bigint;
BEGIN
  IF coalesce(p_count, 0) < 1 THEN
    RETURN;
  END IF;
  v_first := nextval(p_seq);
  IF v_first / 10000000 < v_today THEN
    v_first := marketing.roll_daily_uid_sequence(p_seq, v_today);
  END IF;
  RETURN QUERY
    SELECT CASE
             WHEN s.v / 10000000 = v_today AND v_today <= 99991231 AND s.v % 10000000 BETWEEN 1 AND 999999
               THEN p_prefix || '-' || lpad(v_today::text, 8, '0') || '-' || lpad((s.v % 10000000)::text, 6, '0')
             ELSE marketing.daily_uid_of_value(s.v, p_prefix, p_field)
           END
      FROM (SELECT 1 AS ord, v_first AS v
            UNION ALL
            SELECT g, nextval(p_seq) FROM generate_series(2, p_count) AS g) AS s
     ORDER BY s.ord;
END;
$$;

-- p_count new company UIDs, ascending; a set-based INSERT pairs them with its
-- rows in the order it inserts them.
CREATE FUNCTION marketing.gen_company_uids(p_count integer)
RETURNS SETOF text
LANGUAGE sql
VOLATILE
AS $$
  SELECT marketing.next_daily_uids('marketing.company_uid_seq'::regclass, 'CO', 'company_uid', p_count)
$$;

-- ---------------------------------------------------------------------------
-- company_before_write: as in 001, with cheaper tests for canonical values
-- ---------------------------------------------------------------------------

-- The website test of 001 bounds every label to 63 characters with {0,61},
-- which PostgreSQL's regex engine pays for on every row (most of the
-- trigger's time). A website of at most 63 characters cannot have a longer
-- label, so the unbounded pattern accepts exactly the same names; longer ones
-- keep the 001 test. An EIN that is already NN-NNNNNNN or NNNNNNNNN (ASCII
-- digits) is what prepare_text and normalise_ein would keep as raw; only its
-- prefix is judged, with normalise_ein's list.
CREATE OR REPLACE FUNCTION marketing.company_before_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_ein json;
  v_prefix integer;
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
  IF NOT coalesce(CASE
                    WHEN length(NEW.website) <= 63
                      THEN NEW.website ~ '^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$'
                    ELSE NEW.website ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'
                         AND length(NEW.website) <= 253
                  END
                  AND NEW.website !~ '\.[0-9]+$'
                  AND NEW.website NOT LIKE '%.localhost'
                  AND NOT (NEW.website LIKE 'www.%' AND strpos(substring(NEW.website FROM 5), '.') > 0), false) THEN
    NEW.website := marketing.normalise_website(NEW.website);
  END IF;
  IF NEW.apollo_company_id IS NOT NULL
     AND NOT (NEW.apollo_company_id ~ '^[!-~]([ -~]*[!-~])?$' AND length(NEW.apollo_company_id) <= 300) THEN
    NEW.apollo_company_id := marketing.normalise_apollo_id(NEW.apollo_company_id);
  END IF;
  IF NEW.ein_raw ~ '^[0-9]{2}-?[0-9]{7}$' THEN
    v_prefix := substring(NEW.ein_raw FROM 1 FOR 2)::integer;
    NEW.ein_valid := v_prefix BETWEEN 1 AND 6 OR v_prefix BETWEEN 10 AND 16 OR v_prefix BETWEEN 20 AND 27
      OR v_prefix BETWEEN 30 AND 39 OR v_prefix BETWEEN 40 AND 48 OR v_prefix BETWEEN 50 AND 68
      OR v_prefix BETWEEN 71 AND 77 OR v_prefix BETWEEN 80 AND 88 OR v_prefix BETWEEN 90 AND 95
      OR v_prefix IN (98, 99);
  ELSIF marketing.blank_to_null(NEW.ein_raw) IS NULL THEN
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

-- ---------------------------------------------------------------------------
-- record_insert: as in 004, one statement per table
-- ---------------------------------------------------------------------------

-- The audit rows and history versions are what 004 wrote, in the same order
-- (the transition table's), but to_jsonb(row), which 004 computed in each of
-- its two statements, is computed once for both.
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
    WITH n AS MATERIALIZED (
      SELECT n.company_uid AS record_key, n.updated_at, to_jsonb(n) AS row_data FROM new_company AS n
    ), audit AS (
      INSERT INTO marketing.audit_log (
        at, operation, table_name, record_key, new_values, actor, request_id, application, txid
      )
      SELECT clock_timestamp(), 'INSERT', 'company', n.record_key, n.row_data,
             v_actor, v_request_id, v_application, v_txid
        FROM n
    )
    INSERT INTO marketing.company_history (company_uid, valid_from, operation, row_data, actor, request_id, txid)
    SELECT n.record_key, coalesce(n.updated_at, clock_timestamp()), 'INSERT', n.row_data,
           v_actor, v_request_id, v_txid
      FROM n;
  ELSIF TG_TABLE_NAME = 'company_slot' THEN
    WITH n AS MATERIALIZED (
      SELECT n.slot_uid AS record_key, n.updated_at, to_jsonb(n) AS row_data FROM new_company_slot AS n
    ), audit AS (
      INSERT INTO marketing.audit_log (
        at, operation, table_name, record_key, new_values, actor, request_id, application, txid
      )
      SELECT clock_timestamp(), 'INSERT', 'company_slot', n.record_key, n.row_data,
             v_actor, v_request_id, v_application, v_txid
        FROM n
    )
    INSERT INTO marketing.company_slot_history (slot_uid, valid_from, operation, row_data, actor, request_id, txid)
    SELECT n.record_key, coalesce(n.updated_at, clock_timestamp()), 'INSERT', n.row_data,
           v_actor, v_request_id, v_txid
      FROM n;
  ELSIF TG_TABLE_NAME = 'people' THEN
    WITH n AS MATERIALIZED (
      SELECT n.person_id AS record_key, n.updated_at, to_jsonb(n) AS row_data FROM new_people AS n
    ), audit AS (
      INSERT INTO marketing.audit_log (
        at, operation, table_name, record_key, new_values, actor, request_id, application, txid
      )
      SELECT clock_timestamp(), 'INSERT', 'people', n.record_key, n.row_data,
             v_actor, v_request_id, v_application, v_txid
        FROM n
    )
    INSERT INTO marketing.people_history (person_id, valid_from, operation, row_data, actor, request_id, txid)
    SELECT n.record_key, coalesce(n.updated_at, clock_timestamp()), 'INSERT', n.row_data,
           v_actor, v_request_id, v_txid
      FROM n;
  ELSE
    RAISE EXCEPTION 'marketing.record_insert() has no history table for %', TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END;
$$;
