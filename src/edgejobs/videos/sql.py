"""The videos' SQL (besides the state machine's transitions, in core/states.py): the create
batch (charge, insert, event, counts), reads and lists. The counts a later change moves (usage
rows, refund, the generation's) are kept by triggers on `videos` (`videos_counted_*`)."""

from __future__ import annotations

from itertools import product

from .machine import CHARGED
from .model import VIDEO_ITEM_EXPR

ALL = " all"  # the usage row counting every video (owners never contain a space)
NO_OWNER = " none"  # the usage row of the videos the service made without an owner

# The charge: one conditional UPSERT of the owner's usage row. A new month starts at zero
# without any job: the row carries its month, and a charge in a later month counts from zero
# (and one in an earlier month, a request that started before the turn, counts in the row's
# month: months never go back). With a limit, the charge happens only while
# `used + units <= limit` (videos and, when set, cents), so concurrent creates can never
# overshoot it: D1 runs one batch at a time. A refused charge changes nothing, and the
# INSERTs after it in the batch depend on `charge_id` (a refused charge leaves another token).
# The INSERT arm's WHERE handles a user without a row yet (the default limits); with a row,
# the conflict arm decides. `:gate` conditions (an existing generation, an Idempotency-Key
# held by another request) stop the charge before it happens.
_USED = "(CASE WHEN video_usage.period >= excluded.period THEN video_usage.{0} ELSE 0 END)"
_ROLL_OVER = f"""
  videos_used = {_USED.format("videos_used")} + excluded.videos_used,
  cents_used = {_USED.format("cents_used")} + excluded.cents_used,
  period = max(video_usage.period, excluded.period),
  queued = video_usage.queued + excluded.queued,
  updated_at = excluded.updated_at"""
CHARGE_SQL = f"""
INSERT INTO video_usage (owner, period, videos_used, cents_used, queued, charge_id, updated_at)
SELECT :owner, :period, :units, :cents, :units, :charge_id, :now
WHERE (:generation_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM generations WHERE generation_id = :generation_id))
  AND (:idempotency_key IS NULL OR NOT EXISTS (
        SELECT 1 FROM idempotency_keys WHERE idempotency_key = :idempotency_key AND expires_at > :now))
  AND (:limited = 0
       OR (:units <= :videos_limit AND (:cents_limit = 0 OR :cents <= :cents_limit))
       OR EXISTS (SELECT 1 FROM video_usage WHERE owner = :owner))
ON CONFLICT (owner) DO UPDATE SET {_ROLL_OVER},
  charge_id = excluded.charge_id
WHERE :limited = 0 OR (
  {_USED.format("videos_used")} + excluded.videos_used <= coalesce(video_usage.videos_limit, :videos_limit)
  AND (coalesce(video_usage.cents_limit, :cents_limit) = 0
       OR {_USED.format("cents_used")} + excluded.cents_used
          <= coalesce(video_usage.cents_limit, :cents_limit)))
"""
# With an Idempotency-Key, the key is taken only by a create whose charge happened (an expired
# key, not yet deleted by the cron, is taken over).
TAKE_KEY_SQL = """
INSERT INTO idempotency_keys (idempotency_key, request_hash, job_id, created_at, expires_at)
SELECT :idempotency_key, :request_hash, :id, :now, :key_expires_at
WHERE EXISTS (SELECT 1 FROM video_usage WHERE owner = :owner AND charge_id = :charge_id)
ON CONFLICT (idempotency_key) DO UPDATE SET
  request_hash = excluded.request_hash, job_id = excluded.job_id,
  created_at = excluded.created_at, expires_at = excluded.expires_at
WHERE idempotency_keys.expires_at <= :now
"""
# The video a live key stands for (video columns NULL if it is gone).
IDEMPOTENT_REPLAY_SQL = """
SELECT k.request_hash AS idempotency_request_hash, v.*
FROM idempotency_keys AS k LEFT JOIN videos AS v ON v.id = k.job_id AND v.deleted_at IS NULL
WHERE k.idempotency_key = ?1 AND k.expires_at > ?2
"""
# The create batch's INSERTs (and the count of every video) happen only if this charge did
# (machine.CHARGED).
COUNT_ALL_SQL = f"""
INSERT INTO video_usage (owner, period, videos_used, cents_used, queued, updated_at)
SELECT ' all', :period, :units, :cents, :units, :now
WHERE {CHARGED}
ON CONFLICT (owner) DO UPDATE SET {_ROLL_OVER}
"""
VIDEO_COLUMNS = """id, user_id, generation_id, model, status, progress, prompt, seconds, size, quality,
  input, metadata, remixed_from, provider, provider_job_id, cost_cents, period, charged, created_at,
  updated_at, transition_id"""
INSERT_VIDEO_SQL = f"""
INSERT INTO videos ({VIDEO_COLUMNS})
SELECT :id, :user_id, NULL, :model, 'queued', 0, :prompt, :seconds, :size, :quality,
  :input, :metadata, :remixed_from, :provider, :provider_job_id, :cost_cents, :period, 1, :now,
  :now, :transition_id
WHERE {CHARGED}
RETURNING *
"""

# One video, not deleted, within the scope (?2: the only owner it may have; NULL: any).
GET_VIDEO_SQL = "SELECT * FROM videos WHERE id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR user_id = ?2)"
GET_USAGE_SQL = "SELECT * FROM video_usage WHERE owner = ?1"
# PUT /api/quotas/{user_id}: the limits change, the month's usage stays.
SET_LIMITS_SQL = """
INSERT INTO video_usage (owner, period, videos_limit, cents_limit, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (owner) DO UPDATE SET
  videos_limit = excluded.videos_limit, cents_limit = excluded.cents_limit, updated_at = excluded.updated_at
RETURNING *
"""
DOWNLOADED_SQL = """
INSERT INTO job_events (job_kind, job_id, event, from_status, to_status, data, at)
VALUES ('video', ?1, 'downloaded', 'completed', 'completed', json_object('ip', ?2, 'user_agent', ?3), ?4)
"""

# Lists, newest first (id DESC). One keyset branch per status asked for (none: one branch), each
# an ordered range of videos_by_user[_status] (one owner) or videos_by_shelf[_status] (every
# video): SQLite merges the arms' ranges lazily, so a page reads about limit + one row per arm.
# `id` bounds carry the cursor and the created_after/created_before filters (ids are UUIDv7 of
# created_at). The model filter is checked on the way. A generation's list walks its few videos.
_LIST_COMMON = "archived = :archived AND deleted_at IS NULL AND id >= :lower AND id < :upper"
_LIST_MODEL = "(:model IS NULL OR +model = :model)"
LIST_BRANCH_SQL = f"SELECT id, {VIDEO_ITEM_EXPR} AS item FROM videos WHERE {{where}}"
LIST_ORDER = "\nORDER BY id DESC LIMIT :limit"


def _list_sql(by_owner: bool, statuses: int) -> str:
    common = ["user_id = :owner"] if by_owner else []
    common += [_LIST_COMMON, _LIST_MODEL]
    branches = [
        LIST_BRANCH_SQL.format(where=" AND ".join([*common[:1], f"status = :status_{i}", *common[1:]]))
        for i in range(statuses)
    ] or [LIST_BRANCH_SQL.format(where=" AND ".join(common))]
    return "\nUNION ALL\n".join(branches) + LIST_ORDER


# (by owner, number of statuses asked for) → SQL.
LIST_SQL = {(o, n): _list_sql(o, n) for o, n in product((False, True), range(6))}
LIST_GENERATION_SQL = (
    LIST_BRANCH_SQL.format(
        where="generation_id = :generation_id AND (:owner IS NULL OR +user_id = :owner) AND "
        + f"+{_LIST_COMMON} AND {_LIST_MODEL} AND (:statuses IS NULL OR +status IN "
        + "(SELECT value FROM json_each(:statuses)))"
    )
    + LIST_ORDER
)
