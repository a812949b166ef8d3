-- export_jobs rebuilt, for rows read and written (issue 7; `make bench`,
-- tests/unit/test_query_plans.py).
--
-- 1. CHECK constraints without IN lists. D1 bills a CHECK of the form `x IN (a, b, c)` one row
--    read each time it is evaluated: SQLite tests a list of three or more values by probing an
--    ephemeral b-tree, and D1 counts the probe. `status IN (five values)` made every state
--    change read one row more (a transition read 4 rows: now 3), and with `type IN (…)` every
--    create read two more. The same rules written as OR chains read nothing. SQLite cannot
--    change a CHECK in place, hence the rebuild (one read and one write per job, once).
--
-- 2. Lists filtered by `type` get an ordered range: export_jobs_by_type (type, status, id), one
--    keyset branch per status like export_jobs_by_status. Before, the type was checked while
--    walking the status index: a page of 50 read ~50 ÷ (the type's share) rows (154 at 100k).
--
-- 3. The two cron indexes become partial and lose `status`: export_jobs_by_lease holds only jobs
--    with a lease (processing) and export_jobs_by_completion only finished jobs, so creating a
--    job and claiming it no longer write them. That pays for export_jobs_by_type: over a job's
--    life (create, claim, complete) the rows written stay the same (`make bench`).
--    `lease_expires_at` is set exactly while a job is processing and `completed_at` exactly while
--    it is complete, error or cancelled (transitions.py), so the queries find the same rows.

CREATE TABLE export_jobs_rebuilt (
  id               TEXT    NOT NULL PRIMARY KEY,
  project_id       INTEGER NOT NULL CHECK (project_id > 0),
  type             TEXT    NOT NULL CHECK (type = 'framing' OR type = 'overlay' OR type = 'annotate'),
  status           TEXT    NOT NULL CHECK (status = 'pending' OR status = 'processing'
                                           OR status = 'complete' OR status = 'error'
                                           OR status = 'cancelled'),
  progress         INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  input_video_key  TEXT    NOT NULL,
  output_video_key TEXT,
  params           TEXT    NOT NULL DEFAULT '{}',      -- JSON object, ≤ 64 KiB
  error            TEXT,                               -- last failure, 'lease_expired', ...
  retry_count      INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
  max_retries      INTEGER NOT NULL DEFAULT 3 CHECK (max_retries BETWEEN 0 AND 10),
  runner_id        TEXT,                               -- who holds (or last held) the job
  runpod_job_id    TEXT,
  lease_seconds    INTEGER CHECK (lease_seconds BETWEEN 10 AND 86400),  -- of the current claim
  lease_expires_at INTEGER,                            -- set exactly while processing
  available_at     INTEGER NOT NULL,                   -- claimable from (retry backoff)
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,                            -- latest claim
  completed_at     INTEGER,                            -- set exactly while complete, error or cancelled
  updated_at       INTEGER NOT NULL,
  -- Bookkeeping for the compare-and-set batches (never sent to clients): see 0003 and
  -- transitions.py.
  previous_status  TEXT,
  transition_id    TEXT    NOT NULL
);

INSERT INTO export_jobs_rebuilt (
  id, project_id, type, status, progress, input_video_key, output_video_key, params, error,
  retry_count, max_retries, runner_id, runpod_job_id, lease_seconds, lease_expires_at,
  available_at, created_at, started_at, completed_at, updated_at, previous_status, transition_id)
SELECT
  id, project_id, type, status, progress, input_video_key, output_video_key, params, error,
  retry_count, max_retries, runner_id, runpod_job_id, lease_seconds, lease_expires_at,
  available_at, created_at, started_at, completed_at, updated_at, previous_status, transition_id
FROM export_jobs;

DROP TABLE export_jobs;
ALTER TABLE export_jobs_rebuilt RENAME TO export_jobs;

-- Lists, newest first: one keyset branch per status on one of these (export_jobs.py).
CREATE INDEX export_jobs_by_project ON export_jobs (project_id, status, id);
CREATE INDEX export_jobs_by_status ON export_jobs (status, id);
CREATE INDEX export_jobs_by_type ON export_jobs (type, status, id);
-- Claims (0005): pending jobs only, oldest due first; with types, one range per type.
CREATE INDEX export_jobs_claimable ON export_jobs (available_at, created_at) WHERE status = 'pending';
CREATE INDEX export_jobs_claimable_by_type ON export_jobs (type, available_at, created_at) WHERE status = 'pending';
-- The claim's event INSERT finds the job it just claimed (0004).
CREATE INDEX export_jobs_by_runner ON export_jobs (runner_id, status, started_at) WHERE runner_id IS NOT NULL;
-- The cron: expired leases, and finished jobs past retention.
CREATE INDEX export_jobs_by_lease ON export_jobs (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX export_jobs_by_completion ON export_jobs (completed_at) WHERE completed_at IS NOT NULL;
