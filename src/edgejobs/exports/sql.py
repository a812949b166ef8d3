"""The export jobs' SQL (besides the state machine's transitions, in core/states.py)."""

from __future__ import annotations

from ..core.db import Statement, named
from ..core.states import BY_IDS
from .machine import FINISHED, STATUSES
from .model import JOB_ITEM_EXPR, ListFilter

GET_JOB_SQL = "SELECT * FROM export_jobs WHERE id = ?"

# With an Idempotency-Key, the key is written first. On a live key the upsert changes nothing
# and no error is raised; the job INSERT then finds the key pointing at another id and inserts
# nothing either — the PRIMARY KEY settles two concurrent creates with one key. An expired key
# (not yet deleted by the cron) is taken over.
TAKE_IDEMPOTENCY_KEY_SQL = """
INSERT INTO idempotency_keys (idempotency_key, request_hash, job_id, created_at, expires_at)
VALUES (:idempotency_key, :request_hash, :job_id, :now, :key_expires_at)
ON CONFLICT (idempotency_key) DO UPDATE SET
  request_hash = excluded.request_hash, job_id = excluded.job_id,
  created_at = excluded.created_at, expires_at = excluded.expires_at
WHERE idempotency_keys.expires_at <= :now
"""
INSERT_JOB_SQL = """
INSERT INTO export_jobs (id, project_id, type, status, priority, input_video_key, params,
  max_retries, retry_base_seconds, retry_cap_seconds, available_at, created_at, updated_at,
  transition_id)
SELECT :job_id, :project_id, :type, 'pending', :priority, :input_video_key, :params,
  :max_retries, :retry_base_seconds, :retry_cap_seconds, max(:now, coalesce(:start_after, :now)),
  :now, :now, :transition_id
WHERE :idempotency_key IS NULL OR EXISTS (
  SELECT 1 FROM idempotency_keys WHERE idempotency_key = :idempotency_key AND job_id = :job_id)
RETURNING *
"""
# The job a live key stands for (job columns NULL if that job has since been purged).
IDEMPOTENT_REPLAY_SQL = """
SELECT k.request_hash AS idempotency_request_hash, j.*
FROM idempotency_keys AS k LEFT JOIN export_jobs AS j ON j.id = k.job_id
WHERE k.idempotency_key = ? AND k.expires_at > ?
"""

# Lists: newest first = descending id (UUIDv7). A status filter runs one branch per status,
# each an ordered keyset range of export_jobs_by_project, _by_type, _by_project_type_status or
# _by_status (a project or a type without statuses: a branch for each of the five). The
# branches are plain arms of one compound SELECT whose ORDER BY … LIMIT SQLite runs as a merge
# of the arms' index-ordered ranges, pulling rows lazily: a page reads about limit + one row per
# arm, and nothing is sorted.
# (Wrapping each arm in its own `SELECT * FROM (… ORDER BY id DESC LIMIT n)` made SQLite sort
# every arm in a temp B-tree and read up to 3 × limit rows per arm on D1:
# tests/unit/test_query_plans.py, `make bench`.) Each arm gives a job's sort key and the job as
# SQLite renders it (`render.item_sql`).
LIST_BRANCH_SQL = f"SELECT id, {JOB_ITEM_EXPR} AS item FROM export_jobs WHERE {{where}}"
LIST_SQL = "{branches}\nORDER BY id DESC LIMIT :limit"

EXPIRED_LEASES_SQL = """
SELECT id FROM export_jobs
WHERE +status = 'processing' AND lease_expires_at <= ?1
ORDER BY lease_expires_at LIMIT ?2
"""
# Pending jobs claimable since the cutoff or earlier. A job is never claimable before it was
# created, so these are among the pending jobs created by the cutoff: a range of
# export_jobs_by_status (status, id) up to the UUIDv7 prefix of the cutoff instant (its 48-bit
# milliseconds as the id's first 12 hex digits; '.' sorts after the '-' that follows them).
# (The claim indexes are in priority order, not in available_at order.)
STALE_PENDING_SQL = """
SELECT id FROM export_jobs INDEXED BY export_jobs_by_status
WHERE status = 'pending' AND id < printf('%08x-%04x.', ?1 >> 16, ?1 & 65535) AND available_at <= ?1
ORDER BY id LIMIT ?2
"""
# `+status`: found through export_jobs_by_completion (finished jobs only, by completed_at), never
# a (status, …) index, which would walk every finished job past retention.
FINISHED_SQL = "+status IN ({}) AND completed_at <= :cutoff".format(", ".join(f"'{s}'" for s in FINISHED))
FINISHED_DUE_SQL = f"SELECT id FROM export_jobs WHERE {FINISHED_SQL} LIMIT :limit"
# The re-check when deleting a chunk (found by id).
STILL_FINISHED_SQL = f"{BY_IDS.update_where} AND {FINISHED_SQL}"
# Counted by core.counters.DELETED_SQL right after it (D1's `changes` includes trigger writes).
DELETE_FINISHED_SQL = f"DELETE FROM export_jobs WHERE {STILL_FINISHED_SQL}"
# Keys are appended in expiry order (one TTL), so only the oldest rowids are looked at: a run
# reads at most one chunk however many keys are live, and only once the oldest key is due (the
# probe reads that one row; the chunk read two rows per live key to find none was due). (After
# the TTL var is shortened, newer keys may wait behind older ones; create ignores expired keys.)
OLDEST_KEY_DUE_SQL = """
SELECT 1 AS due FROM (SELECT expires_at FROM idempotency_keys ORDER BY rowid LIMIT 1)
WHERE expires_at <= ?1
"""
DELETE_EXPIRED_KEYS_SQL = """
DELETE FROM idempotency_keys
WHERE rowid IN (SELECT rowid FROM idempotency_keys ORDER BY rowid LIMIT ?2) AND expires_at <= ?1
"""


def list_sql(filters: ListFilter, after: str | None) -> str:
    """One keyset branch per status in the filter (one branch when there is none)."""
    common = []
    if after is not None:
        common.append("id < :after")
    by_project, by_type = filters.project_id is not None, filters.type is not None
    if by_type:
        common.append("type = :type")
    if by_project:
        common.insert(0, "project_id = :project_id")
    if filters.ready is not None:
        # status=pending only: claimable now, or waiting for start_after or a retry's backoff.
        common.append("available_at <= :now" if filters.ready else "available_at > :now")
    branch_statuses: list[str | None] = [f":status_{i}" for i in range(len(filters.statuses))]
    if (by_project or by_type) and not branch_statuses:
        # export_jobs_by_project (project_id, status, id), export_jobs_by_type (type, status, id)
        # and export_jobs_by_project_type_status (project_id, type, status, id): one ordered
        # range per status, each read only as far as the page needs it.
        branch_statuses = [f"'{status}'" for status in STATUSES]
    branches = []
    for status in branch_statuses or [None]:
        conditions = common + ([f"status = {status}"] if status else [])
        where = " AND ".join(conditions) or "1"
        branches.append(LIST_BRANCH_SQL.format(where=where))
    return LIST_SQL.format(branches="\nUNION ALL\n".join(branches))


def list_statement(filters: ListFilter, after: str | None, limit: int, now: int = 0) -> Statement:
    """The list query of `filters`, bound: up to `limit` jobs with ids below `after`."""
    values: dict[str, object] = {
        "now": now,
        "after": after,
        "type": filters.type,
        "project_id": filters.project_id,
        "limit": limit,
        **{f"status_{i}": status for i, status in enumerate(filters.statuses)},
    }
    return named(list_sql(filters, after), values)
