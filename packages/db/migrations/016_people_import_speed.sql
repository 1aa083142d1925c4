-- ple:transaction=false
-- 016 people import speed: the same results for less work per row on the
-- paths a people import takes. Nothing here changes what is stored, raised or
-- recorded.
--
-- people_before_write (002): a name, email or LinkedIn URL that is already in
-- canonical form (as core's normalisers give it to an import) is left as it
-- is instead of going through the PL/pgSQL normalisers. Measured on a
-- 2,000-row INSERT of canonical rows (EXPLAIN ANALYZE, 20,000 people stored):
-- the trigger took 108-146 ms before, most of the people INSERT's time.
--
-- people_linkedin_url_idx: match_person's identity check and the bulk
-- import's per-batch look-up of LinkedIn URLs (bulk-import.ts) find the
-- people holding a URL by equality; without an index both scanned the table.
-- Built CONCURRENTLY, so this file runs outside a transaction, one statement
-- at a time; each statement is safe to re-run after a crash (see 005).

-- As in 002, plus the cheap checks. Each accepts only values the normaliser
-- maps to themselves (anything else takes the normaliser, which repairs it or
-- raises its error):
--   name: printable ASCII (so no control characters, NFC, no other
--     whitespace), no leading, trailing or doubled space, at most 300
--     characters (company_before_write's test, 008);
--   email: a lower-case local part of normalise_email's characters and dots
--     (not leading, trailing or doubled) of at most 64 characters, then a
--     lower-case dotted DNS name of at most 63 characters (so no label is
--     longer), whose last label the URL Standard does not read as a number
--     (decimal or 0x hex), with no "xn--" label (idna_to_ascii decodes and
--     checks those) and not under "localhost";
--   LinkedIn URL: https://www.linkedin.com/in/ and a handle of 3-100 ASCII
--     lower-case letters, digits, hyphens or underscores (no percent-encoding).
-- Unbounded patterns plus length tests instead of {m,n} bounds: PostgreSQL's
-- regex engine pays for bounded repetition on every row (008).
CREATE OR REPLACE FUNCTION marketing.people_before_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
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
$$;

-- People by LinkedIn URL (match_person, the bulk import's identity check,
-- duplicate detection).
DROP INDEX CONCURRENTLY IF EXISTS marketing.people_linkedin_url_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS people_linkedin_url_idx
  ON marketing.people (linkedin_url);
