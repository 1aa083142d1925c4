-- Reverses 008: next_daily_uid gets back its 001 definition (word for word),
-- and the functions 008 added go.

CREATE OR REPLACE FUNCTION marketing.next_daily_uid(p_seq regclass, p_prefix text, p_field text)
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

DROP FUNCTION marketing.gen_company_uids(integer);
DROP FUNCTION marketing.next_daily_uids(regclass, text, text, integer);
DROP FUNCTION marketing.daily_uid_of_value(bigint, text, text);
DROP FUNCTION marketing.roll_daily_uid_sequence(regclass, bigint);
