CREATE TABLE jobs (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'succeeded', 'failed')),
  call_uuid     TEXT NOT NULL,
  params        TEXT NOT NULL,
  audio_name    TEXT,
  result        TEXT,
  error_code    TEXT,
  error_message TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER
);
CREATE INDEX jobs_status_created ON jobs (status, created_at);

CREATE TABLE deliveries (
  id                 TEXT PRIMARY KEY,
  job_id             TEXT NOT NULL REFERENCES jobs (id),
  event              TEXT NOT NULL,
  url                TEXT NOT NULL,
  auth_header_name   TEXT,
  auth_header_value  TEXT,
  body               TEXT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('pending', 'delivering', 'delivered', 'abandoned')),
  series             INTEGER NOT NULL DEFAULT 1,
  attempts_in_series INTEGER NOT NULL DEFAULT 0,
  next_attempt_at    INTEGER,
  last_status_code   INTEGER,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_job ON deliveries (job_id);

-- append-only: one row per HTTP attempt
CREATE TABLE delivery_attempts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id  TEXT NOT NULL REFERENCES deliveries (id),
  series       INTEGER NOT NULL,
  attempt_no   INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  latency_ms   INTEGER NOT NULL,
  status_code  INTEGER,
  error_class  TEXT,
  error_detail TEXT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);
