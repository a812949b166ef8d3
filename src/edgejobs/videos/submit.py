"""Submitting a provider-backed video, and what the answer does.

The create batch has already written the video (queued), charged its owner and written its
sync row, due 10 minutes later with no job id. Then the provider is asked to start the job
(input `{"prompt", "duration": seconds, ...input}`, with the webhook URL when PUBLIC_BASE_URL
is set), and its answer decides, in one more batch:

    the provider answers           the video                                the create answers
    the job (ProviderJob)          job id stored; in_progress if it runs    201
    a refusal (4xx, bad key,       failed, `provider_refused`, refunded     502 provider_error
      a misconfigured model)         (through the state machine, once)
    nothing usable (timeout,       left queued without a job id: the        201 (queued,
      connection, 429, 5xx)          cron submits it once more when its       provider_job_id null)
                                     sync row comes due

The cron's submission is the last one: if it fails too (any way), the video fails
(`provider_refused` or `provider_unavailable`) and is refunded. A job the provider did start
but whose answer was lost (a timeout after it was accepted) is not found again: the provider
runs it, its webhook names a job no video carries (ignored), and the resubmission's job is the
video's. The charge is made once, at create, whatever happens after.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from ..core.config import Config
from ..core.context import RequestContext
from ..core.db import Statement
from ..core.errors import DatabaseUnavailable, ProviderError
from ..core.logs import emit
from ..providers import checks
from ..providers.clients import VideoProvider, for_one_request
from ..providers.results import Outcome, ProviderJob, Refused, Transient
from .provider_sync import (
    PROVIDER_REFUSED,
    PROVIDER_UNAVAILABLE,
    answer_statements,
    submit_failed_statements,
)

SUBMIT_AGAIN_MS = 10 * 60 * 1000  # a video still without a job id this long after create: submitted again
SUBMISSIONS = 2  # at create, and once more by the cron


def provider_input(video: Mapping[str, Any]) -> dict[str, Any]:
    """What the provider gets: the prompt, the duration in seconds, and the video's input."""
    return {"prompt": video["prompt"], "duration": video["seconds"], **json.loads(video["input"] or "{}")}


def provider_model(config: Config, video: Mapping[str, Any]) -> str:
    """The provider's model (Replicate `owner/name`) or endpoint (RunPod) of the video's model."""
    model = config.video_models.get(video["model"])
    return (model.provider_model if model is not None else None) or ""


async def submit(provider: VideoProvider, config: Config, video: Mapping[str, Any]) -> Outcome:
    return await provider.submit(provider_model(config, video), provider_input(video))


def refused_error(provider: str, refusal: Refused) -> dict[str, str]:
    status = f"HTTP {refusal.status}" if refusal.status else "not sent"
    return {
        "code": PROVIDER_REFUSED,
        "message": f"{provider} refused the video ({status}): {refusal.message}",
    }


def outcome_statements(
    video: Mapping[str, Any], provider: str, now: int, outcome: Outcome, last: bool
) -> list[Statement]:
    """The batch a submission's outcome makes (empty: nothing to write, the sync row already
    says when to submit again). `last`: no submission comes after this one."""
    if isinstance(outcome, ProviderJob):
        fresh = {"wait_ms": checks.MIN_WAIT_MS, "last_status": None, "progress": video.get("progress")}
        return answer_statements(video["id"], now, outcome, fresh)[0]
    if isinstance(outcome, Refused):
        return submit_failed_statements(video["id"], now, refused_error(provider, outcome))
    if last:
        assert isinstance(outcome, Transient)
        message = f"{provider} could not be reached to start the video ({outcome.reason}): {outcome.message}"
        return submit_failed_statements(
            video["id"], now, {"code": PROVIDER_UNAVAILABLE, "message": message[:1000]}
        )
    return []


async def submit_created(ctx: RequestContext, video: dict[str, Any]) -> dict[str, Any]:
    """Submit a video just created (see the module docstring): the video as it is after the
    answer, or ProviderError (502) when the provider refused it."""
    after, refusal = await submit_new(ctx, video)
    if refusal is not None:
        raise provider_error(video["provider"], refusal, f"video {video['id']}", video_id=video["id"])
    return after


def provider_error(provider: str, refusal: Refused, what: str, **about: str) -> ProviderError:
    """The 502 for a refusal of `what`: the provider's status and message in `details`, with
    the ids `about` names."""
    return ProviderError(
        f"The provider {provider} refused {what}: {refusal.message}",
        details={"provider": provider, "status": refusal.status or None, "message": refusal.message, **about},
    )


async def submit_generation(ctx: RequestContext, videos: list[dict[str, Any]]) -> list[Refused]:
    """Submit the videos a generation just created, at most 6 requests at a time (the open
    connections a Worker may hold); the refusals (each of those videos failed and refunded)."""
    gate = asyncio.Semaphore(6)

    async def one(video: dict[str, Any]) -> Refused | None:
        async with gate:
            return (await submit_new(ctx, video))[1]

    refusals = await asyncio.gather(*(one(video) for video in videos))
    return [refusal for refusal in refusals if refusal is not None]


async def submit_new(ctx: RequestContext, video: dict[str, Any]) -> tuple[dict[str, Any], Refused | None]:
    """Submit a video just created and record the answer: the video as it is after it, and
    the provider's refusal if it refused (the video then failed and was refunded)."""
    if video["provider_job_id"] is not None:
        return video, None  # submitted by the app itself
    provider = for_one_request(video["provider"], ctx.config)
    if provider is None:
        return video, None  # no provider, or no network (CPython)
    outcome = await submit(provider, ctx.config, video)
    statements = outcome_statements(video, video["provider"], ctx.now, outcome, last=False)
    changed: list[dict[str, Any]] = []
    if statements:
        try:
            changed = (await ctx.db.batch(statements))[0].rows
        except DatabaseUnavailable as exc:
            # The video stays queued without a job id; the cron submits it again when its sync
            # row comes due. The client gets its video (or the refusal), never a second charge.
            emit("warning", "video submission not recorded", video_id=video["id"], error=str(exc))
    return (changed[0] if changed else video), (outcome if isinstance(outcome, Refused) else None)
