-- Retention of the maintenance run log: the cron deletes runs older than
-- MAINTENANCE_RUN_RETENTION_SECONDS, oldest first, reading only the rows it deletes.
CREATE INDEX maintenance_runs_by_start ON maintenance_runs (started_at);
