-- Progress of a running transcription: {"done": seconds, "total": seconds}, written by its worker.
ALTER TABLE jobs ADD COLUMN progress jsonb;
