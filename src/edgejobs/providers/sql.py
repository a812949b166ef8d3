"""The providers' SQL: seen webhook ids, and the RunPod checks of export jobs."""

from __future__ import annotations

# --- webhook ids (a replayed delivery is acknowledged and ignored) ---------------------------
SEEN_WEBHOOK_SQL = "SELECT 1 AS seen FROM provider_webhook_ids WHERE provider = ?1 AND webhook_id = ?2"
RECORD_WEBHOOK_SQL = """
INSERT INTO provider_webhook_ids (provider, webhook_id, received_at, expires_at)
VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (provider, webhook_id) DO NOTHING
"""
DELETE_EXPIRED_WEBHOOK_IDS_SQL = """
DELETE FROM provider_webhook_ids
WHERE rowid IN (SELECT rowid FROM provider_webhook_ids WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)
"""

# --- export jobs and their RunPod jobs -------------------------------------------------------
# The export job carrying a RunPod job (RunPod's webhook names only its own id). Any status: a
# job already finished with it answers "unchanged" (the action's compare-and-set needs
# `processing`), not "unknown".
EXPORT_JOB_BY_RUNPOD_JOB_SQL = """
SELECT id, runner_id, runpod_job_id FROM export_jobs
WHERE runpod_job_id = ?1
LIMIT 1
"""
# Enrol processing jobs that carry a RunPod job not yet tracked (or another one than tracked),
# due at once. Walks export_jobs_by_lease (processing jobs only), soonest lease end first.
ENROL_CHECKS_SQL = """
INSERT INTO export_runpod_checks (job_id, runpod_job_id, next_check_at, wait_ms)
SELECT id, runpod_job_id, :now, :wait_ms FROM export_jobs INDEXED BY export_jobs_by_lease
WHERE lease_expires_at IS NOT NULL AND runpod_job_id IS NOT NULL AND +status = 'processing'
  AND NOT EXISTS (SELECT 1 FROM export_runpod_checks AS c
                  WHERE c.job_id = export_jobs.id AND c.runpod_job_id = export_jobs.runpod_job_id)
ORDER BY lease_expires_at LIMIT :limit
ON CONFLICT (job_id) DO UPDATE SET
  runpod_job_id = excluded.runpod_job_id, next_check_at = excluded.next_check_at,
  wait_ms = excluded.wait_ms, last_status = NULL
"""
# Due checks, oldest first, with their job as it is now (NULL columns: the job is gone).
DUE_CHECKS_SQL = """
SELECT c.job_id AS id, c.runpod_job_id, c.wait_ms, c.last_status,
       j.status AS job_status, j.runpod_job_id AS job_runpod_job_id, j.runner_id, j.lease_seconds
FROM export_runpod_checks AS c LEFT JOIN export_jobs AS j ON j.id = c.job_id
WHERE c.next_check_at <= ?1
ORDER BY c.next_check_at LIMIT ?2
"""
DELETE_CHECKS_SQL = "DELETE FROM export_runpod_checks WHERE job_id IN (SELECT value FROM json_each(?1))"
# After an answer that leaves the job running, or no answer: when to ask next.
RESCHEDULE_CHECK_SQL = """
UPDATE export_runpod_checks
SET next_check_at = :next_check_at, wait_ms = :wait_ms, last_status = coalesce(:last_status, last_status),
    checked_at = :now
WHERE job_id = :id AND runpod_job_id = :runpod_job_id
"""
DELETE_CHECK_SQL = "DELETE FROM export_runpod_checks WHERE job_id = :id"
# /health: the longest a due check has waited (0 when none is due), of export jobs' RunPod
# checks and provider-backed videos' sync rows (NULL: nothing is tracked).
OLDEST_DUE_CHECK_SQL = """
SELECT min(next_check_at) AS next_check_at FROM (
  SELECT * FROM (SELECT next_check_at FROM export_runpod_checks ORDER BY next_check_at LIMIT 1)
  UNION ALL
  SELECT * FROM (SELECT next_check_at FROM video_provider_checks ORDER BY next_check_at LIMIT 1))
"""
