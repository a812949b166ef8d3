"""The VEO job cache's SQL: metadata and payload writes (conditional on the request's
preconditions), reads, deletes, lists and the cron's expiry."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

from ..core import codec
from ..core.db import SqlValue, Statement, named
from .model import METADATA_FIELDS, METADATA_ITEM_EXPR, JobMetadata, Precondition

# Parameters of every metadata write, in this order:
#   ?1 job_id  ?2 status  ?3 video_id  ?4 video_url  ?5 scene_count  ?6 characters_found
#   ?7 mode  ?8 voice  ?9 has_script  ?10 error  ?11 etag  ?12 size_bytes  ?13 stored_bytes
#   ?14 now (epoch ms)  ?15 expires_at  ?16–?19 If-Match tags  ?20 scope: the only owner whose
#   live job may be changed (NULL: any)  ?21 the owner a new (or revived) job gets
METADATA_COLUMNS = ", ".join(field.name for field in METADATA_FIELDS)
_SET_METADATA = """
  status = ?2, video_id = ?3, video_url = ?4, scene_count = ?5, characters_found = ?6, mode = ?7,
  voice = ?8, has_script = ?9, error = ?10, etag = ?11, size_bytes = ?12, stored_bytes = ?13,
  updated_at = ?14, expires_at = ?15"""
_INSERT_METADATA = """
INSERT INTO veo_jobs (job_id, status, video_id, video_url, scene_count, characters_found, mode, voice,
  has_script, error, etag, size_bytes, stored_bytes, revision, created_at, updated_at, expires_at, user_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?14, ?15, ?21)
ON CONFLICT (job_id) DO UPDATE SET"""
# An expired row counts as absent: overwriting it starts a new job (revision 1, new created_at).
# SET expressions see the old row, so `veo_jobs.expires_at` is the value before this write.
_REVIVE_OR_BUMP = """,
  revision = CASE WHEN veo_jobs.expires_at <= ?14 THEN 1 ELSE veo_jobs.revision + 1 END,
  created_at = CASE WHEN veo_jobs.expires_at <= ?14 THEN ?14 ELSE veo_jobs.created_at END,
  user_id = CASE WHEN veo_jobs.expires_at <= ?14 THEN ?21 ELSE veo_jobs.user_id END"""
_RETURNING = f"\nRETURNING {METADATA_COLUMNS}, revision"

# Plain PUT: create, revive an expired job, or update a live one within the scope (job ids are
# global: a live job of another owner is left alone, no row back, and the PUT is a 409).
UPSERT_SQL = (
    _INSERT_METADATA
    + _SET_METADATA
    + _REVIVE_OR_BUMP
    + "\nWHERE ?20 IS NULL OR veo_jobs.user_id = ?20 OR veo_jobs.expires_at <= ?14"
    + _RETURNING
)
# `If-None-Match: *`: create, or revive an expired job; a live job is left alone (no row back).
CREATE_ONLY_SQL = (
    _INSERT_METADATA + _SET_METADATA + _REVIVE_OR_BUMP + "\nWHERE veo_jobs.expires_at <= ?14" + _RETURNING
)
# `If-Match`: update a live job whose etag is one of ?16–?19 (unused slots NULL; ?16 = '*'
# for any). Fixed slots rather than a json_each() list: D1 bills each list element as a row read.
_ETAG_MATCHES = "(?{0} = '*' OR etag IN (?{0}, ?{1}, ?{2}, ?{3}))"
UPDATE_IF_MATCH_SQL = (
    "UPDATE veo_jobs SET"
    + _SET_METADATA
    + ", revision = revision + 1"
    + "\nWHERE job_id = ?1 AND expires_at > ?14 AND (?20 IS NULL OR user_id = ?20) AND "
    + _ETAG_MATCHES.format(16, 17, 18, 19)
    + _RETURNING
)
# Second statement of the write batch. A batch runs on after a statement that changed
# nothing, so the payload is written only if the metadata row now carries exactly this
# write's etag and instant: after a failed precondition it writes nothing (or, should the
# old row already hold these very bytes, rewrites the identical payload).
_WRITE_PAYLOAD = """
INSERT INTO veo_job_data (job_id, data)
SELECT ?1, {data} WHERE EXISTS (SELECT 1 FROM veo_jobs WHERE job_id = ?1 AND etag = ?3 AND updated_at = ?4)
ON CONFLICT (job_id) DO UPDATE SET data = excluded.data
"""
WRITE_PAYLOAD_SQL = _WRITE_PAYLOAD.format(data="?2")
# The same, the BLOB sent as hex text: D1's client in the Worker turns a bound BLOB into a JS
# array of numbers and that into JSON (~6 ms of CPU for 78 kB in the local runtime); a string
# crosses in one copy. `unhex` stores the very same bytes. A D1 string holds 2,000,000 bytes,
# so payloads over half of that are bound as BLOBs.
WRITE_PAYLOAD_HEX_SQL = _WRITE_PAYLOAD.format(data="unhex(?2)")
MAX_HEX_PAYLOAD_BYTES = 990_000

GET_SQL = """
SELECT j.etag, d.data
FROM veo_jobs AS j JOIN veo_job_data AS d ON d.job_id = j.job_id
WHERE j.job_id = ?1 AND j.expires_at > ?2 AND (?3 IS NULL OR j.user_id = ?3)
"""
# After a write or delete that matched nothing: who owns the live job with this id, if any.
OWNER_SQL = "SELECT user_id FROM veo_jobs WHERE job_id = ?1 AND expires_at > ?2"

# A live job within the scope (?7; NULL: any owner), and with If-Match (?3–?6, all NULL
# without one) one whose etag matches.
DELETE_SQL = (
    "DELETE FROM veo_jobs WHERE job_id = ?1 AND expires_at > ?2 AND (?7 IS NULL OR user_id = ?7)"
    " AND (?3 IS NULL OR " + _ETAG_MATCHES.format(3, 4, 5, 6) + ")"
)
# Delete-all, a bounded chunk per call, one batch: the first :limit rows of the scope in an
# index's order (veo_jobs_by_expiry latest first, so live jobs go before expired ones; a user's
# through veo_jobs_by_user). The chunk's live jobs are counted first (what a client could see),
# then its payloads go (so the jobs' DELETE cascades to nothing), then its jobs; last, whether
# any row of the scope is left (one index entry). Each statement selects the same rows: nothing
# else writes between them in a batch, and the payloads' DELETE leaves veo_jobs as it was.
_ALL_CHUNK = "SELECT job_id, expires_at FROM veo_jobs ORDER BY expires_at DESC LIMIT :limit"
_OWNED_CHUNK = (
    "SELECT job_id, expires_at FROM veo_jobs WHERE user_id = :user_id"
    " ORDER BY updated_at DESC, job_id DESC LIMIT :limit"
)


DELETE_ALL_COUNT_SQL = f"SELECT count(*) AS deleted FROM ({_ALL_CHUNK}) WHERE expires_at > :now"
DELETE_ALL_PAYLOADS_SQL = f"DELETE FROM veo_job_data WHERE job_id IN (SELECT job_id FROM ({_ALL_CHUNK}))"
DELETE_ALL_JOBS_SQL = f"DELETE FROM veo_jobs WHERE job_id IN (SELECT job_id FROM ({_ALL_CHUNK}))"
DELETE_OWNED_COUNT_SQL = f"SELECT count(*) AS deleted FROM ({_OWNED_CHUNK}) WHERE expires_at > :now"
DELETE_OWNED_PAYLOADS_SQL = f"DELETE FROM veo_job_data WHERE job_id IN (SELECT job_id FROM ({_OWNED_CHUNK}))"
DELETE_OWNED_JOBS_SQL = f"DELETE FROM veo_jobs WHERE job_id IN (SELECT job_id FROM ({_OWNED_CHUNK}))"
ANY_LEFT_SQL = "SELECT 1 AS more FROM veo_jobs ORDER BY expires_at DESC LIMIT 1"
ANY_OWNED_LEFT_SQL = "SELECT 1 AS more FROM veo_jobs WHERE user_id = :user_id LIMIT 1"


def delete_chunk_statements(scope: str | None, now: int, limit: int) -> list[Statement]:
    """Delete-all's batch: count the chunk's live jobs, delete its payloads and its jobs, then
    look for a row left (`scope`: one user's jobs; None: every job)."""
    values = {"limit": limit, "now": now, "user_id": scope}
    if scope is None:
        sqls = [DELETE_ALL_COUNT_SQL, DELETE_ALL_PAYLOADS_SQL, DELETE_ALL_JOBS_SQL, ANY_LEFT_SQL]
    else:
        sqls = [DELETE_OWNED_COUNT_SQL, DELETE_OWNED_PAYLOADS_SQL, DELETE_OWNED_JOBS_SQL, ANY_OWNED_LEFT_SQL]
    return [named(sql, values) for sql in sqls]


# Cron: oldest expired first, a chunk per statement (veo_jobs_by_expiry); payloads cascade,
# and RETURNING lets the task count jobs rather than jobs plus cascaded payload rows.
EXPIRE_SQL = """
DELETE FROM veo_jobs
WHERE job_id IN (SELECT job_id FROM veo_jobs WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)
RETURNING job_id
"""
# Looked up first (see expire_veo_jobs): D1 bills the chunked DELETE 4 rows read even when
# nothing is due, this index probe 1, and most cron runs find nothing due (`make bench`).
ANY_EXPIRED_SQL = "SELECT 1 AS due FROM veo_jobs WHERE expires_at <= ? LIMIT 1"


# Each listed job's sort key and its metadata as SQLite renders it.
_LIST_COLUMNS = f"updated_at, job_id, {METADATA_ITEM_EXPR} AS item"


def _list_sql(by_status: bool, by_video: bool, after: bool, by_owner: bool = False) -> str:
    """Newest first. Each variant walks one index in (updated_at, job_id) order: by_status
    or by_video when filtered, by_updated otherwise; expired rows are skipped on the way.
    With both filters, `+status` keeps the planner on the video index (a video has few jobs).
    One owner's list walks by_user or by_user_status, or by_video (checking the owner)."""
    where = ["expires_at > ?"]
    if by_owner:
        where.append("+user_id = ?" if by_video else "user_id = ?")
    if by_status:
        where.append("+status = ?" if by_video else "status = ?")
    if by_video:
        where.append("video_id = ?")
    if after:
        where.append("(updated_at, job_id) < (?, ?)")
    return (
        f"SELECT {_LIST_COLUMNS} FROM veo_jobs WHERE {' AND '.join(where)}"
        " ORDER BY updated_at DESC, job_id DESC LIMIT ?"
    )


# (by_status, by_video, after) → SQL; parameters: now, [status], [video_id], [updated_at, job_id], limit.
LIST_SQL = {key: _list_sql(*key) for key in product((False, True), repeat=3)}
# One owner's list: the same keys; parameters: now, owner, then as LIST_SQL.
OWNER_LIST_SQL = {
    (s, v, a): _list_sql(s, v, a, by_owner=True) for s, v, a in product((False, True), repeat=3)
}


def list_statement(
    now: int,
    status: str | None,
    video_id: str | None,
    after: Sequence[SqlValue],
    limit: int,
    owner: str | None = None,
) -> Statement:
    """A page of live jobs (of `owner`, of `status`, of `video_id`), after the sort key `after`
    (or from the newest), up to `limit` rows."""
    filters = (v for v in (owner, status, video_id) if v is not None)
    params: list[SqlValue] = [now, *filters, *after, limit]
    key = (status is not None, video_id is not None, bool(after))
    return Statement((LIST_SQL if owner is None else OWNER_LIST_SQL)[key], params)


def write_statements(
    job_id: str,
    meta: JobMetadata,
    payload: codec.EncodedPayload,
    precondition: Precondition,
    now: int,
    expires: int,
    scope: str | None = None,
    owner: str | None = None,
) -> list[Statement]:
    """The metadata write for `precondition`, then the payload write that depends on it.
    `scope`: the only owner whose live job may be changed (None: any); `owner`: the owner a
    new job gets."""
    params: list[SqlValue] = [
        job_id,
        *meta,
        payload.etag,
        payload.size_bytes,
        payload.stored_bytes,
        now,
        expires,
        *precondition.match_params(),
        scope,
        owner,
    ]
    if precondition.kind == "match":
        metadata = Statement(UPDATE_IF_MATCH_SQL, params[:20])  # only live jobs: no new owner (?21)
    elif precondition.kind == "absent":
        metadata = Statement(CREATE_ONLY_SQL, params)
    else:
        metadata = Statement(UPSERT_SQL, params)
    if payload.stored_bytes <= MAX_HEX_PAYLOAD_BYTES:
        data = Statement(WRITE_PAYLOAD_HEX_SQL, [job_id, payload.stored.hex(), payload.etag, now])
    else:
        data = Statement(WRITE_PAYLOAD_SQL, [job_id, payload.stored, payload.etag, now])
    return [metadata, data]
