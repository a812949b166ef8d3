"""VEO job cache, `/api/veo/jobs`: cross-device history of whole job objects.

A client PUTs its job object under its own `job_id`. The searchable metadata goes to
`veo_jobs`, the object itself (canonical JSON, gzip) to `veo_job_data`; both in one
`batch()`. Each write sets `expires_at` from the job's status (TTL vars). An expired job is
invisible at once to every route, and a PUT onto it starts a new job; the cron deletes
expired rows in chunks (tasks.py).

Concurrency: `If-Match` and `If-None-Match: *` are checked inside the write's own SQL
(a conditional UPDATE / upsert), never by a read before it, so two writers can't both win.
"""

from __future__ import annotations

from typing import Any

from ..core import codec
from ..core.context import RequestContext
from ..core.counters import deleted_count
from ..core.errors import ValidationError
from ..core.http import JSON_CONTENT_TYPE, HttpResponse, empty_response, json_response
from ..core.pagination import page_request, page_rows, rendered_page_response
from ..core.validation import query_int
from .model import (
    DELETE_ALL_MAX_JOBS,
    MAX_NAME_CHARS,
    MAX_STATUS_CHARS,
    Owner,
    check_body_job_id,
    expires_at,
    extract_metadata,
    not_found,
    owner_of,
    parse_job_id,
    parse_precondition,
    precondition_failed,
    query_filter,
    render_metadata,
    taken,
)
from .sql import (
    DELETE_SQL,
    GET_SQL,
    OWNER_SQL,
    delete_chunk_statements,
    list_statement,
    write_statements,
)


def _owner(ctx: RequestContext) -> Owner:
    return owner_of(ctx.principal, ctx.request.query, ctx.config.veo_shared_pool)


async def _held_by_another(ctx: RequestContext, job_id: str, owner: Owner) -> bool:
    """After a scoped write or delete that matched nothing: is the live job with this id
    someone else's? (One key lookup, only on that failure path.)"""
    if owner.scope is None:
        return False
    row = await ctx.db.first(OWNER_SQL, job_id, ctx.now)
    return row is not None and row["user_id"] != owner.scope


async def put_veo_job(ctx: RequestContext, job_id: str) -> HttpResponse:
    """Upsert a job object: 201 on create, 200 on update; the body is its metadata."""
    job_id = parse_job_id(job_id)
    precondition = parse_precondition(ctx.request, allow_absent=True)
    obj = await ctx.json_object()  # 413 over MAX_BODY_BYTES before parsing; 400 unless an object
    check_body_job_id(job_id, obj)
    meta = extract_metadata(obj)
    source = await ctx.request.read_body()  # the bytes just parsed (kept by the request)
    payload = await codec.encode_payload(obj, what="The job object", source=source)  # 413 over a row
    owner = _owner(ctx)
    expires = expires_at(meta.status, ctx.now, ctx.config)
    statements = write_statements(
        job_id, meta, payload, precondition, ctx.now, expires, owner.scope, owner.creator
    )
    results = await ctx.db.batch(statements)
    row = results[0].first()
    if row is None:  # the conditional write matched nothing, so the batch wrote nothing
        if precondition.kind == "none" or await _held_by_another(ctx, job_id, owner):
            raise taken(job_id)  # job ids are global: another owner's live job keeps its id
        raise precondition_failed(job_id, precondition)
    created = row["revision"] == 1
    headers = {"etag": payload.etag}
    if created:
        headers["location"] = f"/api/veo/jobs/{job_id}"
    return json_response(render_metadata(row), 201 if created else 200, headers)


async def get_veo_job(ctx: RequestContext, job_id: str) -> HttpResponse:
    """The stored object, byte for byte as canonical JSON, with its ETag."""
    job_id = parse_job_id(job_id)
    row = await ctx.db.first(GET_SQL, job_id, ctx.now, _owner(ctx).scope, blobs=("data",))
    if row is None:
        raise not_found(job_id)
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
    owner = _owner(ctx)
    status = query_filter(query, "status", MAX_STATUS_CHARS)
    video_id = query_filter(query, "video_id", MAX_NAME_CHARS)
    page = page_request(query, owner.list_scope, ctx.cursor_key, (int, str))
    statement = list_statement(ctx.now, status, video_id, page.after or [], page.limit + 1, owner.scope)
    rows = (await ctx.db.run(statement)).rows
    return rendered_page_response(*page_rows(rows, page, owner.list_scope, ctx.cursor_key, _list_position))


async def delete_veo_job(ctx: RequestContext, job_id: str) -> HttpResponse:
    """204; 404 if absent or expired; with If-Match, 412 unless the live job matches."""
    job_id = parse_job_id(job_id)
    precondition = parse_precondition(ctx.request, allow_absent=False)
    owner = _owner(ctx)
    result = await ctx.db.execute(DELETE_SQL, job_id, ctx.now, *precondition.match_params(), owner.scope)
    if result.changes == 0:
        if precondition.kind == "match" and not await _held_by_another(ctx, job_id, owner):
            raise precondition_failed(job_id, precondition)
        raise not_found(job_id)  # another owner's job is as absent as a missing one
    return empty_response(204)


async def delete_all_veo_jobs(ctx: RequestContext) -> HttpResponse:
    """Delete every job, only with `?confirm=all`, up to `limit` per call (one bounded batch):
    answers how many live jobs went and whether any job is left (`more`: call again)."""
    query = ctx.request.query
    if query.get("confirm") != "all":
        raise ValidationError("Deleting every VEO job needs `?confirm=all`.", field="confirm")
    limit = query_int(query, "limit", default=DELETE_ALL_MAX_JOBS, minimum=1, maximum=DELETE_ALL_MAX_JOBS)
    statements = delete_chunk_statements(_owner(ctx).scope, ctx.now, limit)
    counted, _payloads, _jobs, left = await ctx.db.batch(statements)
    return json_response({"deleted": deleted_count(counted.first()), "more": left.first() is not None})
