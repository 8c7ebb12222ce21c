-- The job claim (oldest queued job) could read `jobs_status` instead of `jobs_queued` when the
-- statistics were taken before a burst of new jobs: they say no job is queued, the planner expects
-- one row either way and picks the plain index, then reads every queued row and sorts them (5,000
-- queued jobs behind 100,000 finished ones: 1.18 ms a claim, and growing with the backlog, against
-- 0.05 ms through `jobs_queued`). Nothing else reads `jobs_status`: the count of queued jobs
-- (admission, readiness) reads `jobs_queued` too, and the lease sweep reads `jobs_lease`.
DROP INDEX IF EXISTS jobs_status;
