-- ple:transaction=false
-- Reverses 016: drops people_linkedin_url_idx CONCURRENTLY and restores
-- people_before_write as 002 defined it. Each statement is safe to re-run.

DROP INDEX CONCURRENTLY IF EXISTS marketing.people_linkedin_url_idx;

CREATE OR REPLACE FUNCTION marketing.people_before_write()
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
