-- 007 operations: retention purge and PII erasure, the only two ways the
-- append-only audit_log and slot_event may be rewritten.
--
-- Both functions switch ple.audit_maintenance on for their own work and off
-- again before returning, so the rest of the caller's transaction stays
-- append-only. Each records what it did in the audit log, as operation
-- 'PURGE' or 'ERASE', with counts but never the erased values.

-- ---------------------------------------------------------------------------
-- The audit log learns two maintenance operations (no old values, new_values
-- holds the summary). NOT VALID + VALIDATE: only a brief lock on the table.
-- ---------------------------------------------------------------------------

ALTER TABLE marketing.audit_log
  DROP CONSTRAINT audit_log_operation_check,
  DROP CONSTRAINT audit_log_values_check,
  ADD CONSTRAINT audit_log_operation_check
    CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'ERASE', 'PURGE')) NOT VALID,
  ADD CONSTRAINT audit_log_values_check CHECK (
    (operation = 'INSERT' AND old_values IS NULL AND new_values IS NOT NULL)
    OR (operation = 'UPDATE' AND old_values IS NOT NULL AND new_values IS NOT NULL)
    OR (operation = 'DELETE' AND old_values IS NOT NULL AND new_values IS NULL)
    OR (operation IN ('ERASE', 'PURGE') AND old_values IS NULL AND new_values IS NOT NULL)
  ) NOT VALID;

ALTER TABLE marketing.audit_log VALIDATE CONSTRAINT audit_log_operation_check;
ALTER TABLE marketing.audit_log VALIDATE CONSTRAINT audit_log_values_check;

-- ---------------------------------------------------------------------------
-- Tombstones: one row per erased person, so an erasure is provable and
-- idempotent, and the person_id (not personal data) stays resolvable.
-- ---------------------------------------------------------------------------

CREATE TABLE marketing.pii_erasure (
  person_id text NOT NULL,
  erased_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL,
  request_id text,
  erased_fields text[] NOT NULL,
  counts jsonb NOT NULL,
  CONSTRAINT pii_erasure_pkey PRIMARY KEY (person_id),
  CONSTRAINT pii_erasure_person_id_fkey FOREIGN KEY (person_id)
    REFERENCES marketing.people (person_id)
);

COMMENT ON TABLE marketing.pii_erasure IS
  'Tombstones of erased people: who erased them, when, and how many rows were scrubbed (no PII)';

-- The address an erased person's row keeps: unique, valid, and obviously not a mailbox.
CREATE FUNCTION marketing.erased_email(p_person_id text)
RETURNS text
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT lower(p_person_id) || '@erased.invalid'
$$;

-- Replaces every case-insensitive occurrence of each needle in p_text.
CREATE FUNCTION marketing.erase_text(p_text text, p_needles text[], p_replacement text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
  v_needle text;
  v_result text := p_text;
BEGIN
  IF p_text IS NULL THEN
    RETURN NULL;
  END IF;
  FOREACH v_needle IN ARRAY coalesce(p_needles, '{}') LOOP
    CONTINUE WHEN v_needle IS NULL OR length(v_needle) < 3;
    v_result := regexp_replace(
      v_result, regexp_replace(v_needle, '([.*+?^${}()|\[\]\\])', '\\\1', 'g'), p_replacement, 'gi'
    );
  END LOOP;
  RETURN v_result;
END;
$$;

-- True when p_text holds any needle (case-insensitive).
CREATE FUNCTION marketing.contains_any(p_text text, p_needles text[])
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
  SELECT EXISTS (
    SELECT 1 FROM unnest(p_needles) AS n(needle)
     WHERE length(n.needle) >= 3 AND strpos(lower(p_text), lower(n.needle)) > 0
  )
$$;

-- A person row's JSON (history row_data, audit old/new values) with the
-- personal fields replaced; other keys untouched.
CREATE FUNCTION marketing.erase_person_json(p_values jsonb, p_person_id text)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN p_values IS NULL THEN NULL
    ELSE p_values
      || CASE WHEN p_values ? 'name' THEN jsonb_build_object('name', 'Erased person') ELSE '{}' END
      || CASE WHEN p_values ? 'email'
              THEN jsonb_build_object('email', marketing.erased_email(p_person_id)) ELSE '{}' END
      || CASE WHEN p_values ? 'linkedin_url'
              THEN jsonb_build_object('linkedin_url', NULL) ELSE '{}' END
      || CASE WHEN p_values ? 'title' THEN jsonb_build_object('title', NULL) ELSE '{}' END
      || CASE WHEN p_values ? 'validation_result_raw'
              THEN jsonb_build_object('validation_result_raw', NULL) ELSE '{}' END
  END
$$;

-- ---------------------------------------------------------------------------
-- PII erasure
-- ---------------------------------------------------------------------------

-- Erases a person's name, email, LinkedIn URL, title and raw verifier result
-- from people, people_history, audit_log, import_reject and the API's stored
-- idempotent responses; vacates the slot they held; leaves the row as a
-- tombstone (person_id kept, so slot events and history stay consistent) and
-- records the erasure in pii_erasure and the audit log, without the PII.
-- Erasing an erased person changes nothing: {"status": "already_erased"}.
CREATE FUNCTION marketing.erase_person(p_person_id text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_person marketing.people;
  v_needles text[];
  v_handle text;
  v_history integer := 0;
  v_audit integer := 0;
  v_audit_text integer := 0;
  v_rejects integer := 0;
  v_idempotency integer := 0;
  v_slots integer := 0;
  v_counts jsonb;
  v_fields text[] := ARRAY['name', 'email', 'linkedin_url', 'title', 'validation_result_raw'];
BEGIN
  SELECT * INTO v_person FROM marketing.people WHERE person_id = p_person_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM marketing.raise_error(
      'PL005', 'person_id', format('person_id: no person %s', p_person_id),
      jsonb_build_object('person_id', p_person_id)
    );
  END IF;
  IF EXISTS (SELECT 1 FROM marketing.pii_erasure WHERE person_id = p_person_id) THEN
    RETURN (
      SELECT json_build_object(
        'status', 'already_erased', 'person_id', e.person_id, 'erased_at', e.erased_at,
        'counts', e.counts
      )
        FROM marketing.pii_erasure AS e WHERE e.person_id = p_person_id
    );
  END IF;

  v_handle := substring(v_person.linkedin_url FROM '/in/([^/]+)$');
  v_needles := array_remove(ARRAY[v_person.email, v_person.linkedin_url, v_handle], NULL);

  PERFORM set_config('ple.audit_maintenance', 'on', true);

  -- Stop processing: the person leaves any slot they hold or are proposed for.
  UPDATE marketing.company_slot SET status = 'open', person_id = NULL
   WHERE person_id = p_person_id;
  GET DIAGNOSTICS v_slots = ROW_COUNT;

  -- The tombstone. Its own history and audit rows carry the old values; they
  -- are scrubbed with the rest below.
  UPDATE marketing.people
     SET name = 'Erased person',
         email = marketing.erased_email(p_person_id),
         linkedin_url = NULL,
         title = NULL,
         validation_result_raw = NULL
   WHERE person_id = p_person_id;

  UPDATE marketing.people_history
     SET row_data = marketing.erase_person_json(row_data, p_person_id)
   WHERE person_id = p_person_id;
  GET DIAGNOSTICS v_history = ROW_COUNT;

  UPDATE marketing.audit_log
     SET old_values = marketing.erase_person_json(old_values, p_person_id),
         new_values = marketing.erase_person_json(new_values, p_person_id)
   WHERE table_name = 'people' AND record_key = p_person_id;
  GET DIAGNOSTICS v_audit = ROW_COUNT;

  -- Anywhere else the email or LinkedIn URL appears in the audit log.
  UPDATE marketing.audit_log
     SET old_values = marketing.erase_text(old_values::text, v_needles, '[erased]')::jsonb,
         new_values = marketing.erase_text(new_values::text, v_needles, '[erased]')::jsonb
   WHERE marketing.contains_any(coalesce(old_values::text, '') || ' ' || coalesce(new_values::text, ''), v_needles);
  GET DIAGNOSTICS v_audit_text = ROW_COUNT;

  UPDATE marketing.import_reject
     SET raw_row = '[erased]',
         message = marketing.erase_text(message, v_needles, '[erased]')
   WHERE marketing.contains_any(raw_row || ' ' || message, v_needles);
  GET DIAGNOSTICS v_rejects = ROW_COUNT;

  -- Stored API responses are a cache: drop the ones that show the person.
  DELETE FROM marketing.idempotency_key
   WHERE marketing.contains_any(coalesce(response::text, ''), v_needles);
  GET DIAGNOSTICS v_idempotency = ROW_COUNT;

  v_counts := jsonb_build_object(
    'history_rows', v_history,
    'audit_rows', v_audit + v_audit_text,
    'import_rejects', v_rejects,
    'api_responses', v_idempotency,
    'slots_vacated', v_slots
  );

  INSERT INTO marketing.pii_erasure (person_id, actor, request_id, erased_fields, counts)
  VALUES (p_person_id, marketing.current_actor(), marketing.current_request_id(), v_fields, v_counts);

  INSERT INTO marketing.audit_log (
    operation, table_name, record_key, old_values, new_values, changed_columns,
    actor, request_id, application, txid
  ) VALUES (
    'ERASE', 'people', p_person_id, NULL,
    jsonb_build_object('erased_fields', to_jsonb(v_fields), 'counts', v_counts),
    v_fields, marketing.current_actor(), marketing.current_request_id(),
    marketing.current_application(), txid_current()
  );

  PERFORM set_config('ple.audit_maintenance', 'off', true);

  RETURN json_build_object(
    'status', 'erased', 'person_id', p_person_id, 'erased_fields', v_fields, 'counts', v_counts
  );
END;
$$;

-- ---------------------------------------------------------------------------
-- Retention
-- ---------------------------------------------------------------------------

-- Deletes closed history versions (valid_to older than the history period;
-- current versions are never purged), audit_log and slot_event rows older
-- than the audit period, and import rejects older than the reject period. A
-- NULL period keeps those rows forever. With p_dry_run it only counts.
-- Returns {"dry_run", "cutoffs": {...}, "rows": {table: count}}.
CREATE FUNCTION marketing.purge_retention(
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
