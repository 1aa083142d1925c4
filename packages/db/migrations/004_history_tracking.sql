-- 004 history tracking: a version history per company, slot and person
-- ("as of" queries), one append-only audit log of every insert, update and
-- delete, the slot assignment events, and the import rejects.
--
-- The actor, request id and application reach the triggers through
-- transaction-local settings: set_config('ple.actor', ..., true),
-- 'ple.request_id', 'ple.application'. Without them the actor is
-- 'db:<session user>', so a change made from psql is still attributed.
-- An UPDATE that changes nothing fires nothing (WHEN OLD.* IS DISTINCT FROM
-- NEW.*; the 001/002 BEFORE triggers keep updated_at on such an update).

CREATE FUNCTION marketing.current_actor()
RETURNS text
LANGUAGE sql
STABLE
AS $$
  SELECT coalesce(nullif(current_setting('ple.actor', true), ''), 'db:' || session_user)
$$;

CREATE FUNCTION marketing.current_request_id()
RETURNS text
LANGUAGE sql
STABLE
AS $$
  SELECT nullif(current_setting('ple.request_id', true), '')
$$;

CREATE FUNCTION marketing.current_application()
RETURNS text
LANGUAGE sql
STABLE
AS $$
  SELECT coalesce(
    nullif(current_setting('ple.application', true), ''),
    nullif(current_setting('application_name', true), '')
  )
$$;

-- ---------------------------------------------------------------------------
-- Version history: one row per version of a record. The current version has
-- valid_to = 'infinity'; a deleted record has none. Versions are contiguous:
-- each change closes the current version at the new version's valid_from
-- (the row's updated_at). Several changes in one transaction fold into one
-- version, since no other transaction could see the states in between.
-- ---------------------------------------------------------------------------

CREATE TABLE marketing.company_history (
  history_id bigint GENERATED ALWAYS AS IDENTITY,
  company_uid text NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz NOT NULL DEFAULT 'infinity',
  operation text NOT NULL,
  row_data jsonb NOT NULL,
  actor text NOT NULL,
  request_id text,
  txid bigint NOT NULL,
  CONSTRAINT company_history_pkey PRIMARY KEY (history_id),
  CONSTRAINT company_history_version_key UNIQUE (company_uid, valid_to),
  CONSTRAINT company_history_period_check CHECK (valid_from <= valid_to),
  CONSTRAINT company_history_operation_check CHECK (operation IN ('INSERT', 'UPDATE'))
);

COMMENT ON TABLE marketing.company_history IS
  'Versions of marketing.company; current version has valid_to = infinity';

CREATE TABLE marketing.company_slot_history (
  history_id bigint GENERATED ALWAYS AS IDENTITY,
  slot_uid text NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz NOT NULL DEFAULT 'infinity',
  operation text NOT NULL,
  row_data jsonb NOT NULL,
  actor text NOT NULL,
  request_id text,
  txid bigint NOT NULL,
  CONSTRAINT company_slot_history_pkey PRIMARY KEY (history_id),
  CONSTRAINT company_slot_history_version_key UNIQUE (slot_uid, valid_to),
  CONSTRAINT company_slot_history_period_check CHECK (valid_from <= valid_to),
  CONSTRAINT company_slot_history_operation_check CHECK (operation IN ('INSERT', 'UPDATE'))
);

COMMENT ON TABLE marketing.company_slot_history IS
  'Versions of marketing.company_slot; current version has valid_to = infinity';

CREATE TABLE marketing.people_history (
  history_id bigint GENERATED ALWAYS AS IDENTITY,
  person_id text NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz NOT NULL DEFAULT 'infinity',
  operation text NOT NULL,
  row_data jsonb NOT NULL,
  actor text NOT NULL,
  request_id text,
  txid bigint NOT NULL,
  CONSTRAINT people_history_pkey PRIMARY KEY (history_id),
  CONSTRAINT people_history_version_key UNIQUE (person_id, valid_to),
  CONSTRAINT people_history_period_check CHECK (valid_from <= valid_to),
  CONSTRAINT people_history_operation_check CHECK (operation IN ('INSERT', 'UPDATE'))
);

COMMENT ON TABLE marketing.people_history IS
  'Versions of marketing.people; current version has valid_to = infinity';

-- ---------------------------------------------------------------------------
-- Audit log (append-only)
-- ---------------------------------------------------------------------------

CREATE TABLE marketing.audit_log (
  audit_id bigint GENERATED ALWAYS AS IDENTITY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  operation text NOT NULL,
  table_name text NOT NULL,
  record_key text NOT NULL,
  old_values jsonb,
  new_values jsonb,
  changed_columns text[],
  actor text NOT NULL,
  request_id text,
  application text,
  txid bigint NOT NULL,
  CONSTRAINT audit_log_pkey PRIMARY KEY (audit_id),
  CONSTRAINT audit_log_operation_check CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  CONSTRAINT audit_log_values_check CHECK (
    (operation = 'INSERT' AND old_values IS NULL AND new_values IS NOT NULL)
    OR (operation = 'UPDATE' AND old_values IS NOT NULL AND new_values IS NOT NULL)
    OR (operation = 'DELETE' AND old_values IS NOT NULL AND new_values IS NULL)
  )
);

COMMENT ON TABLE marketing.audit_log IS
  'Append-only log of every change to company, company_slot and people. UPDATE, DELETE and TRUNCATE '
  'are refused unless the transaction has set ple.audit_maintenance = on (retention and PII erasure '
  'functions only).';

-- ---------------------------------------------------------------------------
-- Slot events: ASSIGNED, PROPOSED, CONFIRMED, REJECTED, VACATED, DISPLACED
-- ---------------------------------------------------------------------------

CREATE TABLE marketing.slot_event (
  event_id bigint GENERATED ALWAYS AS IDENTITY,
  slot_uid text NOT NULL,
  company_uid text NOT NULL,
  role text NOT NULL,
  event text NOT NULL,
  person_id text,
  previous_person_id text,
  actor text NOT NULL,
  request_id text,
  txid bigint NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT slot_event_pkey PRIMARY KEY (event_id),
  CONSTRAINT slot_event_event_check
    CHECK (event IN ('ASSIGNED', 'PROPOSED', 'CONFIRMED', 'REJECTED', 'VACATED', 'DISPLACED'))
);

COMMENT ON TABLE marketing.slot_event IS
  'Slot assignment events, one per person concerned: person_id is that person (for VACATED, REJECTED '
  'and DISPLACED the one who left; a displacement also writes ASSIGNED for the newcomer); '
  'previous_person_id is the holder before the change.';

-- ---------------------------------------------------------------------------
-- Import rejects: every input row that could not be imported
-- ---------------------------------------------------------------------------

CREATE TABLE marketing.import_reject (
  id bigint GENERATED ALWAYS AS IDENTITY,
  source_file text NOT NULL,
  row_number integer NOT NULL,
  raw_row text NOT NULL,
  error_code text NOT NULL,
  field text,
  message text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT import_reject_pkey PRIMARY KEY (id),
  CONSTRAINT import_reject_row_number_check CHECK (row_number >= 0)
);

COMMENT ON TABLE marketing.import_reject IS 'Input rows that could not be imported, with the reason';

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

-- AFTER ROW trigger for company, company_slot and people, for UPDATE and
-- DELETE: one audit row, and the history kept current. (An INSERT is
-- recorded per statement by record_insert() below.) TG_ARGV[0] names the key column. The history
-- statements are written out per table (not EXECUTE format(...)) so their
-- plans are cached: this runs for every row an import writes.
CREATE FUNCTION marketing.record_change()
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

-- AFTER INSERT ... FOR EACH STATEMENT trigger for company, company_slot and
-- people: what record_change() writes for an inserted row (one audit row and
-- the first history version, from valid_from = the row's updated_at), written
-- set-based from the statement's transition table. An import inserts
-- thousands of rows per statement, and a row trigger cost two INSERTs per row.
-- An INSERT has nothing to fold or close, so one INSERT ... SELECT each does
-- it; the rows are read in the order the statement inserted them.
CREATE FUNCTION marketing.record_insert()
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

CREATE TRIGGER company_record_insert
  AFTER INSERT ON marketing.company
  REFERENCING NEW TABLE AS new_company
  FOR EACH STATEMENT EXECUTE FUNCTION marketing.record_insert();

CREATE TRIGGER company_record_change
  AFTER DELETE ON marketing.company
  FOR EACH ROW EXECUTE FUNCTION marketing.record_change('company_uid');

CREATE TRIGGER company_record_update
  AFTER UPDATE ON marketing.company
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION marketing.record_change('company_uid');

CREATE TRIGGER company_slot_record_insert
  AFTER INSERT ON marketing.company_slot
  REFERENCING NEW TABLE AS new_company_slot
  FOR EACH STATEMENT EXECUTE FUNCTION marketing.record_insert();

CREATE TRIGGER company_slot_record_change
  AFTER DELETE ON marketing.company_slot
  FOR EACH ROW EXECUTE FUNCTION marketing.record_change('slot_uid');

CREATE TRIGGER company_slot_record_update
  AFTER UPDATE ON marketing.company_slot
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION marketing.record_change('slot_uid');

CREATE TRIGGER people_record_insert
  AFTER INSERT ON marketing.people
  REFERENCING NEW TABLE AS new_people
  FOR EACH STATEMENT EXECUTE FUNCTION marketing.record_insert();

CREATE TRIGGER people_record_change
  AFTER DELETE ON marketing.people
  FOR EACH ROW EXECUTE FUNCTION marketing.record_change('person_id');

CREATE TRIGGER people_record_update
  AFTER UPDATE ON marketing.people
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION marketing.record_change('person_id');

-- One slot_event per person a slot state change concerns, named by the
-- transition (core's SLOT_EVENT_TYPE_OF). A displacement writes DISPLACED for
-- the person who leaves and ASSIGNED for the one who arrives.
CREATE FUNCTION marketing.record_slot_event()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_transition text;
  v_actor text := marketing.current_actor();
  v_request_id text := marketing.current_request_id();
  v_txid bigint := txid_current();
BEGIN
  SELECT t.event INTO v_transition
    FROM marketing.slot_transition AS t
   WHERE t.from_status = OLD.status AND t.to_status = NEW.status;
  INSERT INTO marketing.slot_event (
    slot_uid, company_uid, role, event, person_id, previous_person_id, actor, request_id, txid
  )
  SELECT NEW.slot_uid, NEW.company_uid, NEW.role, e.event, e.person_id, OLD.person_id,
         v_actor, v_request_id, v_txid
    FROM (VALUES
      (1, CASE v_transition
            WHEN 'link' THEN 'ASSIGNED'
            WHEN 'propose' THEN 'PROPOSED'
            WHEN 'confirm' THEN 'CONFIRMED'
            WHEN 'reject' THEN 'REJECTED'
            WHEN 'vacate' THEN 'VACATED'
            WHEN 'displace' THEN 'DISPLACED'
          END,
          CASE WHEN v_transition IN ('reject', 'vacate', 'displace') THEN OLD.person_id ELSE NEW.person_id END),
      (2, CASE WHEN v_transition = 'displace' THEN 'ASSIGNED' END, NEW.person_id)
    ) AS e(ord, event, person_id)
   WHERE e.event IS NOT NULL
   ORDER BY e.ord;
  RETURN NULL;
END;
$$;

CREATE TRIGGER company_slot_record_event
  AFTER UPDATE OF status, person_id ON marketing.company_slot
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.person_id IS DISTINCT FROM NEW.person_id)
  EXECUTE FUNCTION marketing.record_slot_event();

-- audit_log and slot_event are append-only. A retention or PII-erasure
-- function (migration 007+) may rewrite them after
-- set_config('ple.audit_maintenance', 'on', true) in its own transaction.
CREATE FUNCTION marketing.refuse_log_rewrite()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF current_setting('ple.audit_maintenance', true) = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION USING
    ERRCODE = 'insufficient_privilege',
    MESSAGE = format('%s is append-only: %s is not allowed', TG_TABLE_NAME, TG_OP),
    HINT = 'Only the retention and PII-erasure functions may rewrite it.',
    TABLE = TG_TABLE_NAME,
    SCHEMA = 'marketing';
END;
$$;

CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE ON marketing.audit_log
  FOR EACH ROW EXECUTE FUNCTION marketing.refuse_log_rewrite();

CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON marketing.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION marketing.refuse_log_rewrite();

CREATE TRIGGER slot_event_append_only
  BEFORE UPDATE OR DELETE ON marketing.slot_event
  FOR EACH ROW EXECUTE FUNCTION marketing.refuse_log_rewrite();

CREATE TRIGGER slot_event_no_truncate
  BEFORE TRUNCATE ON marketing.slot_event
  FOR EACH STATEMENT EXECUTE FUNCTION marketing.refuse_log_rewrite();

-- ---------------------------------------------------------------------------
-- "As of" look-ups: the record as it was at p_at (no row if it did not exist)
-- ---------------------------------------------------------------------------

CREATE FUNCTION marketing.company_as_of(p_company_uid text, p_at timestamptz)
RETURNS SETOF marketing.company
LANGUAGE sql
STABLE
AS $$
  SELECT r.*
    FROM marketing.company_history AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.company, h.row_data) AS r
   WHERE h.company_uid = p_company_uid AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

CREATE FUNCTION marketing.slot_as_of(p_slot_uid text, p_at timestamptz)
RETURNS SETOF marketing.company_slot
LANGUAGE sql
STABLE
AS $$
  SELECT r.*
    FROM marketing.company_slot_history AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.company_slot, h.row_data) AS r
   WHERE h.slot_uid = p_slot_uid AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

-- The three slots of a company as they were at p_at.
CREATE FUNCTION marketing.company_slots_as_of(p_company_uid text, p_at timestamptz)
RETURNS SETOF marketing.company_slot
LANGUAGE sql
STABLE
AS $$
  SELECT r.*
    FROM unnest(ARRAY['CEO', 'CFO', 'HR']) WITH ORDINALITY AS roles(role, ord)
   CROSS JOIN LATERAL marketing.slot_as_of('SL-' || p_company_uid || '-' || roles.role, p_at) AS r
   ORDER BY roles.ord
$$;

CREATE FUNCTION marketing.person_as_of(p_person_id text, p_at timestamptz)
RETURNS SETOF marketing.people
LANGUAGE sql
STABLE
AS $$
  SELECT r.*
    FROM marketing.people_history AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.people, h.row_data) AS r
   WHERE h.person_id = p_person_id AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

-- ---------------------------------------------------------------------------
-- Rows that exist already get their current version as the first history row.
-- ---------------------------------------------------------------------------

INSERT INTO marketing.company_history (company_uid, valid_from, operation, row_data, actor, txid)
SELECT c.company_uid, c.updated_at, 'INSERT', to_jsonb(c), 'migration:004', txid_current()
  FROM marketing.company AS c;

INSERT INTO marketing.company_slot_history (slot_uid, valid_from, operation, row_data, actor, txid)
SELECT s.slot_uid, s.updated_at, 'INSERT', to_jsonb(s), 'migration:004', txid_current()
  FROM marketing.company_slot AS s;

INSERT INTO marketing.people_history (person_id, valid_from, operation, row_data, actor, txid)
SELECT p.person_id, p.updated_at, 'INSERT', to_jsonb(p), 'migration:004', txid_current()
  FROM marketing.people AS p;
