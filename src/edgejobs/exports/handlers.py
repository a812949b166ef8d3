"""Export job queue, `/api/export-jobs`: GPU runners claim jobs under a lease, report
progress, complete or fail them (with retries and backoff); every status change is recorded
in `job_events`.

All status changes go through the state machine (machine.py, applied by core/states.py); the
handlers validate requests, pick the rows, and turn "nothing changed" into the precise answer
(404, 409 `conflict` naming the status, 409 `lease_lost`) by reading the job once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..core import ids, states
from ..core.context import RequestContext
from ..core.db import named
from ..core.errors import Conflict, NotFound
from ..core.events import event_after_change, events_page
from ..core.http import HttpResponse, empty_response, json_response
from ..core.pagination import page_request, page_rows, rendered_page_response
from . import machine
from .machine import EXPORT_JOBS
from .model import (
    CLAIM,
    COMPLETE,
    CREATE,
    FAIL,
    HEARTBEAT,
    NO_FIELDS,
    NewJob,
    job_response,
    parse_idempotency_key,
    parse_job_id,
    parse_list_query,
)
from .sql import GET_JOB_SQL, IDEMPOTENT_REPLAY_SQL, INSERT_JOB_SQL, TAKE_IDEMPOTENCY_KEY_SQL, list_statement

CLAIM_ATTEMPTS = 3


async def create_export_job(ctx: RequestContext) -> HttpResponse:
    """201 with a new pending job; with an Idempotency-Key seen before, 200 with that job
    (same request) or 409 (another request)."""
    job = NewJob(**await CREATE.read(ctx))
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
    filters = parse_list_query(ctx.request.query)
    scope = "export_jobs"
    page = page_request(ctx.request.query, scope, ctx.cursor_key, (str,))
    after = page.after[0] if page.after else None
    rows = (await ctx.db.run(list_statement(filters, after, page.limit + 1))).rows
    return rendered_page_response(*page_rows(rows, page, scope, ctx.cursor_key, lambda r: [r["id"]]))


async def claim_export_job(ctx: RequestContext) -> HttpResponse:
    """200 with the oldest claimable job, now processing under the caller's lease; 204 if none."""
    values = {**await CLAIM.read(ctx), "now": ctx.now, "lease_token": ids.token()}
    chosen = values["types"]  # a sorted JSON array, or None for any type
    types = json.loads(chosen) if isinstance(chosen, str) else None
    rows = machine.next_claimable(types)
    for _ in range(CLAIM_ATTEMPTS):
        claimed = await states.apply(ctx.db, EXPORT_JOBS, machine.CLAIM, rows, values)
        if claimed:
            return job_response(claimed[0])
        # Nothing claimed: none was claimable, or another runner took it between the
        # subquery and the compare-and-set. Look again only if jobs remain.
        if not (await ctx.db.run(named(machine.any_claimable_sql(types), values))).rows:
            break
    return empty_response(204)


async def change_job(
    ctx: RequestContext, action: states.Action, raw_id: str, values: Mapping[str, object]
) -> HttpResponse:
    """Apply `action` to one job; when nothing changed, read the job once to say why."""
    job_id = parse_job_id(raw_id)
    bound = {**values, "id": job_id, "now": ctx.now, **machine.retry_settings(ctx.config)}
    changed = await states.apply(ctx.db, EXPORT_JOBS, action, states.BY_ID, bound)
    if changed:
        return job_response(changed[0])
    current = await ctx.db.first(GET_JOB_SQL, job_id)
    runner_id, lease_id = values.get("runner_id"), values.get("lease_id")
    holder = runner_id if isinstance(runner_id, str) else None
    lease = lease_id if isinstance(lease_id, str) else None
    raise states.refusal(EXPORT_JOBS, action, current, job_id, holder, lease)


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
    await NO_FIELDS.read(ctx)
    return await change_job(ctx, machine.CANCEL, id, {})


async def list_export_job_events(ctx: RequestContext, id: str) -> HttpResponse:
    job_id = parse_job_id(id)
    page = await events_page(ctx.db, ctx.request.query, ctx.cursor_key, EXPORT_JOBS.kind, job_id)
    # Every job has at least its `created` event, so an empty page may mean "no such job".
    if not page["items"] and await ctx.db.first(GET_JOB_SQL, job_id) is None:
        raise NotFound(f"No export job {job_id}.")
    return json_response(page)
