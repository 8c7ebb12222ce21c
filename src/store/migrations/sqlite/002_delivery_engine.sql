-- Delivery engine (issue 3): policy per delivery, host for isolation, richer attempt rows.
ALTER TABLE deliveries ADD COLUMN policy TEXT NOT NULL DEFAULT 'makimoto';
ALTER TABLE deliveries ADD COLUMN host TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET host = lower(substr(url, instr(url, '//') + 2,
  CASE WHEN instr(substr(url, instr(url, '//') + 2), '/') > 0
       THEN instr(substr(url, instr(url, '//') + 2), '/') - 1
       ELSE length(url) END));
CREATE INDEX deliveries_created ON deliveries (created_at);

ALTER TABLE delivery_attempts ADD COLUMN url_host TEXT;
ALTER TABLE delivery_attempts ADD COLUMN response_snippet TEXT;

-- Claims read one lane's due range (first attempts: attempts_in_series = 0) in due order and need
-- each row's host: this covering index serves that without a table lookup (bench/delivery.ts).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (state, attempts_in_series, next_attempt_at, host);
