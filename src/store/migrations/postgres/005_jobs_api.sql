-- Jobs API (/v1) and the data lifecycle, retention included (see sqlite/007_jobs_api.sql).
ALTER TABLE jobs ADD COLUMN owner text;
ALTER TABLE jobs ADD COLUMN deleted_at bigint;
ALTER TABLE jobs ADD COLUMN audio_seconds double precision;
CREATE INDEX jobs_owner_created ON jobs (owner, created_at, id);
CREATE INDEX jobs_call_uuid ON jobs (call_uuid, created_at);
ALTER TABLE jobs ADD COLUMN audio_expires_at bigint;
ALTER TABLE jobs ADD COLUMN result_expires_at bigint;
CREATE INDEX jobs_audio_expiry ON jobs (audio_expires_at) WHERE audio_name IS NOT NULL;
CREATE INDEX jobs_result_expiry ON jobs (result_expires_at) WHERE deleted_at IS NULL;
