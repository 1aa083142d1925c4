-- 011 records stay current and single: a known company or person is updated
-- only as asked (on_existing skip | fill | update), keys that point at two
-- different records are an IDENTITY_CONFLICT, and duplicates are merged in one
-- transaction with the dropped record's keys kept resolving through aliases.
--
-- Errors: PLI01 IDENTITY_CONFLICT (DETAIL names both records), PLM01
-- MERGE_CONFLICT (DETAIL names the slots and both people).

-- ---------------------------------------------------------------------------
-- Merges and aliases
-- ---------------------------------------------------------------------------

-- One row per merge: who was kept, who was dropped (and as what it was), what
-- the kept record took over. The dropped record's history and audit rows stay
-- under its own UID; this row ties them to the kept one.
CREATE TABLE marketing.record_merge (
  merge_id bigint GENERATED ALWAYS AS IDENTITY,
  entity text NOT NULL,
  kept_uid text NOT NULL,
  dropped_uid text NOT NULL,
  dropped_values jsonb NOT NULL,
  filled_columns text[] NOT NULL,
  slots jsonb NOT NULL,
  released jsonb NOT NULL,
  moved jsonb NOT NULL,
  actor text NOT NULL,
  request_id text,
  txid bigint NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT record_merge_pkey PRIMARY KEY (merge_id),
  CONSTRAINT record_merge_entity_check CHECK (entity IN ('company', 'person')),
  CONSTRAINT record_merge_distinct_check CHECK (kept_uid <> dropped_uid)
);

COMMENT ON TABLE marketing.record_merge IS
  'Merges of duplicate companies and people: the dropped record as it was and what the kept one took over';

-- ple:lint-allow index-without-concurrently -- the table is created empty in this migration.
CREATE INDEX record_merge_kept_uid_idx ON marketing.record_merge (kept_uid);
-- ple:lint-allow index-without-concurrently -- the table is created empty in this migration.
CREATE INDEX record_merge_dropped_uid_idx ON marketing.record_merge (dropped_uid);

-- The keys of merged-away companies, each pointing at the company that now
-- answers for it (re-pointed when that company is merged in turn).
CREATE TABLE marketing.company_alias (
  alias_kind text NOT NULL,
  alias_value text NOT NULL,
  company_uid text NOT NULL,
  merged_from text NOT NULL,
  merge_id bigint NOT NULL,
  CONSTRAINT company_alias_pkey PRIMARY KEY (alias_kind, alias_value),
  CONSTRAINT company_alias_kind_check CHECK (alias_kind IN ('company_uid', 'website', 'apollo_company_id')),
  CONSTRAINT company_alias_company_uid_fkey FOREIGN KEY (company_uid)
    REFERENCES marketing.company (company_uid) ON DELETE CASCADE,
  CONSTRAINT company_alias_merge_id_fkey FOREIGN KEY (merge_id)
    REFERENCES marketing.record_merge (merge_id)
);

-- ple:lint-allow index-without-concurrently -- the table is created empty in this migration.
CREATE INDEX company_alias_company_uid_idx ON marketing.company_alias (company_uid);

COMMENT ON TABLE marketing.company_alias IS
  'UID, website and Apollo id of merged-away companies, resolving to the company kept';

CREATE TABLE marketing.person_alias (
  alias_kind text NOT NULL,
  alias_value text NOT NULL,
  person_id text NOT NULL,
  merged_from text NOT NULL,
  merge_id bigint NOT NULL,
  CONSTRAINT person_alias_pkey PRIMARY KEY (alias_kind, alias_value),
  CONSTRAINT person_alias_kind_check CHECK (alias_kind IN ('person_id', 'email')),
  CONSTRAINT person_alias_person_id_fkey FOREIGN KEY (person_id)
    REFERENCES marketing.people (person_id) ON DELETE CASCADE,
  CONSTRAINT person_alias_merge_id_fkey FOREIGN KEY (merge_id)
    REFERENCES marketing.record_merge (merge_id)
);

-- ple:lint-allow index-without-concurrently -- the table is created empty in this migration.
CREATE INDEX person_alias_person_id_idx ON marketing.person_alias (person_id);

COMMENT ON TABLE marketing.person_alias IS
  'person_id and email of merged-away people, resolving to the person kept';

-- The company a merged-away key (company_uid, website or Apollo id, canonical)
-- now resolves to; NULL when it is no alias. For every door that looks a
-- company up by key: insert_company_with_slots, upsert_company, the bulk import.
CREATE FUNCTION marketing.resolve_company_alias(p_kind text, p_value text)
RETURNS text
LANGUAGE sql
STABLE
AS $$
  SELECT a.company_uid FROM marketing.company_alias AS a
   WHERE a.alias_kind = p_kind AND a.alias_value = p_value
$$;

-- The person a merged-away person_id or (normalised) email resolves to.
CREATE FUNCTION marketing.resolve_person_alias(p_kind text, p_value text)
RETURNS text
LANGUAGE sql
STABLE
AS $$
  SELECT a.person_id FROM marketing.person_alias AS a
   WHERE a.alias_kind = p_kind AND a.alias_value = p_value
$$;

-- ---------------------------------------------------------------------------
-- insert_company_with_slots: a merged-away website or Apollo id resolves to
-- the company kept (the look-up reads companies and aliases in one statement,
-- so a merge committing in between cannot make it miss both).
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION marketing.insert_company_with_slots(
  p_name text,
  p_website text,
  p_apollo_id text,
  p_ein text
)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_name text := marketing.normalise_name(p_name, 'company_name');
  v_website text := marketing.normalise_website(p_website);
  v_apollo text := marketing.normalise_apollo_id(p_apollo_id);
  v_ein text := CASE
    WHEN marketing.blank_to_null(p_ein) IS NULL THEN NULL
    ELSE marketing.normalise_ein(p_ein) ->> 'raw'
  END;
  v_uid text;
  v_matched_by text;
  v_attempt integer := 0;
BEGIN
  LOOP
    v_attempt := v_attempt + 1;
    SELECT m.company_uid, m.matched_by
      INTO v_uid, v_matched_by
      FROM (
        SELECT c.company_uid,
               CASE WHEN c.website = v_website THEN 'website' ELSE 'apollo_company_id' END AS matched_by,
               0 AS via_alias
          FROM marketing.company AS c
         WHERE c.website = v_website
            OR (v_apollo IS NOT NULL AND c.apollo_company_id = v_apollo)
        UNION ALL
        SELECT a.company_uid, a.alias_kind, 1
          FROM marketing.company_alias AS a
         WHERE (a.alias_kind = 'website' AND a.alias_value = v_website)
            OR (v_apollo IS NOT NULL AND a.alias_kind = 'apollo_company_id' AND a.alias_value = v_apollo)
      ) AS m
     ORDER BY (m.matched_by = 'website') DESC, m.via_alias
     LIMIT 1;
    IF v_uid IS NOT NULL THEN
      INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
      SELECT marketing.gen_slot_uid(v_uid, r.role), v_uid, r.role
        FROM unnest(ARRAY['CEO', 'CFO', 'HR']) AS r(role)
      ON CONFLICT DO NOTHING;
      RETURN marketing.company_json(v_uid, 'exists', v_matched_by);
    END IF;

    INSERT INTO marketing.company (company_uid, company_name, website, apollo_company_id, ein_raw)
    VALUES (marketing.gen_company_uid(), v_name, v_website, v_apollo, v_ein)
    ON CONFLICT DO NOTHING
    RETURNING company_uid INTO v_uid;
    IF v_uid IS NOT NULL THEN
      INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
      SELECT marketing.gen_slot_uid(v_uid, r.role), v_uid, r.role
        FROM unnest(ARRAY['CEO', 'CFO', 'HR']) AS r(role);
      RETURN marketing.company_json(v_uid, 'created', NULL);
    END IF;

    -- A concurrent transaction holds the website or Apollo id; in READ
    -- COMMITTED the next look-up sees its row. A fixed snapshot never will.
    IF v_attempt >= 3 THEN
      RAISE EXCEPTION USING
        ERRCODE = '40001',
        MESSAGE = format('website: %s was inserted by a concurrent transaction; retry', v_website),
        COLUMN = 'website',
        SCHEMA = 'marketing';
    END IF;
  END LOOP;
END;
$$;

-- ---------------------------------------------------------------------------
-- on_existing: skip | fill | update
-- ---------------------------------------------------------------------------

CREATE FUNCTION marketing.check_on_existing(p_on_existing text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
  v_policy text := coalesce(lower(btrim(p_on_existing)), 'skip');
BEGIN
  IF v_policy NOT IN ('skip', 'fill', 'update') THEN
    PERFORM marketing.raise_validation(
      'on_existing', 'invalid_on_existing',
      format('on_existing must be one of skip, fill, update, got "%s"', p_on_existing)
    );
  END IF;
  RETURN v_policy;
END;
$$;

-- The company a canonical website and an Apollo id lead to, directly or
-- through an alias, read in one statement. PLI01 IDENTITY_CONFLICT when they
-- lead to two different companies.
CREATE FUNCTION marketing.match_company(p_website text, p_apollo_id text)
RETURNS TABLE (company_uid text, matched_by text, merged_from text)
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
  v_by_website text;
  v_by_apollo text;
  v_website_alias text;
  v_apollo_alias text;
BEGIN
  SELECT w.company_uid, w.merged_from, a.company_uid, a.merged_from
    INTO v_by_website, v_website_alias, v_by_apollo, v_apollo_alias
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
      SELECT c.company_uid, NULL::text AS merged_from FROM marketing.company AS c WHERE c.website = p_website
      UNION ALL
      SELECT x.company_uid, x.merged_from FROM marketing.company_alias AS x
       WHERE x.alias_kind = 'website' AND x.alias_value = p_website
      LIMIT 1
    ) AS w ON true
    LEFT JOIN LATERAL (
      SELECT c.company_uid, NULL::text AS merged_from FROM marketing.company AS c
       WHERE p_apollo_id IS NOT NULL AND c.apollo_company_id = p_apollo_id
      UNION ALL
      SELECT x.company_uid, x.merged_from FROM marketing.company_alias AS x
       WHERE p_apollo_id IS NOT NULL AND x.alias_kind = 'apollo_company_id' AND x.alias_value = p_apollo_id
      LIMIT 1
    ) AS a ON true;
  IF v_by_website IS NOT NULL AND v_by_apollo IS NOT NULL AND v_by_website <> v_by_apollo THEN
    PERFORM marketing.raise_error(
      'PLI01', 'apollo_company_id',
      format('apollo_company_id: the website %s belongs to company %s but the Apollo id %s to company %s; '
             'merge them or correct the input', p_website, v_by_website, p_apollo_id, v_by_apollo),
      jsonb_build_object('reason', 'identity_conflict',
                         'company_uids', jsonb_build_array(v_by_website, v_by_apollo),
                         'website', jsonb_build_object('value', p_website, 'company_uid', v_by_website),
                         'apollo_company_id', jsonb_build_object('value', p_apollo_id, 'company_uid', v_by_apollo))
    );
  END IF;
  IF v_by_website IS NOT NULL THEN
    RETURN QUERY SELECT v_by_website, 'website'::text, v_website_alias;
  ELSIF v_by_apollo IS NOT NULL THEN
    RETURN QUERY SELECT v_by_apollo, 'apollo_company_id'::text, v_apollo_alias;
  END IF;
END;
$$;

-- Applies an on_existing policy to a company row it locks. Returns the API
-- names of the fields that changed; an UPDATE is issued only when one did,
-- so a call that changes nothing writes no history and no audit row.
CREATE FUNCTION marketing.apply_company_policy(
  p_company_uid text,
  p_policy text,
  p_name text,
  p_website text,
  p_apollo_id text,
  p_ein text
)
RETURNS text[]
LANGUAGE plpgsql
AS $$
DECLARE
  v_row marketing.company;
  v_new marketing.company;
  v_changed text[] := ARRAY[]::text[];
BEGIN
  -- The row is locked (KEY SHARE to read, NO KEY UPDATE to change it) so that a merge cannot
  -- delete it under this call; NULL when it is gone (merged away meanwhile: look again).
  IF p_policy = 'skip' THEN
    PERFORM 1 FROM marketing.company AS c WHERE c.company_uid = p_company_uid FOR KEY SHARE;
    RETURN CASE WHEN FOUND THEN v_changed END;
  END IF;
  SELECT * INTO v_row FROM marketing.company AS c WHERE c.company_uid = p_company_uid FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  v_new := v_row;
  IF p_policy = 'update' THEN
    v_new.company_name := coalesce(p_name, v_row.company_name);
    v_new.website := coalesce(p_website, v_row.website);
    v_new.apollo_company_id := coalesce(p_apollo_id, v_row.apollo_company_id);
    v_new.ein_raw := coalesce(p_ein, v_row.ein_raw);
  ELSE
    v_new.apollo_company_id := coalesce(v_row.apollo_company_id, p_apollo_id);
    v_new.ein_raw := coalesce(v_row.ein_raw, p_ein);
  END IF;
  IF v_new.company_name IS DISTINCT FROM v_row.company_name THEN v_changed := array_append(v_changed, 'company_name'); END IF;
  IF v_new.website IS DISTINCT FROM v_row.website THEN v_changed := array_append(v_changed, 'website'); END IF;
  IF v_new.apollo_company_id IS DISTINCT FROM v_row.apollo_company_id THEN
    v_changed := array_append(v_changed, 'apollo_company_id');
  END IF;
  IF v_new.ein_raw IS DISTINCT FROM v_row.ein_raw THEN v_changed := array_append(v_changed, 'ein'); END IF;
  IF cardinality(v_changed) > 0 THEN
    UPDATE marketing.company AS c
       SET company_name = v_new.company_name,
           website = v_new.website,
           apollo_company_id = v_new.apollo_company_id,
           ein_raw = v_new.ein_raw
     WHERE c.company_uid = p_company_uid;
  END IF;
  RETURN v_changed;
END;
$$;

-- Creates a company with its slots, or applies p_on_existing to the one its
-- website or Apollo id (or a merged-away one) already names:
-- {"status": "created" | "updated" | "unchanged" | "exists", "company_uid",
--  "matched_by", "merged_from", "changed": [field, ...]}.
-- skip answers "exists" and changes nothing; fill sets only empty fields;
-- update overwrites with the given non-empty values. The create itself goes
-- through insert_company_with_slots. One call per row of a batch, in the
-- caller's transaction, gives the import the same rules.
CREATE FUNCTION marketing.upsert_company(
  p_name text,
  p_website text,
  p_apollo_id text,
  p_ein text,
  p_on_existing text DEFAULT 'skip'
)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_policy text := marketing.check_on_existing(p_on_existing);
  v_name text := marketing.normalise_name(p_name, 'company_name');
  v_website text := marketing.normalise_website(p_website);
  v_apollo text := marketing.normalise_apollo_id(p_apollo_id);
  v_ein text := CASE
    WHEN marketing.blank_to_null(p_ein) IS NULL THEN NULL
    ELSE marketing.normalise_ein(p_ein) ->> 'raw'
  END;
  v_match record;
  v_created json;
  v_changed text[];
  v_attempt integer := 0;
BEGIN
  LOOP
    v_attempt := v_attempt + 1;
    SELECT * INTO v_match FROM marketing.match_company(v_website, v_apollo);
    IF v_match.company_uid IS NULL THEN
      v_created := marketing.insert_company_with_slots(v_name, v_website, v_apollo, v_ein);
      IF v_created ->> 'status' = 'created' THEN
        RETURN json_build_object('status', 'created', 'company_uid', v_created ->> 'company_uid',
                                 'matched_by', NULL, 'merged_from', NULL, 'changed', '[]'::json);
      END IF;
      -- A concurrent create got in first: look again (and check its keys).
      IF v_attempt >= 3 THEN
        RAISE EXCEPTION USING
          ERRCODE = '40001',
          MESSAGE = format('website: %s was inserted by a concurrent transaction; retry', v_website),
          COLUMN = 'website',
          SCHEMA = 'marketing';
      END IF;
      CONTINUE;
    END IF;
    -- The website and Apollo id may not move onto a company that another
    -- record's key names (match_company refused that above), but an update
    -- that sets a website or Apollo id some other company holds fails on the
    -- unique key; that is ALREADY_EXISTS naming the field.
    v_changed := marketing.apply_company_policy(
      v_match.company_uid, v_policy, v_name,
      CASE WHEN v_match.matched_by = 'website' THEN NULL ELSE v_website END,
      v_apollo, v_ein
    );
    IF v_changed IS NULL THEN
      -- Merged away between the look-up and the lock: its keys now lead to the company kept.
      IF v_attempt >= 3 THEN
        RAISE EXCEPTION USING
          ERRCODE = '40001',
          MESSAGE = format('website: the company of %s was merged concurrently; retry', v_website),
          COLUMN = 'website',
          SCHEMA = 'marketing';
      END IF;
      CONTINUE;
    END IF;
    INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
    SELECT marketing.gen_slot_uid(v_match.company_uid, r.role), v_match.company_uid, r.role
      FROM unnest(ARRAY['CEO', 'CFO', 'HR']) AS r(role)
    ON CONFLICT DO NOTHING;
    RETURN json_build_object(
      'status', CASE WHEN v_policy = 'skip' THEN 'exists'
                     WHEN cardinality(v_changed) > 0 THEN 'updated'
                     ELSE 'unchanged' END,
      'company_uid', v_match.company_uid,
      'matched_by', v_match.matched_by,
      'merged_from', v_match.merged_from,
      'changed', to_json(v_changed)
    );
  END LOOP;
END;
$$;

-- The person a normalised email (directly or through an alias) names, and
-- PLI01 IDENTITY_CONFLICT when the LinkedIn URL given belongs to other people
-- but not to that one.
CREATE FUNCTION marketing.match_person(p_email text, p_linkedin_url text)
RETURNS TABLE (person_id text, merged_from text)
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
  v_id text;
  v_alias text;
  v_other text;
BEGIN
  SELECT m.person_id, m.merged_from INTO v_id, v_alias
    FROM (
      SELECT p.person_id, NULL::text AS merged_from, 0 AS via_alias FROM marketing.people AS p WHERE p.email = p_email
      UNION ALL
      SELECT a.person_id, a.merged_from, 1 FROM marketing.person_alias AS a
       WHERE a.alias_kind = 'email' AND a.alias_value = p_email
    ) AS m
   ORDER BY m.via_alias
   LIMIT 1;
  IF v_id IS NULL THEN
    RETURN;
  END IF;
  IF p_linkedin_url IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM marketing.people AS p
                      WHERE p.person_id = v_id AND p.linkedin_url = p_linkedin_url) THEN
    SELECT p.person_id INTO v_other FROM marketing.people AS p
     WHERE p.linkedin_url = p_linkedin_url AND p.person_id <> v_id
     ORDER BY p.person_id
     LIMIT 1;
    IF v_other IS NOT NULL THEN
      PERFORM marketing.raise_error(
        'PLI01', 'linkedin_url',
        format('linkedin_url: the email %s belongs to person %s but the LinkedIn URL %s to person %s; '
               'merge them or correct the input', p_email, v_id, p_linkedin_url, v_other),
        jsonb_build_object('reason', 'identity_conflict',
                           'person_ids', jsonb_build_array(v_id, v_other),
                           'email', jsonb_build_object('person_id', v_id),
                           'linkedin_url', jsonb_build_object('value', p_linkedin_url, 'person_id', v_other))
      );
    END IF;
  END IF;
  RETURN QUERY SELECT v_id, v_alias;
END;
$$;

-- on_existing for a person row it locks (name, LinkedIn URL, company, title); NULL when the
-- person is gone (merged away meanwhile).
CREATE FUNCTION marketing.apply_person_policy(
  p_person_id text,
  p_policy text,
  p_name text,
  p_linkedin_url text,
  p_company_uid text,
  p_title text
)
RETURNS text[]
LANGUAGE plpgsql
AS $$
DECLARE
  v_row marketing.people;
  v_new marketing.people;
  v_changed text[] := ARRAY[]::text[];
BEGIN
  IF p_policy = 'skip' THEN
    PERFORM 1 FROM marketing.people AS p WHERE p.person_id = p_person_id FOR KEY SHARE;
    RETURN CASE WHEN FOUND THEN v_changed END;
  END IF;
  SELECT * INTO v_row FROM marketing.people AS p WHERE p.person_id = p_person_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  v_new := v_row;
  IF p_policy = 'update' THEN
    v_new.name := coalesce(p_name, v_row.name);
    v_new.linkedin_url := coalesce(p_linkedin_url, v_row.linkedin_url);
    v_new.company_uid := coalesce(p_company_uid, v_row.company_uid);
    v_new.title := coalesce(p_title, v_row.title);
  ELSE
    v_new.linkedin_url := coalesce(v_row.linkedin_url, p_linkedin_url);
    v_new.company_uid := coalesce(v_row.company_uid, p_company_uid);
    v_new.title := coalesce(v_row.title, p_title);
  END IF;
  IF v_new.name IS DISTINCT FROM v_row.name THEN v_changed := array_append(v_changed, 'name'); END IF;
  IF v_new.linkedin_url IS DISTINCT FROM v_row.linkedin_url THEN v_changed := array_append(v_changed, 'linkedin_url'); END IF;
  IF v_new.company_uid IS DISTINCT FROM v_row.company_uid THEN v_changed := array_append(v_changed, 'company_uid'); END IF;
  IF v_new.title IS DISTINCT FROM v_row.title THEN v_changed := array_append(v_changed, 'title'); END IF;
  IF cardinality(v_changed) > 0 THEN
    UPDATE marketing.people AS p
       SET name = v_new.name,
           linkedin_url = v_new.linkedin_url,
           company_uid = v_new.company_uid,
           title = v_new.title
     WHERE p.person_id = p_person_id;
  END IF;
  RETURN v_changed;
END;
$$;

-- Creates a person (through insert_person) or applies p_on_existing to the one
-- the email (or a merged-away email) names; the answer as upsert_company's,
-- with person_id. A company_uid that was merged away names the company kept.
CREATE FUNCTION marketing.upsert_person(
  p_name text,
  p_email text,
  p_linkedin_url text DEFAULT NULL,
  p_company_uid text DEFAULT NULL,
  p_title text DEFAULT NULL,
  p_source text DEFAULT 'manual',
  p_on_existing text DEFAULT 'skip'
)
RETURNS json
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_policy text := marketing.check_on_existing(p_on_existing);
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
  v_match record;
  v_created json;
  v_changed text[];
  v_attempt integer := 0;
  v_i integer;
BEGIN
  -- The company is locked (KEY SHARE) so a merge cannot drop it under this call; one merged
  -- away (before or while waiting for the lock) names the company kept.
  IF v_company IS NOT NULL THEN
    PERFORM marketing.parse_uid(v_company, 'company');
    FOR v_i IN 1..3 LOOP
      PERFORM 1 FROM marketing.company AS c WHERE c.company_uid = v_company FOR KEY SHARE;
      EXIT WHEN FOUND;
      EXIT WHEN marketing.resolve_company_alias('company_uid', v_company) IS NULL;
      v_company := marketing.resolve_company_alias('company_uid', v_company);
    END LOOP;
  END IF;
  LOOP
    v_attempt := v_attempt + 1;
    SELECT * INTO v_match FROM marketing.match_person(v_email, v_linkedin);
    IF v_match.person_id IS NULL THEN
      v_created := marketing.insert_person(v_name, v_email, v_linkedin, v_company, v_title, p_source);
      IF v_created ->> 'status' = 'created' THEN
        RETURN json_build_object('status', 'created', 'person_id', v_created ->> 'person_id',
                                 'merged_from', NULL, 'changed', '[]'::json);
      END IF;
      IF v_attempt >= 3 THEN
        RAISE EXCEPTION USING
          ERRCODE = '40001',
          MESSAGE = format('email: %s was inserted by a concurrent transaction; retry', v_email),
          COLUMN = 'email',
          SCHEMA = 'marketing';
      END IF;
      CONTINUE;
    END IF;
    IF v_company IS NOT NULL AND v_policy <> 'skip'
       AND NOT EXISTS (SELECT 1 FROM marketing.company AS c WHERE c.company_uid = v_company) THEN
      PERFORM marketing.raise_error(
        'PL004', 'company_uid', format('company_uid: no company %s', v_company),
        jsonb_build_object('company_uid', v_company)
      );
    END IF;
    v_changed := marketing.apply_person_policy(
      v_match.person_id, v_policy, v_name, v_linkedin, v_company, v_title
    );
    IF v_changed IS NULL THEN
      IF v_attempt >= 3 THEN
        RAISE EXCEPTION USING
          ERRCODE = '40001',
          MESSAGE = format('email: the person of %s was merged concurrently; retry', v_email),
          COLUMN = 'email',
          SCHEMA = 'marketing';
      END IF;
      CONTINUE;
    END IF;
    RETURN json_build_object(
      'status', CASE WHEN v_policy = 'skip' THEN 'exists'
                     WHEN cardinality(v_changed) > 0 THEN 'updated'
                     ELSE 'unchanged' END,
      'person_id', v_match.person_id,
      'merged_from', v_match.merged_from,
      'changed', to_json(v_changed)
    );
  END LOOP;
END;
$$;

-- ---------------------------------------------------------------------------
-- Merges
-- ---------------------------------------------------------------------------

-- Frees a locked slot: filled → open (VACATED) or pending → open (REJECTED),
-- so the slot events say who left.
CREATE FUNCTION marketing.release_slot(p_slot marketing.company_slot)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  IF p_slot.status <> 'open' THEN
    PERFORM marketing.apply_slot_change(
      p_slot.slot_uid,
      marketing.slot_status_after(p_slot, CASE WHEN p_slot.status = 'pending' THEN 'reject' ELSE 'vacate' END),
      NULL
    );
  END IF;
END;
$$;

-- Puts a person into an open, locked slot with the status they had elsewhere:
-- filled → link (ASSIGNED), pending → propose (PROPOSED).
CREATE FUNCTION marketing.occupy_slot(p_slot marketing.company_slot, p_status text, p_person_id text)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  -- A merge moves the occupant to the kept record's company: ple.move_person lets the
  -- person's company follow the slot (migration 012's rule) for this write only.
  v_before text := coalesce(current_setting('ple.move_person', true), '');
BEGIN
  PERFORM set_config('ple.move_person', 'on', true);
  PERFORM marketing.apply_slot_change(
    p_slot.slot_uid,
    marketing.slot_status_after(p_slot, CASE WHEN p_status = 'pending' THEN 'propose' ELSE 'link' END),
    p_person_id
  );
  PERFORM set_config('ple.move_person', v_before, true);
END;
$$;

-- The company or person a merge names: PL004/PL005 when there is none, saying
-- so when the UID was merged away already.
CREATE FUNCTION marketing.raise_merge_missing(p_entity text, p_field text, p_uid text)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  v_into text := CASE WHEN p_entity = 'company'
                      THEN marketing.resolve_company_alias('company_uid', p_uid)
                      ELSE marketing.resolve_person_alias('person_id', p_uid) END;
BEGIN
  PERFORM marketing.raise_error(
    CASE WHEN p_entity = 'company' THEN 'PL004' ELSE 'PL005' END, p_field,
    CASE WHEN v_into IS NULL THEN format('%s: no %s %s', p_field, p_entity, p_uid)
         ELSE format('%s: %s %s was merged into %s', p_field, p_entity, p_uid, v_into) END,
    jsonb_strip_nulls(jsonb_build_object(p_field, p_uid, 'merged_into', v_into))
  );
END;
$$;

-- The merge itself; merge_companies wraps it for dry runs.
CREATE FUNCTION marketing.merge_companies_apply(p_keep text, p_drop text, p_prefer jsonb)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_keep marketing.company;
  v_drop marketing.company;
  v_ks marketing.company_slot;
  v_ds marketing.company_slot;
  v_role text;
  v_pref text;
  v_conflicts jsonb := '[]'::jsonb;
  v_slots jsonb := '[]'::jsonb;
  v_released jsonb := '[]'::jsonb;
  v_moved jsonb;
  v_filled text[] := ARRAY[]::text[];
  v_merge_id bigint;
BEGIN
  -- Both companies, then all their slots, locked in a fixed order (by key),
  -- so two merges or a merge and a delete that share a record queue up
  -- instead of deadlocking.
  PERFORM 1 FROM marketing.company AS c
   WHERE c.company_uid IN (p_keep, p_drop)
   ORDER BY c.company_uid
     FOR UPDATE;
  SELECT * INTO v_keep FROM marketing.company AS c WHERE c.company_uid = p_keep;
  IF NOT FOUND THEN PERFORM marketing.raise_merge_missing('company', 'keep', p_keep); END IF;
  SELECT * INTO v_drop FROM marketing.company AS c WHERE c.company_uid = p_drop;
  IF NOT FOUND THEN PERFORM marketing.raise_merge_missing('company', 'drop', p_drop); END IF;
  PERFORM 1 FROM marketing.company_slot AS s
   WHERE s.company_uid IN (p_keep, p_drop)
   ORDER BY s.slot_uid
     FOR UPDATE;
  INSERT INTO marketing.company_slot (slot_uid, company_uid, role)
  SELECT marketing.gen_slot_uid(p_keep, r.role), p_keep, r.role
    FROM unnest(ARRAY['CEO', 'CFO', 'HR']) AS r(role)
  ON CONFLICT DO NOTHING;

  -- Two occupied slots of one role need a word from the caller.
  FOR v_role IN SELECT unnest(ARRAY['CEO', 'CFO', 'HR']) LOOP
    SELECT * INTO v_ks FROM marketing.company_slot AS s WHERE s.company_uid = p_keep AND s.role = v_role;
    SELECT * INTO v_ds FROM marketing.company_slot AS s WHERE s.company_uid = p_drop AND s.role = v_role;
    IF v_ds.slot_uid IS NOT NULL AND v_ds.status <> 'open' AND v_ks.status <> 'open'
       AND p_prefer ->> v_role IS NULL THEN
      v_conflicts := v_conflicts || jsonb_build_object(
        'role', v_role,
        'keep', jsonb_build_object('slot_uid', v_ks.slot_uid, 'status', v_ks.status, 'person_id', v_ks.person_id),
        'drop', jsonb_build_object('slot_uid', v_ds.slot_uid, 'status', v_ds.status, 'person_id', v_ds.person_id)
      );
    END IF;
  END LOOP;
  IF jsonb_array_length(v_conflicts) > 0 THEN
    PERFORM marketing.raise_error(
      'PLM01', 'prefer',
      format('prefer: both companies have the %s slot occupied (%s); say which stays with prefer ROLE=keep|drop',
             (SELECT string_agg(c ->> 'role', ', ') FROM jsonb_array_elements(v_conflicts) AS c),
             (SELECT string_agg(format('%s: %s on %s, %s on %s', c ->> 'role',
                                       c -> 'keep' ->> 'person_id', p_keep, c -> 'drop' ->> 'person_id', p_drop), '; ')
                FROM jsonb_array_elements(v_conflicts) AS c)),
      jsonb_build_object('reason', 'both_slots_occupied', 'keep', p_keep, 'drop', p_drop, 'conflicts', v_conflicts)
    );
  END IF;

  -- Slots by role: a dropped slot's occupant moves into the kept slot when
  -- that is open; of two occupants the one prefer names stays.
  FOR v_role IN SELECT unnest(ARRAY['CEO', 'CFO', 'HR']) LOOP
    SELECT * INTO v_ks FROM marketing.company_slot AS s WHERE s.company_uid = p_keep AND s.role = v_role;
    SELECT * INTO v_ds FROM marketing.company_slot AS s WHERE s.company_uid = p_drop AND s.role = v_role;
    v_pref := p_prefer ->> v_role;
    IF v_ds.slot_uid IS NULL OR v_ds.status = 'open' THEN
      v_slots := v_slots || jsonb_build_object('role', v_role, 'outcome', 'kept', 'slot_uid', v_ks.slot_uid,
                                               'status', v_ks.status, 'person_id', v_ks.person_id);
    ELSIF v_ks.status = 'open' THEN
      PERFORM marketing.release_slot(v_ds);
      PERFORM marketing.occupy_slot(v_ks, v_ds.status, v_ds.person_id);
      v_slots := v_slots || jsonb_build_object('role', v_role, 'outcome', 'moved', 'slot_uid', v_ks.slot_uid,
                                               'status', v_ds.status, 'person_id', v_ds.person_id);
    ELSIF v_pref = 'keep' THEN
      PERFORM marketing.release_slot(v_ds);
      v_released := v_released || jsonb_build_object('role', v_role, 'slot_uid', v_ds.slot_uid,
                                                     'person_id', v_ds.person_id, 'status', v_ds.status);
      v_slots := v_slots || jsonb_build_object('role', v_role, 'outcome', 'kept', 'slot_uid', v_ks.slot_uid,
                                               'status', v_ks.status, 'person_id', v_ks.person_id);
    ELSE
      v_released := v_released || jsonb_build_object('role', v_role, 'slot_uid', v_ks.slot_uid,
                                                     'person_id', v_ks.person_id, 'status', v_ks.status);
      PERFORM marketing.release_slot(v_ks);
      PERFORM marketing.release_slot(v_ds);
      SELECT * INTO v_ks FROM marketing.company_slot AS s WHERE s.slot_uid = v_ks.slot_uid;
      PERFORM marketing.occupy_slot(v_ks, v_ds.status, v_ds.person_id);
      v_slots := v_slots || jsonb_build_object('role', v_role, 'outcome', 'replaced', 'slot_uid', v_ks.slot_uid,
                                               'status', v_ds.status, 'person_id', v_ds.person_id);
    END IF;
  END LOOP;

  INSERT INTO marketing.record_merge (
    entity, kept_uid, dropped_uid, dropped_values, filled_columns, slots, released, moved, actor, request_id, txid
  ) VALUES (
    'company', p_keep, p_drop, to_jsonb(v_drop), ARRAY[]::text[], v_slots, v_released, '[]'::jsonb,
    marketing.current_actor(), marketing.current_request_id(), txid_current()
  )
  RETURNING merge_id INTO v_merge_id;

  -- People of the dropped company work for the kept one now.
  WITH moved AS (
    UPDATE marketing.people AS p SET company_uid = p_keep
     WHERE p.company_uid = p_drop
    RETURNING p.person_id
  )
  SELECT coalesce(jsonb_agg(m.person_id ORDER BY m.person_id), '[]'::jsonb) INTO v_moved FROM moved AS m;

  -- The dropped company's keys, and the aliases that pointed at it, resolve
  -- to the kept company.
  UPDATE marketing.company_alias AS a SET company_uid = p_keep WHERE a.company_uid = p_drop;
  INSERT INTO marketing.company_alias (alias_kind, alias_value, company_uid, merged_from, merge_id)
  SELECT k.kind, k.value, p_keep, p_drop, v_merge_id
    FROM (VALUES ('company_uid', v_drop.company_uid),
                 ('website', v_drop.website),
                 ('apollo_company_id', v_drop.apollo_company_id)) AS k(kind, value)
   WHERE k.value IS NOT NULL
  ON CONFLICT (alias_kind, alias_value)
  DO UPDATE SET company_uid = EXCLUDED.company_uid, merged_from = EXCLUDED.merged_from,
                merge_id = EXCLUDED.merge_id;

  -- Every slot of the dropped company is open now, so it goes with its slots
  -- (audit DELETE rows; the history versions stay under its UID).
  DELETE FROM marketing.company AS c WHERE c.company_uid = p_drop;

  -- The kept company takes the dropped one's fields where its own are empty
  -- (after the delete, which frees the Apollo id's unique key).
  IF v_keep.apollo_company_id IS NULL AND v_drop.apollo_company_id IS NOT NULL THEN
    v_filled := array_append(v_filled, 'apollo_company_id');
  END IF;
  IF v_keep.ein_raw IS NULL AND v_drop.ein_raw IS NOT NULL THEN
    v_filled := array_append(v_filled, 'ein');
  END IF;
  IF cardinality(v_filled) > 0 THEN
    UPDATE marketing.company AS c
       SET apollo_company_id = coalesce(c.apollo_company_id, v_drop.apollo_company_id),
           ein_raw = coalesce(c.ein_raw, v_drop.ein_raw)
     WHERE c.company_uid = p_keep;
  END IF;
  UPDATE marketing.record_merge AS m SET filled_columns = v_filled, moved = v_moved
   WHERE m.merge_id = v_merge_id;

  RETURN json_build_object(
    'entity', 'company',
    'keep', p_keep,
    'drop', p_drop,
    'filled', to_json(v_filled),
    'slots', v_slots,
    'released', v_released,
    'people_repointed', v_moved,
    'aliases', (SELECT coalesce(json_agg(json_build_object('kind', a.alias_kind, 'value', a.alias_value)
                                         ORDER BY a.alias_kind, a.alias_value), '[]'::json)
                  FROM marketing.company_alias AS a WHERE a.merge_id = v_merge_id),
    'company', (SELECT to_json(c) FROM marketing.company AS c WHERE c.company_uid = p_keep),
    'company_slots', (SELECT json_agg(s ORDER BY array_position(ARRAY['CEO', 'CFO', 'HR'], s.role))
                        FROM marketing.company_slot AS s WHERE s.company_uid = p_keep)
  );
END;
$$;

-- Merges company p_drop into p_keep in one transaction. p_prefer maps a role
-- to 'keep' or 'drop': whose occupant stays when both companies have that
-- slot occupied (else PLM01 MERGE_CONFLICT naming both people). A dry run does
-- the same work in a subtransaction it rolls back, so its answer is the real
-- run's.
CREATE FUNCTION marketing.merge_companies(
  p_keep text,
  p_drop text,
  p_prefer jsonb DEFAULT '{}'::jsonb,
  p_dry_run boolean DEFAULT false
)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_prefer jsonb := coalesce(p_prefer, '{}'::jsonb);
  v_key text;
  v_result json;
BEGIN
  PERFORM marketing.parse_uid(p_keep, 'company');
  PERFORM marketing.parse_uid(p_drop, 'company');
  IF p_keep = p_drop THEN
    PERFORM marketing.raise_validation('drop', 'same_record', format('drop: %s cannot be merged into itself', p_drop));
  END IF;
  IF jsonb_typeof(v_prefer) <> 'object' THEN
    PERFORM marketing.raise_validation('prefer', 'invalid_prefer', 'prefer must map roles to keep or drop');
  END IF;
  FOR v_key IN SELECT jsonb_object_keys(v_prefer) LOOP
    IF v_key NOT IN ('CEO', 'CFO', 'HR') OR coalesce(v_prefer ->> v_key, '') NOT IN ('keep', 'drop') THEN
      PERFORM marketing.raise_validation(
        'prefer', 'invalid_prefer',
        format('prefer: %s=%s is not ROLE=keep|drop with ROLE one of CEO, CFO, HR', v_key, v_prefer ->> v_key)
      );
    END IF;
  END LOOP;
  IF NOT p_dry_run THEN
    RETURN marketing.merge_companies_apply(p_keep, p_drop, v_prefer);
  END IF;
  BEGIN
    v_result := marketing.merge_companies_apply(p_keep, p_drop, v_prefer);
    RAISE EXCEPTION USING ERRCODE = 'PLDRY';
  EXCEPTION WHEN SQLSTATE 'PLDRY' THEN
    NULL;
  END;
  RETURN v_result;
END;
$$;

CREATE FUNCTION marketing.merge_people_apply(p_keep text, p_drop text)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_keep marketing.people;
  v_drop marketing.people;
  v_ks marketing.company_slot;
  v_ds marketing.company_slot;
  v_slots jsonb := '[]'::jsonb;
  v_filled text[] := ARRAY[]::text[];
  v_merge_id bigint;
BEGIN
  -- Slots before people, as a link (slot, then the person through the slot's
  -- foreign key) and a company merge take them: the slots either holds, then
  -- the kept person (NO KEY UPDATE: links of them elsewhere go on) and the
  -- dropped one (UPDATE: a link of them waits, and fails once they are gone),
  -- then the slots again in case one was taken in between.
  PERFORM 1 FROM marketing.company_slot AS s
   WHERE s.person_id IN (p_keep, p_drop)
   ORDER BY s.slot_uid
     FOR UPDATE;
  SELECT * INTO v_keep FROM marketing.people AS p WHERE p.person_id = p_keep FOR NO KEY UPDATE;
  IF NOT FOUND THEN PERFORM marketing.raise_merge_missing('person', 'keep', p_keep); END IF;
  SELECT * INTO v_drop FROM marketing.people AS p WHERE p.person_id = p_drop FOR UPDATE;
  IF NOT FOUND THEN PERFORM marketing.raise_merge_missing('person', 'drop', p_drop); END IF;
  IF EXISTS (SELECT 1 FROM marketing.pii_erasure AS e WHERE e.person_id IN (p_keep, p_drop)) THEN
    PERFORM marketing.raise_validation(
      'drop', 'erased', format('drop: an erased person (%s or %s) cannot be merged', p_keep, p_drop)
    );
  END IF;
  PERFORM 1 FROM marketing.company_slot AS s
   WHERE s.person_id IN (p_keep, p_drop)
   ORDER BY s.slot_uid
     FOR UPDATE;
  SELECT * INTO v_ks FROM marketing.company_slot AS s WHERE s.person_id = p_keep;
  SELECT * INTO v_ds FROM marketing.company_slot AS s WHERE s.person_id = p_drop;
  IF v_ks.slot_uid IS NOT NULL AND v_ds.slot_uid IS NOT NULL THEN
    PERFORM marketing.raise_error(
      'PLM01', 'drop',
      format('drop: both people hold a slot (%s in %s, %s in %s); vacate one first',
             p_keep, v_ks.slot_uid, p_drop, v_ds.slot_uid),
      jsonb_build_object('reason', 'both_in_slots', 'keep', p_keep, 'drop', p_drop,
                         'conflicts', jsonb_build_array(jsonb_build_object(
                           'keep', jsonb_build_object('slot_uid', v_ks.slot_uid, 'status', v_ks.status, 'person_id', p_keep),
                           'drop', jsonb_build_object('slot_uid', v_ds.slot_uid, 'status', v_ds.status, 'person_id', p_drop))))
    );
  END IF;
  IF v_ds.slot_uid IS NOT NULL THEN
    PERFORM marketing.release_slot(v_ds);
    SELECT * INTO v_ks FROM marketing.company_slot AS s WHERE s.slot_uid = v_ds.slot_uid;
    PERFORM marketing.occupy_slot(v_ks, v_ds.status, p_keep);
    v_slots := jsonb_build_array(jsonb_build_object(
      'role', v_ds.role, 'outcome', 'taken_over', 'slot_uid', v_ds.slot_uid, 'status', v_ds.status, 'person_id', p_keep));
  ELSIF v_ks.slot_uid IS NOT NULL THEN
    v_slots := jsonb_build_array(jsonb_build_object(
      'role', v_ks.role, 'outcome', 'kept', 'slot_uid', v_ks.slot_uid, 'status', v_ks.status, 'person_id', p_keep));
  END IF;

  INSERT INTO marketing.record_merge (
    entity, kept_uid, dropped_uid, dropped_values, filled_columns, slots, released, moved, actor, request_id, txid
  ) VALUES (
    'person', p_keep, p_drop, to_jsonb(v_drop), ARRAY[]::text[], v_slots, '[]'::jsonb, '[]'::jsonb,
    marketing.current_actor(), marketing.current_request_id(), txid_current()
  )
  RETURNING merge_id INTO v_merge_id;

  UPDATE marketing.person_alias AS a SET person_id = p_keep WHERE a.person_id = p_drop;
  INSERT INTO marketing.person_alias (alias_kind, alias_value, person_id, merged_from, merge_id)
  VALUES ('person_id', v_drop.person_id, p_keep, p_drop, v_merge_id),
         ('email', v_drop.email, p_keep, p_drop, v_merge_id)
  ON CONFLICT (alias_kind, alias_value)
  DO UPDATE SET person_id = EXCLUDED.person_id, merged_from = EXCLUDED.merged_from,
                merge_id = EXCLUDED.merge_id;

  DELETE FROM marketing.people AS p WHERE p.person_id = p_drop;

  IF v_keep.linkedin_url IS NULL AND v_drop.linkedin_url IS NOT NULL THEN v_filled := array_append(v_filled, 'linkedin_url'); END IF;
  IF v_keep.company_uid IS NULL AND v_drop.company_uid IS NOT NULL THEN v_filled := array_append(v_filled, 'company_uid'); END IF;
  IF v_keep.title IS NULL AND v_drop.title IS NOT NULL THEN v_filled := array_append(v_filled, 'title'); END IF;
  IF v_keep.validated_at IS NULL AND v_drop.validated_at IS NOT NULL THEN
    v_filled := array_append(v_filled, 'validation_status');
  END IF;
  IF cardinality(v_filled) > 0 THEN
    UPDATE marketing.people AS p
       SET linkedin_url = coalesce(p.linkedin_url, v_drop.linkedin_url),
           company_uid = coalesce(p.company_uid, v_drop.company_uid),
           title = coalesce(p.title, v_drop.title),
           validation_status = CASE WHEN p.validated_at IS NULL AND v_drop.validated_at IS NOT NULL
                                    THEN v_drop.validation_status ELSE p.validation_status END,
           validation_provider = CASE WHEN p.validated_at IS NULL AND v_drop.validated_at IS NOT NULL
                                      THEN v_drop.validation_provider ELSE p.validation_provider END,
           validation_result_raw = CASE WHEN p.validated_at IS NULL AND v_drop.validated_at IS NOT NULL
                                        THEN v_drop.validation_result_raw ELSE p.validation_result_raw END,
           validated_at = coalesce(p.validated_at, v_drop.validated_at)
     WHERE p.person_id = p_keep;
  END IF;
  UPDATE marketing.record_merge AS m SET filled_columns = v_filled WHERE m.merge_id = v_merge_id;

  RETURN json_build_object(
    'entity', 'person',
    'keep', p_keep,
    'drop', p_drop,
    'filled', to_json(v_filled),
    'slots', v_slots,
    'released', '[]'::json,
    'aliases', (SELECT coalesce(json_agg(json_build_object('kind', a.alias_kind, 'value', a.alias_value)
                                         ORDER BY a.alias_kind, a.alias_value), '[]'::json)
                  FROM marketing.person_alias AS a WHERE a.merge_id = v_merge_id),
    'person', (SELECT to_json(p) FROM marketing.people AS p WHERE p.person_id = p_keep)
  );
END;
$$;

-- Merges person p_drop into p_keep: the dropped person's slot is taken over
-- when only they held one; both in slots is PLM01 MERGE_CONFLICT.
CREATE FUNCTION marketing.merge_people(p_keep text, p_drop text, p_dry_run boolean DEFAULT false)
RETURNS json
LANGUAGE plpgsql
AS $$
DECLARE
  v_result json;
BEGIN
  PERFORM marketing.parse_uid(p_keep, 'person');
  PERFORM marketing.parse_uid(p_drop, 'person');
  IF p_keep = p_drop THEN
    PERFORM marketing.raise_validation('drop', 'same_record', format('drop: %s cannot be merged into itself', p_drop));
  END IF;
  IF NOT p_dry_run THEN
    RETURN marketing.merge_people_apply(p_keep, p_drop);
  END IF;
  BEGIN
    v_result := marketing.merge_people_apply(p_keep, p_drop);
    RAISE EXCEPTION USING ERRCODE = 'PLDRY';
  EXCEPTION WHEN SQLSTATE 'PLDRY' THEN
    NULL;
  END;
  RETURN v_result;
END;
$$;

-- ---------------------------------------------------------------------------
-- Erasure reaches the people merged into the erased person
-- ---------------------------------------------------------------------------

-- When erase_person records its tombstone (audit maintenance is on), the
-- people merged into the erased person are erased with them: their versions,
-- their audit rows, the e-mail and LinkedIn URL anywhere in the audit log and
-- the import rejects, the merge rows' copy of them, and their aliases, so the
-- merged-away e-mail no longer resolves.
CREATE FUNCTION marketing.erase_merged_people()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_merge marketing.record_merge;
  v_needles text[];
BEGIN
  FOR v_merge IN
    SELECT * FROM marketing.record_merge AS m
     WHERE m.entity = 'person' AND m.kept_uid = NEW.person_id
  LOOP
    v_needles := array_remove(ARRAY[v_merge.dropped_values ->> 'email', v_merge.dropped_values ->> 'linkedin_url'], NULL);
    UPDATE marketing.people_history AS h
       SET row_data = marketing.erase_person_json(h.row_data, v_merge.dropped_uid)
     WHERE h.person_id = v_merge.dropped_uid;
    UPDATE marketing.audit_log AS a
       SET old_values = marketing.erase_person_json(a.old_values, v_merge.dropped_uid),
           new_values = marketing.erase_person_json(a.new_values, v_merge.dropped_uid)
     WHERE a.table_name = 'people' AND a.record_key = v_merge.dropped_uid;
    IF cardinality(v_needles) > 0 THEN
      UPDATE marketing.audit_log AS a
         SET old_values = marketing.erase_text(a.old_values::text, v_needles, '[erased]')::jsonb,
             new_values = marketing.erase_text(a.new_values::text, v_needles, '[erased]')::jsonb
       WHERE marketing.contains_any(coalesce(a.old_values::text, '') || ' ' || coalesce(a.new_values::text, ''), v_needles);
      UPDATE marketing.import_reject AS r
         SET raw_row = '[erased]',
             message = marketing.erase_text(r.message, v_needles, '[erased]')
       WHERE marketing.contains_any(r.raw_row || ' ' || r.message, v_needles);
    END IF;
    UPDATE marketing.record_merge AS m
       SET dropped_values = marketing.erase_person_json(m.dropped_values, v_merge.dropped_uid)
     WHERE m.merge_id = v_merge.merge_id;
  END LOOP;
  DELETE FROM marketing.person_alias AS a WHERE a.person_id = NEW.person_id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER pii_erasure_erase_merged_people
  AFTER INSERT ON marketing.pii_erasure
  FOR EACH ROW EXECUTE FUNCTION marketing.erase_merged_people();
