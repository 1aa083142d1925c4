-- packages/db/schema.sql — GENERATED, do not edit: the schema after every migration
-- (001_initial_schema, 002_people, 003_ple_relationships, 004_history_tracking, 005_performance_indexes, 006_api_access, 007_operations, 008_import_speed, 009_idna, 011_merge_and_update, 012_people_consistency, 013_slot_leases, 014_change_feed, 015_history_superseded_only, 016_people_import_speed, 017_slot_changes_per_statement, 018_event_positions_per_commit, 019_slot_insert_trigger), dumped by pg_dump --schema-only from a freshly migrated database.
-- Regenerate after changing or adding a migration: pnpm --filter @ple/db schema:dump
-- forward migrations sha256: 08b2893533f07e664838d42e837c98c7e550a8c1a3ae3eff0bf93d6cb1066f3a

--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: marketing; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA marketing;

--
-- Name: SCHEMA marketing; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA marketing IS 'PLE: companies, role slots, people, history and audit';

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams (installed by PLE migration 005, removed by its rollback)';

--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions (installed by PLE migration 012, removed by its rollback)';

--
-- Name: apply_company_policy(text, text, text, text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.apply_company_policy(p_company_uid text, p_policy text, p_name text, p_website text, p_apollo_id text, p_ein text) RETURNS text[]
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

--
-- Name: apply_person_policy(text, text, text, text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.apply_person_policy(p_person_id text, p_policy text, p_name text, p_linkedin_url text, p_company_uid text, p_title text) RETURNS text[]
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

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: company_slot; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.company_slot (
    slot_uid text NOT NULL,
    company_uid text NOT NULL,
    role text NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    person_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT company_slot_person_matches_status CHECK (((person_id IS NULL) = (status = 'open'::text))),
    CONSTRAINT company_slot_role_check CHECK ((role = ANY (ARRAY['CEO'::text, 'CFO'::text, 'HR'::text]))),
    CONSTRAINT company_slot_status_check CHECK ((status = ANY (ARRAY['open'::text, 'pending'::text, 'filled'::text]))),
    CONSTRAINT company_slot_uid_format CHECK ((slot_uid = ((('SL-'::text || company_uid) || '-'::text) || role)))
);

--
-- Name: TABLE company_slot; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.company_slot IS 'Exactly three role slots (CEO, CFO, HR) per company';

--
-- Name: apply_slot_change(text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.apply_slot_change(p_slot_uid text, p_status text, p_person_id text) RETURNS marketing.company_slot
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

--
-- Name: assign_event_positions(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.assign_event_positions() RETURNS trigger
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

--
-- Name: audit_log; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.audit_log (
    audit_id bigint NOT NULL,
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
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
    CONSTRAINT audit_log_operation_check CHECK ((operation = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text, 'ERASE'::text, 'PURGE'::text]))),
    CONSTRAINT audit_log_values_check CHECK ((((operation = 'INSERT'::text) AND (old_values IS NULL)) OR ((operation = 'UPDATE'::text) AND (old_values IS NOT NULL) AND (new_values IS NOT NULL)) OR ((operation = 'DELETE'::text) AND (old_values IS NOT NULL) AND (new_values IS NULL)) OR ((operation = ANY (ARRAY['ERASE'::text, 'PURGE'::text])) AND (old_values IS NULL) AND (new_values IS NOT NULL))))
);

--
-- Name: TABLE audit_log; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.audit_log IS 'Append-only log of every change to company, company_slot and people. UPDATE, DELETE and TRUNCATE are refused unless the transaction has set ple.audit_maintenance = on (retention and PII erasure functions only).';

--
-- Name: audit_names_current_version(marketing.audit_log); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.audit_names_current_version(p_audit marketing.audit_log) RETURNS boolean
    LANGUAGE sql STABLE
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

--
-- Name: blank_to_null(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.blank_to_null(p_value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $_$
  SELECT CASE
    WHEN p_value ~ '^[\t\n\u000b\f\r \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]*$' THEN NULL
    ELSE p_value
  END
$_$;

--
-- Name: check_host(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.check_host(p_host text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $_$
DECLARE
  v text;
  v_ascii text;
BEGIN
  IF p_host ~ '[\u0001-\u002c\u002f\u003a-\u0040\u005b-\u0060\u007b-\u007f]' THEN
    RETURN jsonb_build_object(
      'reason', 'invalid_host', 'why', format('the host "%s" contains characters a domain cannot have', p_host)
    );
  END IF;
  v_ascii := marketing.idna_to_ascii(p_host);
  IF v_ascii IS NULL THEN
    RETURN jsonb_build_object(
      'reason', 'invalid_host', 'why', format('the host "%s" is not a valid domain name (UTS #46)', p_host)
    );
  END IF;
  v := regexp_replace(v_ascii, '\.$', '');
  IF v = '' THEN
    RETURN jsonb_build_object('reason', 'invalid_host', 'why', 'there is no host name');
  END IF;
  IF marketing.idna_ends_in_number(v) THEN
    IF marketing.idna_is_ipv4(v) THEN
      RETURN jsonb_build_object('reason', 'ip_address', 'why', format('"%s" is an IP address, not a domain', v));
    END IF;
    RETURN jsonb_build_object(
      'reason', 'invalid_host', 'why', format('"%s" ends in a number, so it is not a domain', v)
    );
  END IF;
  IF v = 'localhost' OR v LIKE '%.localhost' THEN
    RETURN jsonb_build_object(
      'reason', 'localhost', 'why', format('"%s" is a local host name, not a public domain', v)
    );
  END IF;
  IF strpos(v, '.') = 0 THEN
    RETURN jsonb_build_object(
      'reason', 'no_dot', 'why', format('"%s" has no dot, so it is not a domain (e.g. example.com)', v)
    );
  END IF;
  IF length(v) > 253
     OR EXISTS (
       SELECT 1 FROM regexp_split_to_table(v, '\.') AS l(label)
        WHERE length(l.label) > 63 OR l.label !~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$'
     ) THEN
    RETURN jsonb_build_object('reason', 'invalid_host', 'why', format('"%s" is not a valid domain name', v));
  END IF;
  RETURN jsonb_build_object('host', v);
END;
$_$;

--
-- Name: check_on_existing(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.check_on_existing(p_on_existing text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
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

--
-- Name: claim_open_slots(text, text, integer, integer); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.claim_open_slots(p_worker text, p_role text, p_limit integer, p_lease_seconds integer) RETURNS TABLE(slot_uid text, worker text, claimed_at timestamp with time zone, expires_at timestamp with time zone)
    LANGUAGE plpgsql
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

--
-- Name: code_points(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.code_points(p_text text) RETURNS integer[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
  SELECT COALESCE(array_agg(ascii(c.ch) ORDER BY c.ord), '{}')
    FROM regexp_split_to_table(p_text, '') WITH ORDINALITY AS c(ch, ord)
$$;

--
-- Name: company; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.company (
    company_uid text NOT NULL,
    company_name text NOT NULL,
    website text NOT NULL,
    apollo_company_id text,
    ein_raw text,
    ein_valid boolean,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT company_apollo_company_id_not_blank CHECK ((apollo_company_id <> ''::text)),
    CONSTRAINT company_ein_raw_not_blank CHECK ((ein_raw <> ''::text)),
    CONSTRAINT company_ein_valid_with_raw CHECK (((ein_raw IS NULL) = (ein_valid IS NULL))),
    CONSTRAINT company_name_not_blank CHECK (((company_name <> ''::text) AND (company_name = btrim(company_name)))),
    CONSTRAINT company_uid_format CHECK ((company_uid ~ '^CO-[0-9]{8}-[0-9]{6}$'::text)),
    CONSTRAINT company_website_format CHECK ((website ~ '^[a-z0-9-]+(\.[a-z0-9-]+)+$'::text))
);

--
-- Name: TABLE company; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.company IS 'One row per company; website is the canonical domain';

--
-- Name: company_as_of(text, timestamp with time zone); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.company_as_of(p_company_uid text, p_at timestamp with time zone) RETURNS SETOF marketing.company
    LANGUAGE sql STABLE
    AS $$
  SELECT r.*
    FROM marketing.company_versions AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.company, h.row_data) AS r
   WHERE h.company_uid = p_company_uid AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

--
-- Name: company_before_write(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.company_before_write() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
DECLARE
  v_ein json;
  v_prefix integer;
BEGIN
  -- A value already in canonical form is left as it is: the normaliser would
  -- return it unchanged, and an import's rows arrive normalised by core, so
  -- the cheap checks spare most rows the PL/pgSQL normalisers. Each check
  -- accepts only values the normaliser maps to themselves: printable ASCII
  -- (so no control characters, NFC, no other whitespace) without leading,
  -- trailing or doubled spaces for a name and the Apollo id (which keeps inner
  -- spaces as given), and for a website a lower-case dotted DNS name with
  -- labels of at most 63 characters, no last label the URL Standard reads as a
  -- number (decimal or 0x hex), no "xn--" label (those are decoded and checked
  -- by idna_to_ascii), no "localhost" and no "www." that would be stripped.
  IF NOT coalesce(NEW.company_name ~ '^[!-~]([ -~]*[!-~])?$' AND strpos(NEW.company_name, '  ') = 0
                   AND length(NEW.company_name) <= 300, false) THEN
    NEW.company_name := marketing.normalise_name(NEW.company_name, 'company_name');
  END IF;
  IF NOT coalesce(CASE
                    WHEN length(NEW.website) <= 63
                      THEN NEW.website ~ '^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$'
                    ELSE NEW.website ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'
                         AND length(NEW.website) <= 253
                  END
                  AND NEW.website !~ '\.([0-9]+|0x[0-9a-f]*)$'
                  AND NEW.website !~ '(^|\.)xn--'
                  AND NEW.website NOT LIKE '%.localhost'
                  AND NOT (NEW.website LIKE 'www.%' AND strpos(substring(NEW.website FROM 5), '.') > 0), false) THEN
    NEW.website := marketing.normalise_website(NEW.website);
  END IF;
  IF NEW.apollo_company_id IS NOT NULL
     AND NOT (NEW.apollo_company_id ~ '^[!-~]([ -~]*[!-~])?$' AND length(NEW.apollo_company_id) <= 300) THEN
    NEW.apollo_company_id := marketing.normalise_apollo_id(NEW.apollo_company_id);
  END IF;
  IF NEW.ein_raw ~ '^[0-9]{2}-?[0-9]{7}$' THEN
    v_prefix := substring(NEW.ein_raw FROM 1 FOR 2)::integer;
    NEW.ein_valid := v_prefix BETWEEN 1 AND 6 OR v_prefix BETWEEN 10 AND 16 OR v_prefix BETWEEN 20 AND 27
      OR v_prefix BETWEEN 30 AND 39 OR v_prefix BETWEEN 40 AND 48 OR v_prefix BETWEEN 50 AND 68
      OR v_prefix BETWEEN 71 AND 77 OR v_prefix BETWEEN 80 AND 88 OR v_prefix BETWEEN 90 AND 95
      OR v_prefix IN (98, 99);
  ELSIF marketing.blank_to_null(NEW.ein_raw) IS NULL THEN
    NEW.ein_raw := NULL;
    NEW.ein_valid := NULL;
  ELSE
    v_ein := marketing.normalise_ein(NEW.ein_raw);
    NEW.ein_raw := v_ein ->> 'raw';
    NEW.ein_valid := (v_ein ->> 'valid')::boolean;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := OLD.updated_at;
    IF NEW IS DISTINCT FROM OLD THEN
      NEW.updated_at := greatest(clock_timestamp(), OLD.updated_at);
    END IF;
  END IF;
  RETURN NEW;
END;
$_$;

--
-- Name: company_events_change(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.company_events_change() RETURNS trigger
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

--
-- Name: company_events_insert(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.company_events_insert() RETURNS trigger
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

--
-- Name: company_json(text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.company_json(p_company_uid text, p_status text, p_matched_by text) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  SELECT (jsonb_strip_nulls(jsonb_build_object(
    'status', p_status,
    'matched_by', p_matched_by,
    'company_uid', c.company_uid
  )) || jsonb_build_object(
    'company_name', c.company_name,
    'website', c.website,
    'apollo_company_id', c.apollo_company_id,
    'ein_raw', c.ein_raw,
    'ein_valid', c.ein_valid,
    'slots', coalesce((
      SELECT jsonb_agg(
        jsonb_build_object('slot_uid', s.slot_uid, 'role', s.role, 'status', s.status, 'person_id', s.person_id)
        ORDER BY array_position(ARRAY['CEO', 'CFO', 'HR'], s.role)
      )
      FROM marketing.company_slot AS s
      WHERE s.company_uid = c.company_uid
    ), '[]'::jsonb)
  ))::json
  FROM marketing.company AS c
  WHERE c.company_uid = p_company_uid
$$;

--
-- Name: company_slot_after_update(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.company_slot_after_update() RETURNS trigger
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

--
-- Name: company_slot_before_delete(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.company_slot_before_delete() RETURNS trigger
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

--
-- Name: company_slot_before_write(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.company_slot_before_write() RETURNS trigger
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

--
-- Name: company_slot_person_company(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.company_slot_person_company() RETURNS trigger
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

--
-- Name: company_slots_as_of(text, timestamp with time zone); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.company_slots_as_of(p_company_uid text, p_at timestamp with time zone) RETURNS SETOF marketing.company_slot
    LANGUAGE sql STABLE
    AS $$
  SELECT r.*
    FROM unnest(ARRAY['CEO', 'CFO', 'HR']) WITH ORDINALITY AS roles(role, ord)
   CROSS JOIN LATERAL marketing.slot_as_of('SL-' || p_company_uid || '-' || roles.role, p_at) AS r
   ORDER BY roles.ord
$$;

--
-- Name: confirm_slot(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.confirm_slot(p_slot_uid text) RETURNS json
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

--
-- Name: contains_any(text, text[]); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.contains_any(p_text text, p_needles text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT EXISTS (
    SELECT 1 FROM unnest(p_needles) AS n(needle)
     WHERE length(n.needle) >= 3 AND strpos(lower(p_text), lower(n.needle)) > 0
  )
$$;

--
-- Name: current_actor(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.current_actor() RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT coalesce(nullif(current_setting('ple.actor', true), ''), 'db:' || session_user)
$$;

--
-- Name: current_application(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.current_application() RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT coalesce(
    nullif(current_setting('ple.application', true), ''),
    nullif(current_setting('application_name', true), '')
  )
$$;

--
-- Name: current_request_id(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.current_request_id() RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT nullif(current_setting('ple.request_id', true), '')
$$;

--
-- Name: daily_uid_of_value(bigint, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.daily_uid_of_value(p_value bigint, p_prefix text, p_field text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
  v_day text := lpad((p_value / 10000000)::text, 8, '0');
  v_counter bigint := p_value % 10000000;
BEGIN
  IF v_counter > 999999 THEN
    RAISE EXCEPTION USING
      ERRCODE = 'PL007',
      MESSAGE = format(
        '%s: no more %s UIDs can be issued for %s-%s-%s: the daily counter is past 999999 (UTC day)',
        p_field, p_prefix,
        substring(v_day FROM 1 FOR 4), substring(v_day FROM 5 FOR 2), substring(v_day FROM 7 FOR 2)
      ),
      DETAIL = 'counter_out_of_range',
      COLUMN = p_field,
      SCHEMA = 'marketing';
  END IF;
  RETURN marketing.format_daily_uid(p_prefix, v_day, v_counter);
END;
$$;

--
-- Name: delete_company(text, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.delete_company(p_company_uid text, p_force boolean DEFAULT false) RETURNS json
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

--
-- Name: displace_slot_person(text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.displace_slot_person(p_slot_uid text, p_person_id text, p_expected_person_id text DEFAULT NULL::text) RETURNS json
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

--
-- Name: displace_slot_person(text, text, text, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.displace_slot_person(p_slot_uid text, p_person_id text, p_expected_person_id text, p_move boolean) RETURNS json
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

--
-- Name: emit_event(text, jsonb, jsonb); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.emit_event(p_type text, p_uids jsonb, p_changes jsonb DEFAULT '{}'::jsonb) RETURNS bigint
    LANGUAGE plpgsql
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

--
-- Name: end_slot_lease(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.end_slot_lease() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  DELETE FROM marketing.slot_lease WHERE slot_uid = NEW.slot_uid;
  RETURN NULL;
END;
$$;

--
-- Name: erase_event_changes(jsonb, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.erase_event_changes(p_changes jsonb, p_person_id text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
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

--
-- Name: erase_merged_people(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.erase_merged_people() RETURNS trigger
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

--
-- Name: erase_person(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.erase_person(p_person_id text) RETURNS json
    LANGUAGE plpgsql
    AS $_$
DECLARE
  v_person marketing.people;
  v_needles text[];
  v_handle text;
  v_history integer := 0;
  v_audit integer := 0;
  v_audit_text integer := 0;
  v_rejects integer := 0;
  v_idempotency integer := 0;
  v_slots integer := 0;
  v_counts jsonb;
  v_fields text[] := ARRAY['name', 'email', 'linkedin_url', 'title', 'validation_result_raw'];
BEGIN
  SELECT * INTO v_person FROM marketing.people WHERE person_id = p_person_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM marketing.raise_error(
      'PL005', 'person_id', format('person_id: no person %s', p_person_id),
      jsonb_build_object('person_id', p_person_id)
    );
  END IF;
  IF EXISTS (SELECT 1 FROM marketing.pii_erasure WHERE person_id = p_person_id) THEN
    RETURN (
      SELECT json_build_object(
        'status', 'already_erased', 'person_id', e.person_id, 'erased_at', e.erased_at,
        'counts', e.counts
      )
        FROM marketing.pii_erasure AS e WHERE e.person_id = p_person_id
    );
  END IF;

  v_handle := substring(v_person.linkedin_url FROM '/in/([^/]+)$');
  v_needles := array_remove(ARRAY[v_person.email, v_person.linkedin_url, v_handle], NULL);

  PERFORM set_config('ple.audit_maintenance', 'on', true);

  -- Stop processing: the person leaves any slot they hold or are proposed for.
  UPDATE marketing.company_slot SET status = 'open', person_id = NULL
   WHERE person_id = p_person_id;
  GET DIAGNOSTICS v_slots = ROW_COUNT;

  -- The tombstone. Its own history and audit rows carry the old values; they
  -- are scrubbed with the rest below.
  UPDATE marketing.people
     SET name = 'Erased person',
         email = marketing.erased_email(p_person_id),
         linkedin_url = NULL,
         title = NULL,
         validation_result_raw = NULL
   WHERE person_id = p_person_id;

  UPDATE marketing.people_history
     SET row_data = marketing.erase_person_json(row_data, p_person_id)
   WHERE person_id = p_person_id;
  GET DIAGNOSTICS v_history = ROW_COUNT;

  UPDATE marketing.audit_log
     SET old_values = marketing.erase_person_json(old_values, p_person_id),
         new_values = marketing.erase_person_json(new_values, p_person_id)
   WHERE table_name = 'people' AND record_key = p_person_id;
  GET DIAGNOSTICS v_audit = ROW_COUNT;

  -- Anywhere else the email or LinkedIn URL appears in the audit log.
  UPDATE marketing.audit_log
     SET old_values = marketing.erase_text(old_values::text, v_needles, '[erased]')::jsonb,
         new_values = marketing.erase_text(new_values::text, v_needles, '[erased]')::jsonb
   WHERE marketing.contains_any(coalesce(old_values::text, '') || ' ' || coalesce(new_values::text, ''), v_needles);
  GET DIAGNOSTICS v_audit_text = ROW_COUNT;

  UPDATE marketing.import_reject
     SET raw_row = '[erased]',
         message = marketing.erase_text(message, v_needles, '[erased]')
   WHERE marketing.contains_any(raw_row || ' ' || message, v_needles);
  GET DIAGNOSTICS v_rejects = ROW_COUNT;

  -- Stored API responses are a cache: drop the ones that show the person.
  DELETE FROM marketing.idempotency_key
   WHERE marketing.contains_any(coalesce(response::text, ''), v_needles);
  GET DIAGNOSTICS v_idempotency = ROW_COUNT;

  v_counts := jsonb_build_object(
    'history_rows', v_history,
    'audit_rows', v_audit + v_audit_text,
    'import_rejects', v_rejects,
    'api_responses', v_idempotency,
    'slots_vacated', v_slots
  );

  INSERT INTO marketing.pii_erasure (person_id, actor, request_id, erased_fields, counts)
  VALUES (p_person_id, marketing.current_actor(), marketing.current_request_id(), v_fields, v_counts);

  INSERT INTO marketing.audit_log (
    operation, table_name, record_key, old_values, new_values, changed_columns,
    actor, request_id, application, txid
  ) VALUES (
    'ERASE', 'people', p_person_id, NULL,
    jsonb_build_object('erased_fields', to_jsonb(v_fields), 'counts', v_counts),
    v_fields, marketing.current_actor(), marketing.current_request_id(),
    marketing.current_application(), txid_current()
  );

  PERFORM set_config('ple.audit_maintenance', 'off', true);

  RETURN json_build_object(
    'status', 'erased', 'person_id', p_person_id, 'erased_fields', v_fields, 'counts', v_counts
  );
END;
$_$;

--
-- Name: erase_person(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.erase_person(p_person_id text, p_reason text) RETURNS json
    LANGUAGE plpgsql
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

--
-- Name: erase_person_json(jsonb, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.erase_person_json(p_values jsonb, p_person_id text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE
    WHEN p_values IS NULL THEN NULL
    ELSE p_values
      || CASE WHEN p_values ? 'name' THEN jsonb_build_object('name', 'Erased person') ELSE '{}' END
      || CASE WHEN p_values ? 'email'
              THEN jsonb_build_object('email', marketing.erased_email(p_person_id)) ELSE '{}' END
      || CASE WHEN p_values ? 'linkedin_url'
              THEN jsonb_build_object('linkedin_url', NULL) ELSE '{}' END
      || CASE WHEN p_values ? 'title' THEN jsonb_build_object('title', NULL) ELSE '{}' END
      || CASE WHEN p_values ? 'validation_result_raw'
              THEN jsonb_build_object('validation_result_raw', NULL) ELSE '{}' END
  END
$$;

--
-- Name: erase_text(text, text[], text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.erase_text(p_text text, p_needles text[], p_replacement text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $_$
DECLARE
  v_needle text;
  v_result text := p_text;
BEGIN
  IF p_text IS NULL THEN
    RETURN NULL;
  END IF;
  FOREACH v_needle IN ARRAY coalesce(p_needles, '{}') LOOP
    CONTINUE WHEN v_needle IS NULL OR length(v_needle) < 3;
    v_result := regexp_replace(
      v_result, regexp_replace(v_needle, '([.*+?^${}()|\[\]\\])', '\\\1', 'g'), p_replacement, 'gi'
    );
  END LOOP;
  RETURN v_result;
END;
$_$;

--
-- Name: erased_email(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.erased_email(p_person_id text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
  SELECT lower(p_person_id) || '@erased.invalid'
$$;

--
-- Name: event_changes(jsonb, jsonb, text[]); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.event_changes(p_old jsonb, p_new jsonb, p_keys text[] DEFAULT NULL::text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
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

--
-- Name: event_mark_transaction(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.event_mark_transaction() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  INSERT INTO marketing.event_pending (txid) VALUES (txid_current()) ON CONFLICT (txid) DO NOTHING;
  RETURN NULL;
END;
$$;

--
-- Name: event_tx(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.event_tx() RETURNS bigint
    LANGUAGE plpgsql
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

--
-- Name: format_daily_uid(text, text, numeric); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.format_daily_uid(p_prefix text, p_day text, p_counter numeric) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
BEGIN
  IF p_day IS NULL OR NOT marketing.is_valid_uid_day(p_day) THEN
    PERFORM marketing.raise_validation(
      'day', 'invalid_date',
      format('The UID day must be a real date written YYYYMMDD, got "%s"', coalesce(p_day, 'null'))
    );
  END IF;
  IF p_counter IS NULL OR p_counter < 1 OR p_counter <> trunc(p_counter) THEN
    PERFORM marketing.raise_validation(
      'counter', 'counter_out_of_range',
      format('The UID counter must be an integer from 1 to 999999, got %s', coalesce(p_counter::text, 'null'))
    );
  END IF;
  IF p_counter > 999999 THEN
    RAISE EXCEPTION USING
      ERRCODE = 'PL007',
      MESSAGE = format(
        'The UID counter %s is past 999999: no more %s UIDs can be issued for %s-%s-%s', p_counter, p_prefix,
        substring(p_day FROM 1 FOR 4), substring(p_day FROM 5 FOR 2), substring(p_day FROM 7 FOR 2)
      ),
      DETAIL = 'counter_out_of_range',
      COLUMN = 'counter',
      SCHEMA = 'marketing';
  END IF;
  RETURN p_prefix || '-' || p_day || '-' || lpad(p_counter::text, 6, '0');
END;
$$;

--
-- Name: from_code_points(integer[]); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.from_code_points(p_cps integer[]) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
  SELECT COALESCE(string_agg(chr(t.cp), '' ORDER BY t.ord), '')
    FROM unnest(p_cps) WITH ORDINALITY AS t(cp, ord)
$$;

--
-- Name: gen_company_uid(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.gen_company_uid() RETURNS text
    LANGUAGE sql
    AS $$
  SELECT marketing.next_daily_uid('marketing.company_uid_seq'::regclass, 'CO', 'company_uid')
$$;

--
-- Name: gen_company_uids(integer); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.gen_company_uids(p_count integer) RETURNS SETOF text
    LANGUAGE sql
    AS $$
  SELECT marketing.next_daily_uids('marketing.company_uid_seq'::regclass, 'CO', 'company_uid', p_count)
$$;

--
-- Name: gen_person_uid(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.gen_person_uid() RETURNS text
    LANGUAGE sql
    AS $$
  SELECT marketing.next_daily_uid('marketing.person_uid_seq'::regclass, 'PE', 'person_id')
$$;

--
-- Name: gen_slot_uid(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.gen_slot_uid(p_company_uid text, p_role text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
BEGIN
  PERFORM marketing.parse_uid(p_company_uid, 'company');
  IF p_role IS NULL OR p_role NOT IN ('CEO', 'CFO', 'HR') THEN
    PERFORM marketing.raise_validation(
      'role', 'invalid_role', format('The role must be one of CEO, CFO, HR, got "%s"', coalesce(p_role, 'null'))
    );
  END IF;
  RETURN 'SL-' || p_company_uid || '-' || p_role;
END;
$$;

--
-- Name: idna_ends_in_number(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.idna_ends_in_number(p_host text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $_$
DECLARE
  v_labels text[] := string_to_array(p_host, '.');
  v_n integer := cardinality(v_labels);
BEGIN
  IF v_n = 0 THEN
    RETURN false;
  END IF;
  IF v_labels[v_n] = '' THEN
    IF v_n = 1 THEN
      RETURN false;
    END IF;
    v_n := v_n - 1;
  END IF;
  RETURN v_labels[v_n] ~ '^[0-9]+$' OR v_labels[v_n] ~ '^0[xX][0-9A-Fa-f]*$';
END;
$_$;

--
-- Name: idna_is_ipv4(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.idna_is_ipv4(p_host text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $_$
DECLARE
  v_parts text[] := string_to_array(p_host, '.');
  v_n integer := cardinality(v_parts);
  v_part text;
  v_digits text;
  v_radix integer;
  v_value numeric;
  v_values numeric[] := '{}';
BEGIN
  IF v_n IS NULL OR v_n = 0 THEN
    RETURN false;
  END IF;
  IF v_parts[v_n] = '' AND v_n > 1 THEN
    v_n := v_n - 1;
  END IF;
  IF v_n > 4 THEN
    RETURN false;
  END IF;
  FOR i IN 1..v_n LOOP
    v_part := v_parts[i];
    IF v_part = '' THEN
      RETURN false;
    END IF;
    IF v_part ~ '^0[xX]' THEN
      v_digits := substr(v_part, 3);
      v_radix := 16;
      IF v_digits !~ '^[0-9A-Fa-f]*$' THEN
        RETURN false;
      END IF;
    ELSIF length(v_part) > 1 AND left(v_part, 1) = '0' THEN
      v_digits := substr(v_part, 2);
      v_radix := 8;
      IF v_digits !~ '^[0-7]+$' THEN
        RETURN false;
      END IF;
    ELSE
      v_digits := v_part;
      v_radix := 10;
      IF v_digits !~ '^[0-9]+$' THEN
        RETURN false;
      END IF;
    END IF;
    v_value := 0;
    FOR j IN 1..length(v_digits) LOOP
      v_value := v_value * v_radix + strpos('0123456789abcdef', lower(substr(v_digits, j, 1))) - 1;
    END LOOP;
    v_values := v_values || v_value;
  END LOOP;
  FOR i IN 1..v_n - 1 LOOP
    IF v_values[i] > 255 THEN
      RETURN false;
    END IF;
  END LOOP;
  RETURN v_values[v_n] < power(256::numeric, 5 - v_n);
END;
$_$;

--
-- Name: idna_pattern(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.idna_pattern(p_name text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    AS $$
  SELECT p.pattern FROM marketing.idna_pattern AS p WHERE p.name = p_name
$$;

--
-- Name: idna_to_ascii(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.idna_to_ascii(p_domain text) RETURNS text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    AS $_$
DECLARE
  v_mapped text;
  v_labels text[];
  v_label text;
  v_decoded integer[];
  v_bidi boolean;
  v_ascii text;
BEGIN
  IF p_domain ~ '^[A-Za-z0-9.-]*$' AND p_domain !~* '(^|\.)xn--' THEN
    RETURN nullif(translate(p_domain, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '');
  END IF;
  -- 1. Map.
  SELECT string_agg(CASE s.status WHEN 1 THEN s.mapping WHEN 7 THEN '' ELSE c.ch END, '' ORDER BY c.ord)
    INTO v_mapped
    FROM regexp_split_to_table(p_domain, '') WITH ORDINALITY AS c(ch, ord)
   CROSS JOIN LATERAL (
     SELECT m.status, m.mapping FROM marketing.idna_mapping AS m
      WHERE m.cp_from <= ascii(c.ch) ORDER BY m.cp_from DESC LIMIT 1
   ) AS s;
  -- 2. Normalize. 3. Break.
  v_mapped := marketing.nfc(COALESCE(v_mapped, ''));
  v_labels := CASE WHEN v_mapped = '' THEN ARRAY[''] ELSE string_to_array(v_mapped, '.') END;
  SELECT array_to_string(array_agg(
           CASE WHEN left(l.label, 4) = 'xn--'
                THEN COALESCE(marketing.from_code_points(marketing.punycode_decode(substr(l.label, 5))), '')
                ELSE l.label END ORDER BY l.ord), '.')
         ~ marketing.idna_pattern('bidiDomain')
    INTO v_bidi
    FROM unnest(v_labels) WITH ORDINALITY AS l(label, ord);
  -- 4. Convert/Validate.
  FOR i IN 1..cardinality(v_labels) LOOP
    v_label := v_labels[i];
    IF left(v_label, 4) = 'xn--' THEN
      IF v_label ~ '[^\u0001-\u007f]' THEN
        RETURN NULL;
      END IF;
      v_decoded := marketing.punycode_decode(substr(v_label, 5));
      IF v_decoded IS NULL THEN
        RETURN NULL;
      END IF;
      v_label := marketing.from_code_points(v_decoded);
      IF v_label = '' OR v_label !~ '[^\u0001-\u007f]' THEN
        RETURN NULL;
      END IF;
      v_labels[i] := v_label;
    END IF;
    IF NOT marketing.idna_valid_label(v_label, v_bidi) THEN
      RETURN NULL;
    END IF;
  END LOOP;
  SELECT string_agg(
           CASE WHEN l.label ~ '[^\u0001-\u007f]' THEN 'xn--' || marketing.punycode_encode(l.label)
                ELSE l.label END, '.' ORDER BY l.ord)
    INTO v_ascii
    FROM unnest(v_labels) WITH ORDINALITY AS l(label, ord);
  RETURN nullif(v_ascii, '');
END;
$_$;

--
-- Name: idna_valid_label(text, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.idna_valid_label(p_label text, p_bidi boolean) RETURNS boolean
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    AS $$
DECLARE
  v_chars text[];
  v_n integer;
  v_last integer := 1;
  v_next integer;
  v_first text := left(p_label, 1);
BEGIN
  IF p_label = '' THEN
    RETURN true;
  END IF;
  IF marketing.nfc(p_label) <> p_label OR left(p_label, 4) = 'xn--' OR strpos(p_label, '.') > 0
     OR v_first ~ marketing.idna_pattern('combiningMarks') THEN
    RETURN false;
  END IF;
  IF EXISTS (
    SELECT 1
      FROM regexp_split_to_table(p_label, '') AS c(ch)
     CROSS JOIN LATERAL (
       SELECT m.status FROM marketing.idna_mapping AS m
        WHERE m.cp_from <= ascii(c.ch) ORDER BY m.cp_from DESC LIMIT 1
     ) AS s
     WHERE s.status NOT IN (2, 6)
  ) THEN
    RETURN false;
  END IF;
  -- ContextJ (RFC 5892 appendix A).
  IF p_label ~ '[\u200c\u200d]' THEN
    v_chars := regexp_split_to_array(p_label, '');
    v_n := cardinality(v_chars);
    FOR i IN 1..v_n LOOP
      CONTINUE WHEN v_chars[i] NOT IN (U&'\200c', U&'\200d');
      IF i > 1 THEN
        CONTINUE WHEN v_chars[i - 1] ~ marketing.idna_pattern('combiningClassVirama');
        IF v_chars[i] = U&'\200c' THEN
          v_next := NULL;
          FOR j IN i + 1..v_n LOOP
            IF v_chars[j] = U&'\200c' THEN
              v_next := j;
              EXIT;
            END IF;
          END LOOP;
          IF array_to_string(v_chars[v_last:COALESCE(v_next - 1, v_n)], '')
             ~ marketing.idna_pattern('validZWNJ') THEN
            v_last := i + 1;
            CONTINUE;
          END IF;
        END IF;
      END IF;
      RETURN false;
    END LOOP;
  END IF;
  -- The Bidi Rule (RFC 5893 section 2).
  IF p_bidi THEN
    IF v_first ~ marketing.idna_pattern('bidiS1LTR') THEN
      IF p_label !~ marketing.idna_pattern('bidiS5') OR p_label !~ marketing.idna_pattern('bidiS6') THEN
        RETURN false;
      END IF;
    ELSIF v_first ~ marketing.idna_pattern('bidiS1RTL') THEN
      IF p_label !~ marketing.idna_pattern('bidiS2') OR p_label !~ marketing.idna_pattern('bidiS3')
         OR (p_label ~ marketing.idna_pattern('bidiS4EN') AND p_label ~ marketing.idna_pattern('bidiS4AN')) THEN
        RETURN false;
      END IF;
    ELSE
      RETURN false;
    END IF;
  END IF;
  RETURN true;
END;
$$;

--
-- Name: import_reject_redact_suppressed(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.import_reject_redact_suppressed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  NEW.raw_row := '[suppressed]';
  RETURN NEW;
END;
$$;

--
-- Name: insert_company_with_slots(text, text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.insert_company_with_slots(p_name text, p_website text, p_apollo_id text, p_ein text) RETURNS json
    LANGUAGE plpgsql
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

--
-- Name: insert_person(text, text, text, text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.insert_person(p_name text, p_email text, p_linkedin_url text DEFAULT NULL::text, p_company_uid text DEFAULT NULL::text, p_title text DEFAULT NULL::text, p_source text DEFAULT 'manual'::text) RETURNS json
    LANGUAGE plpgsql
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

--
-- Name: is_valid_uid_day(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.is_valid_uid_day(p_day text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $_$
  SELECT p_day ~ '^[0-9]{8}$'
     AND substring(p_day FROM 1 FOR 4)::integer >= 1
     AND substring(p_day FROM 5 FOR 2)::integer BETWEEN 1 AND 12
     AND substring(p_day FROM 7 FOR 2)::integer >= 1
     AND substring(p_day FROM 7 FOR 2)::integer <= CASE
       WHEN substring(p_day FROM 5 FOR 2)::integer = 2 THEN
         CASE WHEN (substring(p_day FROM 1 FOR 4)::integer % 4 = 0
                    AND substring(p_day FROM 1 FOR 4)::integer % 100 <> 0)
                   OR substring(p_day FROM 1 FOR 4)::integer % 400 = 0
              THEN 29 ELSE 28 END
       WHEN substring(p_day FROM 5 FOR 2)::integer IN (4, 6, 9, 11) THEN 30
       ELSE 31
     END
$_$;

--
-- Name: link_person_to_slot(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.link_person_to_slot(p_person_id text, p_slot_uid text) RETURNS boolean
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

--
-- Name: link_person_to_slot(text, text, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.link_person_to_slot(p_person_id text, p_slot_uid text, p_move boolean) RETURNS boolean
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

--
-- Name: lock_slot(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.lock_slot(p_slot_uid text) RETURNS marketing.company_slot
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

--
-- Name: match_company(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.match_company(p_website text, p_apollo_id text) RETURNS TABLE(company_uid text, matched_by text, merged_from text)
    LANGUAGE plpgsql STABLE
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

--
-- Name: match_person(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.match_person(p_email text, p_linkedin_url text) RETURNS TABLE(person_id text, merged_from text)
    LANGUAGE plpgsql STABLE
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

--
-- Name: merge_companies(text, text, jsonb, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.merge_companies(p_keep text, p_drop text, p_prefer jsonb DEFAULT '{}'::jsonb, p_dry_run boolean DEFAULT false) RETURNS json
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

--
-- Name: merge_companies_apply(text, text, jsonb); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.merge_companies_apply(p_keep text, p_drop text, p_prefer jsonb) RETURNS json
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

--
-- Name: merge_events_insert(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.merge_events_insert() RETURNS trigger
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

--
-- Name: merge_people(text, text, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.merge_people(p_keep text, p_drop text, p_dry_run boolean DEFAULT false) RETURNS json
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

--
-- Name: merge_people_apply(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.merge_people_apply(p_keep text, p_drop text) RETURNS json
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

--
-- Name: next_daily_uid(regclass, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.next_daily_uid(p_seq regclass, p_prefix text, p_field text) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_today bigint := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD')::bigint;
  v bigint := nextval(p_seq);
BEGIN
  IF v / 10000000 < v_today THEN
    v := marketing.roll_daily_uid_sequence(p_seq, v_today);
  END IF;
  IF v / 10000000 = v_today AND v_today <= 99991231 AND v % 10000000 BETWEEN 1 AND 999999 THEN
    RETURN p_prefix || '-' || lpad(v_today::text, 8, '0') || '-' || lpad((v % 10000000)::text, 6, '0');
  END IF;
  -- A value from a later day (the clock just passed midnight in another
  -- session) carries that day.
  RETURN marketing.daily_uid_of_value(v, p_prefix, p_field);
END;
$$;

--
-- Name: next_daily_uids(regclass, text, text, integer); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.next_daily_uids(p_seq regclass, p_prefix text, p_field text, p_count integer) RETURNS SETOF text
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_today bigint := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD')::bigint;
  v_first bigint;
BEGIN
  IF coalesce(p_count, 0) < 1 THEN
    RETURN;
  END IF;
  v_first := nextval(p_seq);
  IF v_first / 10000000 < v_today THEN
    v_first := marketing.roll_daily_uid_sequence(p_seq, v_today);
  END IF;
  RETURN QUERY
    SELECT CASE
             WHEN s.v / 10000000 = v_today AND v_today <= 99991231 AND s.v % 10000000 BETWEEN 1 AND 999999
               THEN p_prefix || '-' || lpad(v_today::text, 8, '0') || '-' || lpad((s.v % 10000000)::text, 6, '0')
             ELSE marketing.daily_uid_of_value(s.v, p_prefix, p_field)
           END
      FROM (SELECT 1 AS ord, v_first AS v
            UNION ALL
            SELECT g, nextval(p_seq) FROM generate_series(2, p_count) AS g) AS s
     ORDER BY s.ord;
END;
$$;

--
-- Name: next_event_ord(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.next_event_ord() RETURNS bigint
    LANGUAGE sql
    AS $$
  SELECT marketing.take_event_ords(1) + 1
$$;

--
-- Name: next_slot_status(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.next_slot_status(p_from text, p_event text) RETURNS text
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_to text;
BEGIN
  SELECT t.to_status INTO v_to
    FROM marketing.slot_transition AS t
   WHERE t.from_status = p_from AND t.event = p_event;
  IF v_to IS NULL THEN
    RAISE EXCEPTION USING
      ERRCODE = 'PL002',
      MESSAGE = format(
        'status: cannot %s a slot that is %s (allowed: %s)', coalesce(p_event, 'null'), coalesce(p_from, 'null'),
        coalesce((SELECT string_agg(t.event, ', ' ORDER BY t.event) FROM marketing.slot_transition AS t
                   WHERE t.from_status = p_from), 'none (unknown state)')
      ),
      DETAIL = json_build_object('from', p_from, 'event', p_event)::text,
      COLUMN = 'status',
      SCHEMA = 'marketing';
  END IF;
  RETURN v_to;
END;
$$;

--
-- Name: nfc(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.nfc(p_text text) RETURNS text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    AS $$
BEGIN
  IF p_text !~ '[^\u0001-\u02ff]' THEN
    RETURN p_text;
  END IF;
  RETURN marketing.from_code_points(marketing.nfc_code_points(marketing.code_points(p_text)));
END;
$$;

--
-- Name: nfc_code_points(integer[]); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.nfc_code_points(p_cps integer[]) RETURNS integer[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $$
DECLARE
  v_cp integer;
  v_s integer;
  v_map integer[];
  v_d integer[] := '{}';
  v_ccc integer[];
  v_n integer;
  v_c integer;
  v_j integer;
  v_out integer[] := '{}';
  v_starter integer := 0;
  v_last integer := -1;
  v_composite integer;
  i integer;
BEGIN
  FOREACH v_cp IN ARRAY p_cps LOOP
    v_s := v_cp - 44032;
    IF v_s >= 0 AND v_s < 11172 THEN
      v_d := v_d || (4352 + v_s / 588) || (4449 + (v_s % 588) / 28);
      IF v_s % 28 <> 0 THEN
        v_d := v_d || (4519 + v_s % 28);
      END IF;
    ELSE
      SELECT d.decomposition INTO v_map FROM marketing.unicode_decomposition AS d WHERE d.cp = v_cp;
      v_d := v_d || COALESCE(v_map, ARRAY[v_cp]);
    END IF;
  END LOOP;
  v_n := cardinality(v_d);
  SELECT array_agg(COALESCE(c.rank, 0)::integer ORDER BY t.ord)
    INTO v_ccc
    FROM unnest(v_d) WITH ORDINALITY AS t(cp, ord)
    LEFT JOIN marketing.unicode_combining_class AS c ON c.cp = t.cp;
  -- Canonical ordering: a stable sort of each run of non-starters.
  FOR i IN 2..v_n LOOP
    v_c := v_ccc[i];
    CONTINUE WHEN v_c = 0;
    v_cp := v_d[i];
    v_j := i;
    WHILE v_j > 1 AND v_ccc[v_j - 1] > v_c LOOP
      v_d[v_j] := v_d[v_j - 1];
      v_ccc[v_j] := v_ccc[v_j - 1];
      v_j := v_j - 1;
    END LOOP;
    v_d[v_j] := v_cp;
    v_ccc[v_j] := v_c;
  END LOOP;
  -- Canonical composition.
  FOR i IN 1..v_n LOOP
    v_cp := v_d[i];
    v_c := v_ccc[i];
    IF v_starter > 0 AND (v_last = -1 OR v_last < v_c) THEN
      v_composite := NULL;
      IF v_out[v_starter] BETWEEN 4352 AND 4370 AND v_cp BETWEEN 4449 AND 4469 THEN
        v_composite := 44032 + ((v_out[v_starter] - 4352) * 21 + (v_cp - 4449)) * 28;
      ELSIF v_out[v_starter] BETWEEN 44032 AND 55203 AND (v_out[v_starter] - 44032) % 28 = 0
            AND v_cp BETWEEN 4520 AND 4546 THEN
        v_composite := v_out[v_starter] + (v_cp - 4519);
      ELSE
        SELECT m.composite INTO v_composite
          FROM marketing.unicode_composition AS m
         WHERE m.first = v_out[v_starter] AND m.second = v_cp;
      END IF;
      IF v_composite IS NOT NULL THEN
        v_out[v_starter] := v_composite;
        CONTINUE;
      END IF;
    END IF;
    IF v_c = 0 THEN
      v_starter := cardinality(v_out) + 1;
      v_last := -1;
    ELSE
      v_last := v_c;
    END IF;
    v_out := v_out || v_cp;
  END LOOP;
  RETURN v_out;
END;
$$;

--
-- Name: normalise_apollo_id(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.normalise_apollo_id(p_apollo_id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE
    WHEN marketing.blank_to_null(p_apollo_id) IS NULL THEN NULL
    ELSE marketing.prepare_text(p_apollo_id, 'apollo_company_id', 'The Apollo company id', 300, false)
  END
$$;

--
-- Name: normalise_ein(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.normalise_ein(p_ein text) RETURNS json
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $_$
DECLARE
  v_raw text := marketing.prepare_text(p_ein, 'ein', 'The EIN', 64, false);
  v_match text[] := regexp_match(v_raw, '^([0-9]{2})-?([0-9]{7})$');
  v_prefix integer;
BEGIN
  IF v_match IS NULL THEN
    RETURN json_build_object('raw', v_raw, 'normalised', NULL, 'valid', false);
  END IF;
  v_prefix := v_match[1]::integer;
  RETURN json_build_object(
    'raw', v_raw,
    'normalised', v_match[1] || '-' || v_match[2],
    'valid', v_prefix BETWEEN 1 AND 6 OR v_prefix BETWEEN 10 AND 16 OR v_prefix BETWEEN 20 AND 27
      OR v_prefix BETWEEN 30 AND 39 OR v_prefix BETWEEN 40 AND 48 OR v_prefix BETWEEN 50 AND 68
      OR v_prefix BETWEEN 71 AND 77 OR v_prefix BETWEEN 80 AND 88 OR v_prefix BETWEEN 90 AND 95
      OR v_prefix IN (98, 99)
  );
END;
$_$;

--
-- Name: normalise_email(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.normalise_email(p_email text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $_$
DECLARE
  v text := marketing.prepare_text(p_email, 'email', 'The email', 254, false);
  v_local text;
  v_domain text;
  v_host jsonb;
  v_fail constant text := 'The email "%s" is not valid: %s';
BEGIN
  IF v ~ '[<>]' THEN
    PERFORM marketing.raise_validation(
      'email', 'display_name',
      format(v_fail, v, 'give the bare address (name@example.com), without a display name or <>')
    );
  END IF;
  IF v ~ '[\t\n\u000b\f\r \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]' THEN
    PERFORM marketing.raise_validation('email', 'invalid_syntax', format(v_fail, v, 'it contains spaces'));
  END IF;
  IF v !~ '^[^@]*@[^@]*$' THEN
    PERFORM marketing.raise_validation('email', 'invalid_syntax', format(v_fail, v, 'it must contain exactly one @'));
  END IF;
  -- ASCII-only lower-casing, whatever the database's LC_CTYPE.
  v_local := translate(split_part(v, '@', 1), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
  v_domain := split_part(v, '@', 2);
  IF v_local = '' THEN
    PERFORM marketing.raise_validation('email', 'invalid_local_part', format(v_fail, v, 'nothing comes before the @'));
  END IF;
  IF length(v_local) > 64 OR v_local !~ '^[a-z0-9!#$%&''*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&''*+/=?^_`{|}~-]+)*$' THEN
    PERFORM marketing.raise_validation(
      'email', 'invalid_local_part',
      format(v_fail, v, 'the part before the @ must be at most 64 ASCII letters, digits, dots (not leading, '
                        'trailing or doubled) or !#$%&''*+/=?^_`{|}~-')
    );
  END IF;
  IF v_domain = '' THEN
    PERFORM marketing.raise_validation('email', 'invalid_domain', format(v_fail, v, 'nothing comes after the @'));
  END IF;
  IF v_domain LIKE '[%' THEN
    PERFORM marketing.raise_validation('email', 'ip_address', format(v_fail, v, 'the domain is an IP address literal'));
  END IF;
  v_host := marketing.check_host(v_domain);
  IF v_host ? 'reason' THEN
    PERFORM marketing.raise_validation(
      'email',
      CASE v_host ->> 'reason' WHEN 'invalid_host' THEN 'invalid_domain' ELSE v_host ->> 'reason' END,
      format(v_fail, v, v_host ->> 'why')
    );
  END IF;
  IF length(v_local || '@' || (v_host ->> 'host')) > 254 THEN
    PERFORM marketing.raise_validation(
      'email', 'too_long',
      format('The email "%s" is longer than 254 characters as an ASCII address (RFC 5321)', v)
    );
  END IF;
  RETURN v_local || '@' || (v_host ->> 'host');
END;
$_$;

--
-- Name: normalise_linkedin_url(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.normalise_linkedin_url(p_url text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $_$
DECLARE
  v text := marketing.prepare_text(p_url, 'linkedin_url', 'The LinkedIn URL', 2048, true);
  v_rest text;
  v_scheme text;
  v_authority text;
  v_host text;
  v_path text;
  v_segments text[];
  v_first text;
  v_handle text;
  v_encoded text := '';
  v_char text;
  v_fail constant text := 'The LinkedIn URL "%s" is not usable: %s';
BEGIN
  v_scheme := substring(v FROM '^([A-Za-z][A-Za-z0-9+.-]*)://');
  IF v_scheme IS NOT NULL THEN
    IF lower(v_scheme) NOT IN ('http', 'https') THEN
      PERFORM marketing.raise_validation('linkedin_url', 'not_linkedin', format(v_fail, v, 'it is not a linkedin.com address'));
    END IF;
    v_rest := substring(v FROM length(v_scheme) + 4);
  ELSIF v LIKE '//%' THEN
    v_rest := substring(v FROM 3);
  ELSE
    v_rest := v;
  END IF;
  v_authority := substring(v_rest FROM '^[^/?#\\]*');
  v_host := regexp_replace(regexp_replace(lower(v_authority), ':[0-9]*$', ''), '\.$', '');
  IF v_host <> 'linkedin.com' AND v_host !~ '^([a-z0-9-]+\.)+linkedin\.com$' THEN
    PERFORM marketing.raise_validation('linkedin_url', 'not_linkedin', format(v_fail, v, 'it is not a linkedin.com address'));
  END IF;
  v_path := substring(substring(v_rest FROM length(v_authority) + 1) FROM '^[^?#]*');
  SELECT coalesce(array_agg(seg ORDER BY ord), ARRAY[]::text[]) INTO v_segments
    FROM unnest(string_to_array(v_path, '/')) WITH ORDINALITY AS s(seg, ord)
   WHERE seg <> '';
  v_first := lower(coalesce(v_segments[1], ''));
  IF v_first IN ('company', 'school', 'showcase') THEN
    PERFORM marketing.raise_validation(
      'linkedin_url', 'company_page',
      format(v_fail, v, 'it is a company, school or showcase page, not a person''s profile')
    );
  END IF;
  IF v_first <> 'in' OR v_segments[2] IS NULL THEN
    PERFORM marketing.raise_validation(
      'linkedin_url', 'not_profile', format(v_fail, v, 'a profile address looks like linkedin.com/in/<handle>')
    );
  END IF;
  v_handle := marketing.percent_decode(v_segments[2]);
  IF v_handle IS NULL THEN
    PERFORM marketing.raise_validation(
      'linkedin_url', 'invalid_handle', format(v_fail, v, 'the handle has broken percent-encoding')
    );
  END IF;
  v_handle := lower(normalize(v_handle, NFC));
  IF length(v_handle) < 3 OR length(v_handle) > 100
     OR v_handle !~ '^([a-z0-9_-]|[^\x01-\x7f\t\n\u000b\f\r \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff\x80-\x9f\u202a-\u202e\u2066-\u2069])+$' THEN
    PERFORM marketing.raise_validation(
      'linkedin_url', 'invalid_handle',
      format(v_fail, v, 'the handle must be 3–100 letters, digits, hyphens or underscores')
    );
  END IF;
  FOREACH v_char IN ARRAY regexp_split_to_array(v_handle, '') LOOP
    IF ascii(v_char) < 128 THEN
      v_encoded := v_encoded || v_char;
    ELSE
      v_encoded := v_encoded || upper(regexp_replace(encode(convert_to(v_char, 'UTF8'), 'hex'), '(..)', '%\1', 'g'));
    END IF;
  END LOOP;
  RETURN 'https://www.linkedin.com/in/' || v_encoded;
END;
$_$;

--
-- Name: normalise_name(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.normalise_name(p_name text, p_field text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT regexp_replace(
    marketing.prepare_text(
      p_name, p_field,
      CASE p_field WHEN 'company_name' THEN 'The company name' WHEN 'name' THEN 'The name'
                   ELSE 'The ' || replace(p_field, '_', ' ') END,
      300, true
    ),
    '[\t\n\u000b\f\r \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+', ' ', 'g'
  )
$$;

--
-- Name: normalise_website(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.normalise_website(p_website text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $_$
DECLARE
  v text := marketing.prepare_text(p_website, 'website', 'The website', 2048, false);
  v_scheme text;
  v_authority text;
  v_host jsonb;
  v_domain text;
  v_fail constant text := 'The website "%s" is not usable: %s';
BEGIN
  IF v ~* '^mailto:' THEN
    PERFORM marketing.raise_validation('website', 'email_not_website', format(v_fail, v, 'it is an email address'));
  END IF;
  v_scheme := substring(v FROM '^([A-Za-z][A-Za-z0-9+.-]*)://');
  IF v_scheme IS NOT NULL THEN
    IF lower(v_scheme) NOT IN ('http', 'https') THEN
      PERFORM marketing.raise_validation(
        'website', 'unsupported_scheme',
        format(v_fail, v, format('only http and https websites are accepted, not %s:', lower(v_scheme)))
      );
    END IF;
    v_authority := substring(v FROM length(v_scheme) + 4);
  ELSIF v LIKE '//%' THEN
    v_authority := substring(v FROM 3);
  ELSE
    v_authority := v;
  END IF;
  v_authority := substring(v_authority FROM '^[^/?#\\]*');
  IF strpos(v_authority, '@') > 0 THEN
    IF v_scheme IS NOT NULL THEN
      PERFORM marketing.raise_validation(
        'website', 'invalid_host', format(v_fail, v, 'it contains user credentials before the host')
      );
    END IF;
    PERFORM marketing.raise_validation('website', 'email_not_website', format(v_fail, v, 'it is an email address'));
  END IF;
  IF v_authority LIKE '[%' THEN
    PERFORM marketing.raise_validation('website', 'ip_address', format(v_fail, v, 'it is an IPv6 address, not a domain'));
  END IF;
  v_authority := regexp_replace(v_authority, ':[0-9]*$', '');
  IF strpos(v_authority, ':') > 0 THEN
    PERFORM marketing.raise_validation('website', 'invalid_host', format(v_fail, v, 'it has a malformed port or host'));
  END IF;
  IF v_authority ~ '[\t\n\u000b\f\r \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]' THEN
    PERFORM marketing.raise_validation('website', 'invalid_host', format(v_fail, v, 'the host contains spaces'));
  END IF;
  v_host := marketing.check_host(v_authority);
  IF v_host ? 'reason' THEN
    PERFORM marketing.raise_validation('website', v_host ->> 'reason', format(v_fail, v, v_host ->> 'why'));
  END IF;
  v_domain := v_host ->> 'host';
  -- "www.com" is itself a domain: only a www. that leaves a dotted name goes.
  WHILE v_domain LIKE 'www.%' AND strpos(substring(v_domain FROM 5), '.') > 0 LOOP
    v_domain := substring(v_domain FROM 5);
  END LOOP;
  RETURN v_domain;
END;
$_$;

--
-- Name: occupy_slot(marketing.company_slot, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.occupy_slot(p_slot marketing.company_slot, p_status text, p_person_id text) RETURNS void
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

--
-- Name: parse_uid(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.parse_uid(p_uid text, p_kind text DEFAULT 'any'::text) RETURNS json
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $_$
DECLARE
  v_field text := CASE p_kind WHEN 'company' THEN 'company_uid' WHEN 'person' THEN 'person_id'
                              WHEN 'slot' THEN 'slot_uid' ELSE 'uid' END;
  v_label text := CASE p_kind WHEN 'company' THEN 'company UID (CO-YYYYMMDD-######)'
                              WHEN 'person' THEN 'person id (PE-YYYYMMDD-######)'
                              WHEN 'slot' THEN 'slot UID (SL-CO-YYYYMMDD-######-ROLE)'
                              ELSE 'PLE UID (CO-…, PE-… or SL-…)' END;
  v_match text[];
  v_kind text;
  v_day text;
  v_counter integer;
  v_role text;
  v_company text;
  v_fail constant text := '"%s" is not a valid %s: %s';
BEGIN
  IF p_uid IS NULL OR p_uid = '' THEN
    PERFORM marketing.raise_validation(v_field, 'empty', format(v_fail, coalesce(p_uid, ''), v_label, 'it is empty'));
  END IF;
  v_match := regexp_match(p_uid, '^(CO|PE)-([0-9]{8})-([0-9]{6})$');
  IF v_match IS NOT NULL THEN
    v_kind := CASE v_match[1] WHEN 'CO' THEN 'company' ELSE 'person' END;
    v_day := v_match[2];
    v_counter := v_match[3]::integer;
  ELSE
    v_match := regexp_match(p_uid, '^SL-(CO-([0-9]{8})-([0-9]{6}))-([A-Za-z]+)$');
    IF v_match IS NOT NULL THEN
      v_kind := 'slot';
      v_company := v_match[1];
      v_day := v_match[2];
      v_counter := v_match[3]::integer;
      v_role := v_match[4];
    END IF;
  END IF;
  IF v_kind IS NULL THEN
    PERFORM marketing.raise_validation(
      v_field, 'invalid_syntax', format(v_fail, p_uid, v_label, 'it does not have the expected shape')
    );
  END IF;
  IF p_kind <> 'any' AND v_kind <> p_kind THEN
    PERFORM marketing.raise_validation(
      v_field, 'wrong_kind', format(v_fail, p_uid, v_label, format('it is a %s UID', v_kind))
    );
  END IF;
  IF NOT marketing.is_valid_uid_day(v_day) THEN
    PERFORM marketing.raise_validation(
      v_field, 'invalid_date', format(v_fail, p_uid, v_label, format('%s is not a real date', v_day))
    );
  END IF;
  IF v_counter < 1 THEN
    PERFORM marketing.raise_validation(
      v_field, 'counter_out_of_range', format(v_fail, p_uid, v_label, 'the counter starts at 000001')
    );
  END IF;
  IF v_kind <> 'slot' THEN
    RETURN json_build_object('kind', v_kind, 'day', v_day, 'counter', v_counter);
  END IF;
  IF v_role NOT IN ('CEO', 'CFO', 'HR') THEN
    PERFORM marketing.raise_validation(
      v_field, 'invalid_role', format(v_fail, p_uid, v_label, 'the role must be one of CEO, CFO, HR (upper-case)')
    );
  END IF;
  RETURN json_build_object(
    'kind', 'slot', 'day', v_day, 'counter', v_counter, 'role', v_role, 'companyUid', v_company
  );
END;
$_$;

--
-- Name: people_before_write(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.people_before_write() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
BEGIN
  IF NOT coalesce(NEW.name ~ '^[!-~]([ -~]*[!-~])?$' AND strpos(NEW.name, '  ') = 0
                  AND length(NEW.name) <= 300, false) THEN
    NEW.name := marketing.normalise_name(NEW.name, 'name');
  END IF;
  IF NOT coalesce(NEW.email ~ '^[a-z0-9!#$%&''*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&''*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$'
                  AND strpos(NEW.email, '@') <= 65
                  AND length(NEW.email) - strpos(NEW.email, '@') <= 63
                  AND NEW.email !~ '\.([0-9]+|0x[0-9a-f]*)$'
                  AND NEW.email !~ '[@.]xn--'
                  AND NEW.email NOT LIKE '%.localhost', false) THEN
    NEW.email := marketing.normalise_email(NEW.email);
  END IF;
  IF NEW.linkedin_url IS NOT NULL
     AND NOT (NEW.linkedin_url ~ '^https://www\.linkedin\.com/in/[a-z0-9_-]+$'
              AND length(NEW.linkedin_url) BETWEEN 31 AND 128) THEN
    NEW.linkedin_url := marketing.normalise_linkedin_url(NEW.linkedin_url);
  END IF;
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := OLD.updated_at;
    IF NEW IS DISTINCT FROM OLD THEN
      NEW.updated_at := greatest(clock_timestamp(), OLD.updated_at);
    END IF;
  END IF;
  RETURN NEW;
END;
$_$;

--
-- Name: people_company_of_slot(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.people_company_of_slot() RETURNS trigger
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

--
-- Name: people_refuse_suppressed(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.people_refuse_suppressed() RETURNS trigger
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

--
-- Name: people_suppress_erased(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.people_suppress_erased() RETURNS trigger
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

--
-- Name: percent_decode(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.percent_decode(p_text text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
DECLARE
  v_bytes bytea := ''::bytea;
  v_part text;
  v_first boolean := true;
BEGIN
  IF strpos(p_text, '%') = 0 THEN
    RETURN p_text;
  END IF;
  FOREACH v_part IN ARRAY string_to_array(p_text, '%') LOOP
    IF v_first THEN
      v_bytes := v_bytes || convert_to(v_part, 'UTF8');
      v_first := false;
    ELSIF v_part ~ '^[0-9A-Fa-f]{2}' THEN
      v_bytes := v_bytes || decode(substring(v_part FROM 1 FOR 2), 'hex')
                         || convert_to(substring(v_part FROM 3), 'UTF8');
    ELSE
      RETURN NULL;
    END IF;
  END LOOP;
  RETURN convert_from(v_bytes, 'UTF8');
EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character OR invalid_parameter_value THEN
  RETURN NULL;
END;
$$;

--
-- Name: people; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.people (
    person_id text NOT NULL,
    name text NOT NULL,
    email text NOT NULL,
    linkedin_url text,
    validation_status text DEFAULT 'pending'::text NOT NULL,
    validation_provider text,
    validation_result_raw text,
    validated_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    company_uid text,
    title text,
    source text DEFAULT 'manual'::text NOT NULL,
    CONSTRAINT people_email_lower CHECK (((email = lower(email)) AND (email = btrim(email)))),
    CONSTRAINT people_linkedin_url_format CHECK ((linkedin_url ~ '^https://www\.linkedin\.com/in/[^/]+$'::text)),
    CONSTRAINT people_name_not_blank CHECK (((name <> ''::text) AND (name = btrim(name)))),
    CONSTRAINT people_person_id_format CHECK ((person_id ~ '^PE-[0-9]{8}-[0-9]{6}$'::text)),
    CONSTRAINT people_source_check CHECK ((source = ANY (ARRAY['apollo'::text, 'csv'::text, 'manual'::text]))),
    CONSTRAINT people_title_not_blank CHECK (((title <> ''::text) AND (title = btrim(title)) AND (length(title) <= 300))),
    CONSTRAINT people_validation_status_check CHECK ((validation_status = ANY (ARRAY['pending'::text, 'valid'::text, 'invalid'::text, 'risky'::text, 'throttled'::text, 'error'::text])))
);

--
-- Name: TABLE people; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.people IS 'One row per person; email stored normalised and unique';

--
-- Name: person_as_of(text, timestamp with time zone); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.person_as_of(p_person_id text, p_at timestamp with time zone) RETURNS SETOF marketing.people
    LANGUAGE sql STABLE
    AS $$
  SELECT r.*
    FROM marketing.people_versions AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.people, h.row_data) AS r
   WHERE h.person_id = p_person_id AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

--
-- Name: person_events_change(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.person_events_change() RETURNS trigger
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

--
-- Name: person_events_erase(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.person_events_erase() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
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
$_$;

--
-- Name: person_events_insert(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.person_events_insert() RETURNS trigger
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

--
-- Name: prepare_text(text, text, text, integer, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.prepare_text(p_input text, p_field text, p_label text, p_max integer, p_nfc boolean) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $_$
DECLARE
  v text;
BEGIN
  IF p_input IS NULL THEN
    PERFORM marketing.raise_validation(p_field, 'empty', format('%s is missing', p_label));
  END IF;
  IF length(p_input) > p_max * 4 + 64 THEN
    PERFORM marketing.raise_validation(
      p_field, 'too_long', format('%s is longer than %s characters', p_label, p_max)
    );
  END IF;
  IF p_input ~ '[\x01-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]' THEN
    PERFORM marketing.raise_validation(
      p_field, 'control_characters', format('%s contains control characters', p_label)
    );
  END IF;
  v := regexp_replace(
    p_input,
    '^[\t\n\u000b\f\r \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+|[\t\n\u000b\f\r \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+$',
    '', 'g'
  );
  IF p_nfc THEN
    v := normalize(v, NFC);
  END IF;
  IF v = '' THEN
    PERFORM marketing.raise_validation(p_field, 'empty', format('%s is empty', p_label));
  END IF;
  IF length(v) > p_max THEN
    PERFORM marketing.raise_validation(
      p_field, 'too_long', format('%s is longer than %s characters', p_label, p_max)
    );
  END IF;
  RETURN v;
END;
$_$;

--
-- Name: propose_person_for_slot(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.propose_person_for_slot(p_person_id text, p_slot_uid text) RETURNS json
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

--
-- Name: propose_person_for_slot(text, text, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.propose_person_for_slot(p_person_id text, p_slot_uid text, p_move boolean) RETURNS json
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

--
-- Name: punycode_decode(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.punycode_decode(p_input text) RETURNS integer[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
DECLARE
  max_int constant bigint := 2147483647;
  v_output integer[] := '{}';
  v_length integer := length(p_input);
  v_basic integer;
  v_index integer;
  i bigint := 0;
  n bigint := 128;
  v_bias bigint := 72;
  v_oldi bigint;
  w bigint;
  k bigint;
  t bigint;
  v_digit bigint;
  c integer;
  v_out integer;
  v_delta bigint;
BEGIN
  IF p_input ~ '[^\u0001-\u007f]' THEN
    RETURN NULL;
  END IF;
  v_basic := CASE WHEN strpos(p_input, '-') = 0 THEN 0 ELSE v_length - strpos(reverse(p_input), '-') END;
  FOR j IN 1..v_basic LOOP
    v_output := v_output || ascii(substr(p_input, j, 1));
  END LOOP;
  v_index := CASE WHEN v_basic > 0 THEN v_basic + 1 ELSE 0 END;
  WHILE v_index < v_length LOOP
    v_oldi := i;
    w := 1;
    k := 36;
    LOOP
      IF v_index >= v_length THEN
        RETURN NULL;
      END IF;
      c := ascii(substr(p_input, v_index + 1, 1));
      v_index := v_index + 1;
      v_digit := CASE
        WHEN c BETWEEN 48 AND 57 THEN c - 22
        WHEN c BETWEEN 65 AND 90 THEN c - 65
        WHEN c BETWEEN 97 AND 122 THEN c - 97
        ELSE 36
      END;
      IF v_digit >= 36 OR v_digit > (max_int - i) / w THEN
        RETURN NULL;
      END IF;
      i := i + v_digit * w;
      t := CASE WHEN k <= v_bias THEN 1 WHEN k >= v_bias + 26 THEN 26 ELSE k - v_bias END;
      EXIT WHEN v_digit < t;
      IF w > max_int / (36 - t) THEN
        RETURN NULL;
      END IF;
      w := w * (36 - t);
      k := k + 36;
    END LOOP;
    v_out := cardinality(v_output) + 1;
    -- adapt(i - oldi, out, oldi = 0)
    v_delta := CASE WHEN v_oldi = 0 THEN (i - v_oldi) / 700 ELSE (i - v_oldi) / 2 END;
    v_delta := v_delta + v_delta / v_out;
    k := 0;
    WHILE v_delta > 455 LOOP
      v_delta := v_delta / 35;
      k := k + 36;
    END LOOP;
    v_bias := k + (36 * v_delta) / (v_delta + 38);
    IF i / v_out > max_int - n THEN
      RETURN NULL;
    END IF;
    n := n + i / v_out;
    i := i % v_out;
    IF n > 1114111 OR n BETWEEN 55296 AND 57343 THEN
      RETURN NULL;
    END IF;
    v_output := v_output[1:i] || n::integer || v_output[i + 1:];
    i := i + 1;
  END LOOP;
  RETURN v_output;
END;
$$;

--
-- Name: punycode_encode(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.punycode_encode(p_label text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
DECLARE
  base constant integer := 36;
  tmin constant integer := 1;
  tmax constant integer := 26;
  skew constant integer := 38;
  damp constant integer := 700;
  cps integer[];
  output text := '';
  n integer := 128;
  delta bigint := 0;
  bias integer := 72;
  h integer;
  b integer;
  m integer;
  c integer;
  q bigint;
  k integer;
  t integer;
  d bigint;
  digit integer;
  numpoints integer;
BEGIN
  SELECT array_agg(ascii(ch) ORDER BY ord)
    INTO cps
    FROM regexp_split_to_table(p_label, '') WITH ORDINALITY AS s(ch, ord);
  IF cps IS NULL THEN
    RETURN '';
  END IF;

  FOREACH c IN ARRAY cps LOOP
    IF c < 128 THEN
      output := output || chr(c);
    END IF;
  END LOOP;
  b := length(output);
  h := b;
  IF b > 0 THEN
    output := output || '-';
  END IF;

  WHILE h < cardinality(cps) LOOP
    SELECT min(x) INTO m FROM unnest(cps) AS x WHERE x >= n;
    delta := delta + (m - n)::bigint * (h + 1);
    n := m;
    FOREACH c IN ARRAY cps LOOP
      IF c < n THEN
        delta := delta + 1;
      END IF;
      IF c = n THEN
        q := delta;
        k := base;
        LOOP
          IF k <= bias THEN
            t := tmin;
          ELSIF k >= bias + tmax THEN
            t := tmax;
          ELSE
            t := k - bias;
          END IF;
          EXIT WHEN q < t;
          digit := t + ((q - t) % (base - t))::integer;
          output := output || CASE WHEN digit < 26 THEN chr(97 + digit) ELSE chr(22 + digit) END;
          q := (q - t) / (base - t);
          k := k + base;
        END LOOP;
        output := output || CASE WHEN q < 26 THEN chr(97 + q::integer) ELSE chr(22 + q::integer) END;
        -- adapt(delta, h + 1, h = b)
        numpoints := h + 1;
        d := CASE WHEN h = b THEN delta / damp ELSE delta / 2 END;
        d := d + d / numpoints;
        k := 0;
        WHILE d > ((base - tmin) * tmax) / 2 LOOP
          d := d / (base - tmin);
          k := k + base;
        END LOOP;
        bias := k + ((base - tmin + 1) * d / (d + skew))::integer;
        delta := 0;
        h := h + 1;
      END IF;
    END LOOP;
    delta := delta + 1;
    n := n + 1;
  END LOOP;
  RETURN output;
END;
$$;

--
-- Name: purge_event_commits(integer, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.purge_event_commits(p_days integer, p_dry_run boolean DEFAULT false) RETURNS bigint
    LANGUAGE plpgsql
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

--
-- Name: purge_events(integer, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.purge_events(p_days integer, p_dry_run boolean DEFAULT false) RETURNS bigint
    LANGUAGE plpgsql
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

--
-- Name: purge_retention(integer, integer, integer, boolean); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.purge_retention(p_history_days integer, p_audit_days integer, p_reject_days integer, p_dry_run boolean DEFAULT false) RETURNS json
    LANGUAGE plpgsql
    AS $_$
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
$_$;

--
-- Name: raise_company_mismatch(text, text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.raise_company_mismatch(p_person_id text, p_person_company text, p_slot_uid text, p_slot_company text) RETURNS void
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

--
-- Name: raise_error(text, text, text, jsonb); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.raise_error(p_sqlstate text, p_field text, p_message text, p_detail jsonb) RETURNS void
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

--
-- Name: raise_merge_missing(text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.raise_merge_missing(p_entity text, p_field text, p_uid text) RETURNS void
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

--
-- Name: raise_person_already_linked(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.raise_person_already_linked(p_person_id text, p_held_slot text) RETURNS void
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

--
-- Name: raise_suppressed(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.raise_suppressed(p_kind text) RETURNS void
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

--
-- Name: raise_validation(text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.raise_validation(p_field text, p_reason text, p_message text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  RAISE EXCEPTION USING
    ERRCODE = 'PL001',
    MESSAGE = p_message,
    DETAIL = p_reason,
    COLUMN = p_field,
    SCHEMA = 'marketing';
END;
$$;

--
-- Name: recanonical_key(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.recanonical_key(p_field text, p_value text) RETURNS jsonb
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $$
DECLARE
  v_detail text;
BEGIN
  IF p_field = 'website' THEN
    RETURN jsonb_build_object('key', marketing.normalise_website(p_value));
  END IF;
  RETURN jsonb_build_object('key', marketing.normalise_email(p_value));
EXCEPTION WHEN SQLSTATE 'PL001' THEN
  GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
  RETURN jsonb_build_object('reason', v_detail);
END;
$$;

--
-- Name: record_api_key_change(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.record_api_key_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_old jsonb;
  v_new jsonb;
  v_changed text[];
BEGIN
  IF TG_OP <> 'INSERT' THEN
    v_old := to_jsonb(OLD) - 'key_hash' - 'last_used_at';
  END IF;
  IF TG_OP <> 'DELETE' THEN
    v_new := to_jsonb(NEW) - 'key_hash' - 'last_used_at';
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
    clock_timestamp(), TG_OP, TG_TABLE_NAME, coalesce(v_new ->> 'id', v_old ->> 'id'), v_old, v_new, v_changed,
    marketing.current_actor(), marketing.current_request_id(), marketing.current_application(),
    txid_current()
  );
  RETURN NULL;
END;
$$;

--
-- Name: record_change(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.record_change() RETURNS trigger
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

--
-- Name: record_insert(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.record_insert() RETURNS trigger
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

--
-- Name: record_slot_event(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.record_slot_event() RETURNS trigger
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

--
-- Name: refuse_log_rewrite(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.refuse_log_rewrite() RETURNS trigger
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

--
-- Name: refuse_suppressed(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.refuse_suppressed(p_email text, p_linkedin_url text) RETURNS void
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

--
-- Name: reject_slot(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.reject_slot(p_slot_uid text) RETURNS json
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

--
-- Name: release_slot(marketing.company_slot); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.release_slot(p_slot marketing.company_slot) RETURNS void
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

--
-- Name: require_person(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.require_person(p_person_id text) RETURNS void
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

--
-- Name: resolve_company_alias(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.resolve_company_alias(p_kind text, p_value text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT a.company_uid FROM marketing.company_alias AS a
   WHERE a.alias_kind = p_kind AND a.alias_value = p_value
$$;

--
-- Name: resolve_person_alias(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.resolve_person_alias(p_kind text, p_value text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT a.person_id FROM marketing.person_alias AS a
   WHERE a.alias_kind = p_kind AND a.alias_value = p_value
$$;

--
-- Name: roll_daily_uid_sequence(regclass, bigint); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.roll_daily_uid_sequence(p_seq regclass, p_today bigint) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_lock integer := hashtext(p_seq::text);
  v bigint;
BEGIN
  PERFORM pg_advisory_lock(hashtext('ple.uid'), v_lock);
  BEGIN
    v := nextval(p_seq);
    IF v / 10000000 < p_today THEN
      v := p_today * 10000000 + 1;
      PERFORM setval(p_seq, v, true);
    END IF;
  EXCEPTION WHEN OTHERS THEN
    PERFORM pg_advisory_unlock(hashtext('ple.uid'), v_lock);
    RAISE;
  END;
  PERFORM pg_advisory_unlock(hashtext('ple.uid'), v_lock);
  RETURN v;
END;
$$;

--
-- Name: slot_as_of(text, timestamp with time zone); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.slot_as_of(p_slot_uid text, p_at timestamp with time zone) RETURNS SETOF marketing.company_slot
    LANGUAGE sql STABLE
    AS $$
  SELECT r.*
    FROM marketing.company_slot_versions AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.company_slot, h.row_data) AS r
   WHERE h.slot_uid = p_slot_uid AND h.valid_from <= p_at AND p_at < h.valid_to
$$;

--
-- Name: slot_events_change(); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.slot_events_change() RETURNS trigger
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

--
-- Name: slot_held_by(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.slot_held_by(p_person_id text, p_slot_uid text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT s.slot_uid FROM marketing.company_slot AS s
   WHERE s.person_id = p_person_id AND s.slot_uid <> p_slot_uid
$$;

--
-- Name: slot_json(marketing.company_slot, jsonb); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.slot_json(p_slot marketing.company_slot, p_extra jsonb) RETURNS json
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT (jsonb_build_object(
    'slot_uid', p_slot.slot_uid,
    'company_uid', p_slot.company_uid,
    'role', p_slot.role,
    'status', p_slot.status,
    'person_id', p_slot.person_id
  ) || coalesce(p_extra, '{}'::jsonb))::json
$$;

--
-- Name: slot_status_after(marketing.company_slot, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.slot_status_after(p_slot marketing.company_slot, p_event text) RETURNS text
    LANGUAGE plpgsql STABLE
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

--
-- Name: suppress_identity(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.suppress_identity(p_value text, p_reason text) RETURNS json
    LANGUAGE plpgsql
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

--
-- Name: suppressed_kind(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.suppressed_kind(p_email text, p_linkedin_url text) RETURNS text
    LANGUAGE plpgsql STABLE
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

--
-- Name: suppression_hash(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.suppression_hash(p_kind text, p_value text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT encode(public.hmac(convert_to(p_kind || ':' || p_value, 'UTF8'), k.secret, 'sha256'), 'hex')
    FROM marketing.suppression_secret AS k
   WHERE p_value IS NOT NULL
$$;

--
-- Name: suppression_hash_for_entry(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.suppression_hash_for_entry(p_kind text, p_value text) RETURNS text
    LANGUAGE plpgsql
    AS $$
BEGIN
  INSERT INTO marketing.suppression_secret (secret) VALUES (public.gen_random_bytes(32))
  ON CONFLICT DO NOTHING;
  RETURN marketing.suppression_hash(p_kind, p_value);
END;
$$;

--
-- Name: suppression_identity(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.suppression_identity(p_value text) RETURNS TABLE(kind text, value text)
    LANGUAGE plpgsql STABLE
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

--
-- Name: take_event_ords(bigint); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.take_event_ords(p_count bigint) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_last bigint := coalesce(nullif(current_setting('ple.event_ord', true), ''), '0')::bigint;
BEGIN
  PERFORM set_config('ple.event_ord', (v_last + p_count)::text, true);
  RETURN v_last;
END;
$$;

--
-- Name: unsuppress_identity(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.unsuppress_identity(p_value text, p_reason text) RETURNS json
    LANGUAGE plpgsql
    AS $_$
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
$_$;

--
-- Name: upsert_company(text, text, text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.upsert_company(p_name text, p_website text, p_apollo_id text, p_ein text, p_on_existing text DEFAULT 'skip'::text) RETURNS json
    LANGUAGE plpgsql
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

--
-- Name: upsert_person(text, text, text, text, text, text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.upsert_person(p_name text, p_email text, p_linkedin_url text DEFAULT NULL::text, p_company_uid text DEFAULT NULL::text, p_title text DEFAULT NULL::text, p_source text DEFAULT 'manual'::text, p_on_existing text DEFAULT 'skip'::text) RETURNS json
    LANGUAGE plpgsql
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

--
-- Name: vacate_slot(text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.vacate_slot(p_slot_uid text) RETURNS json
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

--
-- Name: version_meta(text, text); Type: FUNCTION; Schema: marketing; Owner: -
--

CREATE FUNCTION marketing.version_meta(p_table text, p_key text) RETURNS TABLE(operation text, actor text, request_id text, txid bigint)
    LANGUAGE sql STABLE
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

--
-- Name: api_key; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.api_key (
    id text NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    key_hash text NOT NULL,
    key_prefix text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone,
    last_used_at timestamp with time zone,
    CONSTRAINT api_key_id_format CHECK ((id ~ '^ak_[0-9a-f]{16}$'::text)),
    CONSTRAINT api_key_key_hash_format CHECK ((key_hash ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT api_key_key_prefix_check CHECK (((length(key_prefix) >= 4) AND (length(key_prefix) <= 16))),
    CONSTRAINT api_key_name_check CHECK (((length(btrim(name)) >= 1) AND (length(btrim(name)) <= 100))),
    CONSTRAINT api_key_revoked_after_created CHECK (((revoked_at IS NULL) OR (revoked_at >= created_at))),
    CONSTRAINT api_key_role_check CHECK ((role = ANY (ARRAY['read'::text, 'write'::text, 'admin'::text])))
);

--
-- Name: TABLE api_key; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.api_key IS 'API keys of the tRPC API: SHA-256 hash and display prefix only, never the key itself.';

--
-- Name: audit_log_audit_id_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

ALTER TABLE marketing.audit_log ALTER COLUMN audit_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME marketing.audit_log_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: company_alias; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.company_alias (
    alias_kind text NOT NULL,
    alias_value text NOT NULL,
    company_uid text NOT NULL,
    merged_from text NOT NULL,
    merge_id bigint NOT NULL,
    CONSTRAINT company_alias_kind_check CHECK ((alias_kind = ANY (ARRAY['company_uid'::text, 'website'::text, 'apollo_company_id'::text])))
);

--
-- Name: TABLE company_alias; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.company_alias IS 'UID, website and Apollo id of merged-away companies, resolving to the company kept';

--
-- Name: company_history; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.company_history (
    history_id bigint NOT NULL,
    company_uid text NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    valid_to timestamp with time zone DEFAULT 'infinity'::timestamp with time zone NOT NULL,
    operation text NOT NULL,
    row_data jsonb NOT NULL,
    actor text NOT NULL,
    request_id text,
    txid bigint NOT NULL,
    CONSTRAINT company_history_operation_check CHECK ((operation = ANY (ARRAY['INSERT'::text, 'UPDATE'::text]))),
    CONSTRAINT company_history_period_check CHECK ((valid_from <= valid_to))
);

--
-- Name: TABLE company_history; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.company_history IS 'Superseded versions of marketing.company (the current one is the row; see company_versions)';

--
-- Name: company_history_history_id_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

ALTER TABLE marketing.company_history ALTER COLUMN history_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME marketing.company_history_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: company_slot_history; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.company_slot_history (
    history_id bigint NOT NULL,
    slot_uid text NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    valid_to timestamp with time zone DEFAULT 'infinity'::timestamp with time zone NOT NULL,
    operation text NOT NULL,
    row_data jsonb NOT NULL,
    actor text NOT NULL,
    request_id text,
    txid bigint NOT NULL,
    CONSTRAINT company_slot_history_operation_check CHECK ((operation = ANY (ARRAY['INSERT'::text, 'UPDATE'::text]))),
    CONSTRAINT company_slot_history_period_check CHECK ((valid_from <= valid_to))
);

--
-- Name: TABLE company_slot_history; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.company_slot_history IS 'Superseded versions of marketing.company_slot (the current one is the row; see company_slot_versions)';

--
-- Name: company_slot_history_history_id_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

ALTER TABLE marketing.company_slot_history ALTER COLUMN history_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME marketing.company_slot_history_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: company_slot_versions; Type: VIEW; Schema: marketing; Owner: -
--

CREATE VIEW marketing.company_slot_versions AS
 SELECT h.history_id,
    h.slot_uid,
    h.valid_from,
    h.valid_to,
    h.operation,
    h.row_data,
    h.actor,
    h.request_id,
    h.txid
   FROM marketing.company_slot_history h
UNION ALL
 SELECT NULL::bigint AS history_id,
    s.slot_uid,
    GREATEST(s.created_at, p.last_end) AS valid_from,
    'infinity'::timestamp with time zone AS valid_to,
    COALESCE(m.operation,
        CASE
            WHEN (p.last_end IS NULL) THEN 'INSERT'::text
            ELSE 'UPDATE'::text
        END) AS operation,
    to_jsonb(s.*) AS row_data,
    COALESCE(m.actor, 'unknown'::text) AS actor,
    m.request_id,
    COALESCE(m.txid, (0)::bigint) AS txid
   FROM ((marketing.company_slot s
     CROSS JOIN LATERAL ( SELECT max(h.valid_to) AS last_end
           FROM marketing.company_slot_history h
          WHERE (h.slot_uid = s.slot_uid)) p)
     LEFT JOIN LATERAL marketing.version_meta('company_slot'::text, s.slot_uid) m(operation, actor, request_id, txid) ON (true))
  WHERE (p.last_end IS DISTINCT FROM 'infinity'::timestamp with time zone);

--
-- Name: VIEW company_slot_versions; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON VIEW marketing.company_slot_versions IS 'Every version of marketing.company_slot: company_slot_history (superseded) and the live row (history_id NULL, valid_to infinity)';

--
-- Name: company_uid_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

CREATE SEQUENCE marketing.company_uid_seq
    START WITH 0
    INCREMENT BY 1
    MINVALUE 0
    NO MAXVALUE
    CACHE 1;

--
-- Name: SEQUENCE company_uid_seq; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON SEQUENCE marketing.company_uid_seq IS 'YYYYMMDD * 10^7 + daily counter; advanced only by marketing.gen_company_uid()';

--
-- Name: company_versions; Type: VIEW; Schema: marketing; Owner: -
--

CREATE VIEW marketing.company_versions AS
 SELECT h.history_id,
    h.company_uid,
    h.valid_from,
    h.valid_to,
    h.operation,
    h.row_data,
    h.actor,
    h.request_id,
    h.txid
   FROM marketing.company_history h
UNION ALL
 SELECT NULL::bigint AS history_id,
    c.company_uid,
    GREATEST(c.created_at, p.last_end) AS valid_from,
    'infinity'::timestamp with time zone AS valid_to,
    COALESCE(m.operation,
        CASE
            WHEN (p.last_end IS NULL) THEN 'INSERT'::text
            ELSE 'UPDATE'::text
        END) AS operation,
    to_jsonb(c.*) AS row_data,
    COALESCE(m.actor, 'unknown'::text) AS actor,
    m.request_id,
    COALESCE(m.txid, (0)::bigint) AS txid
   FROM ((marketing.company c
     CROSS JOIN LATERAL ( SELECT max(h.valid_to) AS last_end
           FROM marketing.company_history h
          WHERE (h.company_uid = c.company_uid)) p)
     LEFT JOIN LATERAL marketing.version_meta('company'::text, c.company_uid) m(operation, actor, request_id, txid) ON (true))
  WHERE (p.last_end IS DISTINCT FROM 'infinity'::timestamp with time zone);

--
-- Name: VIEW company_versions; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON VIEW marketing.company_versions IS 'Every version of marketing.company: company_history (superseded) and the live row (history_id NULL, valid_to infinity)';

--
-- Name: event; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.event (
    event_id bigint NOT NULL,
    ord bigint DEFAULT marketing.next_event_ord() NOT NULL,
    type text NOT NULL,
    uids jsonb NOT NULL,
    changes jsonb DEFAULT '{}'::jsonb NOT NULL,
    actor text NOT NULL,
    request_id text,
    txid bigint NOT NULL,
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    tx bigint DEFAULT marketing.event_tx() NOT NULL,
    CONSTRAINT event_changes_object CHECK ((jsonb_typeof(changes) = 'object'::text)),
    CONSTRAINT event_ord_check CHECK ((ord >= 1)),
    CONSTRAINT event_type_check CHECK ((type = ANY (ARRAY['company.created'::text, 'company.updated'::text, 'company.merged'::text, 'company.deleted'::text, 'slot.assigned'::text, 'slot.proposed'::text, 'slot.confirmed'::text, 'slot.rejected'::text, 'slot.vacated'::text, 'slot.displaced'::text, 'person.created'::text, 'person.updated'::text, 'person.validated'::text, 'person.merged'::text, 'person.erased'::text]))),
    CONSTRAINT event_uids_object CHECK ((jsonb_typeof(uids) = 'object'::text))
);

--
-- Name: TABLE event; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.event IS 'The change feed: one row per event; its position (gapless, in commit order, the cursor) is its commit''s (event_commit) first position plus its place (ord) among its transaction''s events';

--
-- Name: event_clock; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.event_clock (
    id boolean DEFAULT true NOT NULL,
    last_position bigint DEFAULT 0 NOT NULL,
    CONSTRAINT event_clock_single_row CHECK (id)
);

--
-- Name: TABLE event_clock; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.event_clock IS 'The last event position handed out (one row)';

--
-- Name: event_commit; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.event_commit (
    tx bigint NOT NULL,
    first_ord bigint NOT NULL,
    first_position bigint NOT NULL,
    last_position bigint NOT NULL,
    CONSTRAINT event_commit_first_ord_check CHECK ((first_ord >= 1)),
    CONSTRAINT event_commit_positions_check CHECK (((first_position >= 1) AND (first_position <= last_position)))
);

--
-- Name: TABLE event_commit; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.event_commit IS 'One row per commit that wrote events: its positions first_position..last_position are its events of tx with ord first_ord, first_ord + 1, …';

--
-- Name: event_event_id_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

ALTER TABLE marketing.event ALTER COLUMN event_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME marketing.event_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: event_pending; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.event_pending (
    txid bigint NOT NULL
);

--
-- Name: TABLE event_pending; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.event_pending IS 'Transactions whose events get their positions at commit (empty between transactions)';

--
-- Name: event_relay; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.event_relay (
    name text NOT NULL,
    "position" bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT event_relay_name_check CHECK ((name ~ '^[A-Za-z0-9._-]{1,100}$'::text)),
    CONSTRAINT event_relay_position_check CHECK (("position" >= 0))
);

--
-- Name: TABLE event_relay; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.event_relay IS 'The last position each named relay has published';

--
-- Name: event_tx_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

CREATE SEQUENCE marketing.event_tx_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: SEQUENCE event_tx_seq; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON SEQUENCE marketing.event_tx_seq IS 'Change-feed numbers of the transactions that write events (marketing.event.tx)';

--
-- Name: idempotency_key; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.idempotency_key (
    key text NOT NULL,
    actor text NOT NULL,
    procedure text NOT NULL,
    request_hash text NOT NULL,
    response jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT idempotency_key_key_check CHECK (((length(key) >= 1) AND (length(key) <= 255))),
    CONSTRAINT idempotency_key_request_hash_format CHECK ((request_hash ~ '^[0-9a-f]{64}$'::text))
);

--
-- Name: TABLE idempotency_key; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.idempotency_key IS 'First response of each mutation sent with an Idempotency-Key, per actor; purge old rows with purgeIdempotencyKeys.';

--
-- Name: idna_mapping; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.idna_mapping (
    cp_from integer NOT NULL,
    cp_to integer NOT NULL,
    status smallint NOT NULL,
    mapping text
);

--
-- Name: idna_pattern; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.idna_pattern (
    name text NOT NULL,
    pattern text NOT NULL
);

--
-- Name: import_reject; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.import_reject (
    id bigint NOT NULL,
    source_file text NOT NULL,
    row_number integer NOT NULL,
    raw_row text NOT NULL,
    error_code text NOT NULL,
    field text,
    message text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT import_reject_row_number_check CHECK ((row_number >= 0))
);

--
-- Name: TABLE import_reject; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.import_reject IS 'Input rows that could not be imported, with the reason';

--
-- Name: import_reject_id_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

ALTER TABLE marketing.import_reject ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME marketing.import_reject_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: people_history; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.people_history (
    history_id bigint NOT NULL,
    person_id text NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    valid_to timestamp with time zone DEFAULT 'infinity'::timestamp with time zone NOT NULL,
    operation text NOT NULL,
    row_data jsonb NOT NULL,
    actor text NOT NULL,
    request_id text,
    txid bigint NOT NULL,
    CONSTRAINT people_history_operation_check CHECK ((operation = ANY (ARRAY['INSERT'::text, 'UPDATE'::text]))),
    CONSTRAINT people_history_period_check CHECK ((valid_from <= valid_to))
);

--
-- Name: TABLE people_history; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.people_history IS 'Superseded versions of marketing.people (the current one is the row; see people_versions)';

--
-- Name: people_history_history_id_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

ALTER TABLE marketing.people_history ALTER COLUMN history_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME marketing.people_history_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: people_versions; Type: VIEW; Schema: marketing; Owner: -
--

CREATE VIEW marketing.people_versions AS
 SELECT h.history_id,
    h.person_id,
    h.valid_from,
    h.valid_to,
    h.operation,
    h.row_data,
    h.actor,
    h.request_id,
    h.txid
   FROM marketing.people_history h
UNION ALL
 SELECT NULL::bigint AS history_id,
    x.person_id,
    GREATEST(x.created_at, p.last_end) AS valid_from,
    'infinity'::timestamp with time zone AS valid_to,
    COALESCE(m.operation,
        CASE
            WHEN (p.last_end IS NULL) THEN 'INSERT'::text
            ELSE 'UPDATE'::text
        END) AS operation,
    to_jsonb(x.*) AS row_data,
    COALESCE(m.actor, 'unknown'::text) AS actor,
    m.request_id,
    COALESCE(m.txid, (0)::bigint) AS txid
   FROM ((marketing.people x
     CROSS JOIN LATERAL ( SELECT max(h.valid_to) AS last_end
           FROM marketing.people_history h
          WHERE (h.person_id = x.person_id)) p)
     LEFT JOIN LATERAL marketing.version_meta('people'::text, x.person_id) m(operation, actor, request_id, txid) ON (true))
  WHERE (p.last_end IS DISTINCT FROM 'infinity'::timestamp with time zone);

--
-- Name: VIEW people_versions; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON VIEW marketing.people_versions IS 'Every version of marketing.people: people_history (superseded) and the live row (history_id NULL, valid_to infinity)';

--
-- Name: person_alias; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.person_alias (
    alias_kind text NOT NULL,
    alias_value text NOT NULL,
    person_id text NOT NULL,
    merged_from text NOT NULL,
    merge_id bigint NOT NULL,
    CONSTRAINT person_alias_kind_check CHECK ((alias_kind = ANY (ARRAY['person_id'::text, 'email'::text])))
);

--
-- Name: TABLE person_alias; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.person_alias IS 'person_id and email of merged-away people, resolving to the person kept';

--
-- Name: person_company_mismatch; Type: VIEW; Schema: marketing; Owner: -
--

CREATE VIEW marketing.person_company_mismatch AS
 SELECT p.person_id,
    p.company_uid,
    s.slot_uid,
    s.company_uid AS slot_company_uid,
    s.status
   FROM (marketing.company_slot s
     JOIN marketing.people p ON ((p.person_id = s.person_id)))
  WHERE (p.company_uid IS DISTINCT FROM s.company_uid);

--
-- Name: person_uid_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

CREATE SEQUENCE marketing.person_uid_seq
    START WITH 0
    INCREMENT BY 1
    MINVALUE 0
    NO MAXVALUE
    CACHE 1;

--
-- Name: SEQUENCE person_uid_seq; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON SEQUENCE marketing.person_uid_seq IS 'YYYYMMDD * 10^7 + daily counter; advanced only by marketing.gen_person_uid()';

--
-- Name: pii_erasure; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.pii_erasure (
    person_id text NOT NULL,
    erased_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    actor text NOT NULL,
    request_id text,
    erased_fields text[] NOT NULL,
    counts jsonb NOT NULL,
    reason text,
    CONSTRAINT pii_erasure_reason_length CHECK ((length(reason) <= 500))
);

--
-- Name: TABLE pii_erasure; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.pii_erasure IS 'Tombstones of erased people: who erased them, when, and how many rows were scrubbed (no PII)';

--
-- Name: record_merge; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.record_merge (
    merge_id bigint NOT NULL,
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
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT record_merge_distinct_check CHECK ((kept_uid <> dropped_uid)),
    CONSTRAINT record_merge_entity_check CHECK ((entity = ANY (ARRAY['company'::text, 'person'::text])))
);

--
-- Name: TABLE record_merge; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.record_merge IS 'Merges of duplicate companies and people: the dropped record as it was and what the kept one took over';

--
-- Name: record_merge_merge_id_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

ALTER TABLE marketing.record_merge ALTER COLUMN merge_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME marketing.record_merge_merge_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: slot_event; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.slot_event (
    event_id bigint NOT NULL,
    slot_uid text NOT NULL,
    company_uid text NOT NULL,
    role text NOT NULL,
    event text NOT NULL,
    person_id text,
    previous_person_id text,
    actor text NOT NULL,
    request_id text,
    txid bigint NOT NULL,
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT slot_event_event_check CHECK ((event = ANY (ARRAY['ASSIGNED'::text, 'PROPOSED'::text, 'CONFIRMED'::text, 'REJECTED'::text, 'VACATED'::text, 'DISPLACED'::text])))
);

--
-- Name: TABLE slot_event; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.slot_event IS 'Slot assignment events, one per person concerned: person_id is that person (for VACATED, REJECTED and DISPLACED the one who left; a displacement also writes ASSIGNED for the newcomer); previous_person_id is the holder before the change.';

--
-- Name: slot_event_event_id_seq; Type: SEQUENCE; Schema: marketing; Owner: -
--

ALTER TABLE marketing.slot_event ALTER COLUMN event_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME marketing.slot_event_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: slot_lease; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.slot_lease (
    slot_uid text NOT NULL,
    worker text NOT NULL,
    claimed_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT slot_lease_expires_after_claim CHECK ((expires_at > claimed_at)),
    CONSTRAINT slot_lease_worker_check CHECK (((length(worker) >= 1) AND (length(worker) <= 200)))
);

--
-- Name: TABLE slot_lease; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.slot_lease IS 'A worker''s time-limited claim on an open slot it researches; not a slot state (migration 013)';

--
-- Name: slot_transition; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.slot_transition (
    from_status text NOT NULL,
    event text NOT NULL,
    to_status text NOT NULL,
    CONSTRAINT slot_transition_event_check CHECK ((event = ANY (ARRAY['link'::text, 'propose'::text, 'confirm'::text, 'reject'::text, 'vacate'::text, 'displace'::text]))),
    CONSTRAINT slot_transition_from_status_check CHECK ((from_status = ANY (ARRAY['open'::text, 'pending'::text, 'filled'::text]))),
    CONSTRAINT slot_transition_to_status_check CHECK ((to_status = ANY (ARRAY['open'::text, 'pending'::text, 'filled'::text])))
);

--
-- Name: suppression; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.suppression (
    identity_hash text NOT NULL,
    kind text NOT NULL,
    reason text NOT NULL,
    person_id text,
    actor text NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT suppression_identity_hash_format CHECK ((identity_hash ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT suppression_kind_check CHECK ((kind = ANY (ARRAY['email'::text, 'linkedin_url'::text]))),
    CONSTRAINT suppression_reason_not_blank CHECK (((btrim(reason) <> ''::text) AND (length(reason) <= 500)))
);

--
-- Name: TABLE suppression; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.suppression IS 'Identities that must not come back (erased people, withdrawn consent): HMAC-SHA256 of kind and normalised value, never the value';

--
-- Name: suppression_secret; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.suppression_secret (
    singleton boolean DEFAULT true NOT NULL,
    secret bytea NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT suppression_secret_length_check CHECK ((octet_length(secret) >= 32)),
    CONSTRAINT suppression_secret_singleton_check CHECK (singleton)
);

--
-- Name: TABLE suppression_secret; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.suppression_secret IS 'The per-database key of the suppression list''s HMACs (one row, created on first use)';

--
-- Name: unicode_combining_class; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.unicode_combining_class (
    cp integer NOT NULL,
    rank smallint NOT NULL
);

--
-- Name: unicode_composition; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.unicode_composition (
    first integer NOT NULL,
    second integer NOT NULL,
    composite integer NOT NULL
);

--
-- Name: unicode_decomposition; Type: TABLE; Schema: marketing; Owner: -
--

CREATE TABLE marketing.unicode_decomposition (
    cp integer NOT NULL,
    decomposition integer[] NOT NULL
);

--
-- Name: api_key api_key_key_hash_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.api_key
    ADD CONSTRAINT api_key_key_hash_key UNIQUE (key_hash);

--
-- Name: api_key api_key_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.api_key
    ADD CONSTRAINT api_key_pkey PRIMARY KEY (id);

--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (audit_id);

--
-- Name: company_alias company_alias_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_alias
    ADD CONSTRAINT company_alias_pkey PRIMARY KEY (alias_kind, alias_value);

--
-- Name: company company_apollo_company_id_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company
    ADD CONSTRAINT company_apollo_company_id_key UNIQUE (apollo_company_id);

--
-- Name: company_history company_history_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_history
    ADD CONSTRAINT company_history_pkey PRIMARY KEY (history_id);

--
-- Name: company_history company_history_version_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_history
    ADD CONSTRAINT company_history_version_key UNIQUE (company_uid, valid_to);

--
-- Name: company company_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company
    ADD CONSTRAINT company_pkey PRIMARY KEY (company_uid);

--
-- Name: company_slot company_slot_company_uid_role_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_slot
    ADD CONSTRAINT company_slot_company_uid_role_key UNIQUE (company_uid, role);

--
-- Name: company_slot_history company_slot_history_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_slot_history
    ADD CONSTRAINT company_slot_history_pkey PRIMARY KEY (history_id);

--
-- Name: company_slot_history company_slot_history_version_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_slot_history
    ADD CONSTRAINT company_slot_history_version_key UNIQUE (slot_uid, valid_to);

--
-- Name: company_slot company_slot_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_slot
    ADD CONSTRAINT company_slot_pkey PRIMARY KEY (slot_uid);

--
-- Name: company company_website_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company
    ADD CONSTRAINT company_website_key UNIQUE (website);

--
-- Name: event_clock event_clock_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.event_clock
    ADD CONSTRAINT event_clock_pkey PRIMARY KEY (id);

--
-- Name: event_commit event_commit_first_position_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.event_commit
    ADD CONSTRAINT event_commit_first_position_key UNIQUE (first_position);

--
-- Name: event_commit event_commit_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.event_commit
    ADD CONSTRAINT event_commit_pkey PRIMARY KEY (last_position);

--
-- Name: event_commit event_commit_tx_first_ord_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.event_commit
    ADD CONSTRAINT event_commit_tx_first_ord_key UNIQUE (tx, first_ord);

--
-- Name: event_pending event_pending_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.event_pending
    ADD CONSTRAINT event_pending_pkey PRIMARY KEY (txid);

--
-- Name: event event_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.event
    ADD CONSTRAINT event_pkey PRIMARY KEY (event_id);

--
-- Name: event_relay event_relay_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.event_relay
    ADD CONSTRAINT event_relay_pkey PRIMARY KEY (name);

--
-- Name: event event_tx_ord_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.event
    ADD CONSTRAINT event_tx_ord_key UNIQUE (tx, ord);

--
-- Name: idempotency_key idempotency_key_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.idempotency_key
    ADD CONSTRAINT idempotency_key_pkey PRIMARY KEY (actor, key);

--
-- Name: idna_mapping idna_mapping_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.idna_mapping
    ADD CONSTRAINT idna_mapping_pkey PRIMARY KEY (cp_from);

--
-- Name: idna_pattern idna_pattern_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.idna_pattern
    ADD CONSTRAINT idna_pattern_pkey PRIMARY KEY (name);

--
-- Name: import_reject import_reject_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.import_reject
    ADD CONSTRAINT import_reject_pkey PRIMARY KEY (id);

--
-- Name: people people_email_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.people
    ADD CONSTRAINT people_email_key UNIQUE (email);

--
-- Name: people_history people_history_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.people_history
    ADD CONSTRAINT people_history_pkey PRIMARY KEY (history_id);

--
-- Name: people_history people_history_version_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.people_history
    ADD CONSTRAINT people_history_version_key UNIQUE (person_id, valid_to);

--
-- Name: people people_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.people
    ADD CONSTRAINT people_pkey PRIMARY KEY (person_id);

--
-- Name: person_alias person_alias_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.person_alias
    ADD CONSTRAINT person_alias_pkey PRIMARY KEY (alias_kind, alias_value);

--
-- Name: pii_erasure pii_erasure_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.pii_erasure
    ADD CONSTRAINT pii_erasure_pkey PRIMARY KEY (person_id);

--
-- Name: record_merge record_merge_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.record_merge
    ADD CONSTRAINT record_merge_pkey PRIMARY KEY (merge_id);

--
-- Name: slot_event slot_event_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.slot_event
    ADD CONSTRAINT slot_event_pkey PRIMARY KEY (event_id);

--
-- Name: slot_lease slot_lease_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.slot_lease
    ADD CONSTRAINT slot_lease_pkey PRIMARY KEY (slot_uid);

--
-- Name: slot_transition slot_transition_from_to_key; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.slot_transition
    ADD CONSTRAINT slot_transition_from_to_key UNIQUE (from_status, to_status);

--
-- Name: slot_transition slot_transition_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.slot_transition
    ADD CONSTRAINT slot_transition_pkey PRIMARY KEY (from_status, event);

--
-- Name: suppression suppression_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.suppression
    ADD CONSTRAINT suppression_pkey PRIMARY KEY (identity_hash);

--
-- Name: suppression_secret suppression_secret_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.suppression_secret
    ADD CONSTRAINT suppression_secret_pkey PRIMARY KEY (singleton);

--
-- Name: unicode_combining_class unicode_combining_class_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.unicode_combining_class
    ADD CONSTRAINT unicode_combining_class_pkey PRIMARY KEY (cp);

--
-- Name: unicode_composition unicode_composition_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.unicode_composition
    ADD CONSTRAINT unicode_composition_pkey PRIMARY KEY (first, second);

--
-- Name: unicode_decomposition unicode_decomposition_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.unicode_decomposition
    ADD CONSTRAINT unicode_decomposition_pkey PRIMARY KEY (cp);

--
-- Name: audit_log_record_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX audit_log_record_idx ON marketing.audit_log USING btree (table_name, record_key, at);

--
-- Name: company_alias_company_uid_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX company_alias_company_uid_idx ON marketing.company_alias USING btree (company_uid);

--
-- Name: company_created_at_uid_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX company_created_at_uid_idx ON marketing.company USING btree (created_at, company_uid);

--
-- Name: company_history_uid_valid_from_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX company_history_uid_valid_from_idx ON marketing.company_history USING btree (company_uid, valid_from);

--
-- Name: company_name_trgm_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX company_name_trgm_idx ON marketing.company USING gin (company_name public.gin_trgm_ops);

--
-- Name: company_slot_history_uid_valid_from_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX company_slot_history_uid_valid_from_idx ON marketing.company_slot_history USING btree (slot_uid, valid_from);

--
-- Name: company_slot_open_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX company_slot_open_idx ON marketing.company_slot USING btree (company_uid, role) WHERE (status = 'open'::text);

--
-- Name: company_slot_person_id_key; Type: INDEX; Schema: marketing; Owner: -
--

CREATE UNIQUE INDEX company_slot_person_id_key ON marketing.company_slot USING btree (person_id) WHERE (person_id IS NOT NULL);

--
-- Name: event_at; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX event_at ON marketing.event USING btree (at);

--
-- Name: event_person_id; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX event_person_id ON marketing.event USING btree (((uids ->> 'person_id'::text)));

--
-- Name: idempotency_key_created_at_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX idempotency_key_created_at_idx ON marketing.idempotency_key USING btree (created_at);

--
-- Name: people_company_uid_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX people_company_uid_idx ON marketing.people USING btree (company_uid);

--
-- Name: people_history_uid_valid_from_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX people_history_uid_valid_from_idx ON marketing.people_history USING btree (person_id, valid_from);

--
-- Name: people_linkedin_url_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX people_linkedin_url_idx ON marketing.people USING btree (linkedin_url);

--
-- Name: people_lower_name_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX people_lower_name_idx ON marketing.people USING btree (lower(name));

--
-- Name: person_alias_person_id_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX person_alias_person_id_idx ON marketing.person_alias USING btree (person_id);

--
-- Name: record_merge_dropped_uid_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX record_merge_dropped_uid_idx ON marketing.record_merge USING btree (dropped_uid);

--
-- Name: record_merge_kept_uid_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX record_merge_kept_uid_idx ON marketing.record_merge USING btree (kept_uid);

--
-- Name: slot_event_person_id_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX slot_event_person_id_idx ON marketing.slot_event USING btree (person_id, at);

--
-- Name: slot_event_previous_person_id_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX slot_event_previous_person_id_idx ON marketing.slot_event USING btree (previous_person_id, at);

--
-- Name: slot_event_slot_uid_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX slot_event_slot_uid_idx ON marketing.slot_event USING btree (slot_uid, at);

--
-- Name: slot_lease_expires_at_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX slot_lease_expires_at_idx ON marketing.slot_lease USING btree (expires_at);

--
-- Name: slot_lease_worker_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX slot_lease_worker_idx ON marketing.slot_lease USING btree (worker, slot_uid);

--
-- Name: api_key api_key_record_change; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER api_key_record_change AFTER INSERT OR DELETE ON marketing.api_key FOR EACH ROW EXECUTE FUNCTION marketing.record_api_key_change();

--
-- Name: api_key api_key_record_update; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER api_key_record_update AFTER UPDATE ON marketing.api_key FOR EACH ROW WHEN (((old.name IS DISTINCT FROM new.name) OR (old.role IS DISTINCT FROM new.role) OR (old.revoked_at IS DISTINCT FROM new.revoked_at))) EXECUTE FUNCTION marketing.record_api_key_change();

--
-- Name: audit_log audit_log_append_only; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER audit_log_append_only BEFORE DELETE OR UPDATE ON marketing.audit_log FOR EACH ROW EXECUTE FUNCTION marketing.refuse_log_rewrite();

--
-- Name: audit_log audit_log_no_truncate; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON marketing.audit_log FOR EACH STATEMENT EXECUTE FUNCTION marketing.refuse_log_rewrite();

--
-- Name: company company_before_write; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_before_write BEFORE INSERT OR UPDATE ON marketing.company FOR EACH ROW EXECUTE FUNCTION marketing.company_before_write();

--
-- Name: company company_events_delete; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_events_delete AFTER DELETE ON marketing.company FOR EACH ROW EXECUTE FUNCTION marketing.company_events_change();

--
-- Name: company company_events_insert; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_events_insert AFTER INSERT ON marketing.company REFERENCING NEW TABLE AS new_company FOR EACH STATEMENT EXECUTE FUNCTION marketing.company_events_insert();

--
-- Name: company company_events_update; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_events_update AFTER UPDATE ON marketing.company FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION marketing.company_events_change();

--
-- Name: company company_record_change; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_record_change AFTER DELETE ON marketing.company FOR EACH ROW EXECUTE FUNCTION marketing.record_change('company_uid');

--
-- Name: company company_record_insert; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_record_insert AFTER INSERT ON marketing.company REFERENCING NEW TABLE AS new_company FOR EACH STATEMENT EXECUTE FUNCTION marketing.record_insert();

--
-- Name: company company_record_update; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_record_update AFTER UPDATE ON marketing.company FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION marketing.record_change('company_uid');

--
-- Name: company_slot company_slot_after_update; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_after_update AFTER UPDATE ON marketing.company_slot REFERENCING OLD TABLE AS old_slot NEW TABLE AS new_slot FOR EACH STATEMENT EXECUTE FUNCTION marketing.company_slot_after_update();

--
-- Name: company_slot company_slot_before_delete; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_before_delete BEFORE DELETE ON marketing.company_slot FOR EACH ROW EXECUTE FUNCTION marketing.company_slot_before_delete();

--
-- Name: company_slot company_slot_before_insert; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_before_insert BEFORE INSERT ON marketing.company_slot FOR EACH ROW WHEN ((new.slot_uid IS NULL)) EXECUTE FUNCTION marketing.company_slot_before_write();

--
-- Name: company_slot company_slot_before_write; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_before_write BEFORE UPDATE ON marketing.company_slot FOR EACH ROW EXECUTE FUNCTION marketing.company_slot_before_write();

--
-- Name: company_slot company_slot_person_company; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_person_company BEFORE INSERT OR UPDATE OF person_id, company_uid ON marketing.company_slot FOR EACH ROW WHEN ((new.person_id IS NOT NULL)) EXECUTE FUNCTION marketing.company_slot_person_company();

--
-- Name: company_slot company_slot_record_change; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_record_change AFTER DELETE ON marketing.company_slot FOR EACH ROW EXECUTE FUNCTION marketing.record_change('slot_uid');

--
-- Name: company_slot company_slot_record_insert; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_record_insert AFTER INSERT ON marketing.company_slot REFERENCING NEW TABLE AS new_company_slot FOR EACH STATEMENT EXECUTE FUNCTION marketing.record_insert();

--
-- Name: event event_append_only; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER event_append_only BEFORE UPDATE ON marketing.event FOR EACH ROW EXECUTE FUNCTION marketing.refuse_log_rewrite();

--
-- Name: event event_mark_transaction; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER event_mark_transaction AFTER INSERT ON marketing.event FOR EACH STATEMENT EXECUTE FUNCTION marketing.event_mark_transaction();

--
-- Name: event event_no_delete; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER event_no_delete BEFORE DELETE ON marketing.event FOR EACH ROW EXECUTE FUNCTION marketing.refuse_log_rewrite();

--
-- Name: event event_no_truncate; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON marketing.event FOR EACH STATEMENT EXECUTE FUNCTION marketing.refuse_log_rewrite();

--
-- Name: event_pending event_pending_assign_positions; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE CONSTRAINT TRIGGER event_pending_assign_positions AFTER INSERT ON marketing.event_pending DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION marketing.assign_event_positions();

--
-- Name: import_reject import_reject_redact_suppressed; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER import_reject_redact_suppressed BEFORE INSERT ON marketing.import_reject FOR EACH ROW WHEN ((new.error_code = 'SUPPRESSED'::text)) EXECUTE FUNCTION marketing.import_reject_redact_suppressed();

--
-- Name: people people_before_write; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER people_before_write BEFORE INSERT OR UPDATE ON marketing.people FOR EACH ROW EXECUTE FUNCTION marketing.people_before_write();

--
-- Name: people people_company_of_slot; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER people_company_of_slot BEFORE UPDATE OF company_uid ON marketing.people FOR EACH ROW WHEN ((new.company_uid IS DISTINCT FROM old.company_uid)) EXECUTE FUNCTION marketing.people_company_of_slot();

--
-- Name: people people_events_insert; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER people_events_insert AFTER INSERT ON marketing.people REFERENCING NEW TABLE AS new_people FOR EACH STATEMENT EXECUTE FUNCTION marketing.person_events_insert();

--
-- Name: people people_events_update; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER people_events_update AFTER UPDATE ON marketing.people FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION marketing.person_events_change();

--
-- Name: people people_record_change; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER people_record_change AFTER DELETE ON marketing.people FOR EACH ROW EXECUTE FUNCTION marketing.record_change('person_id');

--
-- Name: people people_record_insert; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER people_record_insert AFTER INSERT ON marketing.people REFERENCING NEW TABLE AS new_people FOR EACH STATEMENT EXECUTE FUNCTION marketing.record_insert();

--
-- Name: people people_record_update; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER people_record_update AFTER UPDATE ON marketing.people FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION marketing.record_change('person_id');

--
-- Name: people people_refuse_suppressed; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER people_refuse_suppressed BEFORE INSERT OR UPDATE OF email, linkedin_url ON marketing.people FOR EACH ROW EXECUTE FUNCTION marketing.people_refuse_suppressed();

--
-- Name: people people_suppress_erased; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER people_suppress_erased BEFORE UPDATE OF email ON marketing.people FOR EACH ROW WHEN (((new.email = marketing.erased_email(new.person_id)) AND (old.email IS DISTINCT FROM new.email))) EXECUTE FUNCTION marketing.people_suppress_erased();

--
-- Name: pii_erasure pii_erasure_erase_merged_people; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER pii_erasure_erase_merged_people AFTER INSERT ON marketing.pii_erasure FOR EACH ROW EXECUTE FUNCTION marketing.erase_merged_people();

--
-- Name: pii_erasure pii_erasure_events; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER pii_erasure_events AFTER INSERT ON marketing.pii_erasure FOR EACH ROW EXECUTE FUNCTION marketing.person_events_erase();

--
-- Name: record_merge record_merge_events; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER record_merge_events AFTER INSERT ON marketing.record_merge FOR EACH ROW EXECUTE FUNCTION marketing.merge_events_insert();

--
-- Name: slot_event slot_event_append_only; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER slot_event_append_only BEFORE DELETE OR UPDATE ON marketing.slot_event FOR EACH ROW EXECUTE FUNCTION marketing.refuse_log_rewrite();

--
-- Name: slot_event slot_event_no_truncate; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER slot_event_no_truncate BEFORE TRUNCATE ON marketing.slot_event FOR EACH STATEMENT EXECUTE FUNCTION marketing.refuse_log_rewrite();

--
-- Name: company_alias company_alias_company_uid_fkey; Type: FK CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_alias
    ADD CONSTRAINT company_alias_company_uid_fkey FOREIGN KEY (company_uid) REFERENCES marketing.company(company_uid) ON DELETE CASCADE;

--
-- Name: company_alias company_alias_merge_id_fkey; Type: FK CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_alias
    ADD CONSTRAINT company_alias_merge_id_fkey FOREIGN KEY (merge_id) REFERENCES marketing.record_merge(merge_id);

--
-- Name: company_slot company_slot_company_uid_fkey; Type: FK CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_slot
    ADD CONSTRAINT company_slot_company_uid_fkey FOREIGN KEY (company_uid) REFERENCES marketing.company(company_uid) ON DELETE CASCADE;

--
-- Name: company_slot company_slot_person_id_fkey; Type: FK CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.company_slot
    ADD CONSTRAINT company_slot_person_id_fkey FOREIGN KEY (person_id) REFERENCES marketing.people(person_id);

--
-- Name: people people_company_uid_fkey; Type: FK CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.people
    ADD CONSTRAINT people_company_uid_fkey FOREIGN KEY (company_uid) REFERENCES marketing.company(company_uid) ON DELETE SET NULL;

--
-- Name: person_alias person_alias_merge_id_fkey; Type: FK CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.person_alias
    ADD CONSTRAINT person_alias_merge_id_fkey FOREIGN KEY (merge_id) REFERENCES marketing.record_merge(merge_id);

--
-- Name: person_alias person_alias_person_id_fkey; Type: FK CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.person_alias
    ADD CONSTRAINT person_alias_person_id_fkey FOREIGN KEY (person_id) REFERENCES marketing.people(person_id) ON DELETE CASCADE;

--
-- Name: pii_erasure pii_erasure_person_id_fkey; Type: FK CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.pii_erasure
    ADD CONSTRAINT pii_erasure_person_id_fkey FOREIGN KEY (person_id) REFERENCES marketing.people(person_id);

--
-- Name: slot_lease slot_lease_slot_uid_fkey; Type: FK CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.slot_lease
    ADD CONSTRAINT slot_lease_slot_uid_fkey FOREIGN KEY (slot_uid) REFERENCES marketing.company_slot(slot_uid) ON UPDATE CASCADE ON DELETE CASCADE;

--
-- PostgreSQL database dump complete
--
