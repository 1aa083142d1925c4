-- 002 people: the people table, its UID generator, the email and LinkedIn
-- normalisers shared with @ple/core (vectors/README.md "Email", "LinkedIn"),
-- and insert_person (idempotent by email).

-- An email address: trimmed, lower-case, one @, an ASCII dot-atom local part
-- and a dotted domain (IDN → punycode).
CREATE FUNCTION marketing.normalise_email(p_email text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
AS $$
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
$$;

-- Percent-decodes p_text as UTF-8; NULL when an escape or the UTF-8 is broken
-- (or decodes to NUL, which text cannot hold).
CREATE FUNCTION marketing.percent_decode(p_text text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
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

-- A LinkedIn profile as https://www.linkedin.com/in/<handle>: any scheme,
-- subdomain, port, trailing path, query or fragment; the handle lower-case
-- (NFC), non-ASCII characters percent-encoded as UTF-8 (upper-case hex).
CREATE FUNCTION marketing.normalise_linkedin_url(p_url text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
AS $$
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
$$;

CREATE SEQUENCE marketing.person_uid_seq AS bigint MINVALUE 0 START WITH 0 CACHE 1;

COMMENT ON SEQUENCE marketing.person_uid_seq IS
  'YYYYMMDD * 10^7 + daily counter; advanced only by marketing.gen_person_uid()';

CREATE FUNCTION marketing.gen_person_uid()
RETURNS text
LANGUAGE sql
VOLATILE
AS $$
  SELECT marketing.next_daily_uid('marketing.person_uid_seq'::regclass, 'PE', 'person_id')
$$;

CREATE TABLE marketing.people (
  person_id text NOT NULL,
  name text NOT NULL,
  email text NOT NULL,
  linkedin_url text,
  validation_status text NOT NULL DEFAULT 'pending',
  validation_provider text,
  validation_result_raw text,
  validated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT people_pkey PRIMARY KEY (person_id),
  CONSTRAINT people_email_key UNIQUE (email),
  CONSTRAINT people_person_id_format CHECK (person_id ~ '^PE-[0-9]{8}-[0-9]{6}$'),
  CONSTRAINT people_name_not_blank CHECK (name <> '' AND name = btrim(name)),
  CONSTRAINT people_email_lower CHECK (email = lower(email) AND email = btrim(email)),
  CONSTRAINT people_linkedin_url_format CHECK (linkedin_url ~ '^https://www\.linkedin\.com/in/[^/]+$'),
  CONSTRAINT people_validation_status_check
    CHECK (validation_status IN ('pending', 'valid', 'invalid', 'risky', 'throttled', 'error'))
);

COMMENT ON TABLE marketing.people IS 'One row per person; email stored normalised and unique';

CREATE FUNCTION marketing.people_before_write()
RETURNS trigger
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

CREATE TRIGGER people_before_write
  BEFORE INSERT OR UPDATE ON marketing.people
  FOR EACH ROW EXECUTE FUNCTION marketing.people_before_write();

-- Idempotent by normalised email; concurrent inserts of one email yield one row.
CREATE FUNCTION marketing.insert_person(p_name text, p_email text, p_linkedin_url text)
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
  v_id text;
  v_attempt integer := 0;
BEGIN
  LOOP
    v_attempt := v_attempt + 1;
    SELECT p.person_id INTO v_id FROM marketing.people AS p WHERE p.email = v_email;
    IF v_id IS NOT NULL THEN
      RETURN json_build_object('status', 'exists', 'person_id', v_id);
    END IF;
    INSERT INTO marketing.people (person_id, name, email, linkedin_url)
    VALUES (marketing.gen_person_uid(), v_name, v_email, v_linkedin)
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
