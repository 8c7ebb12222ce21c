-- Circuit-breaker state per receiver host, shared by every worker and shown by the API.
CREATE TABLE host_circuits (
  host        text PRIMARY KEY,
  state       text NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
  failures    integer NOT NULL DEFAULT 0,
  open_until  bigint,
  cooldown_ms bigint,
  updated_at  bigint NOT NULL
);

-- "send now": one attempt that bypasses a held circuit or a full host
ALTER TABLE deliveries ADD COLUMN force_send boolean NOT NULL DEFAULT false;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (lane, next_attempt_at) INCLUDE (host, force_send) WHERE state = 'pending';
