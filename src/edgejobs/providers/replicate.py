"""Replicate predictions over the outbound seam: create (official model by `owner/name`), get,
cancel; each answer mapped onto the neutral result (results.py, docs/providers.md).

    POST {base}/v1/models/{owner}/{name}/predictions  {"input", "webhook"?, "webhook_events_filter"?}
    GET  {base}/v1/predictions/{id}
    POST {base}/v1/predictions/{id}/cancel
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from .results import (
    CANCELLED,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    PROVIDER_FAILED,
    Outcome,
    ProviderClient,
    ProviderJob,
    Transient,
    failed_error,
    first_url,
    is_id,
)

NAME = "replicate"
DEFAULT_BASE = "https://api.replicate.com"
# Replicate's prediction statuses → ours. `starting` is a prediction booting its model: the
# provider has taken it, so it is running as far as the video is concerned.
STATUS_MAP = {
    "starting": IN_PROGRESS,
    "processing": IN_PROGRESS,
    "succeeded": COMPLETED,
    "failed": FAILED,
    "canceled": CANCELLED,
}
# Webhooks sent when the prediction starts and when it ends (not for every log line).
WEBHOOK_EVENTS = ["start", "completed"]
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
_PERCENT = re.compile(r"(\d{1,3})%\|")  # a progress bar line in the logs: " 45%|████▌     |"


def map_prediction(body: Any) -> ProviderJob | Transient:
    """A prediction object as the neutral result; `Transient` when it is not one."""
    if not isinstance(body, dict) or not is_id(body.get("id")) or body.get("status") not in STATUS_MAP:
        return Transient("invalid_answer", "the answer is not a Replicate prediction")
    raw, status = body["status"], STATUS_MAP[body["status"]]
    output = body.get("output")
    file_url = error = None
    progress = 100 if status == COMPLETED else progress_from_logs(body.get("logs"))
    if status == COMPLETED:
        file_url = output if isinstance(output, str) else first_url(output)
    elif status == FAILED:
        error = failed_error(PROVIDER_FAILED, body.get("error"), "The Replicate prediction failed.")
    return ProviderJob(NAME, body["id"], status, raw, progress, file_url, error, output)


def progress_from_logs(logs: Any) -> int | None:
    """The last percentage of a progress bar in the logs (0–99 while running), if any."""
    if not isinstance(logs, str):
        return None
    found = _PERCENT.findall(logs[-4000:])
    return min(99, int(found[-1])) if found else None


class Replicate(
    ProviderClient,
    name=NAME,
    read=map_prediction,
    not_found="not_found",
    gone="Replicate no longer has prediction {id}.",
):
    """Replicate's predictions API for one invocation (its `Outbound`)."""

    async def create(self, model: str, input: dict[str, Any], webhook: str | None = None) -> Outcome:
        """Start a prediction of an official model (`owner/name`)."""
        if not _MODEL.fullmatch(model):
            raise ValueError(f"a Replicate model is owner/name, got {model!r}")
        hook = {"webhook": webhook, "webhook_events_filter": WEBHOOK_EVENTS} if webhook else {}
        return await self._start(f"{self.base}/v1/models/{model}/predictions", input, hook)

    async def get(self, prediction_id: str) -> Outcome:
        """The prediction as it is now; a 404 is `expired`."""
        return await self._call("GET", self._url(prediction_id), None, prediction_id)

    async def cancel(self, prediction_id: str) -> Outcome:
        """Ask Replicate to cancel it; the answer is the prediction (canceled, or already
        finished)."""
        return await self._call("POST", self._url(prediction_id) + "/cancel", None, prediction_id)

    def _url(self, prediction_id: str) -> str:
        return f"{self.base}/v1/predictions/{quote(prediction_id, safe='')}"
