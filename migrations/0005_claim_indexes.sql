-- Claiming by type (issue 7; `make bench`, tests/unit/test_query_plans.py).
--
-- A claim with `types` walked export_jobs_claimable (status, available_at, created_at) and
-- skipped every due job of another type: with 100,000 due jobs and none of the asked type, one
-- claim read the whole queue twice (180,000 rows) to answer 204. Now each type has its own
-- ordered range, and a typed claim merges the ranges of the types it asks for.
--
-- Both claim indexes hold pending jobs only (partial). That keeps the total rows written per
-- job as before: a job enters both when created and leaves both when claimed, while completing,
-- failing for good, cancelling a running job and purging a finished one no longer touch them
-- (each rewrote or deleted the old full index's entry).
DROP INDEX export_jobs_claimable;
CREATE INDEX export_jobs_claimable ON export_jobs (available_at, created_at) WHERE status = 'pending';
CREATE INDEX export_jobs_claimable_by_type ON export_jobs (type, available_at, created_at) WHERE status = 'pending';
