-- 014 change feed: one event per change that apps downstream act on (company
-- created/updated/merged/deleted; slot assigned/proposed/confirmed/rejected/
-- vacated/displaced; person created/updated/validated/merged/erased), written
-- by the transaction that makes the change, with a position that readers see
-- in commit order only.
--
-- Positions in commit order. A transaction's events are inserted without a
-- position. At commit, a deferred constraint trigger (one per transaction,
-- queued by its first event) takes the row lock of event_clock, numbers the
-- transaction's events after the clock's last position and moves the clock.
-- The row lock is held until the commit is complete, so the next transaction
-- numbers its events only after this one is visible: a reader that sees
-- position p + 1 sees p, and positions have no gaps (a rolled-back
-- transaction rolls back its clock move). The lock is held for the numbering
-- and the commit record only, never while the transaction does its work.
--
-- The events are written by new triggers beside 004's history triggers;
-- marketing.emit_event(type, uids, changes) writes one from any SQL function
-- (company and person merges). An erased person's events keep their UIDs and
-- lose their personal data: the pii_erasure row erase_person (007) inserts
-- scrubs them and writes person.erased. The events table is append-only
-- (004's refuse_log_rewrite) except for retention and erasure.

CREATE TABLE marketing.event (
  event_id bigint GENERATED ALWAYS AS IDENTITY,
  position bigint,
  type text NOT NULL,
  uids jsonb NOT NULL,
  changes jsonb NOT NULL DEFAULT '{}',
  actor text NOT NULL,
  request_id text,
  txid bigint NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT event_pkey PRIMARY KEY (event_id),
  CONSTRAINT event_position_key UNIQUE (position),
  CONSTRAINT event_type_check CHECK (type IN (
    'company.created', 'company.updated', 'company.merged', 'company.deleted',
    'slot.assigned', 'slot.proposed', 'slot.confirmed', 'slot.rejected', 'slot.vacated', 'slot.displaced',
    'person.created', 'person.updated', 'person.validated', 'person.merged', 'person.erased'
  )),
  CONSTRAINT event_uids_object CHECK (jsonb_typeof(uids) = 'object'),
  CONSTRAINT event_changes_object CHECK (jsonb_typeof(changes) = 'object')
);

COMMENT ON TABLE marketing.event IS
  'The change feed: one row per event; position (set at commit, gapless, in commit order) is the cursor';

-- The events of open transactions, numbered at their commit.
CREATE INDEX event_unpositioned_txid ON marketing.event (txid) WHERE position IS NULL;
-- Erasure finds a person's events; retention finds old ones.
CREATE INDEX event_person_id ON marketing.event ((uids ->> 'person_id'));
CREATE INDEX event_at ON marketing.event (at);

-- At most one row: the last position handed out (none before the first event, so a
-- fresh database holds no data and takes a restore). Its row lock orders the commits.
CREATE TABLE marketing.event_clock (
  id boolean NOT NULL DEFAULT true,
  last_position bigint NOT NULL DEFAULT 0,
  CONSTRAINT event_clock_pkey PRIMARY KEY (id),
  CONSTRAINT event_clock_single_row CHECK (id)
);

COMMENT ON TABLE marketing.event_clock IS 'The last event position handed out (one row)';

-- One row per open transaction that wrote events; it carries the deferred trigger.
CREATE TABLE marketing.event_pending (
  txid bigint NOT NULL,
  CONSTRAINT event_pending_pkey PRIMARY KEY (txid)
);

COMMENT ON TABLE marketing.event_pending IS
  'Transactions whose events get their positions at commit (empty between transactions)';

-- Where each relay (e.g. to NATS JetStream) has published up to.
CREATE TABLE marketing.event_relay (
  name text NOT NULL,
  position bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT event_relay_pkey PRIMARY KEY (name),
  CONSTRAINT event_relay_name_check CHECK (name ~ '^[A-Za-z0-9._-]{1,100}$'),
  CONSTRAINT event_relay_position_check CHECK (position >= 0)
);

COMMENT ON TABLE marketing.event_relay IS 'The last position each named relay has published';

-- ---------------------------------------------------------------------------
-- Positions at commit
-- ---------------------------------------------------------------------------

CREATE FUNCTION marketing.event_mark_transaction()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO marketing.event_pending (txid) VALUES (txid_current()) ON CONFLICT (txid) DO NOTHING;
  RETURN NULL;
END;
$$;

CREATE TRIGGER event_mark_transaction
  AFTER INSERT ON marketing.event
  FOR EACH STATEMENT EXECUTE FUNCTION marketing.event_mark_transaction();

CREATE FUNCTION marketing.assign_event_positions()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_count bigint;
  v_last bigint;
BEGIN
  DELETE FROM marketing.event_pending WHERE txid = NEW.txid;
  SELECT count(*) INTO v_count FROM marketing.event WHERE txid = NEW.txid AND position IS NULL;
  IF v_count = 0 THEN
    RETURN NULL;
  END IF;
  -- From here to the end of the commit this transaction holds the clock's row lock
  -- (the first transaction ever creates the row; a concurrent one waits for it, then updates).
  INSERT INTO marketing.event_clock AS c (id, last_position) VALUES (true, v_count)
  ON CONFLICT (id) DO UPDATE SET last_position = c.last_position + excluded.last_position
  RETURNING c.last_position INTO v_last;
  UPDATE marketing.event AS e
     SET position = v_last - v_count + n.ord
    FROM (
      SELECT u.event_id, row_number() OVER (ORDER BY u.event_id) AS ord
        FROM marketing.event AS u
       WHERE u.txid = NEW.txid AND u.position IS NULL
    ) AS n
   WHERE e.event_id = n.event_id;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER event_pending_assign_positions
  AFTER INSERT ON marketing.event_pending
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION marketing.assign_event_positions();

-- Numbered events are never rewritten, except by retention and erasure
-- (ple.audit_maintenance = on). Numbering itself (position NULL → n) passes.
CREATE TRIGGER event_append_only
  BEFORE UPDATE ON marketing.event
  FOR EACH ROW WHEN (OLD.position IS NOT NULL)
  EXECUTE FUNCTION marketing.refuse_log_rewrite();

CREATE TRIGGER event_no_delete
  BEFORE DELETE ON marketing.event
  FOR EACH ROW EXECUTE FUNCTION marketing.refuse_log_rewrite();

CREATE TRIGGER event_no_truncate
  BEFORE TRUNCATE ON marketing.event
  FOR EACH STATEMENT EXECUTE FUNCTION marketing.refuse_log_rewrite();

-- ---------------------------------------------------------------------------
-- Writing events
-- ---------------------------------------------------------------------------

-- Writes one event in the caller's transaction, attributed to its actor and
-- request id; returns its event_id (the position comes at commit). For SQL
-- functions whose change the row triggers below cannot name (merges).
CREATE FUNCTION marketing.emit_event(p_type text, p_uids jsonb, p_changes jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_event_id bigint;
BEGIN
  INSERT INTO marketing.event (type, uids, changes, actor, request_id, txid)
  VALUES (
    p_type, p_uids, coalesce(p_changes, '{}'), marketing.current_actor(),
    marketing.current_request_id(), txid_current()
  )
  RETURNING event_id INTO v_event_id;
  RETURN v_event_id;
END;
$$;

-- The fields that differ between two versions of a row, as {field: {"from", "to"}};
-- only p_keys when given, never the timestamps the row keeps for itself.
CREATE FUNCTION marketing.event_changes(p_old jsonb, p_new jsonb, p_keys text[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(
    jsonb_object_agg(n.key, jsonb_build_object('from', p_old -> n.key, 'to', n.value) ORDER BY n.key),
    '{}'
  )
    FROM jsonb_each(p_new) AS n
   WHERE n.key NOT IN ('created_at', 'updated_at')
     AND (p_keys IS NULL OR n.key = ANY (p_keys))
     AND p_old -> n.key IS DISTINCT FROM n.value
$$;

-- company.created (per statement, set-based like 004's record_insert),
-- company.updated and company.deleted.
CREATE FUNCTION marketing.company_events_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO marketing.event (type, uids, changes, actor, request_id, txid)
  SELECT 'company.created', jsonb_build_object('company_uid', n.company_uid),
         to_jsonb(n) - 'created_at' - 'updated_at',
         marketing.current_actor(), marketing.current_request_id(), txid_current()
    FROM new_company AS n;
  RETURN NULL;
END;
$$;

CREATE FUNCTION marketing.company_events_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_changes jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM marketing.emit_event(
      'company.deleted', jsonb_build_object('company_uid', OLD.company_uid),
      to_jsonb(OLD) - 'created_at' - 'updated_at'
    );
    RETURN NULL;
  END IF;
  v_changes := marketing.event_changes(to_jsonb(OLD), to_jsonb(NEW));
  IF v_changes <> '{}' THEN
    PERFORM marketing.emit_event(
      'company.updated', jsonb_build_object('company_uid', NEW.company_uid), v_changes
    );
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER company_events_insert
  AFTER INSERT ON marketing.company
  REFERENCING NEW TABLE AS new_company
  FOR EACH STATEMENT EXECUTE FUNCTION marketing.company_events_insert();

CREATE TRIGGER company_events_update
  AFTER UPDATE ON marketing.company
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION marketing.company_events_change();

CREATE TRIGGER company_events_delete
  AFTER DELETE ON marketing.company
  FOR EACH ROW EXECUTE FUNCTION marketing.company_events_change();

-- One slot event per state change, named by the transition (slot_transition):
-- link → slot.assigned, propose → slot.proposed, confirm → slot.confirmed,
-- reject → slot.rejected, vacate → slot.vacated, displace → slot.displaced.
-- uids.person_id is the person the event is about (for rejected and vacated
-- the one who left, for displaced the newcomer); previous_person_id the holder
-- before.
CREATE FUNCTION marketing.slot_events_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_transition text;
  v_type text;
  v_uids jsonb;
BEGIN
  SELECT t.event INTO v_transition
    FROM marketing.slot_transition AS t
   WHERE t.from_status = OLD.status AND t.to_status = NEW.status;
  v_type := CASE v_transition
    WHEN 'link' THEN 'slot.assigned'
    WHEN 'propose' THEN 'slot.proposed'
    WHEN 'confirm' THEN 'slot.confirmed'
    WHEN 'reject' THEN 'slot.rejected'
    WHEN 'vacate' THEN 'slot.vacated'
    WHEN 'displace' THEN 'slot.displaced'
  END;
  IF v_type IS NULL AND OLD.person_id IS NOT NULL AND NEW.person_id IS NOT NULL THEN
    v_type := 'slot.displaced';
  END IF;
  IF v_type IS NULL THEN
    RETURN NULL;
  END IF;
  v_uids := jsonb_build_object(
    'slot_uid', NEW.slot_uid,
    'company_uid', NEW.company_uid,
    'person_id', coalesce(NEW.person_id, OLD.person_id)
  );
  IF OLD.person_id IS NOT NULL AND OLD.person_id IS DISTINCT FROM NEW.person_id THEN
    v_uids := v_uids || jsonb_build_object('previous_person_id', OLD.person_id);
  END IF;
  PERFORM marketing.emit_event(
    v_type, v_uids,
    jsonb_build_object('role', NEW.role)
      || marketing.event_changes(to_jsonb(OLD), to_jsonb(NEW), ARRAY['status', 'person_id'])
  );
  RETURN NULL;
END;
$$;

CREATE TRIGGER company_slot_events_change
  AFTER UPDATE OF status, person_id ON marketing.company_slot
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.person_id IS DISTINCT FROM NEW.person_id)
  EXECUTE FUNCTION marketing.slot_events_change();

-- person.created (per statement), person.updated and person.validated (a new
-- verifier verdict: validation_status set to anything but pending). The
-- tombstone update of an erasure writes nothing here: person.erased follows.
CREATE FUNCTION marketing.person_events_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO marketing.event (type, uids, changes, actor, request_id, txid)
  SELECT 'person.created',
         jsonb_strip_nulls(jsonb_build_object('person_id', n.person_id, 'company_uid', n.company_uid)),
         to_jsonb(n) - 'created_at' - 'updated_at',
         marketing.current_actor(), marketing.current_request_id(), txid_current()
    FROM new_people AS n;
  RETURN NULL;
END;
$$;

CREATE FUNCTION marketing.person_events_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_validation_keys constant text[] :=
    ARRAY['validation_status', 'validation_provider', 'validation_result_raw', 'validated_at'];
  v_old jsonb := to_jsonb(OLD);
  v_new jsonb := to_jsonb(NEW);
  v_uids jsonb;
  v_validation jsonb;
  v_other jsonb;
BEGIN
  IF NEW.email = marketing.erased_email(NEW.person_id) AND OLD.email IS DISTINCT FROM NEW.email THEN
    RETURN NULL;
  END IF;
  v_uids := jsonb_strip_nulls(jsonb_build_object('person_id', NEW.person_id, 'company_uid', NEW.company_uid));
  v_validation := marketing.event_changes(v_old, v_new, v_validation_keys);
  v_other := marketing.event_changes(v_old - v_validation_keys, v_new - v_validation_keys);
  IF v_validation <> '{}' AND NEW.validation_status <> 'pending' THEN
    PERFORM marketing.emit_event('person.validated', v_uids, v_validation);
  ELSE
    v_other := v_other || v_validation;
  END IF;
  IF v_other <> '{}' THEN
    PERFORM marketing.emit_event('person.updated', v_uids, v_other);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER people_events_insert
  AFTER INSERT ON marketing.people
  REFERENCING NEW TABLE AS new_people
  FOR EACH STATEMENT EXECUTE FUNCTION marketing.person_events_insert();

CREATE TRIGGER people_events_update
  AFTER UPDATE ON marketing.people
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION marketing.person_events_change();

-- ---------------------------------------------------------------------------
-- Erasure
-- ---------------------------------------------------------------------------

-- An event's changes with a person's personal fields replaced, whether a field
-- holds a value (created) or {"from", "to"} (updated).
CREATE FUNCTION marketing.erase_event_changes(p_changes jsonb, p_person_id text)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(jsonb_object_agg(
    c.key,
    CASE
      WHEN c.key NOT IN ('name', 'email', 'linkedin_url', 'title', 'validation_result_raw') THEN c.value
      WHEN jsonb_typeof(c.value) = 'object' THEN jsonb_build_object(
        'from', marketing.erase_person_json(jsonb_build_object(c.key, c.value -> 'from'), p_person_id) -> c.key,
        'to', marketing.erase_person_json(jsonb_build_object(c.key, c.value -> 'to'), p_person_id) -> c.key
      )
      ELSE marketing.erase_person_json(jsonb_build_object(c.key, c.value), p_person_id) -> c.key
    END
  ), '{}')
    FROM jsonb_each(p_changes) AS c
$$;

-- Scrubs every event of the person (and any other event quoting their email or
-- LinkedIn URL), then writes person.erased. Runs where erase_person records the
-- tombstone, in the same transaction.
CREATE FUNCTION marketing.person_events_erase()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_maintenance text := current_setting('ple.audit_maintenance', true);
  v_needles text[];
  v_scrubbed integer;
  v_quoted integer;
BEGIN
  SELECT array_agg(DISTINCT x.needle) INTO v_needles
    FROM marketing.event AS e
   CROSS JOIN LATERAL (VALUES
     (e.changes ->> 'email'), (e.changes -> 'email' ->> 'from'), (e.changes -> 'email' ->> 'to'),
     (e.changes ->> 'linkedin_url'), (e.changes -> 'linkedin_url' ->> 'from'),
     (e.changes -> 'linkedin_url' ->> 'to')
   ) AS x(needle)
   WHERE e.uids ->> 'person_id' = NEW.person_id AND e.type LIKE 'person.%'
     AND jsonb_typeof(e.changes) = 'object' AND x.needle IS NOT NULL
     AND x.needle <> marketing.erased_email(NEW.person_id);
  v_needles := coalesce(v_needles, '{}')
    || array_remove(ARRAY(
         SELECT substring(n FROM '/in/([^/]+)$') FROM unnest(coalesce(v_needles, '{}')) AS n
       ), NULL);

  PERFORM set_config('ple.audit_maintenance', 'on', true);

  UPDATE marketing.event
     SET changes = marketing.erase_event_changes(changes, NEW.person_id)
   WHERE uids ->> 'person_id' = NEW.person_id AND type LIKE 'person.%';
  GET DIAGNOSTICS v_scrubbed = ROW_COUNT;

  UPDATE marketing.event
     SET changes = marketing.erase_text(changes::text, v_needles, '[erased]')::jsonb
   WHERE cardinality(v_needles) > 0 AND marketing.contains_any(changes::text, v_needles);
  GET DIAGNOSTICS v_quoted = ROW_COUNT;

  PERFORM set_config('ple.audit_maintenance', coalesce(v_maintenance, ''), true);

  PERFORM marketing.emit_event(
    'person.erased', jsonb_build_object('person_id', NEW.person_id),
    jsonb_build_object(
      'erased_fields', to_jsonb(NEW.erased_fields),
      'events_scrubbed', v_scrubbed + v_quoted
    )
  );
  RETURN NULL;
END;
$$;

CREATE TRIGGER pii_erasure_events
  AFTER INSERT ON marketing.pii_erasure
  FOR EACH ROW EXECUTE FUNCTION marketing.person_events_erase();

-- ---------------------------------------------------------------------------
-- Retention
-- ---------------------------------------------------------------------------

-- Deletes (or with p_dry_run counts) events older than p_days days; a NULL
-- period keeps them. A real purge is recorded in the audit log (PURGE, table
-- event). Returns the number of events.
CREATE FUNCTION marketing.purge_events(p_days integer, p_dry_run boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_now timestamptz := now();
  v_cutoff timestamptz;
  v_count bigint := 0;
  v_maintenance text := current_setting('ple.audit_maintenance', true);
BEGIN
  IF p_days < 0 THEN
    PERFORM marketing.raise_validation(
      'event_days', 'negative', 'event_days: a retention period must not be negative'
    );
  END IF;
  IF p_days IS NULL THEN
    RETURN 0;
  END IF;
  v_cutoff := v_now - make_interval(days => p_days);
  IF p_dry_run THEN
    SELECT count(*) INTO v_count FROM marketing.event WHERE at < v_cutoff;
    RETURN v_count;
  END IF;
  PERFORM set_config('ple.audit_maintenance', 'on', true);
  DELETE FROM marketing.event WHERE at < v_cutoff;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  INSERT INTO marketing.audit_log (
    operation, table_name, record_key, old_values, new_values, changed_columns,
    actor, request_id, application, txid
  ) VALUES (
    'PURGE', 'event', to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), NULL,
    jsonb_build_object('cutoff', v_cutoff, 'period_days', p_days, 'rows', v_count), NULL,
    marketing.current_actor(), marketing.current_request_id(), marketing.current_application(),
    txid_current()
  );
  PERFORM set_config('ple.audit_maintenance', coalesce(v_maintenance, ''), true);
  RETURN v_count;
END;
$$;

-- company.merged / person.merged: one event per row of record_merge (migration 011), written
-- by the merge's own transaction. It carries UIDs only, never the dropped record's values.
CREATE FUNCTION marketing.merge_events_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM marketing.emit_event(
    NEW.entity || '.merged',
    CASE NEW.entity
      WHEN 'company' THEN jsonb_build_object('company_uid', NEW.kept_uid, 'merged_from', NEW.dropped_uid)
      ELSE jsonb_build_object('person_id', NEW.kept_uid, 'merged_from', NEW.dropped_uid)
    END,
    jsonb_build_object(
      'merge_id', NEW.merge_id,
      'filled', to_jsonb(NEW.filled_columns),
      'released', NEW.released,
      'moved', NEW.moved
    )
  );
  RETURN NULL;
END;
$$;

CREATE TRIGGER record_merge_events
  AFTER INSERT ON marketing.record_merge
  FOR EACH ROW EXECUTE FUNCTION marketing.merge_events_insert();
