-- The whole schema for Postgres (same model as the SQLite migrations 001-003). Times are epoch ms.
CREATE TABLE jobs (
  id            text PRIMARY KEY,
  kind          text NOT NULL,
  status        text NOT NULL CHECK (status IN ('queued', 'processing', 'succeeded', 'failed')),
  call_uuid     text NOT NULL,
  params        jsonb NOT NULL,
  audio_name    text,
  result        jsonb,
  error_code    text,
  error_message text,
  created_at    bigint NOT NULL,
  updated_at    bigint NOT NULL,
  started_at    bigint,
  finished_at   bigint,
  attempts      integer NOT NULL DEFAULT 0,
  locked_by     text,
  locked_until  bigint
);
CREATE INDEX jobs_queued ON jobs (created_at, id) WHERE status = 'queued';
CREATE INDEX jobs_lease ON jobs (locked_until) WHERE status = 'processing';
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE deliveries (
  -- events-feed position; assigned under an advisory lock so seq order is commit order
  seq                bigserial UNIQUE,
  id                 text PRIMARY KEY,
  job_id             text NOT NULL REFERENCES jobs (id),
  event              text NOT NULL,
  url                text NOT NULL,
  host               text NOT NULL,
  policy             text NOT NULL,
  auth_header_name   text,
  auth_header_value  text,
  body               text NOT NULL,
  state              text NOT NULL CHECK (state IN ('pending', 'delivering', 'delivered', 'abandoned')),
  series             integer NOT NULL DEFAULT 1,
  attempts_in_series integer NOT NULL DEFAULT 0,
  next_attempt_at    bigint,
  last_status_code   integer,
  created_at         bigint NOT NULL,
  updated_at         bigint NOT NULL,
  locked_by          text,
  locked_until       bigint,
  lane               smallint GENERATED ALWAYS AS (CASE WHEN attempts_in_series > 0 THEN 1 ELSE 0 END) STORED
);
-- a claim is an equality on lane and a range on next_attempt_at: its cost does not grow with the
-- number of pending rows that are not due yet
CREATE INDEX deliveries_due ON deliveries (lane, next_attempt_at) INCLUDE (host) WHERE state = 'pending';
CREATE INDEX deliveries_in_flight ON deliveries (host) WHERE state = 'delivering';
CREATE INDEX deliveries_lease ON deliveries (locked_until) WHERE state = 'delivering';
CREATE INDEX deliveries_job ON deliveries (job_id);
CREATE INDEX deliveries_created ON deliveries (created_at);
CREATE INDEX deliveries_state_seq ON deliveries (state, seq);

-- append-only: one row per HTTP attempt
CREATE TABLE delivery_attempts (
  id               bigserial PRIMARY KEY,
  delivery_id      text NOT NULL REFERENCES deliveries (id),
  series           integer NOT NULL,
  attempt_no       integer NOT NULL,
  started_at       bigint NOT NULL,
  latency_ms       integer NOT NULL,
  status_code      integer,
  error_class      text,
  error_detail     text,
  url_host         text,
  response_snippet text
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);
