-- Rollback of 018: every event gets its position back in the row (the column
-- ord is renamed position again), commits number their events with 014's
-- UPDATE, and 014's functions, trigger and indexes return.

DROP TRIGGER event_append_only ON marketing.event;

ALTER TABLE marketing.event
  DROP CONSTRAINT event_tx_ord_key,
  DROP CONSTRAINT event_ord_check,
  ALTER COLUMN ord DROP NOT NULL,
  ALTER COLUMN ord DROP DEFAULT;

UPDATE marketing.event AS e
   SET ord = c.first_position + (e.ord - c.first_ord)
  FROM marketing.event_commit AS c
 WHERE e.tx = c.tx AND e.ord BETWEEN c.first_ord AND c.first_ord + (c.last_position - c.first_position);

ALTER TABLE marketing.event RENAME COLUMN ord TO position;
ALTER TABLE marketing.event DROP COLUMN tx;
ALTER TABLE marketing.event ADD CONSTRAINT event_position_key UNIQUE (position);

COMMENT ON TABLE marketing.event IS
  'The change feed: one row per event; position (set at commit, gapless, in commit order) is the cursor';

CREATE INDEX event_unpositioned_txid ON marketing.event (txid) WHERE position IS NULL;

DROP TABLE marketing.event_commit;

CREATE TRIGGER event_append_only
  BEFORE UPDATE ON marketing.event
  FOR EACH ROW WHEN (OLD.position IS NOT NULL)
  EXECUTE FUNCTION marketing.refuse_log_rewrite();

CREATE OR REPLACE FUNCTION marketing.assign_event_positions()
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

CREATE OR REPLACE FUNCTION marketing.company_events_insert()
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

CREATE OR REPLACE FUNCTION marketing.person_events_insert()
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

DROP FUNCTION marketing.purge_event_commits(integer, boolean);
DROP FUNCTION marketing.next_event_ord();
DROP FUNCTION marketing.take_event_ords(bigint);
DROP FUNCTION marketing.event_tx();
DROP SEQUENCE marketing.event_tx_seq;
