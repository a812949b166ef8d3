"""Generations, `/api/generations`: `video_count` videos paid for together, created in one
batch with the charge of all of them (429 and nothing inserted when the month cannot hold them
all); get with the status and progress kept on the row; list. Files: files.py; the
localStorage import: imports.py."""

from __future__ import annotations

import json
from typing import Any

from ..core import ids
from ..core.context import RequestContext
from ..core.db import named
from ..core.errors import Conflict, NotFound
from ..core.events import event_after_change
from ..core.http import HttpResponse, json_response
from ..core.pagination import page_request, page_rows, rendered_page_response
from ..providers.checks import MIN_WAIT_MS
from ..videos.handlers import charge_statements
from ..videos.machine import GENERATION_VIDEOS, VIDEOS
from ..videos.model import choose_model, owner_of
from ..videos.submit import SUBMIT_AGAIN_MS, provider_error, submit_generation
from ..videos.sync_sql import INSERT_GENERATION_CHECKS_SQL
from ..videos.usage import Charge, quota_exceeded
from .model import CREATE, parse_generation_id, parse_status, render_generation, request_hash
from .sql import GET_GENERATION_SQL, INSERT_GENERATION_SQL, INSERT_GENERATION_VIDEOS_SQL, LIST_SQL


def _generation_response(row: dict[str, Any], status: int = 200) -> HttpResponse:
    headers = {"location": f"/api/generations/{row['generation_id']}"} if status == 201 else None
    return json_response(render_generation(row), status, headers)


async def create_generation(ctx: RequestContext) -> HttpResponse:
    """201 with the generation and its queued videos; the same generation_id again: 200 with it
    (same body) or 409 (another body, or another owner's)."""
    fields = await CREATE.read(ctx)
    owner = owner_of(ctx.principal, {}, fields.pop("user_id")).creator
    generation_id = fields.pop("generation_id") or ids.uuid7(ctx.now)
    model, seconds = choose_model(ctx.config.video_models, fields["model"], fields["seconds"])
    count = fields["video_count"]
    cost = model.cents_per_second * seconds
    charge = Charge(owner, count, cost * count)
    digest = request_hash(owner, fields)
    values = {
        **charge.values(ctx.config, ctx.now, ids.token()),
        **fields,
        "generation_id": generation_id,
        "id": None,
        "idempotency_key": None,
        "seconds": seconds,
        "provider": model.provider,
        "cost_cents": cost,
        "request_hash": digest,
        "video_ids": json.dumps([ids.uuid7(ctx.now) for _ in range(count)]),
        "transition_id": ids.token(),
        "job_kind": VIDEOS.kind,
        "event": "created",
        # The videos' sync rows when the model has a provider: each video is submitted after
        # this batch, and again by the cron if it still has no job id 10 minutes later.
        "check_at": ctx.now + SUBMIT_AGAIN_MS,
        "check_wait_ms": MIN_WAIT_MS,
    }
    statements = [
        *charge_statements(values),
        named(INSERT_GENERATION_SQL, values),
        named(INSERT_GENERATION_VIDEOS_SQL, values),
        event_after_change(VIDEOS.table, GENERATION_VIDEOS.event_where, values),
        named(INSERT_GENERATION_CHECKS_SQL, values),
    ]
    results = await ctx.db.batch(statements)
    if results[2].rows:  # answered from the batch itself: a lost answer after it is a retry's 200
        videos = sorted(results[3].rows, key=lambda video: str(video["id"]))
        if model.provider is not None:
            return await _submitted(ctx, values, videos)
        for video in videos:
            video["error"] = None
        return _generation_response({**results[2].rows[0], "videos": json.dumps(videos)}, 201)
    existing = await ctx.db.first(GET_GENERATION_SQL, generation_id, None)
    if existing is None:
        raise await quota_exceeded(ctx.db, charge, ctx.config, ctx.now)
    if existing["user_id"] != owner or existing["request_hash"] != digest:
        raise Conflict(
            f"Generation {generation_id} exists with another request; use another generation_id.",
            field="generation_id",
        )
    return _generation_response(existing)


async def _submitted(
    ctx: RequestContext, values: dict[str, Any], created: list[dict[str, Any]]
) -> HttpResponse:
    """Each new video submitted to the model's provider (as a video created alone); 201 with
    the generation as the answers left it, or 502 when the provider refused every video."""
    fields = ("provider", "model", "prompt", "seconds", "input")
    refusals = await submit_generation(
        ctx, [{**video, **{name: values[name] for name in fields}} for video in created]
    )
    if refusals and len(refusals) == len(created):
        generation_id = values["generation_id"]
        what = f"the videos of generation {generation_id}"
        raise provider_error(values["provider"], refusals[0], what, generation_id=generation_id)
    row = await ctx.db.first(GET_GENERATION_SQL, values["generation_id"], None)
    if row is None:  # created by this request: only a purge between the two could do this
        raise NotFound(f"No generation {values['generation_id']}.")
    return _generation_response(row, 201)


async def get_generation(ctx: RequestContext, id: str) -> HttpResponse:
    generation_id = parse_generation_id(id)
    row = await ctx.db.first(GET_GENERATION_SQL, generation_id, owner_of(ctx.principal, {}).scope)
    if row is None:
        raise NotFound(f"No generation {generation_id}.")
    return _generation_response(row)


async def list_generations(ctx: RequestContext) -> HttpResponse:
    """The caller's generations (the service's: every one, or `?user_id=`), newest first,
    without their videos; `?status=` filters on the kept status."""
    query = ctx.request.query
    owner = owner_of(ctx.principal, query).scope
    status = parse_status(query)
    scope = f"generations:{owner or ''}"
    page = page_request(query, scope, ctx.cursor_key, (int, str))
    after = page.after or [None, None]
    values = {
        "owner": owner,
        "status": status,
        "after_at": after[0],
        "after_id": after[1],
        "limit": page.limit + 1,
    }
    sql = LIST_SQL[(owner is not None, status is not None, page.after is not None)]
    rows = (await ctx.db.run(named(sql, values))).rows
    position = lambda row: [row["created_at"], row["generation_id"]]  # noqa: E731
    return rendered_page_response(*page_rows(rows, page, scope, ctx.cursor_key, position))
