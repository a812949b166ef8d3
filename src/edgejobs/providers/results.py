"""What a provider said about one job, in the service's own words.

Every adapter call ends in one of three typed outcomes:

- `ProviderJob`: the provider answered about the job. Its `status` is the neutral one
  (`queued`, `in_progress`, `completed`, `failed`, `cancelled`); `raw_status` keeps the
  provider's word. A job the provider no longer keeps (a 404 after its retention) is a
  `ProviderJob` too: `failed`, error code `provider_expired`, `expired=True`. Final.
- `Transient`: no usable answer this time (timeout, connection failure, 429, 5xx, a body that
  is not JSON or not a job). Nothing is known; ask again later (`retry_after` seconds when the
  provider said how long).
- `Refused`: the provider answered with a 4xx other than 404/429 (bad key, invalid input, a
  job it will not cancel). Final for a submission (the video fails); for a status check the
  job's state is still unknown, so callers reschedule it.

`OutboundBudgetExhausted` is not an outcome: it propagates, so a cron run stops and leaves the
rest to the next one.

See docs/providers.md for the mapping tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from ..core.outbound import Outbound, OutboundError, OutboundResponse, OutboundTimeout

QUEUED, IN_PROGRESS, COMPLETED, FAILED, CANCELLED = (
    "queued",
    "in_progress",
    "completed",
    "failed",
    "cancelled",
)
STATUSES = (QUEUED, IN_PROGRESS, COMPLETED, FAILED, CANCELLED)
FINISHED = (COMPLETED, FAILED, CANCELLED)

PROVIDER_EXPIRED = "provider_expired"  # the provider no longer keeps the job (404)
PROVIDER_FAILED = "provider_failed"  # the provider ran the job and it failed
PROVIDER_TIMED_OUT = "provider_timed_out"  # the provider gave up on the job (RunPod TIMED_OUT)

MAX_MESSAGE = 1000  # a provider's error message is clipped to this many characters


class ProviderJob(NamedTuple):
    """The provider's answer about one job, mapped."""

    provider: str
    job_id: str
    status: str
    raw_status: str
    progress: int | None = None
    file_url: str | None = None
    error: dict[str, str] | None = None
    output: Any = None  # the provider's output as it sent it
    expired: bool = False  # a 404: the provider no longer keeps this job

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class Transient(NamedTuple):
    """No usable answer; ask again later."""

    reason: str  # timeout, connection, rate_limited, server_error, invalid_answer
    message: str
    status: int | None = None  # the HTTP status, when there was one
    retry_after: float | None = None  # seconds, from a 429's or 503's Retry-After


class Refused(NamedTuple):
    """The provider refused the request (a 4xx other than 404 and 429)."""

    status: int
    message: str


Outcome = ProviderJob | Transient | Refused


class ProviderClient:
    """What the adapters share: one invocation's `Outbound`, the API's base URL, its bearer
    key, the timeout, and one request made into an outcome. An adapter is declared with its
    `name`, how it reads a 2xx answer (`read`: the job, or `Transient` for a body that is not
    one), the provider's word recorded for a job it answers 404 about (`not_found`) and what
    that 404 means, with `{id}` (`gone`)."""

    name: str
    read: Callable[[Any], ProviderJob | Transient]
    not_found: str
    gone: str

    def __init_subclass__(
        cls, *, name: str, read: Callable[[Any], ProviderJob | Transient], not_found: str, gone: str
    ) -> None:
        super().__init_subclass__()
        cls.name, cls.read, cls.not_found, cls.gone = name, read, not_found, gone

    @classmethod
    def expire(cls, job_id: str) -> ProviderJob:
        """A job the provider no longer keeps (404): final, as failed."""
        error = {"code": PROVIDER_EXPIRED, "message": cls.gone.format(id=job_id)}
        return ProviderJob(cls.name, job_id, FAILED, cls.not_found, error=error, expired=True)

    def __init__(self, outbound: Outbound, base_url: str, key: str, timeout: float = 10.0) -> None:
        self.outbound = outbound
        self.base = base_url.rstrip("/")
        self.headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
        self.timeout = timeout

    async def _start(self, url: str, input: dict[str, Any], webhook_fields: dict[str, Any]) -> Outcome:
        """POST a new job: its input, and how to call the webhook when there is one."""
        return await self._call("POST", url, json.dumps({"input": input, **webhook_fields}).encode(), None)

    async def _call(self, method: str, url: str, body: bytes | None, known_id: str | None) -> Outcome:
        """The request as an outcome: the job in a 2xx answer (about `known_id` when one was
        asked about), `expire(id)` for a 404 about a known id, else a refusal or a transient
        failure."""
        try:
            response = await self.outbound.request(
                method, url, headers=self.headers, body=body, timeout=self.timeout
            )
        except OutboundError as exc:
            return failure_outcome(exc)
        if response.ok:
            try:
                mapped = type(self).read(response.json())
            except ValueError as exc:
                return Transient("invalid_answer", str(exc), response.status)
            if known_id is not None and isinstance(mapped, ProviderJob) and mapped.job_id != known_id:
                return Transient("invalid_answer", f"asked about {known_id}, answered about {mapped.job_id}")
            return mapped
        if response.status == 404 and known_id is not None:
            return self.expire(known_id)
        return refusal_or_transient(response)


def failure_outcome(exc: OutboundError) -> Transient:
    """A request that got no answer."""
    if isinstance(exc, OutboundTimeout):
        return Transient("timeout", str(exc))
    return Transient("connection", str(exc))


def refusal_or_transient(response: OutboundResponse) -> Transient | Refused:
    """An answer that is not a job: 429 and 5xx are transient, any other status a refusal."""
    message = error_message(response)
    if response.status == 429 or response.status >= 500:
        reason = "rate_limited" if response.status == 429 else "server_error"
        return Transient(reason, message, response.status, retry_after(response.headers.get("retry-after")))
    return Refused(response.status, message)


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (only the delta-seconds form; a date is ignored)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(int(value.strip()))


def error_message(response: OutboundResponse) -> str:
    """The provider's own words about a refusal: `detail`, `error` or `message` of a JSON
    body, else the start of the body, else the status."""
    try:
        body = response.json()
    except ValueError:
        text = response.body[:200].decode("utf-8", "replace").strip()
        return text or f"HTTP {response.status}"
    if isinstance(body, dict):
        for key in ("detail", "error", "message", "title"):
            if isinstance(body.get(key), str) and body[key]:
                return clip(body[key])
    return f"HTTP {response.status}"


def clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def failed_error(code: str, message: object, fallback: str) -> dict[str, str]:
    """The `error` of a failed job: the provider's message if it gave one."""
    text = message if isinstance(message, str) and message.strip() else fallback
    return {"code": code, "message": clip(text)}


_URL = re.compile(r"^https?://", re.IGNORECASE)


def first_url(output: Any) -> str | None:
    """The output if it is a URL string, else the first URL string found in it (lists in
    order, objects in key order, depth first)."""
    if isinstance(output, str):
        return output if _URL.match(output) else None
    children = output.values() if isinstance(output, dict) else output if isinstance(output, list) else ()
    for child in children:
        found = first_url(child)
        if found:
            return found
    return None


def is_id(value: Any) -> bool:
    """A provider job id we can put in a URL path: 1–200 URL-safe characters."""
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9._:-]{1,200}", value) is not None
