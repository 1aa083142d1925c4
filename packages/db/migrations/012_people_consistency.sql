-- 012 people consistency: one company per person, and erased people stay erased.
--
-- 1. A person's company is the company of the slot they hold or are proposed
--    for. A trigger on every slot write that puts a person in a slot (link,
--    propose, displace, a direct UPDATE) sets the person's company when it is
--    empty and refuses with PL121 COMPANY_MISMATCH, naming both companies, when
--    it differs, unless the transaction moves the person (ple.move_person = on,
--    set by link_person_to_slot, propose_person_for_slot and
--    displace_slot_person called with p_move).
--    The move is the person's audited UPDATE of company_uid. A trigger on
--    people refuses a company change that would disagree with the held slot.
-- 2. A suppression list: erasing a person records an HMAC-SHA256 (pgcrypto,
--    keyed with a per-database secret) of their normalised email and LinkedIn
--    URL, so the list holds no usable address. A trigger on people refuses a
--    suppressed identity with PL122 SUPPRESSED, whichever door the row comes in
--    by (insert_person, imports, direct SQL). Adding or removing an entry by
--    hand is audited.
--
-- Errors: PL121 COMPANY_MISMATCH, PL122 SUPPRESSED. COLUMN names the field;
-- DETAIL is a JSON object with the particulars (never the suppressed value).

-- pgcrypto is database-wide. When it is missing, 012 installs it in public and
-- says so in the extension's comment; the rollback removes it only then.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto') THEN
    CREATE EXTENSION pgcrypto WITH SCHEMA public;
    COMMENT ON EXTENSION pgcrypto IS
      'cryptographic functions (installed by PLE migration 012, removed by its rollback)';
  END IF;
END;
$$;

-- ---------------------------------------------------------------------------
-- 1. One company per person
-- ---------------------------------------------------------------------------

CREATE FUNCTION marketing.raise_company_mismatch(
  p_person_id text,
  p_person_company text,
  p_slot_uid text,
  p_slot_company text
)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM marketing.raise_error(
    'PL121', 'company_uid',
    format('company_uid: person %s works for %s, but slot %s belongs to %s; move the person (move: true) to change their company',
           p_person_id, coalesce(p_person_company, '(none)'), p_slot_uid, p_slot_company),
    jsonb_build_object('person_id', p_person_id, 'company_uid', p_person_company,
                       'slot_uid', p_slot_uid, 'slot_company_uid', p_slot_company)
  );
END;
$$;

-- BEFORE INSERT/UPDATE of a slot that puts a person in it. The person's row is
-- locked first, so of two concurrent links of one company-less person into
-- slots of two companies the second sees the first's company and refuses.
CREATE FUNCTION marketing.company_slot_person_company()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_company text;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.person_id IS NOT DISTINCT FROM OLD.person_id
     AND NEW.company_uid = OLD.company_uid THEN
    RETURN NEW;
  END IF;
  SELECT p.company_uid INTO v_company
    FROM marketing.people AS p
   WHERE p.person_id = NEW.person_id
     FOR UPDATE;
  IF NOT FOUND OR v_company IS NOT DISTINCT FROM NEW.company_uid THEN
    -- A missing person is refused by the foreign key.
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM marketing.company_slot AS s
              WHERE s.person_id = NEW.person_id AND s.slot_uid <> NEW.slot_uid) THEN
    -- A concurrent link of this person won while we waited for their row: the
    -- one-slot-per-person index refuses this write as PERSON_ALREADY_LINKED.
    RETURN NEW;
  END IF;
  IF v_company IS NOT NULL AND coalesce(current_setting('ple.move_person', true), '') <> 'on' THEN
    PERFORM marketing.raise_company_mismatch(NEW.person_id, v_company, NEW.slot_uid, NEW.company_uid);
  END IF;
  UPDATE marketing.people AS p SET company_uid = NEW.company_uid WHERE p.person_id = NEW.person_id;
  RETURN NEW;
END;
$$;

CREATE TRIGGER company_slot_person_company
  BEFORE INSERT OR UPDATE OF person_id, company_uid ON marketing.company_slot
  FOR EACH ROW WHEN (NEW.person_id IS NOT NULL)
  EXECUTE FUNCTION marketing.company_slot_person_company();

-- A person holding (or proposed for) a slot keeps that slot's company.
CREATE FUNCTION marketing.people_company_of_slot()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_slot marketing.company_slot;
BEGIN
  SELECT * INTO v_slot FROM marketing.company_slot AS s WHERE s.person_id = NEW.person_id;
  IF FOUND AND v_slot.company_uid IS DISTINCT FROM NEW.company_uid THEN
    PERFORM marketing.raise_error(
      'PL121', 'company_uid',
      format('company_uid: person %s holds slot %s of %s, so their company cannot become %s; vacate the slot first',
             NEW.person_id, v_slot.slot_uid, v_slot.company_uid, coalesce(NEW.company_uid, '(none)')),
      jsonb_build_object('person_id', NEW.person_id, 'company_uid', NEW.company_uid,
                         'slot_uid', v_slot.slot_uid, 'slot_company_uid', v_slot.company_uid)
    );
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER people_company_of_slot
  BEFORE UPDATE OF company_uid ON marketing.people
  FOR EACH ROW WHEN (NEW.company_uid IS DISTINCT FROM OLD.company_uid)
  EXECUTE FUNCTION marketing.people_company_of_slot();

-- link with an explicit move: p_move lets the person's company change to the
-- slot's (for this call only); false behaves as the two-argument function.
CREATE FUNCTION marketing.link_person_to_slot(p_person_id text, p_slot_uid text, p_move boolean)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
  v_before text := coalesce(current_setting('ple.move_person', true), '');
  v_linked boolean;
BEGIN
  PERFORM set_config('ple.move_person', CASE WHEN p_move THEN 'on' ELSE 'off' END, true);
  v_linked := marketing.link_person_to_slot(p_person_id, p_slot_uid);
  PERFORM set_config('ple.move_person', v_before, true);
  RETURN v_linked;
END;
$$;

CREATE FUNCTION marketing.propose_person_for_slot(p_person_id text, p_slot_uid text, p_move boolean)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_before text := coalesce(current_setting('ple.move_person', true), '');
  v_result json;
BEGIN
  PERFORM set_config('ple.move_person', CASE WHEN p_move THEN 'on' ELSE 'off' END, true);
  v_result := marketing.propose_person_for_slot(p_person_id, p_slot_uid);
  PERFORM set_config('ple.move_person', v_before, true);
  RETURN v_result;
END;
$$;

CREATE FUNCTION marketing.displace_slot_person(
  p_slot_uid text,
  p_person_id text,
  p_expected_person_id text,
  p_move boolean
)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_before text := coalesce(current_setting('ple.move_person', true), '');
  v_result json;
BEGIN
  PERFORM set_config('ple.move_person', CASE WHEN p_move THEN 'on' ELSE 'off' END, true);
  v_result := marketing.displace_slot_person(p_slot_uid, p_person_id, p_expected_person_id);
  PERFORM set_config('ple.move_person', v_before, true);
  RETURN v_result;
END;
$$;

-- People whose stored company disagrees with the slot they hold (rows written
-- before 012); `ple doctor` reports them.
CREATE VIEW marketing.person_company_mismatch AS
  SELECT p.person_id, p.company_uid, s.slot_uid, s.company_uid AS slot_company_uid, s.status
    FROM marketing.company_slot AS s
    JOIN marketing.people AS p ON p.person_id = s.person_id
   WHERE p.company_uid IS DISTINCT FROM s.company_uid;

-- ---------------------------------------------------------------------------
-- 2. Suppression list
-- ---------------------------------------------------------------------------

-- The HMAC key, created on first use (so a fresh database holds no row and a
-- restore brings the archive's key with its list).
CREATE TABLE marketing.suppression_secret (
  singleton boolean NOT NULL DEFAULT true,
  secret bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT suppression_secret_pkey PRIMARY KEY (singleton),
  CONSTRAINT suppression_secret_singleton_check CHECK (singleton),
  CONSTRAINT suppression_secret_length_check CHECK (octet_length(secret) >= 32)
);

COMMENT ON TABLE marketing.suppression_secret IS
  'The per-database key of the suppression list''s HMACs (one row, created on first use)';

CREATE TABLE marketing.suppression (
  identity_hash text NOT NULL,
  kind text NOT NULL,
  reason text NOT NULL,
  person_id text,
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT suppression_pkey PRIMARY KEY (identity_hash),
  CONSTRAINT suppression_kind_check CHECK (kind IN ('email', 'linkedin_url')),
  CONSTRAINT suppression_identity_hash_format CHECK (identity_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT suppression_reason_not_blank CHECK (btrim(reason) <> '' AND length(reason) <= 500)
);

COMMENT ON TABLE marketing.suppression IS
  'Identities that must not come back (erased people, withdrawn consent): HMAC-SHA256 of kind and normalised value, never the value';

-- The HMAC of a normalised identity, or NULL when the key does not exist yet
-- (then nothing is suppressed).
CREATE FUNCTION marketing.suppression_hash(p_kind text, p_value text)
RETURNS text
LANGUAGE sql
STABLE
AS $$
  SELECT encode(public.hmac(convert_to(p_kind || ':' || p_value, 'UTF8'), k.secret, 'sha256'), 'hex')
    FROM marketing.suppression_secret AS k
   WHERE p_value IS NOT NULL
$$;

-- The same, creating the key first when needed.
CREATE FUNCTION marketing.suppression_hash_for_entry(p_kind text, p_value text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $$
BEGIN
  INSERT INTO marketing.suppression_secret (secret) VALUES (public.gen_random_bytes(32))
  ON CONFLICT DO NOTHING;
  RETURN marketing.suppression_hash(p_kind, p_value);
END;
$$;

-- The normalised value of an identity given by hand (an email or a LinkedIn URL).
CREATE FUNCTION marketing.suppression_identity(p_value text)
RETURNS TABLE (kind text, value text)
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
  IF marketing.blank_to_null(p_value) IS NULL THEN
    PERFORM marketing.raise_validation('identity', 'required', 'identity: give an email or a LinkedIn URL');
  END IF;
  IF strpos(p_value, '@') > 0 THEN
    RETURN QUERY SELECT 'email'::text, marketing.normalise_email(p_value);
  ELSE
    RETURN QUERY SELECT 'linkedin_url'::text, marketing.normalise_linkedin_url(p_value);
  END IF;
END;
$$;

-- Which of a normalised email and LinkedIn URL is suppressed ('email' first), or NULL.
CREATE FUNCTION marketing.suppressed_kind(p_email text, p_linkedin_url text)
RETURNS text
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
  v_kind text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM marketing.suppression) THEN
    RETURN NULL;
  END IF;
  SELECT s.kind INTO v_kind
    FROM marketing.suppression AS s
   WHERE s.identity_hash IN (
           marketing.suppression_hash('email', p_email),
           marketing.suppression_hash('linkedin_url', p_linkedin_url)
         )
   ORDER BY s.kind
   LIMIT 1;
  RETURN v_kind;
END;
$$;

CREATE FUNCTION marketing.raise_suppressed(p_kind text)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM marketing.raise_error(
    'PL122', p_kind,
    format('%s: this person was erased or asked not to be contacted (suppression list); they cannot be added again', p_kind),
    jsonb_build_object('reason', 'suppressed', 'kind', p_kind)
  );
END;
$$;

-- PL122 when the email or LinkedIn URL (any spelling) is suppressed: the check
-- a dry run makes where the real run's insert would be refused.
CREATE FUNCTION marketing.refuse_suppressed(p_email text, p_linkedin_url text)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  v_kind text := marketing.suppressed_kind(
    CASE WHEN marketing.blank_to_null(p_email) IS NULL THEN NULL
         ELSE marketing.normalise_email(p_email) END,
    CASE WHEN marketing.blank_to_null(p_linkedin_url) IS NULL THEN NULL
         ELSE marketing.normalise_linkedin_url(p_linkedin_url) END
  );
BEGIN
  IF v_kind IS NOT NULL THEN
    PERFORM marketing.raise_suppressed(v_kind);
  END IF;
END;
$$;

-- BEFORE INSERT/UPDATE of a person's email or LinkedIn URL (after
-- people_before_write normalised them): PL122 when either is suppressed.
CREATE FUNCTION marketing.people_refuse_suppressed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_kind text := marketing.suppressed_kind(NEW.email, NEW.linkedin_url);
BEGIN
  IF v_kind IS NOT NULL THEN
    PERFORM marketing.raise_suppressed(v_kind);
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER people_refuse_suppressed
  BEFORE INSERT OR UPDATE OF email, linkedin_url ON marketing.people
  FOR EACH ROW EXECUTE FUNCTION marketing.people_refuse_suppressed();

-- When erase_person turns a person into a tombstone (email becomes the erased
-- address), their old email and LinkedIn URL go on the suppression list.
CREATE FUNCTION marketing.people_suppress_erased()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO marketing.suppression (identity_hash, kind, reason, person_id, actor)
  SELECT marketing.suppression_hash_for_entry(i.kind, i.value), i.kind, 'erased', NEW.person_id,
         marketing.current_actor()
    FROM (VALUES ('email', OLD.email), ('linkedin_url', OLD.linkedin_url)) AS i(kind, value)
   WHERE i.value IS NOT NULL
  ON CONFLICT (identity_hash) DO NOTHING;
  RETURN NEW;
END;
$$;

CREATE TRIGGER people_suppress_erased
  BEFORE UPDATE OF email ON marketing.people
  FOR EACH ROW
  WHEN (NEW.email = marketing.erased_email(NEW.person_id) AND OLD.email IS DISTINCT FROM NEW.email)
  EXECUTE FUNCTION marketing.people_suppress_erased();

-- A rejected import row of a suppressed person keeps no copy of it.
CREATE FUNCTION marketing.import_reject_redact_suppressed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.raw_row := '[suppressed]';
  RETURN NEW;
END;
$$;

CREATE TRIGGER import_reject_redact_suppressed
  BEFORE INSERT ON marketing.import_reject
  FOR EACH ROW WHEN (NEW.error_code = 'SUPPRESSED')
  EXECUTE FUNCTION marketing.import_reject_redact_suppressed();

-- Adds an identity by hand (e.g. someone objects before ever being stored).
-- {"status": "added" | "exists", identity_hash, kind}. Audited (INSERT on
-- table suppression, without the value).
CREATE FUNCTION marketing.suppress_identity(p_value text, p_reason text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_kind text;
  v_value text;
  v_hash text;
  v_reason text := marketing.blank_to_null(p_reason);
  v_added boolean;
BEGIN
  IF v_reason IS NULL THEN
    PERFORM marketing.raise_validation('reason', 'required', 'reason: say why the identity is suppressed');
  END IF;
  SELECT i.kind, i.value INTO v_kind, v_value FROM marketing.suppression_identity(p_value) AS i;
  v_hash := marketing.suppression_hash_for_entry(v_kind, v_value);
  INSERT INTO marketing.suppression (identity_hash, kind, reason, actor)
  VALUES (v_hash, v_kind, v_reason, marketing.current_actor())
  ON CONFLICT (identity_hash) DO NOTHING;
  v_added := FOUND;
  IF v_added THEN
    INSERT INTO marketing.audit_log (
      operation, table_name, record_key, old_values, new_values, changed_columns,
      actor, request_id, application, txid
    ) VALUES (
      'INSERT', 'suppression', v_hash, NULL,
      jsonb_build_object('identity_hash', v_hash, 'kind', v_kind, 'reason', v_reason),
      ARRAY['identity_hash', 'kind', 'reason'], marketing.current_actor(),
      marketing.current_request_id(), marketing.current_application(), txid_current()
    );
  END IF;
  RETURN json_build_object('status', CASE WHEN v_added THEN 'added' ELSE 'exists' END,
                           'identity_hash', v_hash, 'kind', v_kind);
END;
$$;

-- Removes an entry (e.g. consent given again), named by the email or LinkedIn
-- URL or by its identity_hash. {"status": "removed" | "not_found", ...}.
-- Audited (DELETE on table suppression, with the entry's hash, kind, reason
-- and the removal's reason).
CREATE FUNCTION marketing.unsuppress_identity(p_value text, p_reason text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_hash text;
  v_entry marketing.suppression;
  v_reason text := marketing.blank_to_null(p_reason);
BEGIN
  IF v_reason IS NULL THEN
    PERFORM marketing.raise_validation('reason', 'required', 'reason: say why the identity may come back');
  END IF;
  IF p_value ~ '^[0-9a-f]{64}$' THEN
    v_hash := p_value;
  ELSE
    SELECT marketing.suppression_hash(i.kind, i.value) INTO v_hash
      FROM marketing.suppression_identity(p_value) AS i;
  END IF;
  DELETE FROM marketing.suppression AS s WHERE s.identity_hash = v_hash RETURNING * INTO v_entry;
  IF NOT FOUND THEN
    RETURN json_build_object('status', 'not_found', 'identity_hash', v_hash);
  END IF;
  INSERT INTO marketing.audit_log (
    operation, table_name, record_key, old_values, new_values, changed_columns,
    actor, request_id, application, txid
  ) VALUES (
    'DELETE', 'suppression', v_entry.identity_hash,
    jsonb_build_object('identity_hash', v_entry.identity_hash, 'kind', v_entry.kind,
                       'reason', v_entry.reason, 'person_id', v_entry.person_id,
                       'removal_reason', v_reason),
    NULL, ARRAY['identity_hash', 'kind', 'reason'], marketing.current_actor(),
    marketing.current_request_id(), marketing.current_application(), txid_current()
  );
  RETURN json_build_object('status', 'removed', 'identity_hash', v_entry.identity_hash,
                           'kind', v_entry.kind, 'person_id', v_entry.person_id);
END;
$$;

-- ---------------------------------------------------------------------------
-- Erasure with a reason (the API's people.erase and `ple pii erase --reason`)
-- ---------------------------------------------------------------------------

ALTER TABLE marketing.pii_erasure
  ADD COLUMN reason text,
  ADD CONSTRAINT pii_erasure_reason_length CHECK (length(reason) <= 500);

CREATE FUNCTION marketing.erase_person(p_person_id text, p_reason text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_result json := marketing.erase_person(p_person_id);
BEGIN
  IF v_result->>'status' = 'erased' AND marketing.blank_to_null(p_reason) IS NOT NULL THEN
    UPDATE marketing.pii_erasure AS e SET reason = btrim(p_reason) WHERE e.person_id = p_person_id;
  END IF;
  RETURN v_result;
END;
$$;
