"""A video's provider behind one interface: submit a job, ask about it, cancel it, whichever provider
(`replicate`: the model is `owner/name`; `runpod`: the model is an endpoint id), with the
settings' base URLs, keys and timeout. A model name the adapter cannot send (not `owner/name`,
not an endpoint id) is a refusal (status 0), so a misconfigured model fails its video cleanly.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from ..core import services
from ..core.config import Config
from ..core.outbound import Outbound
from .replicate import NAME as REPLICATE
from .replicate import Replicate
from .results import Outcome, Refused
from .runpod import NAME as RUNPOD
from .runpod import RunPod

PROVIDERS = (REPLICATE, RUNPOD)


def webhook_url(config: Config, provider: str) -> str | None:
    """Where the provider should post its news (PUBLIC_BASE_URL set, and for RunPod its token)."""
    base = str(config.public_base_url).rstrip("/")
    if not base:
        return None
    if provider == REPLICATE:
        return f"{base}/api/providers/replicate/webhook"
    token = str(config.runpod_webhook_token)
    return f"{base}/api/providers/runpod/webhook/{token}" if token else None


class VideoProvider:
    """One provider for one invocation's `Outbound` (`timeout`: seconds, at most the setting)."""

    def __init__(
        self, provider: str, outbound: Outbound, config: Config, timeout: float | None = None
    ) -> None:
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}")
        seconds = (
            config.provider_timeout_seconds
            if timeout is None
            else min(timeout, config.provider_timeout_seconds)
        )
        self.name = provider
        self.config = config
        self.client: Replicate | RunPod = (
            Replicate(outbound, config.replicate_api_base, config.replicate_api_token, seconds)
            if provider == REPLICATE
            else RunPod(outbound, config.runpod_api_base, config.runpod_api_key, seconds)
        )

    async def submit(self, model: str, input: dict[str, Any]) -> Outcome:
        """Start a job of `model` with `input` (the webhook URL when one is configured)."""
        webhook = webhook_url(self.config, self.name)
        if isinstance(self.client, Replicate):
            return await _refused_if_misconfigured(self.client.create(model, input, webhook))
        return await _refused_if_misconfigured(self.client.run(model, input, webhook))

    async def cancel(self, model: str, job_id: str) -> Outcome:
        """Ask the provider to stop the job (its answer: the job after the request)."""
        if isinstance(self.client, Replicate):
            return await _refused_if_misconfigured(self.client.cancel(job_id))
        return await _refused_if_misconfigured(self.client.cancel(model, job_id))

    async def status(self, model: str, job_id: str) -> Outcome:
        """The job as the provider has it now."""
        if isinstance(self.client, Replicate):
            return await _refused_if_misconfigured(self.client.get(job_id))
        return await _refused_if_misconfigured(self.client.status(model, job_id))


def for_one_request(
    provider: str | None, config: Config, timeout: float | None = None
) -> VideoProvider | None:
    """`provider` for one request of this invocation (a submit, a refresh, a cancel), or None
    when there is no provider to ask or no way to ask it (no outbound transport: plain CPython)."""
    transport = services.current().transport
    if provider not in PROVIDERS or transport is None:
        return None
    return VideoProvider(provider, Outbound(transport, max_requests=1), config, timeout)


async def _refused_if_misconfigured(call: Awaitable[Outcome]) -> Outcome:
    """The call's outcome; a model name the adapter cannot send is a refusal (status 0)."""
    try:
        return await call
    except ValueError as exc:
        return Refused(0, f"the model is misconfigured: {exc}")
