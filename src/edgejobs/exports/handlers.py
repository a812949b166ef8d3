"""Export job queue, `/api/export-jobs`: GPU runners claim jobs under a lease, report
progress, complete or fail them (with retries and backoff); every status change is recorded
in `job_events`.

All status changes go through the state machine (machine.py, applied by core/states.py); the
handlers validate requests, pick the rows, and turn "nothing changed" into the precise answer
(404, 409 `conflict` naming the status, 409 `lease_lost`) by reading the job once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ..core import ids, states
from ..core.context import RequestContext
from ..core.db import named
from ..core.errors import Conflict, LeaseLost, NotFound, ValidationError
from ..core.events import event_after_change, events_page
from ..core.http import HttpResponse, json_response
from ..core.pagination import page_request, page_rows, rendered_page_response
from . import machine
from .bodies import CANCEL, COMPLETE, CREATE, FAIL, HEARTBEAT, NO_FIELDS, NewJob
from .claims import claim_export_job
from .machine import CANCELLED, EXPORT_JOBS
from .model import check_type, job_response, parse_idempotency_key, parse_job_id, parse_list_query
from .queues import list_export_queues, pause_export_queue, resume_export_queue
from .sql import GET_JOB_SQL, IDEMPOTENT_REPLAY_SQL, INSERT_JOB_SQL, TAKE_IDEMPOTENCY_KEY_SQL, list_statement

# Served from here like every export route (claims.py and queues.py hold them).
__all__ = ["claim_export_job", "list_export_queues", "pause_export_queue", "resume_export_queue"]
MAX_START_AFTER = timedelta(days=366)


async def create_export_job(ctx: RequestContext) -> HttpResponse:
    """201 with a new pending job; with an Idempotency-Key seen before, 200 with that job
    (same request) or 409 (another request)."""
    job = NewJob(**await CREATE.read(ctx))
    check_type(job.type, "type", ctx.config.export_job_types)
    if job.start_after is not None and job.start_after > ctx.now + MAX_START_AFTER // timedelta(
        milliseconds=1
    ):
        raise ValidationError("Field 'start_after' must be within 366 days from now.", field="start_after")
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
        "priority": job.priority,
        "start_after": job.start_after,
        "retry_base_seconds": job.retry_base_seconds,
        "retry_cap_seconds": job.retry_cap_seconds,
        "now": ctx.now,
        "transition_id": ids.token(),
        "idempotency_key": key,
        "request_hash": job.request_hash(),
        "key_expires_at": ctx.now + ctx.config.idempotency_ttl_seconds * 1000,
        "job_kind": EXPORT_JOBS.kind,
        "event": "created",
    }
    statements = [named(TAKE_IDEMPOTENCY_KEY_SQL, values)] if key else []
    statements += [
        named(INSERT_JOB_SQL, values),
        event_after_change(EXPORT_JOBS.table, "id = :job_id", values),
    ]
    results = await ctx.db.batch(statements)
    return results[-2].first()


async def get_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    job_id = parse_job_id(id)
    row = await ctx.db.first(GET_JOB_SQL, job_id)
    if row is None:
        raise NotFound(f"No export job {job_id}.")
    return job_response(row)


async def list_export_jobs(ctx: RequestContext) -> HttpResponse:
    filters = parse_list_query(ctx.request.query, ctx.config.export_job_types)
    scope = "export_jobs"
    page = page_request(ctx.request.query, scope, ctx.cursor_key, (str,))
    after = page.after[0] if page.after else None
    rows = (await ctx.db.run(list_statement(filters, after, page.limit + 1, ctx.now))).rows
    return rendered_page_response(*page_rows(rows, page, scope, ctx.cursor_key, lambda r: [r["id"]]))


async def change_job(
    ctx: RequestContext, action: states.Action, raw_id: str, values: Mapping[str, object]
) -> HttpResponse:
    """Apply `action` to one job; when nothing changed, read the job once to say why (or, for
    a finish sent again under the lease it already ended, answer with the job as it is)."""
    job_id = parse_job_id(raw_id)
    bound = {**values, "id": job_id, "now": ctx.now, **machine.retry_settings(ctx.config)}
    changed = await states.apply(ctx.db, EXPORT_JOBS, action, states.BY_ID, bound)
    if changed:
        return job_response(changed[0])
    current = await ctx.db.first(GET_JOB_SQL, job_id)
    if current is not None and await states.replayed(
        ctx.db, EXPORT_JOBS, action, job_id, bound, machine.ENDINGS
    ):
        return job_response(current)
    runner_id, lease_id = values.get("runner_id"), values.get("lease_id")
    holder = runner_id if isinstance(runner_id, str) else None
    lease = lease_id if isinstance(lease_id, str) else None
    refused = states.refusal(EXPORT_JOBS, action, current, job_id, holder, lease)
    if isinstance(refused, LeaseLost) and current is not None and current["status"] == CANCELLED:
        # How a runner learns of a cancel: its next heartbeat (or complete, fail) says so.
        refused.details = {**(refused.details or {}), "cancel_reason": current["cancel_reason"]}
    raise refused


async def heartbeat_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    return await change_job(ctx, machine.HEARTBEAT, id, await HEARTBEAT.read(ctx))


async def complete_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    return await change_job(ctx, machine.COMPLETE_ACTION, id, await COMPLETE.read(ctx))


async def fail_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    return await change_job(ctx, machine.FAIL, id, await FAIL.read(ctx))


async def retry_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    await NO_FIELDS.read(ctx)
    return await change_job(ctx, machine.RETRY, id, {})


async def cancel_export_job(ctx: RequestContext, id: str) -> HttpResponse:
    return await change_job(ctx, machine.CANCEL, id, await CANCEL.read(ctx))


async def list_export_job_events(ctx: RequestContext, id: str) -> HttpResponse:
    job_id = parse_job_id(id)
    page = await events_page(ctx.db, ctx.request.query, ctx.cursor_key, EXPORT_JOBS.kind, job_id)
    # Every job has at least its `created` event, so an empty page may mean "no such job".
    if not page["items"] and await ctx.db.first(GET_JOB_SQL, job_id) is None:
        raise NotFound(f"No export job {job_id}.")
    return json_response(page)
