-- Audio shared by every machine: an upload received by an api process is read by any worker.
CREATE TABLE audio_blobs (
  name text    NOT NULL,
  seq  integer NOT NULL,
  data bytea   NOT NULL,
  PRIMARY KEY (name, seq)
);
