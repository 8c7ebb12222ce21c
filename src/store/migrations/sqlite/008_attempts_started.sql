-- Receiver figures (GET /receivers, the console) read the attempts of the last hour by start time.
CREATE INDEX delivery_attempts_started ON delivery_attempts (started_at);
