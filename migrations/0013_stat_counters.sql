-- Counters for GET /api/stats, kept by triggers: each counter changes inside the very statement
-- that changes the row it counts (an INSERT, a status UPDATE, a DELETE, a chunk of the cron's,
-- a batch claim), so no write path can forget one and a statement that loses a race changes
-- nothing. The stats read these few rows at any table size, never a COUNT(*) over a table.
--
-- Every trigger writes with an upsert (INSERT … ON CONFLICT DO UPDATE) into a WITHOUT ROWID
-- table: D1 bills it no row read (its key lookup is the conflict check), where an UPDATE …
-- WHERE key = … reads one. So counting adds one row written and no row read to a one-row
-- change, and a group seen for the first time needs nothing more (docs/performance.md).
--
-- Wide rows: one row per group, one column per status, so a status change is ONE row update
-- (the old status's column down, the new one's up). A table rebuilt later must create its
-- triggers again (SQLite drops a table's triggers with it). docs/architecture.md says how a
-- capability adds its own counts.

-- Export jobs per type: GET /api/stats sums them; a type's row answers per-type queue counts.
CREATE TABLE export_job_counts (
  job_type    TEXT    NOT NULL PRIMARY KEY,
  pending     INTEGER NOT NULL DEFAULT 0,
  processing  INTEGER NOT NULL DEFAULT 0,
  complete    INTEGER NOT NULL DEFAULT 0,
  error       INTEGER NOT NULL DEFAULT 0,
  cancelled   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- VEO jobs stored (expired ones too, until the cron deletes them): one row.
CREATE TABLE veo_job_counts (
  scope   TEXT    NOT NULL PRIMARY KEY,                -- 'all'
  stored  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Events per hour (epoch ms of the hour's start): `export_jobs.complete`, `job_runs.succeeded`,
-- `job_runs.failed`. The cron deletes hours older than 48 h.
CREATE TABLE stat_hourly (
  name   TEXT    NOT NULL,
  hour   INTEGER NOT NULL,
  value  INTEGER NOT NULL,
  PRIMARY KEY (name, hour)
) WITHOUT ROWID;
CREATE INDEX stat_hourly_by_hour ON stat_hourly (hour);

-- Start from what is stored now (a one-time scan while migrating).
INSERT INTO export_job_counts (job_type, pending, processing, complete, error, cancelled)
SELECT type, sum(status = 'pending'), sum(status = 'processing'), sum(status = 'complete'),
       sum(status = 'error'), sum(status = 'cancelled')
FROM export_jobs GROUP BY type;
INSERT INTO veo_job_counts (scope, stored) SELECT 'all', count(*) FROM veo_jobs;
INSERT INTO stat_hourly (name, hour, value)
SELECT 'export_jobs.complete', completed_at / 3600000 * 3600000, count(*)
FROM export_jobs
WHERE status = 'complete' AND completed_at >= (CAST(unixepoch('now') AS INTEGER) - 172800) * 1000
GROUP BY 2;
INSERT INTO stat_hourly (name, hour, value)
SELECT 'job_runs.' || status, finished_at / 3600000 * 3600000, count(*)
FROM job_runs
WHERE (status = 'succeeded' OR status = 'failed')
  AND finished_at >= (CAST(unixepoch('now') AS INTEGER) - 172800) * 1000
GROUP BY 1, 2;

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

-- VEO jobs. An upsert that updates an existing job fires no INSERT trigger.
CREATE TRIGGER veo_jobs_counted_insert AFTER INSERT ON veo_jobs
BEGIN
  INSERT INTO veo_job_counts (scope, stored) VALUES ('all', 1)
  ON CONFLICT (scope) DO UPDATE SET stored = stored + 1;
END;

CREATE TRIGGER veo_jobs_counted_delete AFTER DELETE ON veo_jobs
BEGIN
  INSERT INTO veo_job_counts (scope, stored) VALUES ('all', -1)
  ON CONFLICT (scope) DO UPDATE SET stored = stored - 1;
END;

-- Job runs finished per hour: recorded finished, or finished later (once).
CREATE TRIGGER job_runs_finished_insert AFTER INSERT ON job_runs
WHEN NEW.status = 'succeeded' OR NEW.status = 'failed'
BEGIN
  INSERT INTO stat_hourly (name, hour, value)
  VALUES ('job_runs.' || NEW.status, NEW.finished_at / 3600000 * 3600000, 1)
  ON CONFLICT (name, hour) DO UPDATE SET value = value + 1;
END;

CREATE TRIGGER job_runs_finished_update AFTER UPDATE OF status ON job_runs
WHEN OLD.status = 'running' AND (NEW.status = 'succeeded' OR NEW.status = 'failed')
BEGIN
  INSERT INTO stat_hourly (name, hour, value)
  VALUES ('job_runs.' || NEW.status, NEW.finished_at / 3600000 * 3600000, 1)
  ON CONFLICT (name, hour) DO UPDATE SET value = value + 1;
END;
