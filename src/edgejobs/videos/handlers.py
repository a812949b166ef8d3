"""Videos, `/api/videos`: create (charging the owner's monthly quota in the same batch), get
(ETag, Cache-Control, 304), list, stats. Changes of a video: changes.py; quotas: quotas.py.

A create is one batch: the conditional charge of the owner's usage row, the count of every
video, [the sync row of a provider-backed video,] [the Idempotency-Key,] the video and its
`created` event. Every INSERT after the charge depends on the charge's token, so a refused
charge (429) inserts nothing. A provider-backed video is then submitted (submit.py).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..core import codec, ids
from ..core.context import RequestContext
from ..core.db import Statement, named
from ..core.errors import Conflict, ValidationError
from ..core.events import event_after_change
from ..core.http import HttpResponse, json_response, parse_entity_tags
from ..core.pagination import page_request, page_rows, rendered_page_response
from ..exports.model import parse_idempotency_key
from ..providers.checks import MIN_WAIT_MS
from .machine import STATUSES, VIDEOS
from .model import (
    CREATE,
    ID_CEILING,
    Owner,
    cache_seconds,
    choose_model,
    id_floor,
    not_found,
    owner_of,
    parse_iso,
    parse_video_id,
    render_video,
)
from .refresh import refreshed
from .sql import (
    ALL,
    CHARGE_SQL,
    COUNT_ALL_SQL,
    GET_USAGE_SQL,
    GET_VIDEO_SQL,
    IDEMPOTENT_REPLAY_SQL,
    INSERT_VIDEO_SQL,
    LIST_GENERATION_SQL,
    LIST_SQL,
    TAKE_KEY_SQL,
)
from .submit import SUBMIT_AGAIN_MS, submit_created
from .sync_sql import INSERT_CHECK_SQL
from .usage import Charge, period_of, quota_exceeded


def video_response(
    row: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """The video with its ETag and how long it may be cached (by its status)."""
    body = json.dumps(render_video(row), ensure_ascii=False, separators=(",", ":")).encode()
    merged = {
        "content-type": "application/json; charset=utf-8",
        "etag": codec.etag_of(body),
        "cache-control": f"private, max-age={cache_seconds(row['status'])}",
        **(headers or {}),
    }
    return HttpResponse(status, body, merged)


def charge_statements(values: dict[str, object]) -> list[Statement]:
    """The charge and the count of every video, which the INSERTs after them depend on."""
    return [named(CHARGE_SQL, values), named(COUNT_ALL_SQL, values)]


def _request_hash(owner: str | None, fields: dict[str, Any]) -> str:
    canonical = json.dumps(["POST /api/videos", owner, fields], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_statements(
    ctx: RequestContext, fields: dict[str, Any], owner: str | None, key: str | None, remixed_from: str | None
) -> tuple[list[Statement], Charge, dict[str, object]]:
    """The create batch: charge, count, [key,] video, `created` event (the INSERT is the
    statement before last). Callers may add statements that depend on the charge."""
    model, seconds = choose_model(ctx.config.video_models, fields["model"], fields["seconds"])
    charge = Charge(owner, 1, model.cents_per_second * seconds)
    values = {
        **charge.values(ctx.config, ctx.now, ids.token()),
        **fields,
        "id": ids.uuid7(ctx.now),
        "seconds": seconds,
        "provider": model.provider,
        "remixed_from": remixed_from,
        "cost_cents": charge.cents,
        "generation_id": None,
        "idempotency_key": key,
        "request_hash": _request_hash(owner, fields) if key else None,
        "key_expires_at": ctx.now + ctx.config.idempotency_ttl_seconds * 1000,
        "transition_id": ids.token(),
        "job_kind": VIDEOS.kind,
        "event": "created",
        # The sync row: a job id the app gives is asked about soon; else the video is submitted
        # after this batch, and again by the cron if it still has no job id 10 minutes later.
        "check_at": ctx.now + (MIN_WAIT_MS if fields["provider_job_id"] else SUBMIT_AGAIN_MS),
        "check_wait_ms": MIN_WAIT_MS,
        "submits": 0 if fields["provider_job_id"] else 1,
    }
    statements = charge_statements(values)
    statements.append(named(INSERT_CHECK_SQL, values))
    if key is not None:
        statements.append(named(TAKE_KEY_SQL, values))
    statements += [
        named(INSERT_VIDEO_SQL, values),
        event_after_change(VIDEOS.table, "id = :id", values, one_row=True),
    ]
    return statements, charge, values


async def create_video(ctx: RequestContext) -> HttpResponse:
    """201 with a new queued video; 429 when the owner's quota cannot hold it; with an
    Idempotency-Key seen before, 200 with that video (same request) or 409 (another)."""
    fields = await CREATE.read(ctx)
    owner = owner_of(ctx.principal, {}, fields.pop("user_id")).creator
    key = parse_idempotency_key(ctx.request)
    scoped_key = None if key is None else f"video:{owner or ''}:{key}"
    statements, charge, _values = create_statements(ctx, fields, owner, scoped_key, None)
    created = (await ctx.db.batch(statements))[-2].first()
    if created is not None:
        created = await submit_created(ctx, created)
        return video_response(created, 201, {"location": f"/api/videos/{created['id']}"})
    if scoped_key is not None:
        replay = await ctx.db.first(IDEMPOTENT_REPLAY_SQL, scoped_key, ctx.now)
        if replay is not None:
            if replay["idempotency_request_hash"] != _request_hash(owner, fields):
                raise Conflict(
                    "This Idempotency-Key was used with a different request.", field="Idempotency-Key"
                )
            if replay["id"] is None:
                raise Conflict(
                    "The video this Idempotency-Key created no longer exists.", field="Idempotency-Key"
                )
            return video_response(replay)
    raise await quota_exceeded(ctx.db, charge, ctx.config, ctx.now)


async def get_video(ctx: RequestContext, id: str) -> HttpResponse:
    video_id = parse_video_id(id)
    row = await ctx.db.first(GET_VIDEO_SQL, video_id, owner_of(ctx.principal, {}).scope)
    if row is None:
        raise not_found(video_id)
    response = video_response(await refreshed(ctx, row))
    wanted = ctx.request.header("if-none-match")
    if wanted is not None:
        tags = parse_entity_tags(wanted)
        etag = response.headers["etag"]
        if tags is None or any(tag.removeprefix("W/") == etag for tag in tags):
            return HttpResponse(304, b"", {k: v for k, v in response.headers.items() if k != "content-type"})
    return response


def _statuses(query: dict[str, str]) -> list[str]:
    statuses: list[str] = []
    if "status" in query:
        for name in query["status"].split(","):
            name = name.strip()
            if name not in STATUSES:
                raise ValidationError(
                    f"Query parameter 'status' takes {', '.join(STATUSES)}; got {name[:40]!r}.",
                    field="status",
                )
            if name not in statuses:
                statuses.append(name)
    return statuses


def _archived(query: dict[str, str]) -> int:
    value = query.get("archived", "false")
    if value not in ("true", "false"):
        raise ValidationError("Query parameter 'archived' must be true or false.", field="archived")
    return int(value == "true")


def _text_filter(query: dict[str, str], name: str) -> str | None:
    value = query.get(name)
    if value is not None and not (1 <= len(value) <= 255):
        raise ValidationError(f"Query parameter {name!r} must be 1-255 characters.", field=name)
    return value


async def list_videos(ctx: RequestContext) -> HttpResponse:
    """The caller's videos (the service's: every one, or `?user_id=`), newest first."""
    query = ctx.request.query
    owner = owner_of(ctx.principal, query)
    statuses = _statuses(query)
    archived = _archived(query)
    generation_id = _text_filter(query, "generation_id")
    lower = id_floor(parse_iso(query["created_after"], "created_after")) if "created_after" in query else ""
    upper = (
        id_floor(parse_iso(query["created_before"], "created_before"))
        if "created_before" in query
        else ID_CEILING
    )
    scope = f"videos:{owner.scope or ''}"
    page = page_request(query, scope, ctx.cursor_key, (str,))
    if page.after:
        upper = min(upper, page.after[0])
    values: dict[str, object] = {
        "owner": owner.scope,
        "archived": archived,
        "lower": lower,
        "upper": upper,
        "model": _text_filter(query, "model"),
        "generation_id": generation_id,
        "statuses": json.dumps(statuses) if statuses else None,
        "limit": page.limit + 1,
        **{f"status_{i}": status for i, status in enumerate(statuses)},
    }
    if generation_id is not None:
        sql = LIST_GENERATION_SQL
    else:
        sql = LIST_SQL[(owner.scope is not None, len(statuses))]
    rows = (await ctx.db.run(named(sql, values))).rows
    return rendered_page_response(*page_rows(rows, page, scope, ctx.cursor_key, lambda r: [r["id"]]))


def usage_owner(owner: Owner) -> str:
    return ALL if owner.scope is None else owner.scope


async def video_stats(ctx: RequestContext) -> HttpResponse:
    """Counts by status (deleted videos left out, archived ones in), archived, and this
    month's cost net of refunds: one usage row, never a count over the videos."""
    owner = owner_of(ctx.principal, ctx.request.query)
    row = await ctx.db.first(GET_USAGE_SQL, usage_owner(owner)) or {}
    by_status = {status: int(row.get(status, 0)) for status in STATUSES}
    current = row.get("period", "") >= period_of(ctx.now)
    return json_response(
        {
            "total": sum(by_status.values()),
            "by_status": by_status,
            "archived": int(row.get("archived", 0)),
            "cost_cents_this_month": int(row.get("cents_used", 0)) if current else 0,
        }
    )
