-- export_jobs rebuilt for the queue features (README "Export jobs"; `make bench`,
-- tests/unit/test_query_plans.py):
--
-- 1. Job types come from the var EXPORT_JOB_TYPES, so the CHECK on `type` no longer lists them
--    (the app validates a type against the configured list; the table only bounds its length).
--    SQLite cannot change a CHECK in place, hence the rebuild (one read and one write per job,
--    once). Dropping the old table drops its indexes and its triggers (the counters of
--    0013_stat_counters): every one is recreated below, as it was. The counts stay right: the
--    copy fires no trigger (the new table has none yet) and DROP TABLE fires none.
-- 2. New columns: `priority` (higher first, default 0), a per-job retry policy
--    (`retry_base_seconds`, `retry_cap_seconds`; NULL = the vars), `result` (JSON object written
--    by complete), `cancel_reason`. `lease_id` (0015) is kept.
-- 3. Claim order: priority (highest first), then available_at, then id (UUIDv7: arrival order),
--    for every claim shape. Both claim indexes end in `id`, so a claim naming several types merges
--    the types' ranges in that order (before, ties on available_at went by type name).
-- 4. export_queue_pauses: a row per paused type (POST /api/export-jobs/queues/{type}/pause).

CREATE TABLE export_jobs_rebuilt (
  id                 TEXT    NOT NULL PRIMARY KEY,
  project_id         INTEGER NOT NULL CHECK (project_id > 0),
  type               TEXT    NOT NULL CHECK (length(type) BETWEEN 1 AND 32),  -- one of EXPORT_JOB_TYPES
  status             TEXT    NOT NULL CHECK (status = 'pending' OR status = 'processing'
                                             OR status = 'complete' OR status = 'error'
                                             OR status = 'cancelled'),
  priority           INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000000 AND 1000000),
  progress           INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  input_video_key    TEXT    NOT NULL,
  output_video_key   TEXT,
  params             TEXT    NOT NULL DEFAULT '{}',      -- JSON object, ≤ 64 KiB
  result             TEXT,                               -- JSON object ≤ 64 KiB, from complete
  error              TEXT,                               -- last failure, 'lease_expired', ...
  cancel_reason      TEXT,                               -- from cancel, if given
  retry_count        INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
  max_retries        INTEGER NOT NULL DEFAULT 3 CHECK (max_retries BETWEEN 0 AND 10),
  retry_base_seconds INTEGER CHECK (retry_base_seconds BETWEEN 1 AND 86400),   -- NULL: the var
  retry_cap_seconds  INTEGER CHECK (retry_cap_seconds BETWEEN 1 AND 604800),   -- NULL: the var
  runner_id          TEXT,                               -- who holds (or last held) the job
  lease_id           TEXT,                               -- the latest claim's lease (0015)
  runpod_job_id      TEXT,
  lease_seconds      INTEGER CHECK (lease_seconds BETWEEN 10 AND 86400),  -- of the current claim
  lease_expires_at   INTEGER,                            -- set exactly while processing
  available_at       INTEGER NOT NULL,                   -- claimable from (start_after, backoff)
  created_at         INTEGER NOT NULL,
  started_at         INTEGER,                            -- latest claim
  completed_at       INTEGER,                            -- set exactly while complete, error or cancelled
  updated_at         INTEGER NOT NULL,
  -- Bookkeeping for the compare-and-set batches (never sent to clients): see 0003.
  previous_status    TEXT,
  transition_id      TEXT    NOT NULL
);

INSERT INTO export_jobs_rebuilt (
  id, project_id, type, status, progress, input_video_key, output_video_key, params, error,
  retry_count, max_retries, runner_id, lease_id, runpod_job_id, lease_seconds, lease_expires_at,
  available_at, created_at, started_at, completed_at, updated_at, previous_status, transition_id)
SELECT
  id, project_id, type, status, progress, input_video_key, output_video_key, params, error,
  retry_count, max_retries, runner_id, lease_id, runpod_job_id, lease_seconds, lease_expires_at,
  available_at, created_at, started_at, completed_at, updated_at, previous_status, transition_id
FROM export_jobs;

DROP TABLE export_jobs;
ALTER TABLE export_jobs_rebuilt RENAME TO export_jobs;

-- Lists, newest first (as 0007 and 0008).
CREATE INDEX export_jobs_by_project ON export_jobs (project_id, status, id);
CREATE INDEX export_jobs_by_status ON export_jobs (status, id);
CREATE INDEX export_jobs_by_type ON export_jobs (type, status, id);
CREATE INDEX export_jobs_by_project_type ON export_jobs (project_id, type, id);
-- Claims: pending jobs only, in claim order; with types (or while a type is paused), one range
-- per type.
CREATE INDEX export_jobs_claimable ON export_jobs (priority DESC, available_at, id)
  WHERE status = 'pending';
CREATE INDEX export_jobs_claimable_by_type ON export_jobs (type, priority DESC, available_at, id)
  WHERE status = 'pending';
-- The claim's event INSERT finds the jobs it just claimed (0004).
CREATE INDEX export_jobs_by_runner ON export_jobs (runner_id, status, started_at) WHERE runner_id IS NOT NULL;
-- The cron: expired leases, and finished jobs past retention.
CREATE INDEX export_jobs_by_lease ON export_jobs (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX export_jobs_by_completion ON export_jobs (completed_at) WHERE completed_at IS NOT NULL;

-- Paused types: a row while the type is paused, and the row '*' while any type is. Claims look
-- rows up by key only ('*' for a claim of any type, the type for a claim by type): D1 bills a
-- lookup that finds nothing no row read, where `EXISTS (SELECT 1 FROM export_queue_pauses)`
-- (a scan, even of an empty table) is billed one on every claim.
CREATE TABLE export_queue_pauses (
  type      TEXT    NOT NULL PRIMARY KEY,
  paused_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The counters' triggers on export_jobs, as 0013_stat_counters created them (dropped with the
-- old table).
-- Export jobs: the job's type's row, each status column moved by the change.
CREATE TRIGGER export_jobs_counted_insert AFTER INSERT ON export_jobs
BEGIN
  INSERT INTO export_job_counts (job_type, pending, processing, complete, error, cancelled)
  VALUES (NEW.type,
          NEW.status = 'pending',
          NEW.status = 'processing',
          NEW.status = 'complete',
          NEW.status = 'error',
          NEW.status = 'cancelled')
  ON CONFLICT (job_type) DO UPDATE SET
    pending = pending + excluded.pending, processing = processing + excluded.processing,
    complete = complete + excluded.complete, error = error + excluded.error,
    cancelled = cancelled + excluded.cancelled;
END;

CREATE TRIGGER export_jobs_counted_status AFTER UPDATE OF status ON export_jobs
WHEN OLD.status IS NOT NEW.status AND OLD.type IS NEW.type
BEGIN
  INSERT INTO export_job_counts (job_type, pending, processing, complete, error, cancelled)
  VALUES (NEW.type,
          (NEW.status = 'pending') - (OLD.status = 'pending'),
          (NEW.status = 'processing') - (OLD.status = 'processing'),
          (NEW.status = 'complete') - (OLD.status = 'complete'),
          (NEW.status = 'error') - (OLD.status = 'error'),
          (NEW.status = 'cancelled') - (OLD.status = 'cancelled'))
  ON CONFLICT (job_type) DO UPDATE SET
    pending = pending + excluded.pending, processing = processing + excluded.processing,
    complete = complete + excluded.complete, error = error + excluded.error,
    cancelled = cancelled + excluded.cancelled;
END;

-- A job's type never changes after it is created; should it ever, its count moves with it.
CREATE TRIGGER export_jobs_counted_type AFTER UPDATE OF type, status ON export_jobs
WHEN OLD.type IS NOT NEW.type
BEGIN
  INSERT INTO export_job_counts (job_type, pending, processing, complete, error, cancelled)
  VALUES (OLD.type,
          -(OLD.status = 'pending'),
          -(OLD.status = 'processing'),
          -(OLD.status = 'complete'),
          -(OLD.status = 'error'),
          -(OLD.status = 'cancelled'))
  ON CONFLICT (job_type) DO UPDATE SET
    pending = pending + excluded.pending, processing = processing + excluded.processing,
    complete = complete + excluded.complete, error = error + excluded.error,
    cancelled = cancelled + excluded.cancelled;
  INSERT INTO export_job_counts (job_type, pending, processing, complete, error, cancelled)
  VALUES (NEW.type,
          NEW.status = 'pending',
          NEW.status = 'processing',
          NEW.status = 'complete',
          NEW.status = 'error',
          NEW.status = 'cancelled')
  ON CONFLICT (job_type) DO UPDATE SET
    pending = pending + excluded.pending, processing = processing + excluded.processing,
    complete = complete + excluded.complete, error = error + excluded.error,
    cancelled = cancelled + excluded.cancelled;
END;

CREATE TRIGGER export_jobs_counted_delete AFTER DELETE ON export_jobs
BEGIN
  INSERT INTO export_job_counts (job_type, pending, processing, complete, error, cancelled)
  VALUES (OLD.type,
          -(OLD.status = 'pending'),
          -(OLD.status = 'processing'),
          -(OLD.status = 'complete'),
          -(OLD.status = 'error'),
          -(OLD.status = 'cancelled'))
  ON CONFLICT (job_type) DO UPDATE SET
    pending = pending + excluded.pending, processing = processing + excluded.processing,
    complete = complete + excluded.complete, error = error + excluded.error,
    cancelled = cancelled + excluded.cancelled;
END;

-- Completions per hour (completed_at is set exactly while a job is finished).
CREATE TRIGGER export_jobs_completed_hourly AFTER UPDATE OF status ON export_jobs
WHEN NEW.status = 'complete' AND OLD.status IS NOT 'complete'
BEGIN
  INSERT INTO stat_hourly (name, hour, value)
  VALUES ('export_jobs.complete', NEW.completed_at / 3600000 * 3600000, 1)
  ON CONFLICT (name, hour) DO UPDATE SET value = value + 1;
END;
