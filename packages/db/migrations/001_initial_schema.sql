-- 001 initial schema: the marketing schema, companies and their three role slots,
-- the slot state machine, the normalisation functions shared with @ple/core,
-- the UID generators and insert_company_with_slots.
--
-- Errors raised here use custom SQLSTATEs (PL001 VALIDATION_FAILED, PL002
-- INVALID_TRANSITION, PL007 UID_EXHAUSTED); COLUMN names the field and, for
-- PL001, DETAIL is the reason token of core's shared vectors.

CREATE SCHEMA marketing;

COMMENT ON SCHEMA marketing IS 'PLE: companies, role slots, people, history and audit';

-- ---------------------------------------------------------------------------
-- Errors
-- ---------------------------------------------------------------------------

-- One place that raises PL001, so every validation error has the same shape.
CREATE FUNCTION marketing.raise_validation(p_field text, p_reason text, p_message text)
RETURNS void
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

-- ---------------------------------------------------------------------------
-- Normalisation (must agree with @ple/core's normalise.ts and its vectors)
-- ---------------------------------------------------------------------------

-- RFC 3492 Punycode encoding of one label (without the "xn--" prefix).
CREATE FUNCTION marketing.punycode_encode(p_label text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
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

-- The steps every normaliser starts with (core vectors/README.md, "Steps
-- shared by every normaliser"): no control characters, trimmed of the shared
-- whitespace class, NFC (unless p_nfc is false), not empty, not too long.
CREATE FUNCTION marketing.prepare_text(p_input text, p_field text, p_label text, p_max integer, p_nfc boolean)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
AS $$
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
$$;

-- Website steps 7–13 (shared with email domains): lower case, one trailing
-- dot dropped, IDN labels to punycode, then the DNS-name checks. Returns
-- {host} or {reason, why}.
CREATE FUNCTION marketing.check_host(p_host text)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
AS $$
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
$$;

-- Canonical website: the bare lower-case domain, without scheme, user info,
-- "www.", port, path, query, fragment or trailing dot; IDN as punycode.
-- Follows core vectors/README.md "Website" step by step.
CREATE FUNCTION marketing.normalise_website(p_website text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
AS $$
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
$$;

-- EIN, judged but never rewritten: {raw: trimmed input, normalised:
-- "NN-NNNNNNN" or null, valid: shape right and IRS-assigned prefix}.
CREATE FUNCTION marketing.normalise_ein(p_ein text)
RETURNS json
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
AS $$
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
$$;

-- Names and other free text (p_field 'company_name', 'name', 'title'): NFC,
-- trimmed, each run of whitespace one space; case and punctuation kept.
CREATE FUNCTION marketing.normalise_name(p_name text, p_field text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
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

-- NULL when p_value is NULL or only whitespace (the shared class), else p_value:
-- optional inputs (Apollo id, EIN, LinkedIn URL, title) given as blank mean "none".
CREATE FUNCTION marketing.blank_to_null(p_value text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN p_value ~ '^[\t\n\u000b\f\r \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]*$' THEN NULL
    ELSE p_value
  END
$$;

-- Apollo's company id: opaque, kept as given but trimmed; blank means none.
CREATE FUNCTION marketing.normalise_apollo_id(p_apollo_id text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN marketing.blank_to_null(p_apollo_id) IS NULL THEN NULL
    ELSE marketing.prepare_text(p_apollo_id, 'apollo_company_id', 'The Apollo company id', 300, false)
  END
$$;

-- ---------------------------------------------------------------------------
-- UIDs (core vectors/README.md "UIDs"; uid-format.json and uid-parse.json)
-- ---------------------------------------------------------------------------

-- True when p_day is YYYYMMDD naming a real proleptic Gregorian date, 0001–9999.
CREATE FUNCTION marketing.is_valid_uid_day(p_day text)
RETURNS boolean
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
AS $$
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
$$;

-- Parses a UID the way core's parseUid does. p_kind 'company', 'person',
-- 'slot' or 'any' chooses the field named in errors and refuses other kinds
-- (wrong_kind). Returns {kind, day, counter} (+ role, companyUid for slots).
CREATE FUNCTION marketing.parse_uid(p_uid text, p_kind text DEFAULT 'any')
RETURNS json
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
AS $$
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
$$;

-- Formats a company or person UID (p_prefix 'CO' or 'PE') like core's
-- formatCompanyUid / formatPersonId. A counter past 999999 raises PL007.
CREATE FUNCTION marketing.format_daily_uid(p_prefix text, p_day text, p_counter numeric)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
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

-- A daily UID counter lives in one sequence per kind whose value encodes the
-- UTC day and the counter: YYYYMMDD * 10^7 + counter. nextval never waits for
-- other transactions and is never rolled back, so concurrent writers do not
-- serialise on anything. The first call of a new day finds a value from an
-- earlier day and moves the sequence to today under a session advisory lock
-- (held for microseconds, never to commit); the sequences have CACHE 1 so no
-- session keeps handing out yesterday's values. Past 999999 in a day: PL007.
CREATE FUNCTION marketing.next_daily_uid(p_seq regclass, p_prefix text, p_field text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_today bigint := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD')::bigint;
  v bigint := nextval(p_seq);
  v_lock integer := hashtext(p_seq::text);
  v_day text;
  v_counter bigint;
BEGIN
  IF v / 10000000 < v_today THEN
    PERFORM pg_advisory_lock(hashtext('ple.uid'), v_lock);
    BEGIN
      v := nextval(p_seq);
      IF v / 10000000 < v_today THEN
        v := v_today * 10000000 + 1;
        PERFORM setval(p_seq, v, true);
      END IF;
    EXCEPTION WHEN OTHERS THEN
      PERFORM pg_advisory_unlock(hashtext('ple.uid'), v_lock);
      RAISE;
    END;
    PERFORM pg_advisory_unlock(hashtext('ple.uid'), v_lock);
  END IF;
  -- A value from a later day (the clock just passed midnight in another
  -- session) carries that day.
  v_day := lpad((v / 10000000)::text, 8, '0');
  v_counter := v % 10000000;
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

CREATE SEQUENCE marketing.company_uid_seq AS bigint MINVALUE 0 START WITH 0 CACHE 1;

COMMENT ON SEQUENCE marketing.company_uid_seq IS
  'YYYYMMDD * 10^7 + daily counter; advanced only by marketing.gen_company_uid()';

CREATE FUNCTION marketing.gen_company_uid()
RETURNS text
LANGUAGE sql
VOLATILE
AS $$
  SELECT marketing.next_daily_uid('marketing.company_uid_seq'::regclass, 'CO', 'company_uid')
$$;

-- SL-<company_uid>-<ROLE>, like core's formatSlotUid: the company UID must
-- parse (reasons as parse_uid, field company_uid), the role be CEO, CFO or HR.
CREATE FUNCTION marketing.gen_slot_uid(p_company_uid text, p_role text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
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

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

CREATE TABLE marketing.company (
  company_uid text NOT NULL,
  company_name text NOT NULL,
  website text NOT NULL,
  apollo_company_id text,
  ein_raw text,
  ein_valid boolean,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT company_pkey PRIMARY KEY (company_uid),
  CONSTRAINT company_website_key UNIQUE (website),
  CONSTRAINT company_apollo_company_id_key UNIQUE (apollo_company_id),
  CONSTRAINT company_uid_format CHECK (company_uid ~ '^CO-[0-9]{8}-[0-9]{6}$'),
  CONSTRAINT company_name_not_blank CHECK (company_name <> '' AND company_name = btrim(company_name)),
  CONSTRAINT company_website_format CHECK (website ~ '^[a-z0-9-]+(\.[a-z0-9-]+)+$'),
  CONSTRAINT company_apollo_company_id_not_blank CHECK (apollo_company_id <> ''),
  CONSTRAINT company_ein_raw_not_blank CHECK (ein_raw <> ''),
  CONSTRAINT company_ein_valid_with_raw CHECK ((ein_raw IS NULL) = (ein_valid IS NULL))
);

COMMENT ON TABLE marketing.company IS 'One row per company; website is the canonical domain';

CREATE TABLE marketing.company_slot (
  slot_uid text NOT NULL,
  company_uid text NOT NULL,
  role text NOT NULL,
  status text NOT NULL DEFAULT 'open',
  person_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT company_slot_pkey PRIMARY KEY (slot_uid),
  CONSTRAINT company_slot_company_uid_fkey FOREIGN KEY (company_uid)
    REFERENCES marketing.company (company_uid) ON DELETE CASCADE,
  CONSTRAINT company_slot_company_uid_role_key UNIQUE (company_uid, role),
  CONSTRAINT company_slot_role_check CHECK (role IN ('CEO', 'CFO', 'HR')),
  CONSTRAINT company_slot_status_check CHECK (status IN ('open', 'pending', 'filled')),
  CONSTRAINT company_slot_person_matches_status CHECK ((person_id IS NULL) = (status = 'open')),
  CONSTRAINT company_slot_uid_format CHECK (slot_uid = 'SL-' || company_uid || '-' || role)
);

COMMENT ON TABLE marketing.company_slot IS 'Exactly three role slots (CEO, CFO, HR) per company';

-- The slot state machine, seeded from @ple/core's SLOT_TRANSITIONS.
CREATE TABLE marketing.slot_transition (
  from_status text NOT NULL,
  event text NOT NULL,
  to_status text NOT NULL,
  CONSTRAINT slot_transition_pkey PRIMARY KEY (from_status, event),
  CONSTRAINT slot_transition_from_to_key UNIQUE (from_status, to_status),
  CONSTRAINT slot_transition_from_status_check CHECK (from_status IN ('open', 'pending', 'filled')),
  CONSTRAINT slot_transition_to_status_check CHECK (to_status IN ('open', 'pending', 'filled')),
  CONSTRAINT slot_transition_event_check
    CHECK (event IN ('link', 'propose', 'confirm', 'reject', 'vacate', 'displace'))
);

INSERT INTO marketing.slot_transition (from_status, event, to_status) VALUES
  ('open', 'link', 'filled'),
  ('open', 'propose', 'pending'),
  ('pending', 'confirm', 'filled'),
  ('pending', 'reject', 'open'),
  ('filled', 'vacate', 'open'),
  ('filled', 'displace', 'filled');

-- The status after p_event, or PL002 INVALID_TRANSITION (DETAIL {"from", "event"}).
CREATE FUNCTION marketing.next_slot_status(p_from text, p_event text)
RETURNS text
LANGUAGE plpgsql
STABLE
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

-- ---------------------------------------------------------------------------
-- Row triggers: canonical values on write, updated_at only on real change,
-- slot status changes only along slot_transition.
-- ---------------------------------------------------------------------------

CREATE FUNCTION marketing.company_before_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_ein json;
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
  IF NOT coalesce(NEW.website ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'
                   AND length(NEW.website) <= 253
                   AND NEW.website !~ '\.[0-9]+$'
                   AND NEW.website NOT LIKE '%.localhost'
                   AND NOT (NEW.website LIKE 'www.%' AND strpos(substring(NEW.website FROM 5), '.') > 0), false) THEN
    NEW.website := marketing.normalise_website(NEW.website);
  END IF;
  IF NEW.apollo_company_id IS NOT NULL
     AND NOT (NEW.apollo_company_id ~ '^[!-~]([ -~]*[!-~])?$' AND length(NEW.apollo_company_id) <= 300) THEN
    NEW.apollo_company_id := marketing.normalise_apollo_id(NEW.apollo_company_id);
  END IF;
  IF marketing.blank_to_null(NEW.ein_raw) IS NULL THEN
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
$$;

CREATE TRIGGER company_before_write
  BEFORE INSERT OR UPDATE ON marketing.company
  FOR EACH ROW EXECUTE FUNCTION marketing.company_before_write();

CREATE FUNCTION marketing.company_slot_before_write()
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

CREATE TRIGGER company_slot_before_write
  BEFORE INSERT OR UPDATE ON marketing.company_slot
  FOR EACH ROW EXECUTE FUNCTION marketing.company_slot_before_write();

-- ---------------------------------------------------------------------------
-- insert_company_with_slots
-- ---------------------------------------------------------------------------

-- The company (with its slots) as returned by insert_company_with_slots.
CREATE FUNCTION marketing.company_json(p_company_uid text, p_status text, p_matched_by text)
RETURNS json
LANGUAGE sql
STABLE
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

-- Idempotent by canonical website or Apollo id, also under concurrency:
-- INSERT ... ON CONFLICT DO NOTHING waits for a concurrent inserter of the
-- same website or Apollo id and then finds its row (READ COMMITTED takes a
-- new snapshot per statement). An existing company gets any missing slot.
CREATE FUNCTION marketing.insert_company_with_slots(
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
