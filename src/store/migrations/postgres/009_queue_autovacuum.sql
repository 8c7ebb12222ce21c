-- delivery_states is a queue: every delivery updates its row twice, and which lane its pending rows
-- are in changes fast. At the default thresholds (analyze after 10 %, vacuum after 20 % of the rows
-- changed) a table holding a long history keeps stale statistics for hours: when a lane the
-- statistics call empty fills, the next-due lookup reads every pending row of that lane instead of
-- one (measured with autovacuum on, 100,000 rows of history and 5,000 new pending rows: still
-- 5,000 rows read after 75 s at the defaults; one row, 0.04 ms, once autoanalyze had run at 1 %).
-- Dead row versions at the head of the due indexes are cleared sooner too.
ALTER TABLE delivery_states SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
