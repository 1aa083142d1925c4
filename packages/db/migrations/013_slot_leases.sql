-- 013 slot leases: open slots as a work queue. A lease marks an open slot as
-- being researched by one worker until it expires; it is not a slot state and
-- never changes the slot (filling still goes through link or propose). A slot
-- that leaves `open` loses its lease (trigger), a deleted slot too (cascade).
--
-- claim_open_slots hands out open slots that no live lease holds, oldest
-- company first, locking the candidate slot rows FOR NO KEY UPDATE SKIP
-- LOCKED so concurrent claimers pass each other instead of queueing; the
-- lease's primary key decides any remaining tie (a lease that is still live is
-- never taken over).

CREATE TABLE marketing.slot_lease (
  slot_uid   text PRIMARY KEY
             REFERENCES marketing.company_slot (slot_uid) ON DELETE CASCADE ON UPDATE CASCADE,
  worker     text NOT NULL CHECK (length(worker) BETWEEN 1 AND 200),
  claimed_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CONSTRAINT slot_lease_expires_after_claim CHECK (expires_at > claimed_at)
);

COMMENT ON TABLE marketing.slot_lease IS
  'A worker''s time-limited claim on an open slot it researches; not a slot state (migration 013)';

-- A worker's leases (renew, release) and expired ones (purge).
CREATE INDEX slot_lease_worker_idx ON marketing.slot_lease (worker, slot_uid);
CREATE INDEX slot_lease_expires_at_idx ON marketing.slot_lease (expires_at);

-- A slot that leaves `open` (linked, proposed) ends its lease.
CREATE FUNCTION marketing.end_slot_lease()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  DELETE FROM marketing.slot_lease WHERE slot_uid = NEW.slot_uid;
  RETURN NULL;
END;
$$;

CREATE TRIGGER company_slot_end_lease
  AFTER UPDATE OF status ON marketing.company_slot
  FOR EACH ROW
  WHEN (OLD.status = 'open' AND NEW.status <> 'open')
  EXECUTE FUNCTION marketing.end_slot_lease();

-- Leases p_worker on up to p_limit open slots (of p_role, or any) that no live
-- lease holds, for p_lease_seconds. Returns the leases taken. A candidate that
-- a concurrent claimer leased first (its commit came after this round's
-- snapshot) is passed over, and another round, which sees that lease, looks
-- for more; rounds end when the free slots are exhausted (at most five).
CREATE FUNCTION marketing.claim_open_slots(
  p_worker text,
  p_role text,
  p_limit integer,
  p_lease_seconds integer
)
RETURNS TABLE (slot_uid text, worker text, claimed_at timestamptz, expires_at timestamptz)
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_wanted integer := p_limit;
  v_candidates text[];
  v_taken integer;
  v_round integer := 0;
BEGIN
  IF p_worker IS NULL OR length(btrim(p_worker)) = 0 OR length(p_worker) > 200 THEN
    PERFORM marketing.raise_validation('worker', 'invalid_value',
      'worker: give the worker''s name, 1 to 200 characters');
  END IF;
  IF p_role IS NOT NULL AND p_role NOT IN ('CEO', 'CFO', 'HR') THEN
    PERFORM marketing.raise_validation('role', 'invalid_value',
      format('role: %s is not one of CEO, CFO, HR', p_role));
  END IF;
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
    PERFORM marketing.raise_validation('limit', 'invalid_value',
      'limit: claim between 1 and 1000 slots');
  END IF;
  IF p_lease_seconds IS NULL OR p_lease_seconds < 1 OR p_lease_seconds > 86400 THEN
    PERFORM marketing.raise_validation('lease_seconds', 'invalid_value',
      'lease_seconds: a lease lasts between 1 and 86400 seconds');
  END IF;
  WHILE v_wanted > 0 AND v_round < 5 LOOP
    v_round := v_round + 1;
    -- Slots other claimers hold locked right now are skipped, not waited for.
    SELECT array_agg(candidate.slot_uid) INTO v_candidates
      FROM (SELECT s.slot_uid
              FROM marketing.company_slot s
             WHERE s.status = 'open'
               AND (p_role IS NULL OR s.role = p_role)
               AND NOT EXISTS (SELECT 1 FROM marketing.slot_lease l
                                WHERE l.slot_uid = s.slot_uid AND l.expires_at > now())
             ORDER BY s.company_uid, s.role
             LIMIT v_wanted
             FOR NO KEY UPDATE OF s SKIP LOCKED) AS candidate;
    EXIT WHEN v_candidates IS NULL;
    -- A lease committed since this round's snapshot wins (it is live): not taken over.
    RETURN QUERY
      INSERT INTO marketing.slot_lease AS l (slot_uid, worker, claimed_at, expires_at)
      SELECT c.uid, p_worker, now(), now() + make_interval(secs => p_lease_seconds)
        FROM unnest(v_candidates) AS c(uid)
      ON CONFLICT ON CONSTRAINT slot_lease_pkey DO UPDATE
        SET worker = EXCLUDED.worker,
            claimed_at = EXCLUDED.claimed_at,
            expires_at = EXCLUDED.expires_at
        WHERE l.expires_at <= now()
      RETURNING l.slot_uid, l.worker, l.claimed_at, l.expires_at;
    GET DIAGNOSTICS v_taken = ROW_COUNT;
    v_wanted := v_wanted - v_taken;
    -- Fewer candidates than wanted: every free slot was seen.
    EXIT WHEN cardinality(v_candidates) < v_wanted + v_taken;
  END LOOP;
END;
$$;
