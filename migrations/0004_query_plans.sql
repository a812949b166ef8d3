-- Index tuning found by the performance work (issue 7): tests/unit/test_query_plans.py checks
-- every statement's plan, `make bench` measures rows read per route at 100k rows.

-- The claim's event INSERT finds the job it just claimed by (runner_id, 'processing',
-- started_at = the claim's instant), the one thing it knows about that row. With started_at in
-- the index that is a single index entry; before, it walked every job the runner held, so a
-- claim read one more row for each job its runner already had (a fleet sharing one runner id
-- paid for the whole fleet's jobs on every claim). No extra writes: started_at changes only on a
-- claim, which rewrites this entry anyway (runner_id and status change too), and when runner_id
-- is cleared (the entry leaves this partial index then).
DROP INDEX export_jobs_by_runner;
CREATE INDEX export_jobs_by_runner ON export_jobs (runner_id, status, started_at) WHERE runner_id IS NOT NULL;
