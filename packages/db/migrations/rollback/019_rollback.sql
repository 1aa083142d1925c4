-- Rollback of 019: company_slot_before_write fires on every INSERT and UPDATE again (001).

DROP TRIGGER company_slot_before_insert ON marketing.company_slot;
DROP TRIGGER company_slot_before_write ON marketing.company_slot;

CREATE TRIGGER company_slot_before_write
  BEFORE INSERT OR UPDATE ON marketing.company_slot
  FOR EACH ROW EXECUTE FUNCTION marketing.company_slot_before_write();
