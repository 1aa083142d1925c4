-- 015 history holds superseded versions only: the current version of a
-- company, slot or person is the row itself (as SQL:2011 system-versioned
-- tables and temporal_tables keep it), and an INSERT's audit row names who
-- inserted what, when, without a second copy of the values.
--
-- Measured (20,000 companies with their 60,000 slots in one statement and its
-- commit, as an import batch writes them; backend CPU, 4 alternating runs
-- each): 2,550 ms before, 1,920 ms after. Before, record_insert wrote per
-- company 4 audit rows and 4 history rows, each with the whole row as JSON;
-- after a 50,000-row `ple import companies` the tables took 79 MB instead of
-- 195 MB and the indexes 60 MB instead of 84 MB.
--
-- What readers see is unchanged:
-- * marketing.company_versions, company_slot_versions and people_versions are
--   every version of a record as company_history etc. were before: the stored
--   (superseded) versions, and the current version made from the live row
--   (history_id NULL, valid_to 'infinity'). Its valid_from is when the row's
--   last version began: the end of the last superseded version, else the
--   row's created_at. Its operation, actor, request_id and txid are those of
--   the audit rows of the change that began it (INSERT when the transaction
--   that last changed it inserted it; actor and request id of the last change
--   in that transaction, which folded into the version).
-- * company_as_of, slot_as_of, company_slots_as_of and person_as_of read the
--   versions views: as of t, the live row when its version began at or
--   before t, else the superseded version covering t.
-- * The audit trail keeps one row per insert, update and delete; an INSERT
--   row's new_values is NULL from now on (the values are the record's first
--   version). UPDATE and DELETE rows keep their values.
--
-- Writes: an UPDATE or DELETE stores the version it ends (OLD), unless the
-- change folds: an UPDATE in the transaction that began the current version
-- (whose states in between no other transaction saw) stores nothing. An
-- INSERT stores no version.
--
-- Existing data: a stored current version (valid_to 'infinity') that the live
-- row and the audit log give back exactly is deleted. Any other (e.g. 004's
-- versions of rows that existed before the audit log) stays as it is, is read
-- in place of the live row's, and is closed by the next change as before.
--
-- Retention keeps the audit rows that name the current version of a live
-- record (the latest INSERT or UPDATE transaction of it), as it never purges
-- a current version.

-- ---------------------------------------------------------------------------
-- Who began the current version of a record: its latest INSERT or UPDATE
-- audit rows (one transaction's).
-- ---------------------------------------------------------------------------

CREATE FUNCTION marketing.version_meta(p_table text, p_key text)
RETURNS TABLE (operation text, actor text, request_id text, txid bigint)
LANGUAGE sql
STABLE
AS $$
  SELECT CASE WHEN EXISTS (
           SELECT 1 FROM marketing.audit_log AS i
            WHERE i.table_name = p_table AND i.record_key = p_key
              AND i.operation = 'INSERT' AND i.txid = l.txid
         ) THEN 'INSERT' ELSE 'UPDATE' END,
         l.actor, l.request_id, l.txid
    FROM (
      SELECT a.actor, a.request_id, a.txid
        FROM marketing.audit_log AS a
       WHERE a.table_name = p_table AND a.record_key = p_key
         AND a.operation IN ('INSERT', 'UPDATE')
       ORDER BY a.at DESC, a.audit_id DESC
       LIMIT 1
    ) AS l
$$;

-- ---------------------------------------------------------------------------
-- Every version of a record: the stored ones and the live row
-- ---------------------------------------------------------------------------

CREATE VIEW marketing.company_versions AS
SELECT h.history_id, h.company_uid, h.valid_from, h.valid_to, h.operation, h.row_data,
       h.actor, h.request_id, h.txid
  FROM marketing.company_history AS h
UNION ALL
SELECT NULL::bigint, c.company_uid, greatest(c.created_at, p.last_end), 'infinity'::timestamptz,
       coalesce(m.operation, CASE WHEN p.last_end IS NULL THEN 'INSERT' ELSE 'UPDATE' END),
       to_jsonb(c), coalesce(m.actor, 'unknown'), m.request_id, coalesce(m.txid, 0)
  FROM marketing.company AS c
 CROSS JOIN LATERAL (
   SELECT max(h.valid_to) AS last_end FROM marketing.company_history AS h
    WHERE h.company_uid = c.company_uid
 ) AS p
  LEFT JOIN LATERAL marketing.version_meta('company', c.company_uid) AS m ON true
 WHERE p.last_end IS DISTINCT FROM 'infinity';

COMMENT ON VIEW marketing.company_versions IS
  'Every version of marketing.company: company_history (superseded) and the live row (history_id NULL, valid_to infinity)';

CREATE VIEW marketing.company_slot_versions AS
SELECT h.history_id, h.slot_uid, h.valid_from, h.valid_to, h.operation, h.row_data,
       h.actor, h.request_id, h.txid
  FROM marketing.company_slot_history AS h
UNION ALL
SELECT NULL::bigint, s.slot_uid, greatest(s.created_at, p.last_end), 'infinity'::timestamptz,
       coalesce(m.operation, CASE WHEN p.last_end IS NULL THEN 'INSERT' ELSE 'UPDATE' END),
       to_jsonb(s), coalesce(m.actor, 'unknown'), m.request_id, coalesce(m.txid, 0)
  FROM marketing.company_slot AS s
 CROSS JOIN LATERAL (
   SELECT max(h.valid_to) AS last_end FROM marketing.company_slot_history AS h
    WHERE h.slot_uid = s.slot_uid
 ) AS p
  LEFT JOIN LATERAL marketing.version_meta('company_slot', s.slot_uid) AS m ON true
 WHERE p.last_end IS DISTINCT FROM 'infinity';

COMMENT ON VIEW marketing.company_slot_versions IS
  'Every version of marketing.company_slot: company_slot_history (superseded) and the live row (history_id NULL, valid_to infinity)';

CREATE VIEW marketing.people_versions AS
SELECT h.history_id, h.person_id, h.valid_from, h.valid_to, h.operation, h.row_data,
       h.actor, h.request_id, h.txid
  FROM marketing.people_history AS h
UNION ALL
SELECT NULL::bigint, x.person_id, greatest(x.created_at, p.last_end), 'infinity'::timestamptz,
       coalesce(m.operation, CASE WHEN p.last_end IS NULL THEN 'INSERT' ELSE 'UPDATE' END),
       to_jsonb(x), coalesce(m.actor, 'unknown'), m.request_id, coalesce(m.txid, 0)
  FROM marketing.people AS x
 CROSS JOIN LATERAL (
   SELECT max(h.valid_to) AS last_end FROM marketing.people_history AS h
    WHERE h.person_id = x.person_id
 ) AS p
  LEFT JOIN LATERAL marketing.version_meta('people', x.person_id) AS m ON true
 WHERE p.last_end IS DISTINCT FROM 'infinity';

COMMENT ON VIEW marketing.people_versions IS
  'Every version of marketing.people: people_history (superseded) and the live row (history_id NULL, valid_to infinity)';

COMMENT ON TABLE marketing.company_history IS
  'Superseded versions of marketing.company (the current one is the row; see company_versions)';
COMMENT ON TABLE marketing.company_slot_history IS
  'Superseded versions of marketing.company_slot (the current one is the row; see company_slot_versions)';
COMMENT ON TABLE marketing.people_history IS
  'Superseded versions of marketing.people (the current one is the row; see people_versions)';

-- ---------------------------------------------------------------------------
-- Existing data: drop the stored current versions the live row gives back
-- ---------------------------------------------------------------------------

DELETE FROM marketing.company_history AS h
 USING marketing.company AS c
 WHERE h.valid_to = 'infinity' AND c.company_uid = h.company_uid
   AND h.row_data = to_jsonb(c)
   AND h.valid_from = greatest(c.created_at, (
         SELECT max(o.valid_to) FROM marketing.company_history AS o
          WHERE o.company_uid = h.company_uid AND o.valid_to <> 'infinity'))
   AND EXISTS (
         SELECT 1 FROM marketing.version_meta('company', h.company_uid) AS m
          WHERE m.operation = h.operation AND m.actor = h.actor
            AND m.request_id IS NOT DISTINCT FROM h.request_id AND m.txid = h.txid);

DELETE FROM marketing.company_slot_history AS h
 USING marketing.company_slot AS s
 WHERE h.valid_to = 'infinity' AND s.slot_uid = h.slot_uid
   AND h.row_data = to_jsonb(s)
   AND h.valid_from = greatest(s.created_at, (
         SELECT max(o.valid_to) FROM marketing.company_slot_history AS o
          WHERE o.slot_uid = h.slot_uid AND o.valid_to <> 'infinity'))
   AND EXISTS (
         SELECT 1 FROM marketing.version_meta('company_slot', h.slot_uid) AS m
          WHERE m.operation = h.operation AND m.actor = h.actor
            AND m.request_id IS NOT DISTINCT FROM h.request_id AND m.txid = h.txid);

DELETE FROM marketing.people_history AS h
 USING marketing.people AS x
 WHERE h.valid_to = 'infinity' AND x.person_id = h.person_id
   AND h.row_data = to_jsonb(x)
   AND h.valid_from = greatest(x.created_at, (
         SELECT max(o.valid_to) FROM marketing.people_history AS o
          WHERE o.person_id = h.person_id AND o.valid_to <> 'infinity'))
   AND EXISTS (
         SELECT 1 FROM marketing.version_meta('people', h.person_id) AS m
          WHERE m.operation = h.operation AND m.actor = h.actor
            AND m.request_id IS NOT DISTINCT FROM h.request_id AND m.txid = h.txid);

-- ---------------------------------------------------------------------------
-- Audit: an INSERT row may leave new_values NULL
-- ---------------------------------------------------------------------------

ALTER TABLE marketing.audit_log
  DROP CONSTRAINT audit_log_values_check,
  ADD CONSTRAINT audit_log_values_check CHECK (
    (operation = 'INSERT' AND old_values IS NULL)
    OR (operation = 'UPDATE' AND old_values IS NOT NULL AND new_values IS NOT NULL)
    OR (operation = 'DELETE' AND old_values IS NOT NULL AND new_values IS NULL)
    OR (operation IN ('ERASE', 'PURGE') AND old_values IS NULL AND new_values IS NOT NULL)
  ) NOT VALID;
ALTER TABLE marketing.audit_log VALIDATE CONSTRAINT audit_log_values_check;

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

-- AFTER INSERT ... FOR EACH STATEMENT: one audit row per inserted row, in the
-- order the statement inserted them; no values and no history version (the
-- row is its current version).
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
      at, operation, table_name, record_key, actor, request_id, application, txid
    )
    SELECT clock_timestamp(), 'INSERT', 'company', n.company_uid,
           v_actor, v_request_id, v_application, v_txid
      FROM new_company AS n;
  ELSIF TG_TABLE_NAME = 'company_slot' THEN
    INSERT INTO marketing.audit_log (
      at, operation, table_name, record_key, actor, request_id, application, txid
    )
    SELECT clock_timestamp(), 'INSERT', 'company_slot', n.slot_uid,
           v_actor, v_request_id, v_application, v_txid
      FROM new_company_slot AS n;
  ELSIF TG_TABLE_NAME = 'people' THEN
    INSERT INTO marketing.audit_log (
      at, operation, table_name, record_key, actor, request_id, application, txid
    )
    SELECT clock_timestamp(), 'INSERT', 'people', n.person_id,
           v_actor, v_request_id, v_application, v_txid
      FROM new_people AS n;
  ELSE
    RAISE EXCEPTION 'marketing.record_insert() has no history table for %', TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END;
$$;

-- AFTER UPDATE / DELETE ... FOR EACH ROW: one audit row with the old and new
-- values, and the version OLD was stored as superseded (unless the update
-- folds into a version this transaction began). TG_ARGV[0] names the key
-- column. The history statements are written out per table so their plans
-- are cached. The table name goes to version_meta as a text variable:
-- TG_TABLE_NAME is of type name, whose collation "C" would keep the
-- comparison off audit_log_record_idx (measured: a sequential scan of the
-- audit log per update).
CREATE OR REPLACE FUNCTION marketing.record_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_key_column text := TG_ARGV[0];
  v_table text := TG_TABLE_NAME;
  v_old jsonb := to_jsonb(OLD);
  v_new jsonb;
  v_key text;
  v_old_key text;
  v_changed text[];
  v_actor text := marketing.current_actor();
  v_request_id text := marketing.current_request_id();
  v_txid bigint := txid_current();
  v_now timestamptz := clock_timestamp();
  v_to timestamptz := v_now;
  v_from timestamptz;
  v_last_end timestamptz;
  v_meta record;
  v_operation text;
BEGIN
  v_old_key := v_old ->> v_key_column;
  IF TG_OP = 'UPDATE' THEN
    v_new := to_jsonb(NEW);
    v_key := v_new ->> v_key_column;
    v_to := coalesce((v_new ->> 'updated_at')::timestamptz, v_now);
    SELECT array_agg(n.key ORDER BY n.key) INTO v_changed
      FROM jsonb_each(v_new) AS n
     WHERE v_old -> n.key IS DISTINCT FROM n.value;
  END IF;

  -- Who began the version OLD is (read before this change's audit row exists).
  SELECT m.operation, m.actor, m.request_id, m.txid INTO v_meta
    FROM marketing.version_meta(v_table, v_old_key) AS m;

  INSERT INTO marketing.audit_log (
    at, operation, table_name, record_key, old_values, new_values, changed_columns,
    actor, request_id, application, txid
  ) VALUES (
    v_now, TG_OP, TG_TABLE_NAME, coalesce(v_key, v_old_key), v_old, v_new, v_changed,
    v_actor, v_request_id, marketing.current_application(), v_txid
  );

  -- A second change in the transaction that began the current version folds
  -- into it: no other transaction saw OLD.
  IF TG_OP = 'UPDATE' AND v_key = v_old_key AND v_meta.txid IS NOT DISTINCT FROM v_txid THEN
    RETURN NULL;
  END IF;

  -- Per table: the end of the last stored version ('infinity': a current
  -- version stored before 015, closed in place); else OLD is stored, from
  -- that end (or the row's creation) to this change.
  IF TG_TABLE_NAME = 'company' THEN
    SELECT max(h.valid_to) INTO v_last_end
      FROM marketing.company_history AS h WHERE h.company_uid = v_old_key;
  ELSIF TG_TABLE_NAME = 'company_slot' THEN
    SELECT max(h.valid_to) INTO v_last_end
      FROM marketing.company_slot_history AS h WHERE h.slot_uid = v_old_key;
  ELSIF TG_TABLE_NAME = 'people' THEN
    SELECT max(h.valid_to) INTO v_last_end
      FROM marketing.people_history AS h WHERE h.person_id = v_old_key;
  ELSE
    RAISE EXCEPTION 'marketing.record_change() has no history table for %', TG_TABLE_NAME;
  END IF;

  IF v_last_end = 'infinity' THEN
    IF TG_TABLE_NAME = 'company' THEN
      UPDATE marketing.company_history AS h
         SET valid_to = greatest(h.valid_from, v_to)
       WHERE h.company_uid = v_old_key AND h.valid_to = 'infinity';
    ELSIF TG_TABLE_NAME = 'company_slot' THEN
      UPDATE marketing.company_slot_history AS h
         SET valid_to = greatest(h.valid_from, v_to)
       WHERE h.slot_uid = v_old_key AND h.valid_to = 'infinity';
    ELSE
      UPDATE marketing.people_history AS h
         SET valid_to = greatest(h.valid_from, v_to)
       WHERE h.person_id = v_old_key AND h.valid_to = 'infinity';
    END IF;
    RETURN NULL;
  END IF;

  v_from := greatest((v_old ->> 'created_at')::timestamptz, v_last_end);
  v_operation := coalesce(v_meta.operation, CASE WHEN v_last_end IS NULL THEN 'INSERT' ELSE 'UPDATE' END);
  IF TG_TABLE_NAME = 'company' THEN
    INSERT INTO marketing.company_history (
      company_uid, valid_from, valid_to, operation, row_data, actor, request_id, txid
    ) VALUES (
      v_old_key, v_from, greatest(v_from, v_to), v_operation, v_old,
      coalesce(v_meta.actor, 'unknown'), v_meta.request_id, coalesce(v_meta.txid, 0)
    );
  ELSIF TG_TABLE_NAME = 'company_slot' THEN
    INSERT INTO marketing.company_slot_history (
      slot_uid, valid_from, valid_to, operation, row_data, actor, request_id, txid
    ) VALUES (
      v_old_key, v_from, greatest(v_from, v_to), v_operation, v_old,
      coalesce(v_meta.actor, 'unknown'), v_meta.request_id, coalesce(v_meta.txid, 0)
    );
  ELSE
    INSERT INTO marketing.people_history (
      person_id, valid_from, valid_to, operation, row_data, actor, request_id, txid
    ) VALUES (
      v_old_key, v_from, greatest(v_from, v_to), v_operation, v_old,
      coalesce(v_meta.actor, 'unknown'), v_meta.request_id, coalesce(v_meta.txid, 0)
    );
  END IF;
  RETURN NULL;
END;
$$;

-- ---------------------------------------------------------------------------
-- "As of" look-ups over every version (same answers as 004's)
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION marketing.company_as_of(p_company_uid text, p_at timestamptz)
RETURNS SETOF marketing.company
LANGUAGE sql
STABLE
AS $$
  SELECT r.*
    FROM marketing.company_versions AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.company, h.row_data) AS r
   WHERE h.company_uid = p_company_uid AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

CREATE OR REPLACE FUNCTION marketing.slot_as_of(p_slot_uid text, p_at timestamptz)
RETURNS SETOF marketing.company_slot
LANGUAGE sql
STABLE
AS $$
  SELECT r.*
    FROM marketing.company_slot_versions AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.company_slot, h.row_data) AS r
   WHERE h.slot_uid = p_slot_uid AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

CREATE OR REPLACE FUNCTION marketing.person_as_of(p_person_id text, p_at timestamptz)
RETURNS SETOF marketing.people
LANGUAGE sql
STABLE
AS $$
  SELECT r.*
    FROM marketing.people_versions AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.people, h.row_data) AS r
   WHERE h.person_id = p_person_id AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

-- ---------------------------------------------------------------------------
-- Retention: the audit rows of a live record's current version stay
-- ---------------------------------------------------------------------------

-- True for the INSERT and UPDATE audit rows of the transaction that began the
-- current version of a live company, slot or person (version_meta reads them).
CREATE FUNCTION marketing.audit_names_current_version(p_audit marketing.audit_log)
RETURNS boolean
LANGUAGE sql
STABLE
AS $$
  SELECT p_audit.operation IN ('INSERT', 'UPDATE')
     AND p_audit.txid = (
           SELECT m.txid FROM marketing.version_meta(p_audit.table_name, p_audit.record_key) AS m)
     AND CASE p_audit.table_name
           WHEN 'company' THEN EXISTS (
             SELECT 1 FROM marketing.company AS c WHERE c.company_uid = p_audit.record_key)
           WHEN 'company_slot' THEN EXISTS (
             SELECT 1 FROM marketing.company_slot AS s WHERE s.slot_uid = p_audit.record_key)
           WHEN 'people' THEN EXISTS (
             SELECT 1 FROM marketing.people AS x WHERE x.person_id = p_audit.record_key)
           ELSE false
         END
$$;

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

  v_count := 0;
  IF v_audit_cutoff IS NOT NULL THEN
    IF p_dry_run THEN
      SELECT count(*) INTO v_count FROM marketing.audit_log AS a
       WHERE a.at < v_audit_cutoff AND NOT marketing.audit_names_current_version(a);
    ELSE
      DELETE FROM marketing.audit_log AS a
       WHERE a.at < v_audit_cutoff AND NOT marketing.audit_names_current_version(a);
      GET DIAGNOSTICS v_count = ROW_COUNT;
    END IF;
  END IF;
  v_rows := v_rows || jsonb_build_object('audit_log', v_count);

  v_count := 0;
  IF v_audit_cutoff IS NOT NULL THEN
    IF p_dry_run THEN
      SELECT count(*) INTO v_count FROM marketing.slot_event WHERE at < v_audit_cutoff;
    ELSE
      DELETE FROM marketing.slot_event WHERE at < v_audit_cutoff;
      GET DIAGNOSTICS v_count = ROW_COUNT;
    END IF;
  END IF;
  v_rows := v_rows || jsonb_build_object('slot_event', v_count);

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
