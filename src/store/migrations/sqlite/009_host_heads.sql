-- Each host's due rows in due order. A claim reads a bounded window of deliveries_due first; when
-- hosts at their cap (or with an open circuit) fill that window, it reads every other host's first
-- rows here instead of scanning past all the due rows of the busy ones (that scan grew with their
-- backlog). Rows an operator forced are found through their own, nearly always empty, index.
CREATE INDEX deliveries_host_due ON deliveries (lane, host, next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_forced ON deliveries (lane, next_attempt_at) WHERE state = 'pending' AND force_send = 1;
