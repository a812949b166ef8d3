-- Counters for GET /api/stats, changed in the same batch as each change they count, so the
-- stats read the same few dozen rows at any table size (never a COUNT(*) over a table).

-- `<kind>.<status>` (export_jobs.pending, …) and `veo_jobs.stored`.
CREATE TABLE stat_counters (
  name   TEXT PRIMARY KEY,
  value  INTEGER NOT NULL
) WITHOUT ROWID;

-- Per hour (epoch ms of the hour's start): export_jobs.complete, job_runs.succeeded, …
CREATE TABLE stat_hourly (
  name   TEXT NOT NULL,
  hour   INTEGER NOT NULL,
  value  INTEGER NOT NULL,
  PRIMARY KEY (name, hour)
) WITHOUT ROWID;
CREATE INDEX stat_hourly_by_hour ON stat_hourly (hour);

-- Start from what is stored now (a one-time scan while migrating).
INSERT INTO stat_counters (name, value)
SELECT 'export_jobs.' || status, COUNT(*) FROM export_jobs GROUP BY status;
INSERT INTO stat_counters (name, value) SELECT 'veo_jobs.stored', COUNT(*) FROM veo_jobs;
INSERT INTO stat_hourly (name, hour, value)
SELECT 'export_jobs.complete', completed_at / 3600000 * 3600000, COUNT(*)
FROM export_jobs
WHERE status = 'complete' AND completed_at >= (CAST(unixepoch('now') AS INTEGER) - 86400) * 1000
GROUP BY 2;
