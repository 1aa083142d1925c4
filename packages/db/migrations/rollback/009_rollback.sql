-- Reverses 009: check_host, normalise_website (001), normalise_email (002) and
-- company_before_write (008) get back their definitions word for word; the
-- IDNA functions and tables 009 added go.

CREATE OR REPLACE FUNCTION marketing.check_host(p_host text)
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

CREATE OR REPLACE FUNCTION marketing.normalise_website(p_website text)
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

CREATE OR REPLACE FUNCTION marketing.normalise_email(p_email text)
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

CREATE OR REPLACE FUNCTION marketing.company_before_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
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
$$;

DROP FUNCTION marketing.recanonical_key(text, text);
DROP FUNCTION marketing.idna_is_ipv4(text);
DROP FUNCTION marketing.idna_ends_in_number(text);
DROP FUNCTION marketing.idna_to_ascii(text);
DROP FUNCTION marketing.idna_valid_label(text, boolean);
DROP FUNCTION marketing.idna_pattern(text);
DROP FUNCTION marketing.punycode_decode(text);
DROP FUNCTION marketing.nfc(text);
DROP FUNCTION marketing.from_code_points(integer[]);
DROP FUNCTION marketing.code_points(text);
DROP FUNCTION marketing.nfc_code_points(integer[]);
DROP TABLE marketing.unicode_composition;
DROP TABLE marketing.unicode_combining_class;
DROP TABLE marketing.unicode_decomposition;
DROP TABLE marketing.idna_pattern;
DROP TABLE marketing.idna_mapping;
