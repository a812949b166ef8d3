"""VEO job cache, `/api/veo/jobs` (SPEC §1): cross-device history of whole job objects.

A client PUTs its job object under its own `job_id`. The searchable metadata goes to
`veo_jobs`, the object itself (canonical JSON, gzip) to `veo_job_data`; both in one
`batch()`. Each write sets `expires_at` from the job's status (TTL vars). An expired job is
invisible at once to every route, and a PUT onto it starts a new job; the cron deletes
expired rows in chunks (`expire_veo_jobs`).

Concurrency: `If-Match` and `If-None-Match: *` are checked inside the write's own SQL
(a conditional UPDATE / upsert), never by a read before it, so two writers can't both win.
"""

from __future__ import annotations

import re
from itertools import product
from typing import Any, Literal, NamedTuple

from . import codec
from .config import Config
from .context import RequestContext
from .db import MAX_SAFE_INTEGER, Database, SqlValue, Statement
from .errors import NotFound, PreconditionFailed, ValidationError
from .http import (
    JSON_CONTENT_TYPE,
    HttpRequest,
    HttpResponse,
    empty_response,
    json_response,
    parse_entity_tags,
)
from .maintenance import Budget, TaskOutcome, delete_due_in_chunks
from .openapi import COMMON_HEADERS, PAGE_PARAMETERS, json_content, page_schema, ref
from .pagination import page_request, page_rows, rendered_page_response
from .render import BOOL, TIME, Field, item_sql, render
from .routing import Route
from .validation import check_str, path_param

# --- SQL ---------------------------------------------------------------------------------
# Parameters of every metadata write, in this order:
#   ?1 job_id  ?2 status  ?3 video_id  ?4 video_url  ?5 scene_count  ?6 characters_found
#   ?7 mode  ?8 voice  ?9 has_script  ?10 error  ?11 etag  ?12 size_bytes  ?13 stored_bytes
#   ?14 now (epoch ms)  ?15 expires_at
# A job's metadata as clients see it, rendered by `render_metadata` or, on list pages, by SQLite.
METADATA_FIELDS = (
    *map(Field, ("job_id", "status", "video_id", "video_url", "scene_count", "characters_found")),
    *map(Field, ("mode", "voice")),
    Field("has_script", BOOL),
    Field("error"),
    *(Field(name, TIME) for name in ("created_at", "updated_at", "expires_at")),
    *map(Field, ("size_bytes", "stored_bytes", "etag")),
)
METADATA_COLUMNS = ", ".join(field.name for field in METADATA_FIELDS)
_SET_METADATA = """
  status = ?2, video_id = ?3, video_url = ?4, scene_count = ?5, characters_found = ?6, mode = ?7,
  voice = ?8, has_script = ?9, error = ?10, etag = ?11, size_bytes = ?12, stored_bytes = ?13,
  updated_at = ?14, expires_at = ?15"""
_INSERT_METADATA = """
INSERT INTO veo_jobs (job_id, status, video_id, video_url, scene_count, characters_found, mode, voice,
  has_script, error, etag, size_bytes, stored_bytes, revision, created_at, updated_at, expires_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?14, ?15)
ON CONFLICT (job_id) DO UPDATE SET"""
# An expired row counts as absent: overwriting it starts a new job (revision 1, new created_at).
# SET expressions see the old row, so `veo_jobs.expires_at` is the value before this write.
_REVIVE_OR_BUMP = """,
  revision = CASE WHEN veo_jobs.expires_at <= ?14 THEN 1 ELSE veo_jobs.revision + 1 END,
  created_at = CASE WHEN veo_jobs.expires_at <= ?14 THEN ?14 ELSE veo_jobs.created_at END"""
_RETURNING = f"\nRETURNING {METADATA_COLUMNS}, revision"

# Plain PUT: create, revive an expired job, or update.
UPSERT_SQL = _INSERT_METADATA + _SET_METADATA + _REVIVE_OR_BUMP + _RETURNING
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
    + "\nWHERE job_id = ?1 AND expires_at > ?14 AND "
    + _ETAG_MATCHES.format(16, 17, 18, 19)
    + _RETURNING
)
# Second statement of the write batch. A batch runs on after a statement that changed
# nothing, so the payload is written only if the metadata row now carries exactly this
# write's etag and instant: after a failed precondition it writes nothing (or, should the
# old row already hold these very bytes, rewrites the identical payload).
WRITE_PAYLOAD_SQL = """
INSERT INTO veo_job_data (job_id, data)
SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM veo_jobs WHERE job_id = ?1 AND etag = ?3 AND updated_at = ?4)
ON CONFLICT (job_id) DO UPDATE SET data = excluded.data
"""

GET_SQL = """
SELECT j.etag, d.data
FROM veo_jobs AS j JOIN veo_job_data AS d ON d.job_id = j.job_id
WHERE j.job_id = ?1 AND j.expires_at > ?2
"""

# A live job, and with If-Match (?3–?6, all NULL without one) one whose etag matches.
DELETE_SQL = (
    "DELETE FROM veo_jobs WHERE job_id = ?1 AND expires_at > ?2 AND (?3 IS NULL OR "
    + _ETAG_MATCHES.format(3, 4, 5, 6)
    + ")"
)
# Delete-all, one batch: payloads first, so that the next statement cascades to nothing and
# its `changes` (which in D1 include cascaded rows) count exactly the jobs a client could
# see; then the expired rest.
DELETE_ALL_PAYLOADS_SQL = "DELETE FROM veo_job_data"
DELETE_LIVE_SQL = "DELETE FROM veo_jobs WHERE expires_at > ?1"
DELETE_REST_SQL = "DELETE FROM veo_jobs"

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


# Each listed job's sort key and its metadata as SQLite renders it (`render.item_sql`).
_LIST_COLUMNS = f"updated_at, job_id, {item_sql(METADATA_FIELDS)} AS item"


def _list_sql(by_status: bool, by_video: bool, after: bool) -> str:
    """Newest first. Each variant walks one index in (updated_at, job_id) order: by_status
    or by_video when filtered, by_updated otherwise; expired rows are skipped on the way.
    With both filters, `+status` keeps the planner on the video index (a video has few jobs)."""
    where = ["expires_at > ?"]
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

# --- validation and metadata ---------------------------------------------------------------
JOB_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
JOB_ID_RULE = "1–128 characters of A–Z, a–z, 0–9, '.', '_', ':' and '-', not only dots"
DEFAULT_STATUS = "pending"
MAX_STATUS_CHARS = 64
MAX_NAME_CHARS = 256  # video_id, mode, voice
MAX_URL_CHARS = 2048
# The `error` column is a searchable copy; the object keeps the whole error.
MAX_ERROR_CHARS = 4096
MAX_IF_MATCH_TAGS = 4  # the slots in _ETAG_MATCHES
LIST_SCOPE = "veo_jobs"


def parse_job_id(raw: str) -> str:
    """The path's job id, percent-decoded and checked (400 naming `job_id` otherwise)."""
    job_id = path_param(raw, "job_id")
    if not JOB_ID.fullmatch(job_id) or not job_id.strip("."):
        raise ValidationError(f"The job id must be {JOB_ID_RULE}.", field="job_id")
    return job_id


class JobMetadata(NamedTuple):
    """What `veo_jobs` keeps of a job object, in the column order of the write SQL."""

    status: str
    video_id: str | None
    video_url: str | None
    scene_count: int | None
    characters_found: int | None
    mode: str | None
    voice: str | None
    has_script: bool
    error: str | None


def _field(obj: dict[str, Any], *names: str) -> tuple[str, Any]:
    """(key, value) of the first of `names` the object sets (null counts as unset).
    Spelling the same field two ways with different values is ambiguous: 400."""
    found = [(name, obj[name]) for name in names if obj.get(name) is not None]
    for name, value in found[1:]:
        if value != found[0][1]:
            raise ValidationError(
                f"Fields {found[0][0]!r} and {name!r} are the same field with different values.",
                field=name,
            )
    return found[0] if found else (names[0], None)


def _text(obj: dict[str, Any], *names: str, max_length: int) -> str | None:
    name, value = _field(obj, *names)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # unset, null and blank all mean "not known"
    return check_str(value, name, max_length=max_length)


def _count(obj: dict[str, Any], snake: str, camel: str, items: str) -> int | None:
    """An explicit count, else the length of the `items` list, else unknown."""
    name, value = _field(obj, snake, camel)
    if value is None:
        listed = obj.get(items)
        return len(listed) if isinstance(listed, list) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SAFE_INTEGER:
        raise ValidationError(f"Field {name!r} must be a non-negative integer.", field=name)
    return value


def _has_script(obj: dict[str, Any]) -> bool:
    name, value = _field(obj, "has_script", "hasScript")
    if value is None:
        return bool(obj.get("script"))  # a non-empty script of any JSON type
    if not isinstance(value, bool):
        raise ValidationError(f"Field {name!r} must be true or false.", field=name)
    return value


def _error_text(obj: dict[str, Any]) -> str | None:
    """`error` as text: a string as it is, any other JSON value as its JSON. Only a
    searchable copy (the object keeps the original), so it is capped and made storable
    rather than refused."""
    value = obj.get("error")
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else codec.canonical_json(value).decode()
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    text = text.replace("\x00", "").encode("utf-8", "replace").decode()  # no NUL, no lone surrogate
    return text or None


def check_body_job_id(job_id: str, obj: dict[str, Any]) -> None:
    """The path's id is the key; a body that names another job is a 400."""
    for name in ("job_id", "jobId"):
        if obj.get(name) is not None and obj[name] != job_id:
            raise ValidationError(
                f"Field {name!r} ({str(obj[name])[:80]!r}) differs from the job id in the path ({job_id!r}).",
                field=name,
            )


def extract_metadata(obj: dict[str, Any]) -> JobMetadata:
    """The searchable metadata of a job object (camelCase or snake_case keys)."""
    return JobMetadata(
        status=_text(obj, "status", max_length=MAX_STATUS_CHARS) or DEFAULT_STATUS,
        video_id=_text(obj, "video_id", "videoId", max_length=MAX_NAME_CHARS),
        video_url=_text(obj, "video_url", "videoUrl", max_length=MAX_URL_CHARS),
        scene_count=_count(obj, "scene_count", "sceneCount", "scenes"),
        characters_found=_count(obj, "characters_found", "charactersFound", "characters"),
        mode=_text(obj, "mode", max_length=MAX_NAME_CHARS),
        voice=_text(obj, "voice", max_length=MAX_NAME_CHARS),
        has_script=_has_script(obj),
        error=_error_text(obj),
    )


def ttl_seconds(status: str, config: Config) -> int:
    """completed: VEO_TTL_COMPLETED_SECONDS; failed / partial: their vars; else the default."""
    by_status = {
        "completed": config.veo_ttl_completed_seconds,
        "failed": config.veo_ttl_failed_seconds,
        "partial": config.veo_ttl_partial_seconds,
    }
    return by_status.get(status, config.veo_ttl_default_seconds)


def expires_at(status: str, now: int, config: Config) -> int:
    """Epoch ms at which a job written at `now` with `status` expires."""
    return now + ttl_seconds(status, config) * 1000


class Precondition(NamedTuple):
    """What a conditional request demands: `match` (If-Match: one of `etags`, or any live
    job when `etags` is None) or `absent` (If-None-Match: *); `none` for a plain write."""

    kind: Literal["none", "match", "absent"] = "none"
    etags: tuple[str, ...] | None = None

    def match_params(self) -> list[SqlValue]:
        """The four etag slots of `_ETAG_MATCHES`: `*`, or the tags padded with NULL."""
        if self.kind != "match":
            return [None] * MAX_IF_MATCH_TAGS
        tags = ["*"] if self.etags is None else list(self.etags)
        return [*tags, *[None] * (MAX_IF_MATCH_TAGS - len(tags))]


def parse_precondition(request: HttpRequest, *, allow_absent: bool) -> Precondition:
    """The request's `If-Match` / `If-None-Match` (the latter only where `allow_absent`)."""
    if_match = request.header("if-match")
    if_none_match = request.header("if-none-match")
    if if_match is not None and if_none_match is not None:
        raise ValidationError("Send either If-Match or If-None-Match, not both.", field="if-none-match")
    if if_match is not None:
        etags = parse_entity_tags(if_match)
        if etags is not None and not 1 <= len(etags) <= MAX_IF_MATCH_TAGS:
            raise ValidationError(
                f"If-Match must be * or 1–{MAX_IF_MATCH_TAGS} entity tags.", field="if-match"
            )
        return Precondition("match", None if etags is None else tuple(etags))
    if if_none_match is not None:
        if not allow_absent or if_none_match.strip() != "*":
            raise ValidationError("If-None-Match is supported only as `*` on PUT.", field="if-none-match")
        return Precondition("absent")
    return Precondition()


# --- storage -------------------------------------------------------------------------------
def write_statements(
    job_id: str,
    meta: JobMetadata,
    payload: codec.EncodedPayload,
    precondition: Precondition,
    now: int,
    expires: int,
) -> list[Statement]:
    """The metadata write for `precondition`, then the payload write that depends on it."""
    params: list[SqlValue] = [
        job_id,
        *meta,
        payload.etag,
        payload.size_bytes,
        payload.stored_bytes,
        now,
        expires,
    ]
    if precondition.kind == "match":
        metadata = Statement(UPDATE_IF_MATCH_SQL, [*params, *precondition.match_params()])
    elif precondition.kind == "absent":
        metadata = Statement(CREATE_ONLY_SQL, params)
    else:
        metadata = Statement(UPSERT_SQL, params)
    return [metadata, Statement(WRITE_PAYLOAD_SQL, [job_id, payload.stored, payload.etag, now])]


def render_metadata(row: dict[str, Any]) -> dict[str, Any]:
    return render(METADATA_FIELDS, row)


def _not_found(job_id: str) -> NotFound:
    return NotFound(f"No VEO job {job_id!r} (it never existed, was deleted or has expired).")


def _precondition_failed(job_id: str, precondition: Precondition) -> PreconditionFailed:
    if precondition.kind == "absent":
        return PreconditionFailed(
            f"VEO job {job_id!r} already exists (If-None-Match: *); nothing was written."
        )
    return PreconditionFailed(
        f"VEO job {job_id!r} does not exist or its ETag does not match If-Match; nothing was changed."
    )


def _query_filter(query: dict[str, str], name: str, max_length: int) -> str | None:
    return check_str(query[name], name, max_length=max_length) if name in query else None


# --- handlers ------------------------------------------------------------------------------
async def put_veo_job(ctx: RequestContext, job_id: str) -> HttpResponse:
    """Upsert a job object: 201 on create, 200 on update; the body is its metadata."""
    job_id = parse_job_id(job_id)
    precondition = parse_precondition(ctx.request, allow_absent=True)
    obj = await ctx.json_object()  # 413 over MAX_BODY_BYTES before parsing; 400 unless an object
    check_body_job_id(job_id, obj)
    meta = extract_metadata(obj)
    payload = codec.encode_payload(obj, what="The job object")  # 413 over a D1 row
    statements = write_statements(
        job_id, meta, payload, precondition, ctx.now, expires_at(meta.status, ctx.now, ctx.config)
    )
    results = await ctx.db.batch(statements)
    row = results[0].first()
    if row is None:  # the conditional write matched nothing, so the batch wrote nothing
        raise _precondition_failed(job_id, precondition)
    created = row["revision"] == 1
    headers = {"etag": payload.etag}
    if created:
        headers["location"] = f"/api/veo/jobs/{job_id}"
    return json_response(render_metadata(row), 201 if created else 200, headers)


async def get_veo_job(ctx: RequestContext, job_id: str) -> HttpResponse:
    """The stored object, byte for byte as canonical JSON, with its ETag."""
    job_id = parse_job_id(job_id)
    row = await ctx.db.first(GET_SQL, job_id, ctx.now, blobs=("data",))
    if row is None:
        raise _not_found(job_id)
    return HttpResponse(
        200,
        codec.decode_payload(row["data"]),
        {"content-type": JSON_CONTENT_TYPE, "etag": row["etag"]},
    )


def _list_position(row: dict[str, Any]) -> list[object]:
    return [row["updated_at"], row["job_id"]]  # a cursor's sort key: newest updated_at first


async def list_veo_jobs(ctx: RequestContext) -> HttpResponse:
    """Live jobs' metadata, newest `updated_at` first; `status` and `video_id` filters."""
    query = ctx.request.query
    status = _query_filter(query, "status", MAX_STATUS_CHARS)
    video_id = _query_filter(query, "video_id", MAX_NAME_CHARS)
    page = page_request(query, LIST_SCOPE, ctx.config.api_token, (int, str))
    params: list[object] = [ctx.now]
    params += [v for v in (status, video_id) if v is not None]
    params += page.after or []
    sql = LIST_SQL[(status is not None, video_id is not None, page.after is not None)]
    rows = await ctx.db.all(sql, *params, page.limit + 1)
    return rendered_page_response(*page_rows(rows, page, LIST_SCOPE, ctx.config.api_token, _list_position))


async def delete_veo_job(ctx: RequestContext, job_id: str) -> HttpResponse:
    """204; 404 if absent or expired; with If-Match, 412 unless the live job matches."""
    job_id = parse_job_id(job_id)
    precondition = parse_precondition(ctx.request, allow_absent=False)
    result = await ctx.db.execute(DELETE_SQL, job_id, ctx.now, *precondition.match_params())
    if result.changes == 0:
        raise (
            _precondition_failed(job_id, precondition) if precondition.kind == "match" else _not_found(job_id)
        )
    return empty_response(204)


async def delete_all_veo_jobs(ctx: RequestContext) -> HttpResponse:
    """Delete every job, only with `?confirm=all`; answers how many live jobs went."""
    if ctx.request.query.get("confirm") != "all":
        raise ValidationError("Deleting every VEO job needs `?confirm=all`.", field="confirm")
    _payloads, live, _rest = await ctx.db.batch(
        [
            Statement(DELETE_ALL_PAYLOADS_SQL),
            Statement(DELETE_LIVE_SQL, [ctx.now]),
            Statement(DELETE_REST_SQL),
        ]
    )
    return json_response({"deleted": live.changes})


# --- maintenance ---------------------------------------------------------------------------
async def expire_veo_jobs(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """Cron: delete expired jobs (their payload rows cascade), oldest first, in chunks. A run
    with nothing due reads the probe's 1 row instead of the DELETE's 4."""
    return await delete_due_in_chunks(db, budget, ANY_EXPIRED_SQL, EXPIRE_SQL, now)


# --- OpenAPI -------------------------------------------------------------------------------
_NO_NUL = "^[^\\u0000]*$"
_OPTIONAL_TEXT = {"type": ["string", "null"], "pattern": _NO_NUL}
_OPTIONAL_COUNT = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_SAFE_INTEGER}
_OPTIONAL_FLAG = {"type": ["boolean", "null"]}

JOB_ID_PARAMETER = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "description": f"The client's job id: {JOB_ID_RULE}.",
    "schema": {"type": "string", "pattern": "^(?!\\.+$)[A-Za-z0-9._:-]{1,128}$"},
}
IF_MATCH_PARAMETER = {
    "name": "If-Match",
    "in": "header",
    "description": "`*` or the job's ETag(s): the change happens only if the live job has one, else 412.",
    "schema": {"type": "string"},
}
IF_NONE_MATCH_PARAMETER = {
    "name": "If-None-Match",
    "in": "header",
    "description": "`*`: create only; 412 if a live job with this id exists.",
    "schema": {"type": "string", "enum": ["*"]},
}
ETAG_HEADER = {"description": "Strong ETag of the stored object.", "schema": {"type": "string"}}

JOB_SCHEMA = {
    "type": "object",
    "description": (
        "Any JSON object (≤ MAX_BODY_BYTES raw, ≤ ~2 MB gzip-compressed). These keys, when present, "
        "become searchable metadata; camelCase and snake_case spellings are both read "
        "(the same field spelled both ways with different values is a 400). A `job_id`/`jobId` "
        "must equal the path's id."
    ),
    "properties": {
        "job_id": {"type": ["string", "null"]},
        "jobId": {"type": ["string", "null"]},
        "status": {**_OPTIONAL_TEXT, "maxLength": MAX_STATUS_CHARS},
        "video_id": {**_OPTIONAL_TEXT, "maxLength": MAX_NAME_CHARS},
        "videoId": {**_OPTIONAL_TEXT, "maxLength": MAX_NAME_CHARS},
        "video_url": {**_OPTIONAL_TEXT, "maxLength": MAX_URL_CHARS},
        "videoUrl": {**_OPTIONAL_TEXT, "maxLength": MAX_URL_CHARS},
        "scene_count": _OPTIONAL_COUNT,
        "sceneCount": _OPTIONAL_COUNT,
        "characters_found": _OPTIONAL_COUNT,
        "charactersFound": _OPTIONAL_COUNT,
        "mode": {**_OPTIONAL_TEXT, "maxLength": MAX_NAME_CHARS},
        "voice": {**_OPTIONAL_TEXT, "maxLength": MAX_NAME_CHARS},
        "has_script": _OPTIONAL_FLAG,
        "hasScript": _OPTIONAL_FLAG,
        "error": {"description": "Text, or any JSON value (kept as its JSON text)."},
    },
    "additionalProperties": True,
}
_NULLABLE_STRING = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
METADATA_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "job_id",
        "status",
        "video_id",
        "video_url",
        "scene_count",
        "characters_found",
        "mode",
        "voice",
        "has_script",
        "error",
        "created_at",
        "updated_at",
        "expires_at",
        "size_bytes",
        "stored_bytes",
        "etag",
    ],
    "properties": {
        "job_id": {"type": "string"},
        "status": {"type": "string"},
        "video_id": _NULLABLE_STRING,
        "video_url": _NULLABLE_STRING,
        "scene_count": {"type": ["integer", "null"], "minimum": 0},
        "characters_found": {"type": ["integer", "null"], "minimum": 0},
        "mode": _NULLABLE_STRING,
        "voice": _NULLABLE_STRING,
        "has_script": {"type": "boolean"},
        "error": _NULLABLE_STRING,
        "created_at": _TIME,
        "updated_at": _TIME,
        "expires_at": _TIME,
        "size_bytes": {"type": "integer", "minimum": 0, "description": "Canonical JSON, uncompressed"},
        "stored_bytes": {"type": "integer", "minimum": 0, "description": "gzip-compressed, as stored"},
        "etag": {"type": "string", "description": "The ETag header's value (quoted)."},
    },
}
DELETED_SCHEMA = {
    "type": "object",
    "required": ["deleted"],
    "additionalProperties": False,
    "properties": {"deleted": {"type": "integer", "minimum": 0}},
}

_TAGS = ["veo"]
ROUTES = [
    Route(
        "PUT",
        "/api/veo/jobs/{job_id}",
        put_veo_job,
        {
            "summary": "Store a VEO job object (upsert)",
            "tags": _TAGS,
            "parameters": [JOB_ID_PARAMETER, IF_MATCH_PARAMETER, IF_NONE_MATCH_PARAMETER],
            "requestBody": {"required": True, "content": json_content(ref("VeoJob"))},
            "responses": {
                "200": {
                    "description": "Updated; the job's metadata",
                    "headers": {**COMMON_HEADERS, "etag": ETAG_HEADER},
                    "content": json_content(ref("VeoJobMetadata")),
                },
                "201": {
                    "description": "Created (or an expired job replaced); the job's metadata",
                    "headers": {
                        **COMMON_HEADERS,
                        "etag": ETAG_HEADER,
                        "location": {"description": "The job's URL", "schema": {"type": "string"}},
                    },
                    "content": json_content(ref("VeoJobMetadata")),
                },
            },
            "x-errors": ["412"],
        },
    ),
    Route(
        "GET",
        "/api/veo/jobs/{job_id}",
        get_veo_job,
        {
            "summary": "The stored VEO job object, exactly as stored",
            "tags": _TAGS,
            "parameters": [JOB_ID_PARAMETER],
            "responses": {
                "200": {
                    "description": "The object (404 if absent or expired)",
                    "headers": {**COMMON_HEADERS, "etag": ETAG_HEADER},
                    "content": json_content({"type": "object"}),
                }
            },
        },
    ),
    Route(
        "GET",
        "/api/veo/jobs",
        list_veo_jobs,
        {
            "summary": "Live VEO jobs' metadata, newest updated_at first",
            "tags": _TAGS,
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_STATUS_CHARS},
                },
                {
                    "name": "video_id",
                    "in": "query",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
                },
                *PAGE_PARAMETERS,
            ],
            "responses": {
                "200": {
                    "description": "A page of metadata",
                    "content": json_content(page_schema("VeoJobMetadata")),
                }
            },
        },
    ),
    Route(
        "DELETE",
        "/api/veo/jobs/{job_id}",
        delete_veo_job,
        {
            "summary": "Delete a VEO job",
            "tags": _TAGS,
            "parameters": [JOB_ID_PARAMETER, IF_MATCH_PARAMETER],
            "responses": {"204": {"description": "Deleted"}},
            "x-errors": ["412"],
        },
    ),
    Route(
        "DELETE",
        "/api/veo/jobs",
        delete_all_veo_jobs,
        {
            "summary": "Delete every VEO job (needs confirm=all)",
            "tags": _TAGS,
            "parameters": [
                {
                    "name": "confirm",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "enum": ["all"]},
                }
            ],
            "responses": {
                "200": {
                    "description": "How many live jobs were deleted",
                    "content": json_content(ref("VeoDeleted")),
                }
            },
        },
    ),
]
SCHEMAS = {"VeoJob": JOB_SCHEMA, "VeoJobMetadata": METADATA_SCHEMA, "VeoDeleted": DELETED_SCHEMA}
