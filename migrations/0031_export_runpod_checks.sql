-- Providers: export jobs resynced with RunPod. One row per processing export job that carries a
-- `runpod_job_id`, saying when to ask RunPod about it next (its own table, so the export_jobs
-- table is not rebuilt for it). A row whose job has left `processing` or changed its RunPod job
-- is deleted when it comes due.
CREATE TABLE export_runpod_checks (
  job_id        TEXT    NOT NULL PRIMARY KEY,
  runpod_job_id TEXT    NOT NULL,
  next_check_at INTEGER NOT NULL,
  wait_ms       INTEGER NOT NULL,      -- the wait before the next check; doubles while unchanged
  last_status   TEXT,                  -- RunPod's status at the last check
  checked_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX export_runpod_checks_due ON export_runpod_checks (next_check_at);

-- RunPod's webhook names a RunPod job: the export job carrying it is found by this index.
CREATE INDEX export_jobs_by_runpod_job ON export_jobs (runpod_job_id) WHERE runpod_job_id IS NOT NULL;
