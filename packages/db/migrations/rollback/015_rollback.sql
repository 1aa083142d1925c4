-- Rollback of 015: history stores the current version again (valid_to
-- 'infinity', one row per live record) and an INSERT audit row carries the
-- values; the functions are 004's, 007's and 008's again.

-- The current versions, as the versions views give them.
INSERT INTO marketing.company_history (company_uid, valid_from, operation, row_data, actor, request_id, txid)
SELECT v.company_uid, v.valid_from, v.operation, v.row_data, v.actor, v.request_id, v.txid
  FROM marketing.company_versions AS v WHERE v.history_id IS NULL;

INSERT INTO marketing.company_slot_history (slot_uid, valid_from, operation, row_data, actor, request_id, txid)
SELECT v.slot_uid, v.valid_from, v.operation, v.row_data, v.actor, v.request_id, v.txid
  FROM marketing.company_slot_versions AS v WHERE v.history_id IS NULL;

INSERT INTO marketing.people_history (person_id, valid_from, operation, row_data, actor, request_id, txid)
SELECT v.person_id, v.valid_from, v.operation, v.row_data, v.actor, v.request_id, v.txid
  FROM marketing.people_versions AS v WHERE v.history_id IS NULL;

-- INSERT audit rows without values get those of the version the insert began
-- (as it stood at the end of that transaction), else just the key.
SELECT set_config('ple.audit_maintenance', 'on', true);

UPDATE marketing.audit_log AS a
   SET new_values = coalesce((
         SELECT h.row_data FROM marketing.company_history AS h
          WHERE h.company_uid = a.record_key AND h.txid = a.txid AND h.operation = 'INSERT'
          ORDER BY h.valid_from LIMIT 1
       ), jsonb_build_object('company_uid', a.record_key))
 WHERE a.operation = 'INSERT' AND a.new_values IS NULL AND a.table_name = 'company';

UPDATE marketing.audit_log AS a
   SET new_values = coalesce((
         SELECT h.row_data FROM marketing.company_slot_history AS h
          WHERE h.slot_uid = a.record_key AND h.txid = a.txid AND h.operation = 'INSERT'
          ORDER BY h.valid_from LIMIT 1
       ), jsonb_build_object('slot_uid', a.record_key))
 WHERE a.operation = 'INSERT' AND a.new_values IS NULL AND a.table_name = 'company_slot';

UPDATE marketing.audit_log AS a
   SET new_values = coalesce((
         SELECT h.row_data FROM marketing.people_history AS h
          WHERE h.person_id = a.record_key AND h.txid = a.txid AND h.operation = 'INSERT'
          ORDER BY h.valid_from LIMIT 1
       ), jsonb_build_object('person_id', a.record_key))
 WHERE a.operation = 'INSERT' AND a.new_values IS NULL AND a.table_name = 'people';

SELECT set_config('ple.audit_maintenance', 'off', true);

ALTER TABLE marketing.audit_log
  DROP CONSTRAINT audit_log_values_check,
  ADD CONSTRAINT audit_log_values_check CHECK (
    (operation = 'INSERT' AND old_values IS NULL AND new_values IS NOT NULL)
    OR (operation = 'UPDATE' AND old_values IS NOT NULL AND new_values IS NOT NULL)
    OR (operation = 'DELETE' AND old_values IS NOT NULL AND new_values IS NULL)
    OR (operation IN ('ERASE', 'PURGE') AND old_values IS NULL AND new_values IS NOT NULL)
  ) NOT VALID;
ALTER TABLE marketing.audit_log VALIDATE CONSTRAINT audit_log_values_check;

-- 007's purge_retention.
CREATE OR REPLACE FUNCTION marketing.purge_retention(
  p_history_days integer,
  p_audit_days integer,
  p_reject_days integer,
  p_dry_run boolean DEFAULT false
)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_now timestamptz := now();
  v_history_cutoff timestamptz;
  v_audit_cutoff timestamptz;
  v_reject_cutoff timestamptz;
  v_rows jsonb := '{}';
  v_table text;
  v_count bigint;
  v_result jsonb;
BEGIN
  IF p_history_days < 0 OR p_audit_days < 0 OR p_reject_days < 0 THEN
    PERFORM marketing.raise_validation(
      'retention', 'negative', 'retention: a retention period must not be negative'
    );
  END IF;
  v_history_cutoff := v_now - make_interval(days => p_history_days);
  v_audit_cutoff := v_now - make_interval(days => p_audit_days);
  v_reject_cutoff := v_now - make_interval(days => p_reject_days);

  IF NOT p_dry_run THEN
    PERFORM set_config('ple.audit_maintenance', 'on', true);
  END IF;

  FOREACH v_table IN ARRAY ARRAY['company_history', 'company_slot_history', 'people_history'] LOOP
    v_count := 0;
    IF v_history_cutoff IS NOT NULL THEN
      IF p_dry_run THEN
        EXECUTE format(
          'SELECT count(*) FROM marketing.%I WHERE valid_to <> ''infinity'' AND valid_to < $1',
          v_table
        ) INTO v_count USING v_history_cutoff;
      ELSE
        EXECUTE format(
          'DELETE FROM marketing.%I WHERE valid_to <> ''infinity'' AND valid_to < $1', v_table
        ) USING v_history_cutoff;
        GET DIAGNOSTICS v_count = ROW_COUNT;
      END IF;
    END IF;
    v_rows := v_rows || jsonb_build_object(v_table, v_count);
  END LOOP;

  FOREACH v_table IN ARRAY ARRAY['audit_log', 'slot_event'] LOOP
    v_count := 0;
    IF v_audit_cutoff IS NOT NULL THEN
      IF p_dry_run THEN
        EXECUTE format('SELECT count(*) FROM marketing.%I WHERE at < $1', v_table)
          INTO v_count USING v_audit_cutoff;
      ELSE
        EXECUTE format('DELETE FROM marketing.%I WHERE at < $1', v_table) USING v_audit_cutoff;
        GET DIAGNOSTICS v_count = ROW_COUNT;
      END IF;
    END IF;
    v_rows := v_rows || jsonb_build_object(v_table, v_count);
  END LOOP;

  v_count := 0;
  IF v_reject_cutoff IS NOT NULL THEN
    IF p_dry_run THEN
      SELECT count(*) INTO v_count FROM marketing.import_reject WHERE created_at < v_reject_cutoff;
    ELSE
      DELETE FROM marketing.import_reject WHERE created_at < v_reject_cutoff;
      GET DIAGNOSTICS v_count = ROW_COUNT;
    END IF;
  END IF;
  v_rows := v_rows || jsonb_build_object('import_reject', v_count);

  v_result := jsonb_build_object(
    'dry_run', p_dry_run,
    'cutoffs', jsonb_build_object(
      'history', v_history_cutoff, 'audit', v_audit_cutoff, 'import_reject', v_reject_cutoff
    ),
    'periods_days', jsonb_build_object(
      'history', p_history_days, 'audit', p_audit_days, 'import_reject', p_reject_days
    ),
    'rows', v_rows
  );

  IF NOT p_dry_run THEN
    INSERT INTO marketing.audit_log (
      operation, table_name, record_key, old_values, new_values, changed_columns,
      actor, request_id, application, txid
    ) VALUES (
      'PURGE', 'retention', to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), NULL,
      v_result, NULL, marketing.current_actor(), marketing.current_request_id(),
      marketing.current_application(), txid_current()
    );
    PERFORM set_config('ple.audit_maintenance', 'off', true);
  END IF;

  RETURN v_result::json;
END;
$$;

DROP FUNCTION marketing.audit_names_current_version(marketing.audit_log);

-- 004's as-of look-ups.
CREATE OR REPLACE FUNCTION marketing.company_as_of(p_company_uid text, p_at timestamptz)
RETURNS SETOF marketing.company
LANGUAGE sql
STABLE
AS $$
  SELECT r.*
    FROM marketing.company_history AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.company, h.row_data) AS r
   WHERE h.company_uid = p_company_uid AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

CREATE OR REPLACE FUNCTION marketing.slot_as_of(p_slot_uid text, p_at timestamptz)
RETURNS SETOF marketing.company_slot
LANGUAGE sql
STABLE
AS $$
  SELECT r.*
    FROM marketing.company_slot_history AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.company_slot, h.row_data) AS r
   WHERE h.slot_uid = p_slot_uid AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

CREATE OR REPLACE FUNCTION marketing.person_as_of(p_person_id text, p_at timestamptz)
RETURNS SETOF marketing.people
LANGUAGE sql
STABLE
AS $$
  SELECT r.*
    FROM marketing.people_history AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.people, h.row_data) AS r
   WHERE h.person_id = p_person_id AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

-- 004's record_change and 008's record_insert.
CREATE OR REPLACE FUNCTION marketing.record_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_key_column text := TG_ARGV[0];
  v_old jsonb;
  v_new jsonb;
  v_key text;
  v_old_key text;
  v_changed text[];
  v_actor text := marketing.current_actor();
  v_request_id text := marketing.current_request_id();
  v_txid bigint := txid_current();
  v_now timestamptz := clock_timestamp();
  v_from timestamptz;
  v_fold boolean;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    v_old := to_jsonb(OLD);
    v_old_key := v_old ->> v_key_column;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    v_new := to_jsonb(NEW);
    v_key := v_new ->> v_key_column;
    v_from := coalesce((v_new ->> 'updated_at')::timestamptz, v_now);
  END IF;
  IF TG_OP = 'UPDATE' THEN
    SELECT array_agg(n.key ORDER BY n.key) INTO v_changed
      FROM jsonb_each(v_new) AS n
     WHERE v_old -> n.key IS DISTINCT FROM n.value;
  END IF;

  INSERT INTO marketing.audit_log (
    at, operation, table_name, record_key, old_values, new_values, changed_columns,
    actor, request_id, application, txid
  ) VALUES (
    v_now, TG_OP, TG_TABLE_NAME, coalesce(v_key, v_old_key), v_old, v_new, v_changed,
    v_actor, v_request_id, marketing.current_application(), v_txid
  );

  -- Per table: (1) a second change in the same transaction folds into the
  -- version it wrote; (2) otherwise the current version ends where the new
  -- one starts (or at the delete); (3) the new version begins.
  v_fold := TG_OP = 'UPDATE' AND v_key = v_old_key;
  IF TG_TABLE_NAME = 'company' THEN
    IF v_fold THEN
      UPDATE marketing.company_history AS h
         SET row_data = v_new, actor = v_actor, request_id = v_request_id
       WHERE h.company_uid = v_key AND h.valid_to = 'infinity' AND h.txid = v_txid;
      IF FOUND THEN RETURN NULL; END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      UPDATE marketing.company_history AS h
         SET valid_to = greatest(h.valid_from, coalesce(v_from, v_now))
       WHERE h.company_uid = v_old_key AND h.valid_to = 'infinity';
    END IF;
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO marketing.company_history (company_uid, valid_from, operation, row_data, actor, request_id, txid)
      VALUES (v_key, v_from, TG_OP, v_new, v_actor, v_request_id, v_txid);
    END IF;
  ELSIF TG_TABLE_NAME = 'company_slot' THEN
    IF v_fold THEN
      UPDATE marketing.company_slot_history AS h
         SET row_data = v_new, actor = v_actor, request_id = v_request_id
       WHERE h.slot_uid = v_key AND h.valid_to = 'infinity' AND h.txid = v_txid;
      IF FOUND THEN RETURN NULL; END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      UPDATE marketing.company_slot_history AS h
         SET valid_to = greatest(h.valid_from, coalesce(v_from, v_now))
       WHERE h.slot_uid = v_old_key AND h.valid_to = 'infinity';
    END IF;
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO marketing.company_slot_history (slot_uid, valid_from, operation, row_data, actor, request_id, txid)
      VALUES (v_key, v_from, TG_OP, v_new, v_actor, v_request_id, v_txid);
    END IF;
  ELSIF TG_TABLE_NAME = 'people' THEN
    IF v_fold THEN
      UPDATE marketing.people_history AS h
         SET row_data = v_new, actor = v_actor, request_id = v_request_id
       WHERE h.person_id = v_key AND h.valid_to = 'infinity' AND h.txid = v_txid;
      IF FOUND THEN RETURN NULL; END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      UPDATE marketing.people_history AS h
         SET valid_to = greatest(h.valid_from, coalesce(v_from, v_now))
       WHERE h.person_id = v_old_key AND h.valid_to = 'infinity';
    END IF;
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO marketing.people_history (person_id, valid_from, operation, row_data, actor, request_id, txid)
      VALUES (v_key, v_from, TG_OP, v_new, v_actor, v_request_id, v_txid);
    END IF;
  ELSE
    RAISE EXCEPTION 'marketing.record_change() has no history table for %', TG_TABLE_NAME;
  END IF;
  RETURN NULL;
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

COMMENT ON TABLE marketing.company_history IS
  'Versions of marketing.company; current version has valid_to = infinity';
COMMENT ON TABLE marketing.company_slot_history IS
  'Versions of marketing.company_slot; current version has valid_to = infinity';
COMMENT ON TABLE marketing.people_history IS
  'Versions of marketing.people; current version has valid_to = infinity';

DROP VIEW marketing.people_versions;
DROP VIEW marketing.company_slot_versions;
DROP VIEW marketing.company_versions;
DROP FUNCTION marketing.version_meta(text, text);
