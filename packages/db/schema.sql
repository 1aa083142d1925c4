-- packages/db/schema.sql — GENERATED, do not edit: the schema after every migration
-- (001_initial_schema, 002_people, 003_ple_relationships, 004_history_tracking, 005_performance_indexes, 006_api_access, 007_operations, 008_import_speed), dumped by pg_dump --schema-only from a freshly migrated database.
-- Regenerate after changing or adding a migration: pnpm --filter @ple/db schema:dump
-- forward migrations sha256: 6f27239ad525e75894e9d1eb7bc6ab2e47363266017b314201c782b0f19b6267

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
  v text := lower(p_host);
  v_label text;
  v_labels text[] := ARRAY[]::text[];
BEGIN
  v := regexp_replace(v, '\.$', '');
  IF v = '' THEN
    RETURN jsonb_build_object('reason', 'invalid_host', 'why', 'there is no host name');
  END IF;
  IF v !~ '^([a-z0-9.-]|[^\x01-\x7f\t\n\u000b\f\r \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff])*$' THEN
    RETURN jsonb_build_object(
      'reason', 'invalid_host', 'why', format('the host "%s" contains characters a domain cannot have', v)
    );
  END IF;
  IF v ~ '[^\x01-\x7f]' THEN
    FOREACH v_label IN ARRAY string_to_array(v, '.') LOOP
      IF v_label ~ '[^\x01-\x7f]' THEN
        v_label := 'xn--' || marketing.punycode_encode(v_label);
      END IF;
      v_labels := v_labels || v_label;
    END LOOP;
    v := array_to_string(v_labels, '.');
  END IF;
  IF v ~ '^[0-9]+(\.[0-9]+)*$' THEN
    RETURN jsonb_build_object('reason', 'ip_address', 'why', format('"%s" is an IP address, not a domain', v));
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
     )
     OR v ~ '\.[0-9]+$' THEN
    RETURN jsonb_build_object('reason', 'invalid_host', 'why', format('"%s" is not a valid domain name', v));
  END IF;
  RETURN jsonb_build_object('host', v);
END;
$_$;

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
    FROM marketing.company_history AS h
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
  -- labels of at most 63 characters, no numeric last label, no "localhost" and
  -- no "www." that would be stripped.
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
                  AND NEW.website !~ '\.[0-9]+$'
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
    SELECT c.company_uid,
           CASE WHEN c.website = v_website THEN 'website' ELSE 'apollo_company_id' END
      INTO v_uid, v_matched_by
      FROM marketing.company AS c
     WHERE c.website = v_website
        OR (v_apollo IS NOT NULL AND c.apollo_company_id = v_apollo)
     ORDER BY (c.website = v_website) DESC
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
  v text := marketing.prepare_text(p_email, 'email', 'The email', 320, true);
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
  v_local := lower(split_part(v, '@', 1));
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
  v text := marketing.prepare_text(p_website, 'website', 'The website', 2048, true);
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
    AS $$
BEGIN
  NEW.name := marketing.normalise_name(NEW.name, 'name');
  NEW.email := marketing.normalise_email(NEW.email);
  IF NEW.linkedin_url IS NOT NULL THEN
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
    FROM marketing.people_history AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.people, h.row_data) AS r
   WHERE h.person_id = p_person_id AND h.valid_from <= p_at AND p_at < h.valid_to
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

  FOREACH v_table IN ARRAY ARRAY['audit_log', 'slot_event'] LOOP
    v_count := 0;
    IF v_audit_cutoff IS NOT NULL THEN
      IF p_dry_run THEN
        EXECUTE format('SELECT count(*) FROM marketing.%I WHERE at < $1', v_table)
          INTO v_count USING v_audit_cutoff;
      ELSE
        EXECUTE format('DELETE FROM marketing.%I WHERE at < $1', v_table) USING v_audit_cutoff;
        GET DIAGNOSTICS v_count = ROW_COUNT;
      END IF;
    END IF;
    v_rows := v_rows || jsonb_build_object(v_table, v_count);
  END LOOP;

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
  v_old jsonb;
  v_new jsonb;
  v_key text;
  v_old_key text;
  v_changed text[];
  v_actor text := marketing.current_actor();
  v_request_id text := marketing.current_request_id();
  v_txid bigint := txid_current();
  v_now timestamptz := clock_timestamp();
  v_from timestamptz;
  v_fold boolean;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    v_old := to_jsonb(OLD);
    v_old_key := v_old ->> v_key_column;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    v_new := to_jsonb(NEW);
    v_key := v_new ->> v_key_column;
    v_from := coalesce((v_new ->> 'updated_at')::timestamptz, v_now);
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
    v_now, TG_OP, TG_TABLE_NAME, coalesce(v_key, v_old_key), v_old, v_new, v_changed,
    v_actor, v_request_id, marketing.current_application(), v_txid
  );

  -- Per table: (1) a second change in the same transaction folds into the
  -- version it wrote; (2) otherwise the current version ends where the new
  -- one starts (or at the delete); (3) the new version begins.
  v_fold := TG_OP = 'UPDATE' AND v_key = v_old_key;
  IF TG_TABLE_NAME = 'company' THEN
    IF v_fold THEN
      UPDATE marketing.company_history AS h
         SET row_data = v_new, actor = v_actor, request_id = v_request_id
       WHERE h.company_uid = v_key AND h.valid_to = 'infinity' AND h.txid = v_txid;
      IF FOUND THEN RETURN NULL; END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      UPDATE marketing.company_history AS h
         SET valid_to = greatest(h.valid_from, coalesce(v_from, v_now))
       WHERE h.company_uid = v_old_key AND h.valid_to = 'infinity';
    END IF;
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO marketing.company_history (company_uid, valid_from, operation, row_data, actor, request_id, txid)
      VALUES (v_key, v_from, TG_OP, v_new, v_actor, v_request_id, v_txid);
    END IF;
  ELSIF TG_TABLE_NAME = 'company_slot' THEN
    IF v_fold THEN
      UPDATE marketing.company_slot_history AS h
         SET row_data = v_new, actor = v_actor, request_id = v_request_id
       WHERE h.slot_uid = v_key AND h.valid_to = 'infinity' AND h.txid = v_txid;
      IF FOUND THEN RETURN NULL; END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      UPDATE marketing.company_slot_history AS h
         SET valid_to = greatest(h.valid_from, coalesce(v_from, v_now))
       WHERE h.slot_uid = v_old_key AND h.valid_to = 'infinity';
    END IF;
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO marketing.company_slot_history (slot_uid, valid_from, operation, row_data, actor, request_id, txid)
      VALUES (v_key, v_from, TG_OP, v_new, v_actor, v_request_id, v_txid);
    END IF;
  ELSIF TG_TABLE_NAME = 'people' THEN
    IF v_fold THEN
      UPDATE marketing.people_history AS h
         SET row_data = v_new, actor = v_actor, request_id = v_request_id
       WHERE h.person_id = v_key AND h.valid_to = 'infinity' AND h.txid = v_txid;
      IF FOUND THEN RETURN NULL; END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      UPDATE marketing.people_history AS h
         SET valid_to = greatest(h.valid_from, coalesce(v_from, v_now))
       WHERE h.person_id = v_old_key AND h.valid_to = 'infinity';
    END IF;
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO marketing.people_history (person_id, valid_from, operation, row_data, actor, request_id, txid)
      VALUES (v_key, v_from, TG_OP, v_new, v_actor, v_request_id, v_txid);
    END IF;
  ELSE
    RAISE EXCEPTION 'marketing.record_change() has no history table for %', TG_TABLE_NAME;
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
    WITH n AS MATERIALIZED (
      SELECT n.company_uid AS record_key, n.updated_at, to_jsonb(n) AS row_data FROM new_company AS n
    ), audit AS (
      INSERT INTO marketing.audit_log (
        at, operation, table_name, record_key, new_values, actor, request_id, application, txid
      )
      SELECT clock_timestamp(), 'INSERT', 'company', n.record_key, n.row_data,
             v_actor, v_request_id, v_application, v_txid
        FROM n
    )
    INSERT INTO marketing.company_history (company_uid, valid_from, operation, row_data, actor, request_id, txid)
    SELECT n.record_key, coalesce(n.updated_at, clock_timestamp()), 'INSERT', n.row_data,
           v_actor, v_request_id, v_txid
      FROM n;
  ELSIF TG_TABLE_NAME = 'company_slot' THEN
    WITH n AS MATERIALIZED (
      SELECT n.slot_uid AS record_key, n.updated_at, to_jsonb(n) AS row_data FROM new_company_slot AS n
    ), audit AS (
      INSERT INTO marketing.audit_log (
        at, operation, table_name, record_key, new_values, actor, request_id, application, txid
      )
      SELECT clock_timestamp(), 'INSERT', 'company_slot', n.record_key, n.row_data,
             v_actor, v_request_id, v_application, v_txid
        FROM n
    )
    INSERT INTO marketing.company_slot_history (slot_uid, valid_from, operation, row_data, actor, request_id, txid)
    SELECT n.record_key, coalesce(n.updated_at, clock_timestamp()), 'INSERT', n.row_data,
           v_actor, v_request_id, v_txid
      FROM n;
  ELSIF TG_TABLE_NAME = 'people' THEN
    WITH n AS MATERIALIZED (
      SELECT n.person_id AS record_key, n.updated_at, to_jsonb(n) AS row_data FROM new_people AS n
    ), audit AS (
      INSERT INTO marketing.audit_log (
        at, operation, table_name, record_key, new_values, actor, request_id, application, txid
      )
      SELECT clock_timestamp(), 'INSERT', 'people', n.record_key, n.row_data,
             v_actor, v_request_id, v_application, v_txid
        FROM n
    )
    INSERT INTO marketing.people_history (person_id, valid_from, operation, row_data, actor, request_id, txid)
    SELECT n.record_key, coalesce(n.updated_at, clock_timestamp()), 'INSERT', n.row_data,
           v_actor, v_request_id, v_txid
      FROM n;
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
    FROM marketing.company_slot_history AS h
   CROSS JOIN LATERAL jsonb_populate_record(NULL::marketing.company_slot, h.row_data) AS r
   WHERE h.slot_uid = p_slot_uid AND h.valid_from <= p_at AND p_at < h.valid_to
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
    CONSTRAINT audit_log_values_check CHECK ((((operation = 'INSERT'::text) AND (old_values IS NULL) AND (new_values IS NOT NULL)) OR ((operation = 'UPDATE'::text) AND (old_values IS NOT NULL) AND (new_values IS NOT NULL)) OR ((operation = 'DELETE'::text) AND (old_values IS NOT NULL) AND (new_values IS NULL)) OR ((operation = ANY (ARRAY['ERASE'::text, 'PURGE'::text])) AND (old_values IS NULL) AND (new_values IS NOT NULL))))
);

--
-- Name: TABLE audit_log; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.audit_log IS 'Append-only log of every change to company, company_slot and people. UPDATE, DELETE and TRUNCATE are refused unless the transaction has set ple.audit_maintenance = on (retention and PII erasure functions only).';

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

COMMENT ON TABLE marketing.company_history IS 'Versions of marketing.company; current version has valid_to = infinity';

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

COMMENT ON TABLE marketing.company_slot_history IS 'Versions of marketing.company_slot; current version has valid_to = infinity';

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

COMMENT ON TABLE marketing.people_history IS 'Versions of marketing.people; current version has valid_to = infinity';

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
    counts jsonb NOT NULL
);

--
-- Name: TABLE pii_erasure; Type: COMMENT; Schema: marketing; Owner: -
--

COMMENT ON TABLE marketing.pii_erasure IS 'Tombstones of erased people: who erased them, when, and how many rows were scrubbed (no PII)';

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
-- Name: idempotency_key idempotency_key_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.idempotency_key
    ADD CONSTRAINT idempotency_key_pkey PRIMARY KEY (actor, key);

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
-- Name: pii_erasure pii_erasure_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.pii_erasure
    ADD CONSTRAINT pii_erasure_pkey PRIMARY KEY (person_id);

--
-- Name: slot_event slot_event_pkey; Type: CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.slot_event
    ADD CONSTRAINT slot_event_pkey PRIMARY KEY (event_id);

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
-- Name: audit_log_record_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX audit_log_record_idx ON marketing.audit_log USING btree (table_name, record_key, at);

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
-- Name: people_lower_name_idx; Type: INDEX; Schema: marketing; Owner: -
--

CREATE INDEX people_lower_name_idx ON marketing.people USING btree (lower(name));

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
-- Name: company_slot company_slot_before_delete; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_before_delete BEFORE DELETE ON marketing.company_slot FOR EACH ROW EXECUTE FUNCTION marketing.company_slot_before_delete();

--
-- Name: company_slot company_slot_before_write; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_before_write BEFORE INSERT OR UPDATE ON marketing.company_slot FOR EACH ROW EXECUTE FUNCTION marketing.company_slot_before_write();

--
-- Name: company_slot company_slot_record_change; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_record_change AFTER DELETE ON marketing.company_slot FOR EACH ROW EXECUTE FUNCTION marketing.record_change('slot_uid');

--
-- Name: company_slot company_slot_record_event; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_record_event AFTER UPDATE OF status, person_id ON marketing.company_slot FOR EACH ROW WHEN (((old.status IS DISTINCT FROM new.status) OR (old.person_id IS DISTINCT FROM new.person_id))) EXECUTE FUNCTION marketing.record_slot_event();

--
-- Name: company_slot company_slot_record_insert; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_record_insert AFTER INSERT ON marketing.company_slot REFERENCING NEW TABLE AS new_company_slot FOR EACH STATEMENT EXECUTE FUNCTION marketing.record_insert();

--
-- Name: company_slot company_slot_record_update; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER company_slot_record_update AFTER UPDATE ON marketing.company_slot FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION marketing.record_change('slot_uid');

--
-- Name: people people_before_write; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER people_before_write BEFORE INSERT OR UPDATE ON marketing.people FOR EACH ROW EXECUTE FUNCTION marketing.people_before_write();

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
-- Name: slot_event slot_event_append_only; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER slot_event_append_only BEFORE DELETE OR UPDATE ON marketing.slot_event FOR EACH ROW EXECUTE FUNCTION marketing.refuse_log_rewrite();

--
-- Name: slot_event slot_event_no_truncate; Type: TRIGGER; Schema: marketing; Owner: -
--

CREATE TRIGGER slot_event_no_truncate BEFORE TRUNCATE ON marketing.slot_event FOR EACH STATEMENT EXECUTE FUNCTION marketing.refuse_log_rewrite();

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
-- Name: pii_erasure pii_erasure_person_id_fkey; Type: FK CONSTRAINT; Schema: marketing; Owner: -
--

ALTER TABLE ONLY marketing.pii_erasure
    ADD CONSTRAINT pii_erasure_person_id_fkey FOREIGN KEY (person_id) REFERENCES marketing.people(person_id);

--
-- PostgreSQL database dump complete
--
