"""Refresh on read: a GET of a provider-backed video still running whose provider was last
asked more than VIDEO_REFRESH_SECONDS ago asks the provider first (one request, at most 5 s)
and applies the answer like the cron would (provider_sync.py), so a page polling a video sees
it finish without waiting for the cron. The GET never fails because of it: no answer, a
refusal, or a D1 failure writing the answer all answer the video as stored (logged)."""

from __future__ import annotations

from typing import Any

from ..core.context import RequestContext
from ..core.errors import DatabaseUnavailable
from ..core.logs import emit
from ..providers.clients import for_one_request
from ..providers.results import ProviderJob
from .machine import LIVE
from .provider_sync import answer_statements, reschedule
from .sql import GET_VIDEO_SQL
from .submit import provider_model
from .sync_sql import GET_CHECK_SQL

REFRESH_TIMEOUT_SECONDS = 5.0


async def refreshed(ctx: RequestContext, video: dict[str, Any]) -> dict[str, Any]:
    """The video, after asking its provider when it is due for that (else as it is)."""
    if video["status"] not in LIVE or video["provider_job_id"] is None:
        return video
    provider = for_one_request(video["provider"], ctx.config, REFRESH_TIMEOUT_SECONDS)
    if provider is None:
        return video
    check = await ctx.db.first(GET_CHECK_SQL, video["id"])
    if check is None:
        return video
    last = check["checked_at"] or video["created_at"]
    if ctx.now - last < ctx.config.video_refresh_seconds * 1000:
        return video
    answer = await provider.status(provider_model(ctx.config, video), video["provider_job_id"])
    known = {**check, "progress": video["progress"]}
    try:
        if not isinstance(answer, ProviderJob):
            emit("info", "video refresh without an answer", video_id=video["id"], outcome=repr(answer))
            await ctx.db.batch([reschedule(video["id"], ctx.now, known, answer)])
            return video
        statements, _, transition = answer_statements(video["id"], ctx.now, answer, known)
        results = await ctx.db.batch(statements)
        if not transition:
            return video
        if results[0].rows:
            return results[0].rows[0]
        return await ctx.db.first(GET_VIDEO_SQL, video["id"], None) or video  # a racing change won
    except DatabaseUnavailable as exc:
        emit("warning", "video refresh not recorded", video_id=video["id"], error=str(exc))
        return video
