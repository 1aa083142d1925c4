-- 017 slot changes per statement: what an UPDATE of company_slot records (its
-- leases ended, its change-feed events, its slot_event rows, its audit rows
-- and superseded versions) is written by one statement-level trigger with
-- transition tables instead of four row-level ones. What is stored, raised
-- and recorded is the same, row for row and in the same order; an UPDATE of
-- one slot (the API's link, propose, confirm ...) writes what it wrote
-- before, and an UPDATE of many (the people import links a batch's people in
-- one statement) costs a few set-based statements instead of four PL/pgSQL
-- calls and about twelve statements per slot. Measured on a people import of
-- 20,000 contacts (12,637 links, track_functions): the four row triggers and
-- the functions they call took 3.9 s of the import's 7.5 s.
--
-- The per-row triggers looked each slot's last stored version up with a plan
-- cached for the session: on a database whose company_slot_history was
-- analysed while empty that plan was a sequential scan, run once per linked
-- slot, and a people import slowed down as the history grew (1,922 rows/s in
-- the first quarter of a 20,000-row file, 1,037 in the last). The set-based
-- statement looks the batch's slots up together.
--
-- A slot's uid, company and role never change (its uid is made of the other
-- two, company_slot_uid_format): company_slot_before_write now refuses such
-- an UPDATE with VALIDATION_FAILED on slot_uid, so the statement-level trigger
-- pairs each old row with its new one by slot_uid.

CREATE OR REPLACE FUNCTION marketing.company_slot_before_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_event text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.slot_uid IS NULL THEN
      NEW.slot_uid := marketing.gen_slot_uid(NEW.company_uid, NEW.role);
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.slot_uid IS DISTINCT FROM OLD.slot_uid OR NEW.company_uid IS DISTINCT FROM OLD.company_uid
     OR NEW.role IS DISTINCT FROM OLD.role THEN
    PERFORM marketing.raise_validation(
      'slot_uid', 'invalid_value',
      format('slot_uid: slot %s keeps its company and role (a slot''s uid never changes)', OLD.slot_uid)
    );
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status OR NEW.person_id IS DISTINCT FROM OLD.person_id THEN
    SELECT t.event INTO v_event
      FROM marketing.slot_transition AS t
     WHERE t.from_status = OLD.status AND t.to_status = NEW.status;
    IF v_event IS NULL THEN
      RAISE EXCEPTION USING
        ERRCODE = 'PL002',
        MESSAGE = format(
          'status: slot %s cannot change from %s to %s%s', OLD.slot_uid, OLD.status, NEW.status,
          CASE WHEN OLD.status = NEW.status THEN ' with another person' ELSE '' END
        ),
        DETAIL = json_build_object('from', OLD.status, 'to', NEW.status)::text,
        COLUMN = 'status',
        TABLE = 'company_slot',
        SCHEMA = 'marketing';
    END IF;
  END IF;
  NEW.updated_at := OLD.updated_at;
  IF NEW IS DISTINCT FROM OLD THEN
    NEW.updated_at := greatest(clock_timestamp(), OLD.updated_at);
  END IF;
  RETURN NEW;
END;
$$;

-- The four row triggers' work for every slot an UPDATE statement changed, in
-- their order (013's end_slot_lease, 014's slot_events_change, 004's
-- record_slot_event, 015's record_change) and, within each, in the order the
-- statement changed the slots. One statement: its parts all read the tables
-- as they were before it, which is what record_change needs (who began the
-- superseded version is read before this change's audit rows exist).
CREATE FUNCTION marketing.company_slot_after_update()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_actor text := marketing.current_actor();
  v_request_id text := marketing.current_request_id();
  v_application text := marketing.current_application();
  v_txid bigint := txid_current();
BEGIN
  WITH pair AS MATERIALIZED (
    SELECT x.ord,
           (x.n).slot_uid AS slot_uid, (x.n).company_uid AS company_uid, (x.n).role AS role,
           o.status AS old_status, (x.n).status AS new_status,
           o.person_id AS old_person, (x.n).person_id AS new_person,
           o.created_at AS created_at, (x.n).updated_at AS updated_at,
           to_jsonb(o) AS old_row, to_jsonb(x.n) AS new_row,
           o IS DISTINCT FROM x.n AS changed,
           t.event AS transition
      FROM (SELECT row_number() OVER () AS ord, n FROM new_slot AS n) AS x
      JOIN old_slot AS o ON o.slot_uid = (x.n).slot_uid
      LEFT JOIN marketing.slot_transition AS t
        ON t.from_status = o.status AND t.to_status = (x.n).status
  ),
  moved AS (
    SELECT * FROM pair
     WHERE old_status IS DISTINCT FROM new_status OR old_person IS DISTINCT FROM new_person
  ),
  -- A slot that leaves 'open' ends its lease (013).
  ended AS (
    DELETE FROM marketing.slot_lease AS l
     USING pair AS p
     WHERE l.slot_uid = p.slot_uid AND p.old_status = 'open' AND p.new_status <> 'open'
  ),
  -- The change feed (014's slot_events_change through emit_event).
  feed AS (
    INSERT INTO marketing.event (type, uids, changes, actor, request_id, txid)
    SELECT e.type,
           jsonb_build_object(
             'slot_uid', m.slot_uid,
             'company_uid', m.company_uid,
             'person_id', coalesce(m.new_person, m.old_person)
           ) || CASE WHEN m.old_person IS NOT NULL AND m.old_person IS DISTINCT FROM m.new_person
                     THEN jsonb_build_object('previous_person_id', m.old_person)
                     ELSE '{}'::jsonb END,
           -- event_changes(OLD, NEW, ARRAY['status', 'person_id']), written out: as
           -- a call it ran once per slot (an aggregate keeps it from being
           -- inlined) and took two thirds of this statement's time.
           jsonb_build_object('role', m.role)
             || CASE WHEN m.old_status IS DISTINCT FROM m.new_status
                     THEN jsonb_build_object('status', jsonb_build_object('from', m.old_status, 'to', m.new_status))
                     ELSE '{}'::jsonb END
             || CASE WHEN m.old_person IS DISTINCT FROM m.new_person
                     THEN jsonb_build_object('person_id', jsonb_build_object('from', m.old_person, 'to', m.new_person))
                     ELSE '{}'::jsonb END,
           v_actor, v_request_id, v_txid
      FROM moved AS m
     CROSS JOIN LATERAL (
       SELECT coalesce(
                CASE m.transition
                  WHEN 'link' THEN 'slot.assigned'
                  WHEN 'propose' THEN 'slot.proposed'
                  WHEN 'confirm' THEN 'slot.confirmed'
                  WHEN 'reject' THEN 'slot.rejected'
                  WHEN 'vacate' THEN 'slot.vacated'
                  WHEN 'displace' THEN 'slot.displaced'
                END,
                CASE WHEN m.old_person IS NOT NULL AND m.new_person IS NOT NULL THEN 'slot.displaced' END
              ) AS type
     ) AS e
     WHERE e.type IS NOT NULL
     ORDER BY m.ord
  ),
  -- The slot's own log (004's record_slot_event): a displacement is two rows.
  logged AS (
    INSERT INTO marketing.slot_event (
      slot_uid, company_uid, role, event, person_id, previous_person_id, actor, request_id, txid
    )
    SELECT m.slot_uid, m.company_uid, m.role, e.event, e.person_id, m.old_person,
           v_actor, v_request_id, v_txid
      FROM moved AS m
     CROSS JOIN LATERAL (VALUES
       (1, CASE m.transition
             WHEN 'link' THEN 'ASSIGNED'
             WHEN 'propose' THEN 'PROPOSED'
             WHEN 'confirm' THEN 'CONFIRMED'
             WHEN 'reject' THEN 'REJECTED'
             WHEN 'vacate' THEN 'VACATED'
             WHEN 'displace' THEN 'DISPLACED'
           END,
           CASE WHEN m.transition IN ('reject', 'vacate', 'displace') THEN m.old_person ELSE m.new_person END),
       (2, CASE WHEN m.transition = 'displace' THEN 'ASSIGNED' END, m.new_person)
     ) AS e(k, event, person_id)
     WHERE e.event IS NOT NULL
     ORDER BY m.ord, e.k
  ),
  -- 015's record_change for each changed slot: who began the version the
  -- change supersedes, and where the slot's stored versions end.
  changed AS MATERIALIZED (
    SELECT p.ord, p.slot_uid, p.old_row, p.new_row, p.created_at, p.updated_at,
           meta.operation, meta.actor, meta.request_id, meta.txid AS meta_txid, le.last_end
      FROM pair AS p
      LEFT JOIN LATERAL marketing.version_meta('company_slot', p.slot_uid) AS meta ON true
      LEFT JOIN (
        SELECT h.slot_uid, max(h.valid_to) AS last_end
          FROM marketing.company_slot_history AS h
         WHERE h.slot_uid IN (SELECT q.slot_uid FROM pair AS q WHERE q.changed)
         GROUP BY h.slot_uid
      ) AS le ON le.slot_uid = p.slot_uid
     WHERE p.changed
  ),
  audited AS (
    INSERT INTO marketing.audit_log (
      at, operation, table_name, record_key, old_values, new_values, changed_columns,
      actor, request_id, application, txid
    )
    SELECT clock_timestamp(), 'UPDATE', 'company_slot', c.slot_uid, c.old_row, c.new_row,
           (SELECT array_agg(k.key ORDER BY k.key)
              FROM jsonb_each(c.new_row) AS k
             WHERE c.old_row -> k.key IS DISTINCT FROM k.value),
           v_actor, v_request_id, v_application, v_txid
      FROM changed AS c
     ORDER BY c.ord
  ),
  -- A second change in the transaction that began the current version folds
  -- into it. A current version stored before 015 ('infinity') is closed in
  -- place; else the superseded version is stored.
  closed AS (
    UPDATE marketing.company_slot_history AS h
       SET valid_to = greatest(h.valid_from, c.updated_at)
      FROM changed AS c
     WHERE c.meta_txid IS DISTINCT FROM v_txid AND c.last_end = 'infinity'
       AND h.slot_uid = c.slot_uid AND h.valid_to = 'infinity'
  )
  INSERT INTO marketing.company_slot_history (
    slot_uid, valid_from, valid_to, operation, row_data, actor, request_id, txid
  )
  SELECT c.slot_uid, v.valid_from, greatest(v.valid_from, c.updated_at),
         coalesce(c.operation, CASE WHEN c.last_end IS NULL THEN 'INSERT' ELSE 'UPDATE' END),
         c.old_row, coalesce(c.actor, 'unknown'), c.request_id, coalesce(c.meta_txid, 0)
    FROM changed AS c
   CROSS JOIN LATERAL (SELECT greatest(c.created_at, c.last_end) AS valid_from) AS v
   WHERE c.meta_txid IS DISTINCT FROM v_txid AND c.last_end IS DISTINCT FROM 'infinity'
   ORDER BY c.ord;
  RETURN NULL;
END;
$$;

DROP TRIGGER company_slot_end_lease ON marketing.company_slot;
DROP TRIGGER company_slot_events_change ON marketing.company_slot;
DROP TRIGGER company_slot_record_event ON marketing.company_slot;
DROP TRIGGER company_slot_record_update ON marketing.company_slot;

CREATE TRIGGER company_slot_after_update
  AFTER UPDATE ON marketing.company_slot
  REFERENCING OLD TABLE AS old_slot NEW TABLE AS new_slot
  FOR EACH STATEMENT EXECUTE FUNCTION marketing.company_slot_after_update();
