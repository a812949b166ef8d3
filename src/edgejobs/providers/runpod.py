"""RunPod serverless (queue-based endpoints) over the outbound seam: run, status, cancel; each
answer mapped onto the neutral result (results.py, docs/providers.md).

    POST {base}/v2/{endpoint}/run            {"input", "webhook"?}
    GET  {base}/v2/{endpoint}/status/{id}
    POST {base}/v2/{endpoint}/cancel/{id}

RunPod keeps a finished job's status for 30 minutes; after that its status is a 404, mapped to
`failed` with the code `provider_expired`.
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
    PROVIDER_TIMED_OUT,
    QUEUED,
    Outcome,
    ProviderClient,
    ProviderJob,
    Transient,
    failed_error,
    is_id,
)

NAME = "runpod"
DEFAULT_BASE = "https://api.runpod.ai"
STATUS_MAP = {
    "IN_QUEUE": QUEUED,
    "IN_PROGRESS": IN_PROGRESS,
    "COMPLETED": COMPLETED,
    "FAILED": FAILED,
    "TIMED_OUT": FAILED,
    "CANCELLED": CANCELLED,
}
_ENDPOINT = re.compile(r"[A-Za-z0-9_-]{1,128}")


def map_job(body: Any) -> ProviderJob | Transient:
    """A RunPod job status object as the neutral result; `Transient` when it is not one."""
    if not isinstance(body, dict) or not is_id(body.get("id")) or body.get("status") not in STATUS_MAP:
        return Transient("invalid_answer", "the answer is not a RunPod job status")
    raw, status = body["status"], STATUS_MAP[body["status"]]
    output = body.get("output")
    file_url = error = None
    progress = 100 if status == COMPLETED else None
    if status == COMPLETED:
        file_url = output_url(output)
    elif raw == "TIMED_OUT":
        error = failed_error(PROVIDER_TIMED_OUT, body.get("error"), "The RunPod job timed out.")
    elif status == FAILED:
        error = failed_error(PROVIDER_FAILED, body.get("error"), "The RunPod job failed.")
    return ProviderJob(NAME, body["id"], status, raw, progress, file_url, error, output)


def output_url(output: Any) -> str | None:
    """`output.video_url`, else `output.url`, else the output itself when it is a string."""
    if isinstance(output, str):
        return output or None
    if isinstance(output, dict):
        for key in ("video_url", "url"):
            if isinstance(output.get(key), str) and output[key]:
                return str(output[key])
    return None


class RunPod(
    ProviderClient,
    name=NAME,
    read=map_job,
    not_found="NOT_FOUND",
    gone="RunPod no longer keeps job {id} (finished jobs are kept 30 minutes).",
):
    """RunPod's serverless API for one invocation (its `Outbound`)."""

    async def run(self, endpoint: str, input: dict[str, Any], webhook: str | None = None) -> Outcome:
        """Queue a job on `endpoint`."""
        return await self._start(self._url(endpoint, "run"), input, {"webhook": webhook} if webhook else {})

    async def status(self, endpoint: str, job_id: str) -> Outcome:
        """The job as it is now; a 404 is `expired`."""
        return await self._call("GET", self._url(endpoint, "status", job_id), None, job_id)

    async def cancel(self, endpoint: str, job_id: str) -> Outcome:
        """Ask RunPod to cancel the job; the answer is its status after the request."""
        return await self._call("POST", self._url(endpoint, "cancel", job_id), None, job_id)

    def _url(self, endpoint: str, operation: str, job_id: str | None = None) -> str:
        if not _ENDPOINT.fullmatch(endpoint):
            raise ValueError(f"a RunPod endpoint id is 1-128 of [A-Za-z0-9_-], got {endpoint!r}")
        tail = f"/{quote(job_id, safe='')}" if job_id is not None else ""
        return f"{self.base}/v2/{endpoint}/{operation}{tail}"
