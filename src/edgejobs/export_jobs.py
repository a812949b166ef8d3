"""Export job queue, `/api/export-jobs` (SPEC §2): GPU runners claim jobs under a lease,
report progress, complete or fail them (with retries and backoff); every status change is
recorded in `job_events`.

All status changes go through the one state machine in transitions.py; this module
validates requests, picks the rows, and turns "nothing changed" into the precise answer
(404, 409 `conflict` naming the status, 409 `lease_lost`) by reading the job once.
The cron tasks at the end repair and clean up in bounded chunks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from . import ids, transitions
from .config import Config
from .context import RequestContext
from .db import MAX_SAFE_INTEGER, Database, named
from .errors import Conflict, NotFound, ValidationError
from .events import EVENT_SCHEMA, delete_events_of, event_after_change, events_page
from .http import HttpRequest, HttpResponse, empty_response, json_response
from .maintenance import Budget, TaskOutcome, delete_due_in_chunks, repeat_in_chunks
from .openapi import PAGE_PARAMETERS, json_content, nullable, page_schema, ref
from .pagination import page_request, page_rows, rendered_page_response
from .render import JSON, TIME, Field, item_sql, render
from .routing import Route
from .transitions import FINISHED, PENDING, PROCESSING, STATUSES
from .validation import check_str, get_bool, get_int, get_str, path_param

TYPES = ("framing", "overlay", "annotate")
ACTIVE = (PENDING, PROCESSING)  # `status=active`
MAX_KEY_CHARS = 1024  # input/output video keys
MAX_PARAMS_BYTES = 64 * 1024  # `params`, serialised as compact UTF-8 JSON
MAX_NAME_CHARS = 255  # runner_id, runpod_job_id
MAX_ERROR_CHARS = 4096
LEASE_SECONDS = {"default": 300, "minimum": 10, "maximum": 86_400}
MAX_RETRIES = {"default": 3, "minimum": 0, "maximum": 10}
CREATE_BODY_LIMIT = 256 * 1024  # room for 64 KiB of params written with whitespace or escapes
SMALL_BODY_LIMIT = 16 * 1024
CLAIM_ATTEMPTS = 3
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII
LEASE_EXPIRED = "lease_expired"  # the `error` of a job whose runner stopped heartbeating
QUEUE_EXPIRED = "queue_expired"  # the `error` of a job no runner claimed within the queue TTL

# --- SQL ---------------------------------------------------------------------------------------
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
INSERT INTO export_jobs (id, project_id, type, status, input_video_key, params, max_retries,
  available_at, created_at, updated_at, transition_id)
SELECT :job_id, :project_id, :type, 'pending', :input_video_key, :params, :max_retries,
  :now, :now, :now, :transition_id
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

# What a job looks like to clients, rendered by `render_job` or, on list pages, by SQLite.
JOB_FIELDS = (
    *map(Field, (
        "id", "project_id", "type", "status", "progress", "input_video_key", "output_video_key",
        "error", "retry_count", "max_retries", "runner_id", "runpod_job_id", "lease_seconds",
    )),
    Field("params", JSON),
    *(Field(name, TIME) for name in (
        "lease_expires_at", "available_at", "created_at", "started_at", "completed_at", "updated_at",
    )),
)  # fmt: skip

# Lists: newest first = descending id (UUIDv7). A status filter runs one branch per status,
# each an ordered keyset range of export_jobs_by_project, _by_type or _by_status (a project or a
# type without statuses: a branch for each of the five). The branches are plain arms of one
# compound SELECT whose ORDER BY … LIMIT SQLite runs as a merge of the arms' index-ordered
# ranges, pulling rows lazily: a page reads about limit + one row per arm, and nothing is sorted.
# A project and a type with statuses filter the project's ranges by type (migration 0007).
# (Wrapping each arm in its own `SELECT * FROM (… ORDER BY id DESC LIMIT n)` made SQLite sort
# every arm in a temp B-tree and read up to 3 × limit rows per arm on D1:
# tests/unit/test_query_plans.py, `make bench`.) Each arm gives a job's sort key and the job as
# SQLite renders it (`render.item_sql`).
LIST_BRANCH_SQL = f"SELECT id, {item_sql(JOB_FIELDS)} AS item FROM export_jobs WHERE {{where}}"
LIST_SQL = "{branches}\nORDER BY id DESC LIMIT :limit"

EXPIRED_LEASES_SQL = """
SELECT id FROM export_jobs
WHERE +status = 'processing' AND lease_expires_at <= ?1
ORDER BY lease_expires_at LIMIT ?2
"""
STALE_PENDING_SQL = """
SELECT id FROM export_jobs INDEXED BY export_jobs_claimable
WHERE status = 'pending' AND available_at <= ?1
ORDER BY available_at LIMIT ?2
"""
# `+status`: found through export_jobs_by_completion (finished jobs only, by completed_at), never
# a (status, …) index, which would walk every finished job past retention.
FINISHED_SQL = "+status IN ({}) AND completed_at <= :cutoff".format(", ".join(f"'{s}'" for s in FINISHED))
FINISHED_DUE_SQL = f"SELECT id FROM export_jobs WHERE {FINISHED_SQL} LIMIT :limit"
# The re-check when deleting a chunk (found by id).
STILL_FINISHED_SQL = f"{transitions.JOB_LIST.update_where} AND {FINISHED_SQL}"
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


# --- validation ----------------------------------------------------------------------------------
class NewJob(NamedTuple):
    project_id: int
    type: str
    input_video_key: str
    params: str  # compact JSON
    max_retries: int

    def request_hash(self) -> str:
        """What makes two creates "the same request" for an Idempotency-Key: the route and
        the normalised fields (defaults applied, params with sorted keys)."""
        canonical = json.dumps(
            ["POST /api/export-jobs", self.project_id, self.type, self.input_video_key,
             json.loads(self.params), self.max_retries],
            sort_keys=True, ensure_ascii=False, separators=(",", ":"),
        )  # fmt: skip
        return hashlib.sha256(canonical.encode()).hexdigest()


CREATE_FIELDS = ("project_id", "type", "input_video_key", "params", "max_retries")
CLAIM_FIELDS = ("runner_id", "types", "lease_seconds")
HEARTBEAT_FIELDS = ("runner_id", "progress", "runpod_job_id")
COMPLETE_FIELDS = ("runner_id", "output_video_key")
FAIL_FIELDS = ("runner_id", "error", "retryable")


def parse_params(body: Mapping[str, Any]) -> str:
    """`params`: a JSON object of at most 64 KiB (compact UTF-8 JSON); `{}` if absent or null."""
    value = body.get("params")
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ValidationError("Field 'params' must be a JSON object.", field="params")
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValidationError(
            "Field 'params' must not contain unpaired surrogates.", field="params"
        ) from None
    if size > MAX_PARAMS_BYTES:
        raise ValidationError(
            f"Field 'params' is {size} bytes as JSON; the limit is {MAX_PARAMS_BYTES}.", field="params"
        )
    return text


def parse_create(body: Mapping[str, Any]) -> NewJob:
    return NewJob(
        project_id=get_int(body, "project_id", minimum=1, maximum=MAX_SAFE_INTEGER),
        type=get_str(body, "type", choices=TYPES),
        input_video_key=get_str(body, "input_video_key", max_length=MAX_KEY_CHARS),
        params=parse_params(body),
        max_retries=get_int(body, "max_retries", **MAX_RETRIES),
    )


def parse_types(body: Mapping[str, Any]) -> str | None:
    """`types` of a claim: a non-empty list of job types, as a sorted JSON array; None = any."""
    if "types" not in body or body["types"] is None:
        return None
    value = body["types"]
    if not isinstance(value, list) or not value:
        raise ValidationError("Field 'types' must be a non-empty list of job types.", field="types")
    chosen = [check_str(t, "types", choices=TYPES) for t in value]
    return json.dumps(sorted(set(chosen)))


def parse_claim(body: Mapping[str, Any]) -> dict[str, object]:
    return {
        "runner_id": get_str(body, "runner_id", max_length=MAX_NAME_CHARS),
        "types": parse_types(body),
        "lease_seconds": get_int(body, "lease_seconds", **LEASE_SECONDS),
    }


def parse_heartbeat(body: Mapping[str, Any]) -> dict[str, object]:
    return {
        "runner_id": get_str(body, "runner_id", max_length=MAX_NAME_CHARS),
        "progress": get_int(body, "progress", minimum=0, maximum=100, default=None),
        "runpod_job_id": get_str(body, "runpod_job_id", max_length=MAX_NAME_CHARS, default=None),
    }


def parse_complete(body: Mapping[str, Any]) -> dict[str, object]:
    return {
        "runner_id": get_str(body, "runner_id", max_length=MAX_NAME_CHARS),
        "output_video_key": get_str(body, "output_video_key", max_length=MAX_KEY_CHARS),
    }


def parse_fail(body: Mapping[str, Any]) -> dict[str, object]:
    return {
        "runner_id": get_str(body, "runner_id", max_length=MAX_NAME_CHARS),
        "error": get_str(body, "error", max_length=MAX_ERROR_CHARS),
        "retryable": int(get_bool(body, "retryable", default=True)),
    }


def parse_job_id(raw: str) -> str:
    """The path's job id. Anything that is not a UUID cannot name a job: 404, no query."""
    job_id = path_param(raw, "id").lower()
    if not ids.UUID_PATTERN.fullmatch(job_id):
        raise NotFound(f"No export job {job_id[:64]!r}: export job ids are UUIDs.")
    return job_id


def parse_idempotency_key(request: HttpRequest) -> str | None:
    key = request.header("idempotency-key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationError(
            "The Idempotency-Key header must be 1–255 visible ASCII characters.", field="Idempotency-Key"
        )
    return key


class ListFilter(NamedTuple):
    project_id: int | None
    statuses: tuple[str, ...]  # empty: any
    type: str | None


def parse_list_query(query: Mapping[str, str]) -> ListFilter:
    project_id = None
    if "project_id" in query:
        raw = query["project_id"]
        if not re.fullmatch(r"[1-9][0-9]{0,15}", raw) or int(raw) > MAX_SAFE_INTEGER:
            raise ValidationError(
                "Query parameter 'project_id' must be a positive integer.", field="project_id"
            )
        project_id = int(raw)
    statuses: list[str] = []
    if "status" in query:
        for name in query["status"].split(","):
            name = check_str(name, "status", choices=(*STATUSES, "active"))
            for status in ACTIVE if name == "active" else (name,):
                if status not in statuses:
                    statuses.append(status)
    job_type = check_str(query["type"], "type", choices=TYPES) if "type" in query else None
    return ListFilter(project_id, tuple(statuses), job_type)


# --- rendering ---------------------------------------------------------------------------------
def render_job(row: Mapping[str, Any]) -> dict[str, Any]:
    return render(JOB_FIELDS, row)


def job_response(
    row: Mapping[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    return json_response(render_job(row), status, headers)


# --- routes ------------------------------------------------------------------------------------
async def create_export_job(ctx: RequestContext) -> HttpResponse:
    """201 with a new pending job; with an Idempotency-Key seen before, 200 with that job
    (same request) or 409 (another request)."""
    job = parse_create(await ctx.json_object(CREATE_FIELDS, CREATE_BODY_LIMIT))
    key = parse_idempotency_key(ctx.request)
    for _ in range(2):  # a second pass only if the key expired between the two statements
        created = await insert_job(ctx, job, key)
        if created is not None:
            return job_response(created, 201, {"location": f"/api/export-jobs/{created['id']}"})
        replay = await ctx.db.first(IDEMPOTENT_REPLAY_SQL, key, ctx.now)
        if replay is None:
            continue
        if replay["idempotency_request_hash"] != job.request_hash():
            raise Conflict("This Idempotency-Key was used with a different request.", field="Idempotency-Key")
        if replay["id"] is None:
            raise Conflict("The job this Idempotency-Key created no longer exists.", field="Idempotency-Key")
        return job_response(replay)
    raise Conflict("This Idempotency-Key is being reused concurrently; try again.", field="Idempotency-Key")


async def insert_job(ctx: RequestContext, job: NewJob, key: str | None) -> dict[str, Any] | None:
    """One batch: [the key,] the job, its `created` event. None if the key was taken."""
    values = {
        "job_id": ids.uuid7(ctx.now),
        "project_id": job.project_id,
        "type": job.type,
        "input_video_key": job.input_video_key,
        "params": job.params,
        "max_retries": job.max_retries,
        "now": ctx.now,
        "transition_id": ids.token(),
        "idempotency_key": key,
        "request_hash": job.request_hash(),
        "key_expires_at": ctx.now + ctx.config.idempotency_ttl_seconds * 1000,
        "job_kind": transitions.JOB_KIND,
        "event": "created",
    }
    statements = [named(TAKE_IDEMPOTENCY_KEY_SQL, values)] if key else []
    statements += [
        named(INSERT_JOB_SQL, values),
        event_after_change(transitions.TABLE, transitions.ONE_JOB.event_where, values),
    ]
    results = await ctx.db.batch(statements)
    return results[-2].first()


async def get_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    job_id = parse_job_id(id)
    row = await ctx.db.first(GET_JOB_SQL, job_id)
    if row is None:
        raise NotFound(f"No export job {job_id}.")
    return job_response(row)


def list_sql(filters: ListFilter, after: str | None) -> str:
    """One keyset branch per status in the filter (one branch when there is none)."""
    common = []
    if after is not None:
        common.append("id < :after")
    by_project, by_type = filters.project_id is not None, filters.type is not None
    if by_type:
        # With a project and statuses, the project's status ranges are walked and the type is
        # checked (`+`: not the type's ranges, which hold every project's jobs of that type).
        common.append("+type = :type" if by_project and filters.statuses else "type = :type")
    if by_project:
        common.insert(0, "project_id = :project_id")
    branch_statuses: list[str | None] = [f":status_{i}" for i in range(len(filters.statuses))]
    if by_project != by_type and not branch_statuses:
        # export_jobs_by_project (project_id, status, id) and export_jobs_by_type (type, status,
        # id): one ordered range per status. (A project and a type: export_jobs_by_project_type
        # (project_id, type, id), one range; migration 0008.)
        branch_statuses = [f"'{status}'" for status in STATUSES]
    branches = []
    for status in branch_statuses or [None]:
        conditions = common + ([f"status = {status}"] if status else [])
        where = " AND ".join(conditions) or "1"
        branches.append(LIST_BRANCH_SQL.format(where=where))
    return LIST_SQL.format(branches="\nUNION ALL\n".join(branches))


async def list_export_jobs(ctx: RequestContext) -> HttpResponse:
    filters = parse_list_query(ctx.request.query)
    scope = "export_jobs"
    page = page_request(ctx.request.query, scope, ctx.config.api_token, (str,))
    after = page.after[0] if page.after else None
    values: dict[str, object] = {
        "after": after,
        "type": filters.type,
        "project_id": filters.project_id,
        "limit": page.limit + 1,
        **{f"status_{i}": status for i, status in enumerate(filters.statuses)},
    }
    rows = (await ctx.db.run(named(list_sql(filters, after), values))).rows
    return rendered_page_response(*page_rows(rows, page, scope, ctx.config.api_token, lambda r: [r["id"]]))


async def claim_export_job(ctx: RequestContext) -> HttpResponse:
    """200 with the oldest claimable job, now processing under the caller's lease; 204 if none."""
    values = {**parse_claim(await ctx.json_object(CLAIM_FIELDS, SMALL_BODY_LIMIT)), "now": ctx.now}
    chosen = values["types"]  # a sorted JSON array, or None for any type
    types = json.loads(chosen) if isinstance(chosen, str) else None
    rows = transitions.next_claimable(types)
    for _ in range(CLAIM_ATTEMPTS):
        claimed = await transitions.apply(ctx.db, transitions.CLAIM, rows, values)
        if claimed:
            return job_response(claimed[0])
        # Nothing claimed: none was claimable, or another runner took it between the
        # subquery and the compare-and-set. Look again only if jobs remain.
        if not (await ctx.db.run(named(transitions.any_claimable_sql(types), values))).rows:
            break
    return empty_response(204)


async def change_job(
    ctx: RequestContext, action: transitions.Action, raw_id: str, values: Mapping[str, object]
) -> HttpResponse:
    """Apply `action` to one job; when nothing changed, read the job once to say why."""
    job_id = parse_job_id(raw_id)
    bound = {**values, "job_id": job_id, "now": ctx.now, **transitions.retry_settings(ctx.config)}
    changed = await transitions.apply(ctx.db, action, transitions.ONE_JOB, bound)
    if changed:
        return job_response(changed[0])
    current = await ctx.db.first(GET_JOB_SQL, job_id)
    runner_id = values.get("runner_id")
    raise transitions.refusal(action, current, job_id, runner_id if isinstance(runner_id, str) else None)


async def heartbeat_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    body = parse_heartbeat(await ctx.json_object(HEARTBEAT_FIELDS, SMALL_BODY_LIMIT))
    return await change_job(ctx, transitions.HEARTBEAT, id, body)


async def complete_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    body = parse_complete(await ctx.json_object(COMPLETE_FIELDS, SMALL_BODY_LIMIT))
    return await change_job(ctx, transitions.COMPLETE_ACTION, id, body)


async def fail_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    body = parse_fail(await ctx.json_object(FAIL_FIELDS, SMALL_BODY_LIMIT))
    return await change_job(ctx, transitions.FAIL, id, body)


async def retry_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    await ctx.json_object((), SMALL_BODY_LIMIT, required=False)  # no fields; an empty body is fine
    return await change_job(ctx, transitions.RETRY, id, {})


async def cancel_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    await ctx.json_object((), SMALL_BODY_LIMIT, required=False)
    return await change_job(ctx, transitions.CANCEL, id, {})


async def list_export_job_events(ctx: RequestContext, id: str) -> HttpResponse:
    job_id = parse_job_id(id)
    page = await events_page(ctx.db, ctx.request.query, ctx.config.api_token, transitions.JOB_KIND, job_id)
    # Every job has at least its `created` event, so an empty page may mean "no such job".
    if not page["items"] and await ctx.db.first(GET_JOB_SQL, job_id) is None:
        raise NotFound(f"No export job {job_id}.")
    return json_response(page)


# --- maintenance tasks (cron) -------------------------------------------------------------------
# Each selects a chunk of due ids, then changes them with statements that re-check the
# condition, so two overlapping runs (or a runner acting meanwhile) never double-apply.


async def transition_due(
    db: Database,
    budget: Budget,
    due_sql: str,
    due_param: object,
    action: transitions.Action,
    values: Mapping[str, object],
) -> TaskOutcome:
    """Chunk by chunk: select the ids `due_sql` finds due (`due_param`, then the chunk size),
    and apply `action` to them through the state machine (which re-checks each job's state)."""

    async def step(chunk: int) -> int:
        due = [row["id"] for row in await db.all(due_sql, due_param, chunk)]
        if not due:
            return 0
        bound = {**values, **transitions.job_list(due)}
        return len(await transitions.apply(db, action, transitions.JOB_LIST, bound))

    return await repeat_in_chunks(budget, step, statements_per_step=3)


async def recover_expired_leases(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """Processing jobs whose lease passed fail as `lease_expired`, by the /fail retry rule."""
    values = {"now": now, "error": LEASE_EXPIRED, "retryable": 1, **transitions.retry_settings(config)}
    return await transition_due(db, budget, EXPIRED_LEASES_SQL, now, transitions.EXPIRE_LEASE, values)


async def expire_stale_pending(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """With EXPORT_QUEUE_TTL_SECONDS > 0: pending jobs claimable for longer than that (no
    runner took them) move to `error`."""
    if config.export_queue_ttl_seconds <= 0:
        return TaskOutcome()
    cutoff = now - config.export_queue_ttl_seconds * 1000
    values = {"now": now, "cutoff": cutoff, "error": QUEUE_EXPIRED}
    return await transition_due(db, budget, STALE_PENDING_SQL, cutoff, transitions.EXPIRE_QUEUED, values)


async def purge_finished_export_jobs(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """Finished jobs (complete, error, cancelled) past EXPORT_RETENTION_SECONDS, with their
    events, in one batch per chunk."""
    cutoff = now - config.export_retention_seconds * 1000

    async def step(chunk: int) -> int:
        due = await db.run(named(FINISHED_DUE_SQL, {"cutoff": cutoff, "limit": chunk}))
        if not due.rows:
            return 0
        values = {
            "cutoff": cutoff,
            "job_kind": transitions.JOB_KIND,
            **transitions.job_list([r["id"] for r in due.rows]),
        }
        # Events first: their DELETE selects the jobs that are still due, and the job DELETE
        # re-checks the same condition, so a job retried meanwhile keeps both.
        results = await db.batch(
            [
                delete_events_of(transitions.TABLE, STILL_FINISHED_SQL, values),
                named(DELETE_FINISHED_SQL, values),
            ]
        )
        return results[1].changes

    return await repeat_in_chunks(budget, step, statements_per_step=3)


async def delete_expired_idempotency_keys(
    db: Database, config: Config, now: int, budget: Budget
) -> TaskOutcome:
    return await delete_due_in_chunks(db, budget, OLDEST_KEY_DUE_SQL, DELETE_EXPIRED_KEYS_SQL, now)


# --- OpenAPI -------------------------------------------------------------------------------------
_TAGS = ["export jobs"]
_TIME = {"type": ["string", "null"], "format": "date-time"}
_RUNNER_ID = {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS}
_VIDEO_KEY = {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS}

EXPORT_JOB_SCHEMA = {
    "type": "object",
    "required": [field.name for field in JOB_FIELDS],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "UUIDv7: sorts in creation order."},
        "project_id": {"type": "integer", "minimum": 1},
        "type": {"type": "string", "enum": list(TYPES)},
        "status": {"type": "string", "enum": list(STATUSES)},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "input_video_key": {"type": "string"},
        "output_video_key": {"type": ["string", "null"]},
        "params": {"type": "object"},
        "error": {
            "type": ["string", "null"],
            "description": "Last failure (`lease_expired`, `queue_expired`, or the runner's).",
        },
        "retry_count": {"type": "integer", "minimum": 0},
        "max_retries": {"type": "integer", "minimum": 0, "maximum": 10},
        "runner_id": {"type": ["string", "null"]},
        "runpod_job_id": {"type": ["string", "null"]},
        "lease_seconds": {"type": ["integer", "null"], "description": "Lease length of the current claim."},
        "lease_expires_at": {**_TIME, "description": "Set while processing; a heartbeat extends it."},
        "available_at": {**_TIME, "description": "Claimable from (retry backoff)."},
        "created_at": {"type": "string", "format": "date-time"},
        "started_at": {**_TIME, "description": "When the latest claim started."},
        "completed_at": {**_TIME, "description": "When the job became complete, error or cancelled."},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}


def _body(properties: dict[str, Any], required: list[str], *, optional_body: bool = False) -> dict[str, Any]:
    """A request body; an optional field may also be sent as null (the same as leaving it out)."""
    properties = {name: p if name in required else nullable(p) for name, p in properties.items()}
    schema = {"type": "object", "additionalProperties": False, "required": required, "properties": properties}
    return {"required": not optional_body, "content": json_content(schema)}


def _operation(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "tags": _TAGS, "responses": responses, **extra}


def _job(description: str) -> dict[str, Any]:
    return {"description": description, "content": json_content(ref("ExportJob"))}


_ID_PARAMETER = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The job's id (a UUID; anything else is a 404).",
    "schema": {"type": "string", "format": "uuid"},
}
_IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Repeat a create safely: the same key and body answer with the same job (200).",
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
}
_LIST_PARAMETERS = [
    {"name": "project_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "status",
        "in": "query",
        "description": "Comma-separated statuses; `active` = pending,processing.",
        "schema": {"type": "string"},
    },
    {"name": "type", "in": "query", "schema": {"type": "string", "enum": list(TYPES)}},
    *PAGE_PARAMETERS,
]
_RUNNER_ACTION = "409: `lease_lost` if this runner no longer holds the job (not processing under it)."


def _links(*operation_ids: str, runner: bool = False) -> dict[str, Any]:
    """OpenAPI links from a response holding a job to the operations on that job (for clients'
    tooling; the fuzzer's stateful phase follows them, e.g. claim → heartbeat → complete)."""
    links: dict[str, Any] = {}
    for operation_id in operation_ids:
        link: dict[str, Any] = {"operationId": operation_id, "parameters": {"path.id": "$response.body#/id"}}
        if runner:
            link["requestBody"] = {"runner_id": "$response.body#/runner_id"}
        links[operation_id] = link
    return links


_JOB_LINKS = _links("get_export_job", "cancel_export_job", "retry_export_job", "list_export_job_events")
_RUNNER_LINKS = _links("heartbeat_export_job", "complete_export_job", "fail_export_job", runner=True)

ROUTES = [
    Route(
        "POST",
        "/api/export-jobs",
        create_export_job,
        _operation(
            "Create an export job (pending)",
            {
                "201": {
                    **_job("Created"),
                    "headers": {"location": {"description": "The job's URL", "schema": {"type": "string"}}},
                    "links": _JOB_LINKS,
                },
                "200": _job("The job an earlier create with the same Idempotency-Key and body made"),
            },
            parameters=[_IDEMPOTENCY_PARAMETER],
            requestBody=_body(
                {
                    "project_id": {"type": "integer", "minimum": 1, "maximum": MAX_SAFE_INTEGER},
                    "type": {"type": "string", "enum": list(TYPES)},
                    "input_video_key": _VIDEO_KEY,
                    "params": {"type": "object", "description": "At most 64 KiB as JSON."},
                    "max_retries": {"type": "integer", **MAX_RETRIES},
                },
                ["project_id", "type", "input_video_key"],
            ),
            **{"x-errors": ["409"]},
        ),
    ),
    Route(
        "GET",
        "/api/export-jobs",
        list_export_jobs,
        _operation(
            "Export jobs, newest first",
            {"200": {"description": "A page of jobs", "content": json_content(page_schema("ExportJob"))}},
            parameters=_LIST_PARAMETERS,
        ),
    ),
    Route(
        "POST",
        "/api/export-jobs/claim",
        claim_export_job,
        _operation(
            "Claim the oldest claimable job (runner)",
            {
                "200": {
                    **_job("Claimed: now processing under this runner's lease"),
                    "links": {**_RUNNER_LINKS, **_JOB_LINKS},
                },
                "204": {"description": "No job is claimable now"},
            },
            requestBody=_body(
                {
                    "runner_id": _RUNNER_ID,
                    "types": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "enum": list(TYPES)},
                    },
                    "lease_seconds": {"type": "integer", **LEASE_SECONDS},
                },
                ["runner_id"],
            ),
        ),
    ),
    Route(
        "GET",
        "/api/export-jobs/{id}",
        get_export_job,
        _operation("An export job", {"200": _job("The job")}, parameters=[_ID_PARAMETER]),
    ),
    Route(
        "PATCH",
        "/api/export-jobs/{id}",
        heartbeat_export_job,
        _operation(
            "Runner heartbeat: progress, RunPod id; extends the lease",
            {"200": _job("Updated. A progress lower than recorded is ignored.")},
            description=_RUNNER_ACTION,
            parameters=[_ID_PARAMETER],
            requestBody=_body(
                {
                    "runner_id": _RUNNER_ID,
                    "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                    "runpod_job_id": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
                },
                ["runner_id"],
            ),
            **{"x-errors": ["409"]},
        ),
    ),
    Route(
        "POST",
        "/api/export-jobs/{id}/complete",
        complete_export_job,
        _operation(
            "Complete a job (runner)",
            {"200": _job("Complete, progress 100")},
            description=_RUNNER_ACTION,
            parameters=[_ID_PARAMETER],
            requestBody=_body(
                {"runner_id": _RUNNER_ID, "output_video_key": _VIDEO_KEY}, ["runner_id", "output_video_key"]
            ),
            **{"x-errors": ["409"]},
        ),
    ),
    Route(
        "POST",
        "/api/export-jobs/{id}/fail",
        fail_export_job,
        _operation(
            "Fail a job (runner): back to pending after backoff while retries remain, else error",
            {"200": {**_job("Pending (retry scheduled at available_at) or error"), "links": _JOB_LINKS}},
            description=_RUNNER_ACTION,
            parameters=[_ID_PARAMETER],
            requestBody=_body(
                {
                    "runner_id": _RUNNER_ID,
                    "error": {"type": "string", "minLength": 1, "maxLength": MAX_ERROR_CHARS},
                    "retryable": {"type": "boolean", "default": True},
                },
                ["runner_id", "error"],
            ),
            **{"x-errors": ["409"]},
        ),
    ),
    Route(
        "POST",
        "/api/export-jobs/{id}/retry",
        retry_export_job,
        _operation(
            "Retry an error or cancelled job (same id) → pending",
            {"200": _job("Pending, claimable now, with a fresh retry budget")},
            description="409 `conflict` (with the current status) unless the job is error or cancelled.",
            parameters=[_ID_PARAMETER],
            requestBody=_body({}, [], optional_body=True),
            **{"x-errors": ["409"]},
        ),
    ),
    Route(
        "POST",
        "/api/export-jobs/{id}/cancel",
        cancel_export_job,
        _operation(
            "Cancel a pending or processing job",
            {"200": _job("Cancelled")},
            description="409 `conflict` (with the current status) unless the job is pending or processing.",
            parameters=[_ID_PARAMETER],
            requestBody=_body({}, [], optional_body=True),
            **{"x-errors": ["409"]},
        ),
    ),
    Route(
        "GET",
        "/api/export-jobs/{id}/events",
        list_export_job_events,
        _operation(
            "A job's history, oldest first",
            {
                "200": {
                    "description": "A page of events",
                    "content": json_content(page_schema("ExportJobEvent")),
                }
            },
            parameters=[_ID_PARAMETER, *PAGE_PARAMETERS],
        ),
    ),
]
SCHEMAS = {"ExportJob": EXPORT_JOB_SCHEMA, "ExportJobEvent": EVENT_SCHEMA}
