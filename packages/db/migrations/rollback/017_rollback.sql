-- Rollback of 017: the four row-level triggers on company_slot UPDATE again
-- (013's, 014's and 004's definitions, with 015's record_change), and
-- company_slot_before_write as 001 defined it.

DROP TRIGGER company_slot_after_update ON marketing.company_slot;
DROP FUNCTION marketing.company_slot_after_update();

CREATE TRIGGER company_slot_end_lease
  AFTER UPDATE OF status ON marketing.company_slot
  FOR EACH ROW
  WHEN (OLD.status = 'open' AND NEW.status <> 'open')
  EXECUTE FUNCTION marketing.end_slot_lease();

CREATE TRIGGER company_slot_events_change
  AFTER UPDATE OF status, person_id ON marketing.company_slot
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.person_id IS DISTINCT FROM NEW.person_id)
  EXECUTE FUNCTION marketing.slot_events_change();

CREATE TRIGGER company_slot_record_event
  AFTER UPDATE OF status, person_id ON marketing.company_slot
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.person_id IS DISTINCT FROM NEW.person_id)
  EXECUTE FUNCTION marketing.record_slot_event();

CREATE TRIGGER company_slot_record_update
  AFTER UPDATE ON marketing.company_slot
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION marketing.record_change('slot_uid');

CREATE OR REPLACE FUNCTION marketing.company_slot_before_write()
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
