"""The SQL of provider-backed videos' sync rows (`video_provider_checks`, one per video whose
model has a provider): written in the create batch, moved on by every answer of the provider,
deleted with the answer that finishes the video."""

from __future__ import annotations

from .machine import CHARGED

# In the create batch: only when the model has a provider and the charge happened.
INSERT_CHECK_SQL = f"""
INSERT INTO video_provider_checks (video_id, provider, provider_job_id, next_check_at, wait_ms, submits)
SELECT :id, :provider, :provider_job_id, :check_at, :check_wait_ms, :submits
WHERE :provider IS NOT NULL AND {CHARGED}
"""
# In a generation's create batch: one row per video of `:video_ids`, submitted after the batch.
INSERT_GENERATION_CHECKS_SQL = f"""
INSERT INTO video_provider_checks (video_id, provider, provider_job_id, next_check_at, wait_ms, submits)
SELECT value, :provider, NULL, :check_at, :check_wait_ms, 1 FROM json_each(:video_ids)
WHERE :provider IS NOT NULL AND {CHARGED}
"""
# One video's row (refresh on read).
GET_CHECK_SQL = "SELECT * FROM video_provider_checks WHERE video_id = ?1"
# After an answer that leaves the video running, or no answer: when to ask next, and that it
# was asked now (`checked_at`: the last question, answered or not). A submission's answer sets
# the job id.
RESCHEDULE_CHECK_SQL = """
UPDATE video_provider_checks
SET provider_job_id = coalesce(:provider_job_id, provider_job_id), next_check_at = :next_check_at,
    wait_ms = :wait_ms, last_status = coalesce(:last_status, last_status),
    checked_at = :now
WHERE video_id = :id
"""
# A webhook's news: the provider answered now (when to ask next is left as it was).
NOTE_CHECK_SQL = """
UPDATE video_provider_checks
SET provider_job_id = coalesce(:provider_job_id, provider_job_id), last_status = :last_status,
    checked_at = :now
WHERE video_id = :id
"""
DELETE_CHECK_SQL = "DELETE FROM video_provider_checks WHERE video_id = :id"

# The cron: due rows, oldest first, with their video as it is now (NULL columns: it is gone).
# A row without a job id whose video got one (reported by PATCH) asks about that one.
DUE_CHECKS_SQL = """
SELECT c.video_id AS id, c.provider, coalesce(c.provider_job_id, v.provider_job_id) AS provider_job_id,
       c.wait_ms, c.last_status, c.submits, v.status AS video_status, v.deleted_at,
       v.provider_job_id AS video_job_id, v.progress, v.model, v.prompt, v.seconds, v.input
FROM video_provider_checks AS c LEFT JOIN videos AS v ON v.id = c.video_id
WHERE c.next_check_at <= ?1
ORDER BY c.next_check_at LIMIT ?2
"""
DELETE_CHECKS_SQL = "DELETE FROM video_provider_checks WHERE video_id IN (SELECT value FROM json_each(?1))"
# Before the cron submits again: the attempt is counted first, so a run that dies mid-submit
# never leads to a third attempt.
COUNT_SUBMITS_SQL = """
UPDATE video_provider_checks SET submits = submits + 1, next_check_at = ?2
WHERE video_id IN (SELECT value FROM json_each(?1)) AND provider_job_id IS NULL
"""
# The webhook's look-up: the video carrying a provider's job id (videos_by_file).
VIDEO_BY_PROVIDER_JOB_SQL = """
SELECT id FROM videos WHERE provider_job_id = ?1 AND +provider = ?2 AND +deleted_at IS NULL LIMIT 1
"""
