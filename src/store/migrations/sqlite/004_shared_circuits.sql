-- Circuit-breaker state per receiver host, shared by every worker and shown by the API (issue 8).
CREATE TABLE host_circuits (
  host        TEXT PRIMARY KEY,
  state       TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
  failures    INTEGER NOT NULL DEFAULT 0,
  open_until  INTEGER,
  cooldown_ms INTEGER,
  updated_at  INTEGER NOT NULL
);

-- "send now": one attempt that bypasses a held circuit or a full host
ALTER TABLE deliveries ADD COLUMN force_send INTEGER NOT NULL DEFAULT 0;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (lane, next_attempt_at, host, force_send) WHERE state = 'pending';
