-- What changes as a delivery is sent gets a narrow table of its own. Every state change is an
-- update that cannot be HOT (`state` is indexed), so Postgres adds an entry to each index of the
-- row: on the one wide table, 7 for a claim and 5 for a recorded attempt, the row's body copied
-- each time. Now the wide row (delivery_items: what was enqueued, with the indexes of the feed
-- and the job) is written once, and a state change adds entries to the state table's indexes
-- only. The view `deliveries` is the row as before, for every read.
ALTER TABLE deliveries RENAME TO delivery_items;

CREATE TABLE delivery_states (
  id                 text PRIMARY KEY REFERENCES delivery_items (id),
  seq                bigint NOT NULL,
  host               text NOT NULL,
  state              text NOT NULL CHECK (state IN ('pending', 'delivering', 'delivered', 'abandoned')),
  series             integer NOT NULL DEFAULT 1,
  attempts_in_series integer NOT NULL DEFAULT 0,
  next_attempt_at    bigint,
  last_status_code   integer,
  updated_at         bigint NOT NULL,
  locked_by          text,
  locked_until       bigint,
  force_send         boolean NOT NULL DEFAULT false,
  lane               smallint GENERATED ALWAYS AS (CASE WHEN attempts_in_series > 0 THEN 1 ELSE 0 END) STORED
);

INSERT INTO delivery_states (id, seq, host, state, series, attempts_in_series, next_attempt_at, last_status_code,
  updated_at, locked_by, locked_until, force_send)
SELECT id, seq, host, state, series, attempts_in_series, next_attempt_at, last_status_code, updated_at, locked_by,
  locked_until, force_send
FROM delivery_items;

-- drops the indexes on these columns too (due, in_flight, lease, state_seq, host_due, forced)
ALTER TABLE delivery_items DROP COLUMN lane, DROP COLUMN host, DROP COLUMN state, DROP COLUMN series,
  DROP COLUMN attempts_in_series, DROP COLUMN next_attempt_at, DROP COLUMN last_status_code,
  DROP COLUMN updated_at, DROP COLUMN locked_by, DROP COLUMN locked_until, DROP COLUMN force_send;

CREATE INDEX deliveries_due ON delivery_states (lane, next_attempt_at) INCLUDE (host, force_send) WHERE state = 'pending';
CREATE INDEX deliveries_host_due ON delivery_states (lane, host, next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_forced ON delivery_states (lane, next_attempt_at) WHERE state = 'pending' AND force_send;
CREATE INDEX deliveries_in_flight ON delivery_states (host) WHERE state = 'delivering';
CREATE INDEX deliveries_lease ON delivery_states (locked_until) WHERE state = 'delivering';
CREATE INDEX deliveries_state_seq ON delivery_states (state, seq);

CREATE VIEW deliveries AS
  SELECT i.seq, i.id, i.job_id, i.event, i.url, s.host, i.policy, i.auth_header_name, i.auth_header_value, i.body,
    s.state, s.series, s.attempts_in_series, s.next_attempt_at, s.last_status_code, i.created_at, s.updated_at,
    s.locked_by, s.locked_until, s.lane, s.force_send
  FROM delivery_items i JOIN delivery_states s ON s.id = i.id;
