-- 003 PLE relationships: the slot → person foreign key, one slot per person,
-- the company a person works for (with title and source), and the slot
-- operations of the state machine (link, propose, confirm, reject, vacate,
-- displace) plus delete_company. Every operation locks the slot row first, so
-- two callers never both fill one slot.
--
-- Errors: PL002 INVALID_TRANSITION, PL003 SLOT_CONFLICT, PL004 COMPANY_NOT_FOUND,
-- PL005 PERSON_NOT_FOUND, PL006 SLOT_NOT_FOUND, PL008 PERSON_ALREADY_LINKED,
-- PL009 COMPANY_HAS_FILLED_SLOTS. COLUMN names the field; DETAIL is a JSON
-- object with the particulars.

ALTER TABLE marketing.people
  ADD COLUMN company_uid text,
  ADD COLUMN title text,
  ADD COLUMN source text NOT NULL DEFAULT 'manual',
  ADD CONSTRAINT people_company_uid_fkey FOREIGN KEY (company_uid)
    REFERENCES marketing.company (company_uid) ON DELETE SET NULL,
  ADD CONSTRAINT people_title_not_blank CHECK (title <> '' AND title = btrim(title) AND length(title) <= 300),
  ADD CONSTRAINT people_source_check CHECK (source IN ('apollo', 'csv', 'manual'));

ALTER TABLE marketing.company_slot
  ADD CONSTRAINT company_slot_person_id_fkey FOREIGN KEY (person_id)
    REFERENCES marketing.people (person_id);

-- ple:lint-allow index-without-concurrently -- person_id has been NULL in every
-- row until this migration, so the build is instant; it must exist before the
-- slot functions below can rely on it.
CREATE UNIQUE INDEX company_slot_person_id_key
  ON marketing.company_slot (person_id)
  WHERE person_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

CREATE FUNCTION marketing.raise_error(p_sqlstate text, p_field text, p_message text, p_detail jsonb)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  RAISE EXCEPTION USING
    ERRCODE = p_sqlstate,
    MESSAGE = p_message,
    DETAIL = p_detail::text,
    COLUMN = p_field,
    SCHEMA = 'marketing';
END;
$$;

-- Validates a slot UID, locks its row and returns it; PL006 when missing.
CREATE FUNCTION marketing.lock_slot(p_slot_uid text)
RETURNS marketing.company_slot
LANGUAGE plpgsql
AS $$
DECLARE
  v_slot marketing.company_slot;
BEGIN
  PERFORM marketing.parse_uid(p_slot_uid, 'slot');
  SELECT * INTO v_slot FROM marketing.company_slot AS s WHERE s.slot_uid = p_slot_uid FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM marketing.raise_error(
      'PL006', 'slot_uid', format('slot_uid: no slot %s', p_slot_uid),
      jsonb_build_object('slot_uid', p_slot_uid)
    );
  END IF;
  RETURN v_slot;
END;
$$;

-- Validates a person id and checks the person exists; PL005 when missing.
CREATE FUNCTION marketing.require_person(p_person_id text)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM marketing.parse_uid(p_person_id, 'person');
  IF NOT EXISTS (SELECT 1 FROM marketing.people AS p WHERE p.person_id = p_person_id) THEN
    PERFORM marketing.raise_error(
      'PL005', 'person_id', format('person_id: no person %s', p_person_id),
      jsonb_build_object('person_id', p_person_id)
    );
  END IF;
END;
$$;

-- The status p_event leads to from the slot's status, or PL002 naming the slot.
CREATE FUNCTION marketing.slot_status_after(p_slot marketing.company_slot, p_event text)
RETURNS text
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
  v_message text;
BEGIN
  RETURN marketing.next_slot_status(p_slot.status, p_event);
EXCEPTION WHEN SQLSTATE 'PL002' THEN
  GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT;
  PERFORM marketing.raise_error(
    'PL002', 'status',
    replace(v_message, 'a slot that is', format('slot %s, which is', p_slot.slot_uid)),
    jsonb_build_object('from', p_slot.status, 'event', p_event, 'slot_uid', p_slot.slot_uid)
  );
  RETURN NULL;
END;
$$;

-- The slot another slot-holder occupies, if any (other than p_slot_uid).
CREATE FUNCTION marketing.slot_held_by(p_person_id text, p_slot_uid text)
RETURNS text
LANGUAGE sql
STABLE
AS $$
  SELECT s.slot_uid FROM marketing.company_slot AS s
   WHERE s.person_id = p_person_id AND s.slot_uid <> p_slot_uid
$$;

CREATE FUNCTION marketing.raise_person_already_linked(p_person_id text, p_held_slot text)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM marketing.raise_error(
    'PL008', 'person_id',
    format('person_id: %s already holds slot %s', p_person_id, coalesce(p_held_slot, 'another slot')),
    jsonb_build_object('person_id', p_person_id, 'slot_uid', p_held_slot)
  );
END;
$$;

CREATE FUNCTION marketing.slot_json(p_slot marketing.company_slot, p_extra jsonb)
RETURNS json
LANGUAGE sql
IMMUTABLE
AS $$
  SELECT (jsonb_build_object(
    'slot_uid', p_slot.slot_uid,
    'company_uid', p_slot.company_uid,
    'role', p_slot.role,
    'status', p_slot.status,
    'person_id', p_slot.person_id
  ) || coalesce(p_extra, '{}'::jsonb))::json
$$;

-- Moves a locked slot to its next state. A concurrent link of the same person
-- elsewhere surfaces as a unique violation of company_slot_person_id_key.
CREATE FUNCTION marketing.apply_slot_change(p_slot_uid text, p_status text, p_person_id text)
RETURNS marketing.company_slot
LANGUAGE plpgsql
AS $$
DECLARE
  v_slot marketing.company_slot;
BEGIN
  UPDATE marketing.company_slot AS s
     SET status = p_status, person_id = p_person_id
   WHERE s.slot_uid = p_slot_uid
  RETURNING * INTO v_slot;
  RETURN v_slot;
END;
$$;

-- ---------------------------------------------------------------------------
-- Slot operations
-- ---------------------------------------------------------------------------

-- open → filled. True when the person holds the slot afterwards; false when
-- the slot is taken by someone else or the person holds another slot.
CREATE FUNCTION marketing.link_person_to_slot(p_person_id text, p_slot_uid text)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
  v_slot marketing.company_slot;
BEGIN
  PERFORM marketing.require_person(p_person_id);
  v_slot := marketing.lock_slot(p_slot_uid);
  IF v_slot.person_id = p_person_id THEN
    IF v_slot.status = 'filled' THEN
      RETURN true;
    END IF;
    PERFORM marketing.slot_status_after(v_slot, 'link');
  END IF;
  IF v_slot.status <> 'open' THEN
    RETURN false;
  END IF;
  IF marketing.slot_held_by(p_person_id, p_slot_uid) IS NOT NULL THEN
    RETURN false;
  END IF;
  BEGIN
    PERFORM marketing.apply_slot_change(p_slot_uid, marketing.slot_status_after(v_slot, 'link'), p_person_id);
  EXCEPTION WHEN unique_violation THEN
    RETURN false;
  END;
  RETURN true;
END;
$$;

-- open → pending: the person is proposed, awaiting validation.
CREATE FUNCTION marketing.propose_person_for_slot(p_person_id text, p_slot_uid text)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_slot marketing.company_slot;
  v_held text;
BEGIN
  PERFORM marketing.require_person(p_person_id);
  v_slot := marketing.lock_slot(p_slot_uid);
  IF v_slot.status = 'pending' AND v_slot.person_id = p_person_id THEN
    RETURN marketing.slot_json(v_slot, '{"changed": false}');
  END IF;
  IF v_slot.status <> 'open' THEN
    PERFORM marketing.raise_error(
      'PL003', 'slot_uid',
      format('slot_uid: slot %s is %s with %s', p_slot_uid, v_slot.status, v_slot.person_id),
      jsonb_build_object('slot_uid', p_slot_uid, 'status', v_slot.status, 'person_id', v_slot.person_id)
    );
  END IF;
  v_held := marketing.slot_held_by(p_person_id, p_slot_uid);
  IF v_held IS NOT NULL THEN
    PERFORM marketing.raise_person_already_linked(p_person_id, v_held);
  END IF;
  BEGIN
    v_slot := marketing.apply_slot_change(p_slot_uid, marketing.slot_status_after(v_slot, 'propose'), p_person_id);
  EXCEPTION WHEN unique_violation THEN
    PERFORM marketing.raise_person_already_linked(p_person_id, marketing.slot_held_by(p_person_id, p_slot_uid));
  END;
  RETURN marketing.slot_json(v_slot, '{"changed": true}');
END;
$$;

-- pending → filled.
CREATE FUNCTION marketing.confirm_slot(p_slot_uid text)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_slot marketing.company_slot := marketing.lock_slot(p_slot_uid);
BEGIN
  v_slot := marketing.apply_slot_change(
    p_slot_uid, marketing.slot_status_after(v_slot, 'confirm'), v_slot.person_id
  );
  RETURN marketing.slot_json(v_slot, '{"changed": true}');
END;
$$;

-- pending → open; returns the rejected person.
CREATE FUNCTION marketing.reject_slot(p_slot_uid text)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_slot marketing.company_slot := marketing.lock_slot(p_slot_uid);
  v_person text := v_slot.person_id;
BEGIN
  v_slot := marketing.apply_slot_change(p_slot_uid, marketing.slot_status_after(v_slot, 'reject'), NULL);
  RETURN marketing.slot_json(v_slot, jsonb_build_object('changed', true, 'rejected_person_id', v_person));
END;
$$;

-- filled → open (unlink); returns the person who left.
CREATE FUNCTION marketing.vacate_slot(p_slot_uid text)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_slot marketing.company_slot := marketing.lock_slot(p_slot_uid);
  v_person text := v_slot.person_id;
BEGIN
  v_slot := marketing.apply_slot_change(p_slot_uid, marketing.slot_status_after(v_slot, 'vacate'), NULL);
  RETURN marketing.slot_json(v_slot, jsonb_build_object('changed', true, 'vacated_person_id', v_person));
END;
$$;

-- filled → filled with another person: the explicit, audited displacement.
-- Returns the displaced person as displaced_person_id. With p_expected_person_id
-- the caller names the occupant it saw: if someone else holds the slot by now,
-- PL003 SLOT_CONFLICT names the current occupant and nothing changes, so of many
-- concurrent displacements of one occupant exactly one wins (as with link).
CREATE FUNCTION marketing.displace_slot_person(
  p_slot_uid text,
  p_person_id text,
  p_expected_person_id text DEFAULT NULL
)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_slot marketing.company_slot;
  v_displaced text;
  v_held text;
BEGIN
  PERFORM marketing.require_person(p_person_id);
  v_slot := marketing.lock_slot(p_slot_uid);
  PERFORM marketing.slot_status_after(v_slot, 'displace');
  IF p_expected_person_id IS NOT NULL AND v_slot.person_id IS DISTINCT FROM p_expected_person_id THEN
    PERFORM marketing.raise_error(
      'PL003', 'expected_person_id',
      format('expected_person_id: slot %s is held by %s, not %s',
             p_slot_uid, v_slot.person_id, p_expected_person_id),
      jsonb_build_object('slot_uid', p_slot_uid, 'status', v_slot.status,
                         'person_id', v_slot.person_id, 'expected_person_id', p_expected_person_id)
    );
  END IF;
  IF v_slot.person_id = p_person_id THEN
    PERFORM marketing.raise_person_already_linked(p_person_id, p_slot_uid);
  END IF;
  v_held := marketing.slot_held_by(p_person_id, p_slot_uid);
  IF v_held IS NOT NULL THEN
    PERFORM marketing.raise_person_already_linked(p_person_id, v_held);
  END IF;
  v_displaced := v_slot.person_id;
  BEGIN
    v_slot := marketing.apply_slot_change(p_slot_uid, 'filled', p_person_id);
  EXCEPTION WHEN unique_violation THEN
    PERFORM marketing.raise_person_already_linked(p_person_id, marketing.slot_held_by(p_person_id, p_slot_uid));
  END;
  RETURN marketing.slot_json(v_slot, jsonb_build_object('changed', true, 'displaced_person_id', v_displaced));
END;
$$;

-- Deletes a company and its slots. Filled or pending slots refuse (PL009)
-- unless p_force, which first vacates or rejects them so the slot events
-- record who left.
CREATE FUNCTION marketing.delete_company(p_company_uid text, p_force boolean DEFAULT false)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_slot marketing.company_slot;
  v_released jsonb := '[]'::jsonb;
BEGIN
  PERFORM marketing.parse_uid(p_company_uid, 'company');
  PERFORM 1 FROM marketing.company AS c WHERE c.company_uid = p_company_uid FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM marketing.raise_error(
      'PL004', 'company_uid', format('company_uid: no company %s', p_company_uid),
      jsonb_build_object('company_uid', p_company_uid)
    );
  END IF;
  FOR v_slot IN
    SELECT * FROM marketing.company_slot AS s
     WHERE s.company_uid = p_company_uid AND s.status <> 'open'
     ORDER BY s.slot_uid
       FOR UPDATE
  LOOP
    IF NOT p_force THEN
      PERFORM marketing.raise_error(
        'PL009', 'company_uid',
        format('company_uid: %s has %s slot %s (person %s); vacate it first or force the delete',
               p_company_uid, v_slot.status, v_slot.slot_uid, v_slot.person_id),
        jsonb_build_object('company_uid', p_company_uid, 'slot_uid', v_slot.slot_uid,
                           'status', v_slot.status, 'person_id', v_slot.person_id)
      );
    END IF;
    IF v_slot.status = 'pending' THEN
      PERFORM marketing.reject_slot(v_slot.slot_uid);
    ELSE
      PERFORM marketing.vacate_slot(v_slot.slot_uid);
    END IF;
    v_released := v_released || jsonb_build_object('slot_uid', v_slot.slot_uid, 'person_id', v_slot.person_id);
  END LOOP;
  DELETE FROM marketing.company AS c WHERE c.company_uid = p_company_uid;
  RETURN json_build_object('company_uid', p_company_uid, 'deleted', true, 'released', v_released);
END;
$$;

-- A filled or pending slot is never deleted behind its person's back (also
-- not by the cascade from a company delete).
CREATE FUNCTION marketing.company_slot_before_delete()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF OLD.status <> 'open' THEN
    PERFORM marketing.raise_error(
      'PL009', 'company_uid',
      format('company_uid: %s has %s slot %s (person %s); vacate it first',
             OLD.company_uid, OLD.status, OLD.slot_uid, OLD.person_id),
      jsonb_build_object('company_uid', OLD.company_uid, 'slot_uid', OLD.slot_uid,
                         'status', OLD.status, 'person_id', OLD.person_id)
    );
  END IF;
  RETURN OLD;
END;
$$;

CREATE TRIGGER company_slot_before_delete
  BEFORE DELETE ON marketing.company_slot
  FOR EACH ROW EXECUTE FUNCTION marketing.company_slot_before_delete();

-- ---------------------------------------------------------------------------
-- insert_person gains the company, title and source
-- ---------------------------------------------------------------------------

DROP FUNCTION marketing.insert_person(text, text, text);

-- Idempotent by normalised email: {"status": "created" | "exists", "person_id"}.
-- An existing person is returned as is, never overwritten.
CREATE FUNCTION marketing.insert_person(
  p_name text,
  p_email text,
  p_linkedin_url text DEFAULT NULL,
  p_company_uid text DEFAULT NULL,
  p_title text DEFAULT NULL,
  p_source text DEFAULT 'manual'
)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_name text := marketing.normalise_name(p_name, 'name');
  v_email text := marketing.normalise_email(p_email);
  v_linkedin text := CASE
    WHEN marketing.blank_to_null(p_linkedin_url) IS NULL THEN NULL
    ELSE marketing.normalise_linkedin_url(p_linkedin_url)
  END;
  v_company text := marketing.blank_to_null(p_company_uid);
  v_title text := CASE
    WHEN marketing.blank_to_null(p_title) IS NULL THEN NULL
    ELSE marketing.normalise_name(p_title, 'title')
  END;
  v_source text := coalesce(lower(marketing.blank_to_null(p_source)), 'manual');
  v_id text;
  v_attempt integer := 0;
BEGIN
  IF v_source NOT IN ('apollo', 'csv', 'manual') THEN
    PERFORM marketing.raise_validation(
      'source', 'invalid_source', format('The source must be one of apollo, csv, manual, got "%s"', p_source)
    );
  END IF;
  IF v_company IS NOT NULL THEN
    PERFORM marketing.parse_uid(v_company, 'company');
    IF NOT EXISTS (SELECT 1 FROM marketing.company AS c WHERE c.company_uid = v_company) THEN
      PERFORM marketing.raise_error(
        'PL004', 'company_uid', format('company_uid: no company %s', v_company),
        jsonb_build_object('company_uid', v_company)
      );
    END IF;
  END IF;
  LOOP
    v_attempt := v_attempt + 1;
    SELECT p.person_id INTO v_id FROM marketing.people AS p WHERE p.email = v_email;
    IF v_id IS NOT NULL THEN
      RETURN json_build_object('status', 'exists', 'person_id', v_id);
    END IF;
    INSERT INTO marketing.people (person_id, name, email, linkedin_url, company_uid, title, source)
    VALUES (marketing.gen_person_uid(), v_name, v_email, v_linkedin, v_company, v_title, v_source)
    ON CONFLICT DO NOTHING
    RETURNING person_id INTO v_id;
    IF v_id IS NOT NULL THEN
      RETURN json_build_object('status', 'created', 'person_id', v_id);
    END IF;
    IF v_attempt >= 3 THEN
      RAISE EXCEPTION USING
        ERRCODE = '40001',
        MESSAGE = format('email: %s was inserted by a concurrent transaction; retry', v_email),
        COLUMN = 'email',
        SCHEMA = 'marketing';
    END IF;
  END LOOP;
END;
$$;
