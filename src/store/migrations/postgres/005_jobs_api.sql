-- Jobs API (/v1) and the data lifecycle (see sqlite/007_jobs_api.sql).
ALTER TABLE jobs ADD COLUMN owner text;
ALTER TABLE jobs ADD COLUMN deleted_at bigint;
ALTER TABLE jobs ADD COLUMN audio_seconds double precision;
CREATE INDEX jobs_owner_created ON jobs (owner, created_at, id);
CREATE INDEX jobs_call_uuid ON jobs (call_uuid, created_at);
