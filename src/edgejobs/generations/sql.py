"""The generations' SQL: the create batch (after the charge of videos/sql.py), the import batch,
reads, lists and the file lookups."""

from __future__ import annotations

from itertools import product

from ..videos.machine import CHARGED
from ..videos.model import VIDEO_ITEM_EXPR
from ..videos.sql import VIDEO_COLUMNS
from .model import GENERATION_ITEM_EXPR, SUMMARY_EXPR

# After the charge of `:units` videos (CHARGE_SQL, which refuses when the generation exists).
INSERT_GENERATION_SQL = f"""
INSERT INTO generations (generation_id, user_id, model, prompt, video_count, request_hash, queued,
  created_at, updated_at)
SELECT :generation_id, :user_id, :model, :prompt, :units, :request_hash, :units, :now, :now
WHERE {CHARGED}
RETURNING *
"""
# Its videos: one row per id of `:video_ids` (a JSON array).
INSERT_GENERATION_VIDEOS_SQL = f"""
INSERT INTO videos ({VIDEO_COLUMNS})
SELECT value, :user_id, :generation_id, :model, 'queued', 0, :prompt, :seconds, NULL, NULL,
  :input, :metadata, NULL, :provider, NULL, :cost_cents, :period, 1, :now, :now, :transition_id
FROM json_each(:video_ids)
WHERE {CHARGED}
RETURNING id, provider_job_id, status, progress, file_url, thumbnail_url, error
"""

# A generation with its videos (oldest first) as one JSON column.
GET_GENERATION_SQL = f"""
SELECT g.*, (
  SELECT json_group_array(json(summary)) FROM (
    SELECT {SUMMARY_EXPR} AS summary FROM videos
    WHERE generation_id = g.generation_id AND deleted_at IS NULL ORDER BY id)
) AS videos
FROM generations AS g
WHERE g.generation_id = ?1 AND (?2 IS NULL OR g.user_id = ?2)
"""

# Lists, newest first (created_at, generation_id): one index range per owner [and status].
_LIST_BRANCH = f"SELECT created_at, generation_id, {GENERATION_ITEM_EXPR} AS item FROM generations WHERE "


def _list_sql(by_owner: bool, by_status: bool, after: bool) -> str:
    where = ["user_id = :owner"] if by_owner else []
    where += ["status = :status"] if by_status else []
    where += ["(created_at, generation_id) < (:after_at, :after_id)"] if after else []
    return _LIST_BRANCH + (" AND ".join(where) or "1") + LIST_ORDER


LIST_ORDER = " ORDER BY created_at DESC, generation_id DESC LIMIT :limit"
# (by owner, by status, after a cursor) → SQL.
LIST_SQL = {key: _list_sql(*key) for key in product((False, True), repeat=3)}

# The universal file route: the caller's videos whose provider id is the file id.
FILE_SQL = f"""
SELECT {VIDEO_ITEM_EXPR} AS item FROM videos
WHERE provider_job_id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR user_id = ?2)
ORDER BY id DESC LIMIT 1
"""
FILES_SQL = f"""
SELECT provider_job_id, id, {VIDEO_ITEM_EXPR} AS item FROM videos
WHERE provider_job_id IN (SELECT value FROM json_each(?1)) AND deleted_at IS NULL
  AND (?2 IS NULL OR user_id = ?2)
"""

# The import, one batch: the generations that do not exist yet (RETURNING: those inserted),
# then the videos of exactly those (the import's token on the row), their `created` events and
# the counts. `:generations` and `:videos` are JSON arrays of objects.
IMPORT_GENERATIONS_SQL = """
INSERT INTO generations (generation_id, user_id, model, prompt, video_count, queued, in_progress,
  completed, failed, cancelled, created_at, updated_at, import_id)
SELECT value ->> 'generation_id', :user_id, :model, value ->> 'prompt', value ->> 'video_count',
  value ->> 'queued', value ->> 'in_progress', value ->> 'completed', value ->> 'failed',
  value ->> 'cancelled', value ->> 'created_at', :now, :import_id
FROM json_each(:generations) WHERE true
ON CONFLICT (generation_id) DO NOTHING
RETURNING generation_id
"""
IMPORT_VIDEOS_SQL = f"""
INSERT INTO videos ({VIDEO_COLUMNS}, file_url, thumbnail_url, started_at, completed_at)
SELECT v.value ->> 'id', :user_id, v.value ->> 'generation_id', :model, v.value ->> 'status',
  v.value ->> 'progress', v.value ->> 'prompt', :seconds, NULL, NULL, json_object(), json_object(),
  NULL, NULL,
  v.value ->> 'file_id', 0, v.value ->> 'period', 0, v.value ->> 'created_at', :now, :transition_id,
  v.value ->> 'url', v.value ->> 'thumbnail_url', v.value ->> 'started_at', v.value ->> 'completed_at'
FROM json_each(:videos) AS v
WHERE EXISTS (SELECT 1 FROM generations
              WHERE generation_id = v.value ->> 'generation_id' AND import_id = :import_id)
"""
# Imported videos count in the stats (never in the quota: they were paid for).
IMPORT_COUNTS_SQL = """
INSERT INTO video_usage (owner, period, queued, in_progress, completed, failed, cancelled, updated_at)
SELECT o.value, :period, sum(v.status = 'queued'), sum(v.status = 'in_progress'),
  sum(v.status = 'completed'), sum(v.status = 'failed'), sum(v.status = 'cancelled'), :now
FROM json_each(:owners) AS o
JOIN videos AS v ON v.generation_id IN (SELECT value FROM json_each(:generation_ids))
WHERE v.transition_id = :transition_id
GROUP BY o.value
ON CONFLICT (owner) DO UPDATE SET
  queued = video_usage.queued + excluded.queued,
  in_progress = video_usage.in_progress + excluded.in_progress,
  completed = video_usage.completed + excluded.completed,
  failed = video_usage.failed + excluded.failed,
  cancelled = video_usage.cancelled + excluded.cancelled,
  updated_at = excluded.updated_at
"""
