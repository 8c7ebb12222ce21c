-- Leases (issue 8): a claimed job or delivery names its worker and when the claim lapses; a lapsed
-- claim is taken back by any worker instead of a start-up reset.
ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN locked_by TEXT;
ALTER TABLE jobs ADD COLUMN locked_until INTEGER;
ALTER TABLE deliveries ADD COLUMN locked_by TEXT;
ALTER TABLE deliveries ADD COLUMN locked_until INTEGER;

-- A lane is an equality, so a claim is one range scan of due rows in due order, however many
-- retries are pending but not due (the old `attempts_in_series > 0` range could not bound it).
ALTER TABLE deliveries ADD COLUMN lane INTEGER GENERATED ALWAYS AS (attempts_in_series > 0) VIRTUAL;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (lane, next_attempt_at, host) WHERE state = 'pending';
CREATE INDEX deliveries_lease ON deliveries (locked_until) WHERE state = 'delivering';
CREATE INDEX jobs_lease ON jobs (locked_until) WHERE status = 'processing';
