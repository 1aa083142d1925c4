-- 006_api_access: what the tRPC API needs of its own — API keys with roles and
-- the idempotency records that make a retried mutation safe.
--
-- An API key is stored only as the SHA-256 hash of its high-entropy plaintext
-- (a slow password hash buys nothing for 256 random bits) plus a short prefix
-- so people can tell their keys apart. The key's id is the actor written to
-- the audit log of every change made through the API.

CREATE TABLE marketing.api_key (
  id           text        NOT NULL,
  name         text        NOT NULL,
  role         text        NOT NULL,
  key_hash     text        NOT NULL,
  key_prefix   text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  last_used_at timestamptz,
  CONSTRAINT api_key_pkey PRIMARY KEY (id),
  CONSTRAINT api_key_id_format CHECK (id ~ '^ak_[0-9a-f]{16}$'),
  CONSTRAINT api_key_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  CONSTRAINT api_key_role_check CHECK (role IN ('read', 'write', 'admin')),
  CONSTRAINT api_key_key_hash_format CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT api_key_key_hash_key UNIQUE (key_hash),
  CONSTRAINT api_key_key_prefix_check CHECK (length(key_prefix) BETWEEN 4 AND 16),
  CONSTRAINT api_key_revoked_after_created CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);

COMMENT ON TABLE marketing.api_key IS
  'API keys of the tRPC API: SHA-256 hash and display prefix only, never the key itself.';

-- Creating, renaming, re-roling, revoking and deleting a key reach the audit
-- log like any other change (without the hash); last_used_at refreshes do not.
CREATE FUNCTION marketing.record_api_key_change()
RETURNS trigger
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

CREATE TRIGGER api_key_record_change
  AFTER INSERT OR DELETE ON marketing.api_key
  FOR EACH ROW EXECUTE FUNCTION marketing.record_api_key_change();

CREATE TRIGGER api_key_record_update
  AFTER UPDATE ON marketing.api_key
  FOR EACH ROW WHEN (
    OLD.name IS DISTINCT FROM NEW.name
    OR OLD.role IS DISTINCT FROM NEW.role
    OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
  )
  EXECUTE FUNCTION marketing.record_api_key_change();

-- One row per (actor, Idempotency-Key): the first successful response of a
-- mutation, replayed for a retry with the same request, refused (IDEMPOTENCY_CONFLICT)
-- for the same key with a different procedure or body. The row is written in
-- the mutation's own transaction, so a failed mutation leaves no record and a
-- concurrent duplicate waits on the primary key until the first one commits.
CREATE TABLE marketing.idempotency_key (
  key          text        NOT NULL,
  actor        text        NOT NULL,
  procedure    text        NOT NULL,
  request_hash text        NOT NULL,
  response     jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT idempotency_key_pkey PRIMARY KEY (actor, key),
  CONSTRAINT idempotency_key_key_check CHECK (length(key) BETWEEN 1 AND 255),
  CONSTRAINT idempotency_key_request_hash_format CHECK (request_hash ~ '^[0-9a-f]{64}$')
);

-- Purging old records scans by age.
CREATE INDEX idempotency_key_created_at_idx ON marketing.idempotency_key (created_at);

COMMENT ON TABLE marketing.idempotency_key IS
  'First response of each mutation sent with an Idempotency-Key, per actor; purge old rows with purgeIdempotencyKeys.';
