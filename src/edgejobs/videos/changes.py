"""Changes of one video: PATCH (service), cancel, archive, delete, remix, download, and its
history. Every change is one batch through the state machine (machine.py, core/states.py):
the compare-and-set UPDATE and its event (transitions.py). The counts it moves (the owner's
and every video's usage rows, the generation's), including a refund when a charged video ends
failed or cancelled without a file, follow from the UPDATE itself: triggers on `videos`
(`videos_counted_*`). A change that lost a race updates no row, so it writes nothing at all;
since finished videos are final, a refund happens once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import states
from ..core.context import RequestContext
from ..core.errors import ApiError, Conflict, Gone, ValidationError
from ..core.events import events_page
from ..core.http import HttpResponse, empty_response, json_response
from ..core.states import Action
from ..core.validation import clip
from . import machine
from .handlers import create_statements, video_response
from .machine import COMPLETED, VIDEOS
from .model import NO_FIELDS, PATCH, REMIX, iso, not_found, owner_of, parse_video_id
from .provider_cancel import cancel_at_provider
from .sql import DOWNLOADED_SQL, GET_VIDEO_SQL
from .submit import submit_created
from .transitions import NOTHING_REPORTED as _NOTHING_REPORTED
from .transitions import change_statements
from .usage import quota_exceeded


async def change_video(
    ctx: RequestContext, action: Action, video_id: str, values: Mapping[str, object]
) -> dict[str, Any]:
    """Apply `action` to one video (of the caller); when nothing changed, read it once to say why."""
    scope = owner_of(ctx.principal, {}).scope
    bound = {**_NOTHING_REPORTED, **values, "id": video_id, "now": ctx.now, "scope": scope}
    results = await ctx.db.batch(change_statements(action, bound))
    if results[0].rows:
        return results[0].rows[0]
    current = await ctx.db.first(GET_VIDEO_SQL, video_id, scope)
    if action is machine.ARCHIVE and current is not None and current["archived"]:
        return current  # archived already: nothing to do
    raise refusal(action, current, video_id)


def refusal(action: Action, current: Mapping[str, Any] | None, video_id: str) -> ApiError:
    if current is None:
        return not_found(video_id)
    status = current["status"]
    if status in machine.FINISHED and action.sources == machine.LIVE:
        return Conflict(
            f"Video {video_id} is {status}: a finished video is final.",
            details={"status": status, "allowed_from": list(action.sources)},
        )
    return states.refusal(VIDEOS, action, current, video_id, None)


async def patch_video(ctx: RequestContext, id: str) -> HttpResponse:
    """Service only: report progress, the provider's id, the file, or a new status."""
    video_id = parse_video_id(id)
    values = await PATCH.read(ctx)
    if not any(value is not None for value in values.values()):
        raise ValidationError("Nothing to change: send at least one field.")
    status = values.pop("status")
    if values["error"] is not None and status != machine.FAILED:
        raise ValidationError("Field 'error' goes with status 'failed'.", field="error")
    action = machine.BY_STATUS[status] if status is not None else machine.UPDATE
    return video_response(await change_video(ctx, action, video_id, values))


async def cancel_video(ctx: RequestContext, id: str) -> HttpResponse:
    video_id = parse_video_id(id)
    await NO_FIELDS.read(ctx)
    cancelled = await change_video(ctx, machine.CANCEL, video_id, {})
    await cancel_at_provider(ctx.config, cancelled)
    return video_response(cancelled)


async def archive_video(ctx: RequestContext, id: str) -> HttpResponse:
    video_id = parse_video_id(id)
    await NO_FIELDS.read(ctx)
    return video_response(await change_video(ctx, machine.ARCHIVE, video_id, {}))


async def delete_video(ctx: RequestContext, id: str) -> HttpResponse:
    video_id = parse_video_id(id)
    await change_video(ctx, machine.DELETE, video_id, {})
    return empty_response(204)


async def remix_video(ctx: RequestContext, id: str) -> HttpResponse:
    """A new video from a completed one (same model and owner, who is charged), with a
    `remixed` event on the source in the same batch."""
    video_id = parse_video_id(id)
    fields = await REMIX.read(ctx)
    scope = owner_of(ctx.principal, {}).scope
    source = await ctx.db.first(GET_VIDEO_SQL, video_id, scope)
    if source is None:
        raise not_found(video_id)
    if source["status"] != COMPLETED:
        raise Conflict(
            f"Video {video_id} is {source['status']}: only a completed video can be remixed.",
            details={"status": source["status"], "allowed_from": [COMPLETED]},
        )
    new = {
        "model": source["model"],
        "prompt": fields["prompt"],
        "seconds": fields["seconds"] if fields["seconds"] is not None else source["seconds"],
        "size": source["size"],
        "quality": source["quality"],
        "input": fields["input"],
        "metadata": "{}",
        "provider_job_id": None,
    }
    statements, charge, values = create_statements(ctx, new, source["user_id"], None, video_id)
    remixed = {**values, **_NOTHING_REPORTED, "id": video_id, "scope": scope, "remix_id": values["id"]}
    remixed.pop("transition_id")
    statements += states.transition_statements(VIDEOS, machine.REMIXED, machine.ONE_VIDEO, remixed)
    results = await ctx.db.batch(statements)
    created = results[-4].first()
    if created is None:  # the charge was refused: nothing was written
        raise await quota_exceeded(ctx.db, charge, ctx.config, ctx.now)
    created = await submit_created(ctx, created)
    return video_response(created, 201, {"location": f"/api/videos/{created['id']}"})


async def download_video(ctx: RequestContext, id: str) -> HttpResponse:
    """302 to the file of a completed video, recording a `downloaded` event."""
    video_id = parse_video_id(id)
    row = await ctx.db.first(GET_VIDEO_SQL, video_id, owner_of(ctx.principal, {}).scope)
    if row is None:
        raise not_found(video_id)
    if row["status"] != COMPLETED or not row["file_url"]:
        raise Conflict(
            f"Video {video_id} is {row['status']}{'' if row['status'] != COMPLETED else ' without a file'}: "
            "only a completed video with a file can be downloaded.",
            details={"status": row["status"]},
        )
    if row["expires_at"] is not None and row["expires_at"] <= ctx.now:
        raise Gone(f"The file of video {video_id} expired at {iso(row['expires_at'])}.")
    ip = ctx.request.header("cf-connecting-ip")
    agent = ctx.request.header("user-agent")
    await ctx.db.execute(
        DOWNLOADED_SQL, video_id, clip(ip, 64) if ip else None, clip(agent, 512) if agent else None, ctx.now
    )
    return empty_response(302, {"location": row["file_url"], "cache-control": "private, no-store"})


async def list_video_events(ctx: RequestContext, id: str) -> HttpResponse:
    video_id = parse_video_id(id)
    page = await events_page(ctx.db, ctx.request.query, ctx.cursor_key, VIDEOS.kind, video_id)  # 400s first
    if await ctx.db.first(GET_VIDEO_SQL, video_id, owner_of(ctx.principal, {}).scope) is None:
        raise not_found(video_id)
    return json_response(page)
