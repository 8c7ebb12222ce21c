-- Jobs API (/v1) and the data lifecycle: who owns a job (a tenant or a key's id, never the key),
-- when its data was deleted, its audio length (kept after deletion, for usage), and the indexes
-- for listing an owner's jobs newest first and looking a call up by call_uuid. Retention: when the
-- audio and the result expire (fixed at submission), indexed only while there is something to delete.
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN deleted_at INTEGER;
ALTER TABLE jobs ADD COLUMN audio_seconds REAL;
CREATE INDEX jobs_owner_created ON jobs (owner, created_at, id);
CREATE INDEX jobs_call_uuid ON jobs (call_uuid, created_at);
ALTER TABLE jobs ADD COLUMN audio_expires_at INTEGER;
ALTER TABLE jobs ADD COLUMN result_expires_at INTEGER;
CREATE INDEX jobs_audio_expiry ON jobs (audio_expires_at) WHERE audio_name IS NOT NULL;
CREATE INDEX jobs_result_expiry ON jobs (result_expires_at) WHERE deleted_at IS NULL;
