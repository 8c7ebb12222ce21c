-- Bodies in their own table: SQLite rewrites a whole row (overflow pages included) on every UPDATE,
-- so each state change of a delivery with a 50 KB body rewrote 50 KB (bench/delivery.ts: drain at
-- 50 KB bodies was 40 % of the raw HTTP loop). Now state changes touch a small row only.
CREATE TABLE delivery_bodies (
  delivery_id TEXT PRIMARY KEY REFERENCES deliveries (id),
  body        TEXT NOT NULL
);
INSERT INTO delivery_bodies (delivery_id, body) SELECT id, body FROM deliveries;
ALTER TABLE deliveries DROP COLUMN body;
