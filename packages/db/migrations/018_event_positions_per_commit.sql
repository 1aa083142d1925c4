-- 018 change-feed positions per commit: an event is written once. Until now
-- (014) a transaction's events were inserted without a position and numbered
-- at commit by an UPDATE of every one of them, so each event was written
-- twice, with two sets of index entries (the second write cannot be HOT: the
-- position is indexed). A company import spends about a tenth of its
-- database time there (measured: 50,000 rows, 46,957 events, 4.85 s of
-- server CPU with 014's numbering, 4.29 s with this one).
--
-- Now each event carries its transaction's feed number (tx, from
-- marketing.event_tx_seq) and its place among that transaction's events (ord
-- = 1, 2, …), both known when it is inserted. At commit the deferred trigger
-- takes the clock's row lock as before, moves the clock by the number of
-- events and writes one row of event_commit: the transaction's first and last
-- position. An event's position is its commit's first position plus its ord
-- minus the commit's first ord, and is the same as before: gapless, in
-- commit order, seen by a reader only after every earlier position is
-- visible (the clock's lock still orders the commits).
--
-- The transaction's counters live in transaction-local settings (ple.event_tx,
-- ple.event_ord, ple.event_numbered): a rolled-back savepoint rolls back its
-- events and the counters together, and a commit starts the next transaction
-- from nothing. The feed number comes from a sequence rather than
-- txid_current(): a restored backup keeps its sequences, so a transaction of
-- the restored database never shares a number with a restored one (txids
-- restart on another server). A transaction whose deferred trigger fires
-- before commit (SET CONSTRAINTS ALL IMMEDIATE) and then writes more events
-- gets a second commit row for them (first_ord > 1).
--
-- Existing events keep their positions: the position column becomes ord
-- (renamed, so its place among the columns stays) and each run of one
-- transaction's positions becomes a commit row. A rollback writes the
-- positions back.
--
-- The statement-level company.created and person.created triggers number
-- their rows in the INSERT itself; every other writer of events (row
-- triggers, emit_event, 017's slot trigger) gets tx and ord from the
-- columns' defaults. Events are never rewritten now except by retention and
-- erasure (event_append_only no longer has to let the numbering through).

CREATE SEQUENCE marketing.event_tx_seq AS bigint;

COMMENT ON SEQUENCE marketing.event_tx_seq IS
  'Change-feed numbers of the transactions that write events (marketing.event.tx)';

-- The feed number of the current transaction: taken from the sequence at its first event.
CREATE FUNCTION marketing.event_tx()
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_tx text := current_setting('ple.event_tx', true);
BEGIN
  IF v_tx IS NULL OR v_tx = '' THEN
    v_tx := nextval('marketing.event_tx_seq')::text;
    PERFORM set_config('ple.event_tx', v_tx, true);
  END IF;
  RETURN v_tx::bigint;
END;
$$;

-- Reserves the next p_count places among the current transaction's events and returns the
-- place before the first of them (the transaction's first event is 1).
CREATE FUNCTION marketing.take_event_ords(p_count bigint)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_last bigint := coalesce(nullif(current_setting('ple.event_ord', true), ''), '0')::bigint;
BEGIN
  PERFORM set_config('ple.event_ord', (v_last + p_count)::text, true);
  RETURN v_last;
END;
$$;

-- The place of one more event among the current transaction's (the column default).
CREATE FUNCTION marketing.next_event_ord()
RETURNS bigint
LANGUAGE sql
VOLATILE
AS $$
  SELECT marketing.take_event_ords(1) + 1
$$;

-- Numbering happens once per commit now: 014's UPDATE passed event_append_only while a
-- row's position was NULL.
DROP TRIGGER event_append_only ON marketing.event;

CREATE TABLE marketing.event_commit (
  tx bigint NOT NULL,
  first_ord bigint NOT NULL,
  first_position bigint NOT NULL,
  last_position bigint NOT NULL,
  CONSTRAINT event_commit_pkey PRIMARY KEY (last_position),
  CONSTRAINT event_commit_first_position_key UNIQUE (first_position),
  CONSTRAINT event_commit_tx_first_ord_key UNIQUE (tx, first_ord),
  CONSTRAINT event_commit_positions_check CHECK (first_position BETWEEN 1 AND last_position),
  CONSTRAINT event_commit_first_ord_check CHECK (first_ord >= 1)
);

COMMENT ON TABLE marketing.event_commit IS
  'One row per commit that wrote events: its positions first_position..last_position are its events of tx with ord first_ord, first_ord + 1, …';

ALTER TABLE marketing.event ADD COLUMN tx bigint;
ALTER TABLE marketing.event DROP CONSTRAINT event_position_key;
DROP INDEX marketing.event_unpositioned_txid;

-- Each run of consecutive positions written by one transaction becomes one commit; its
-- events are numbered from 1 in position order. (Every event has a position here: 014
-- numbers a transaction's events at its commit, and no other transaction's are visible.)
WITH run AS (
  SELECT r.txid, r.run, min(r.position) AS first_position, max(r.position) AS last_position
    FROM (
      SELECT e.txid, e.position,
             e.position - row_number() OVER (PARTITION BY e.txid ORDER BY e.position) AS run
        FROM marketing.event AS e
       WHERE e.position IS NOT NULL
    ) AS r
   GROUP BY r.txid, r.run
), numbered AS MATERIALIZED (
  SELECT run.*, nextval('marketing.event_tx_seq') AS tx FROM run
), committed AS (
  INSERT INTO marketing.event_commit (tx, first_ord, first_position, last_position)
  SELECT tx, 1, first_position, last_position FROM numbered
)
UPDATE marketing.event AS e
   SET tx = n.tx, position = e.position - n.first_position + 1
  FROM numbered AS n
 WHERE e.txid = n.txid AND e.position BETWEEN n.first_position AND n.last_position;

ALTER TABLE marketing.event RENAME COLUMN position TO ord;
ALTER TABLE marketing.event
  ALTER COLUMN ord SET DEFAULT marketing.next_event_ord(),
  ALTER COLUMN ord SET NOT NULL,
  ALTER COLUMN tx SET DEFAULT marketing.event_tx(),
  ALTER COLUMN tx SET NOT NULL,
  ADD CONSTRAINT event_tx_ord_key UNIQUE (tx, ord),
  ADD CONSTRAINT event_ord_check CHECK (ord >= 1);

COMMENT ON TABLE marketing.event IS
  'The change feed: one row per event; its position (gapless, in commit order, the cursor) is its commit''s (event_commit) first position plus its place (ord) among its transaction''s events';

CREATE TRIGGER event_append_only
  BEFORE UPDATE ON marketing.event
  FOR EACH ROW EXECUTE FUNCTION marketing.refuse_log_rewrite();

CREATE OR REPLACE FUNCTION marketing.assign_event_positions()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_tx bigint := nullif(current_setting('ple.event_tx', true), '')::bigint;
  v_last_ord bigint := coalesce(nullif(current_setting('ple.event_ord', true), ''), '0')::bigint;
  v_numbered bigint := coalesce(nullif(current_setting('ple.event_numbered', true), ''), '0')::bigint;
  v_count bigint := v_last_ord - v_numbered;
  v_last bigint;
BEGIN
  DELETE FROM marketing.event_pending WHERE txid = NEW.txid;
  IF v_tx IS NULL OR v_count <= 0 THEN
    RETURN NULL;
  END IF;
  -- From here to the end of the commit this transaction holds the clock's row lock
  -- (the first transaction ever creates the row; a concurrent one waits for it, then updates).
  INSERT INTO marketing.event_clock AS c (id, last_position) VALUES (true, v_count)
  ON CONFLICT (id) DO UPDATE SET last_position = c.last_position + excluded.last_position
  RETURNING c.last_position INTO v_last;
  INSERT INTO marketing.event_commit (tx, first_ord, first_position, last_position)
  VALUES (v_tx, v_numbered + 1, v_last - v_count + 1, v_last);
  PERFORM set_config('ple.event_numbered', v_last_ord::text, true);
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION marketing.company_events_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_tx bigint := marketing.event_tx();
  v_base bigint := marketing.take_event_ords((SELECT count(*) FROM new_company));
BEGIN
  INSERT INTO marketing.event (type, uids, changes, actor, request_id, txid, tx, ord)
  SELECT 'company.created', jsonb_build_object('company_uid', n.company_uid),
         to_jsonb(n) - 'created_at' - 'updated_at',
         marketing.current_actor(), marketing.current_request_id(), txid_current(),
         v_tx, v_base + row_number() OVER ()
    FROM new_company AS n;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION marketing.person_events_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_tx bigint := marketing.event_tx();
  v_base bigint := marketing.take_event_ords((SELECT count(*) FROM new_people));
BEGIN
  INSERT INTO marketing.event (type, uids, changes, actor, request_id, txid, tx, ord)
  SELECT 'person.created',
         jsonb_strip_nulls(jsonb_build_object('person_id', n.person_id, 'company_uid', n.company_uid)),
         to_jsonb(n) - 'created_at' - 'updated_at',
         marketing.current_actor(), marketing.current_request_id(), txid_current(),
         v_tx, v_base + row_number() OVER ()
    FROM new_people AS n;
  RETURN NULL;
END;
$$;

-- Retention (PLE_RETENTION_EVENT_DAYS, run after purge_events with the same period):
-- deletes (or with p_dry_run counts) the commit rows none of whose events is younger than
-- p_days days; after purge_events these are the commits whose events are all gone. The dry run
-- and the real run pick their rows with the same condition.
CREATE FUNCTION marketing.purge_event_commits(p_days integer, p_dry_run boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_cutoff timestamptz;
  v_count bigint := 0;
BEGIN
  IF p_days < 0 THEN
    PERFORM marketing.raise_validation(
      'event_days', 'negative', 'event_days: a retention period must not be negative'
    );
  END IF;
  IF p_days IS NULL THEN
    RETURN 0;
  END IF;
  v_cutoff := now() - make_interval(days => p_days);
  WITH spent AS MATERIALIZED (
    SELECT c.last_position
      FROM marketing.event_commit AS c
     WHERE NOT EXISTS (
       SELECT 1 FROM marketing.event AS e
        WHERE e.tx = c.tx AND e.ord BETWEEN c.first_ord AND c.first_ord + (c.last_position - c.first_position)
          AND e.at >= v_cutoff
     )
  ), purged AS (
    DELETE FROM marketing.event_commit AS c
     USING spent AS s
     WHERE c.last_position = s.last_position AND NOT p_dry_run
  )
  SELECT count(*) INTO v_count FROM spent;
  RETURN v_count;
END;
$$;
