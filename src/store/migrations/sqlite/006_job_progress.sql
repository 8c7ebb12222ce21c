-- Progress of a running transcription (issue 9): {"done": seconds, "total": seconds}, written by its worker.
ALTER TABLE jobs ADD COLUMN progress TEXT;
