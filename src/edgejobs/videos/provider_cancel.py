"""A provider-backed video cancelled by its owner or the service is cancelled at its provider
too, when it has a job there: one request (5 s at most) after the cancel's batch, best effort.
The cancel itself is already recorded (and refunded); whatever the provider answers, or if it
does not, the answer is the cancelled video. A job the provider finishes anyway changes
nothing: the video is final, and its sync row is dropped when it comes due."""

from __future__ import annotations

from typing import Any

from ..core.config import Config
from ..core.logs import emit
from ..providers.clients import for_one_request
from .submit import provider_model

CANCEL_TIMEOUT_SECONDS = 5.0


async def cancel_at_provider(config: Config, video: dict[str, Any]) -> None:
    if video["provider_job_id"] is None:
        return
    provider = for_one_request(video["provider"], config, CANCEL_TIMEOUT_SECONDS)
    if provider is None:
        return
    outcome = await provider.cancel(provider_model(config, video), video["provider_job_id"])
    emit("info", "video cancelled at its provider", video_id=video["id"], outcome=repr(outcome)[:300])
