"""Outbound HTTP: the one way handlers and cron tasks call other services (video providers,
a JWKS, webhook receivers).

A Worker invocation may make only so many subrequests (50 on the Workers free plan, more on
paid; past the cap every further fetch fails) and have at most 6 connections waiting at once
(in production a seventh is queued; the local runtime queues nothing). `Outbound` is made once
per invocation and enforces both itself, the same everywhere, so a task sees
`OutboundBudgetExhausted` before the runtime refuses, and can leave the rest for its next run.
Every request has an explicit timeout. Redirects are never followed: a 3xx is an answer like
any other (a followed redirect would be a hidden extra subrequest, and a webhook receiver
answering 3xx has not accepted the delivery).

The network itself is a *transport* given to the constructor: `platform.fetch.js_transport`
in the Worker, a fake or a loopback one in tests. See docs/outbound.md.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .logs import emit

# The Workers limit on connections open at once within one invocation.
MAX_OPEN_REQUESTS = 6
# The Workers free plan's subrequest cap per invocation; paid plans allow more (a setting).
DEFAULT_MAX_REQUESTS = 50
# How long past its timeout a request may run before `Outbound` stops waiting for a transport
# that failed to time out by itself (the transport's own timeout should always come first).
TIMEOUT_GRACE_SECONDS = 1.0

T = TypeVar("T")

# (method, url, headers, body, timeout in seconds) -> (status, headers, body).
# Raises OutboundTimeout when the timeout passes, OutboundError when no answer came.
Transport = Callable[
    [str, str, Mapping[str, str], bytes | None, float],
    Awaitable[tuple[int, Mapping[str, str], bytes]],
]
# Called as `log(level, msg, **fields)`, like the logs module's `emit` (the default).
Log = Callable[..., None]


class OutboundError(Exception):
    """No usable answer: the connection failed, was refused or was closed early."""


class OutboundTimeout(OutboundError):
    """No answer within the request's timeout."""


class OutboundInvalidJson(OutboundError, ValueError):
    """The response body is not strict JSON (UTF-8, no NaN or Infinity)."""


class OutboundBudgetExhausted(Exception):
    """This invocation has made all the outbound requests it may; nothing was sent."""


class OutboundResponse:
    """A complete response: status, headers (names lower-case), body bytes."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in headers.items()}
        self.body = body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON; `OutboundInvalidJson` when it is not strict JSON."""
        try:
            return json.loads(self.body.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            raise OutboundInvalidJson(f"the response body is not JSON: {exc}") from None

    def __repr__(self) -> str:
        return f"OutboundResponse(status={self.status}, body={len(self.body)} bytes)"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loggable_url(url: str, secret_path: bool = False) -> str:
    """The URL as logs show it: never its query or credentials; only its origin when the path
    itself is a secret (a webhook receiver's URL may carry a token)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    origin = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    return origin if secret_path else origin + parts.path


class Outbound:
    """Outbound HTTP for one invocation: at most `max_requests` requests in all, at most
    `max_open` at once, each logged through `log` (method, URL without query, status,
    duration; never headers or bodies; `log=None`: nothing logged)."""

    def __init__(
        self,
        transport: Transport,
        *,
        max_requests: int = DEFAULT_MAX_REQUESTS,
        max_open: int = MAX_OPEN_REQUESTS,
        log: Log | None = emit,
        timeout_grace: float = TIMEOUT_GRACE_SECONDS,
    ) -> None:
        if max_open < 1:
            raise ValueError("max_open must be at least 1")
        self.transport = transport
        self.max_requests = max(0, max_requests)
        self.max_open = max_open
        self.used = 0  # requests started so far, failed ones included (the runtime counts them)
        self._log = log
        self._grace = timeout_grace
        self._slots = asyncio.Semaphore(max_open)

    @property
    def remaining(self) -> int:
        """How many more requests this invocation may start."""
        return max(0, self.max_requests - self.used)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout: float,
        secret_path: bool = False,
    ) -> OutboundResponse:
        """Send one request and read its whole answer. Any status is an answer (no redirect is
        followed). Raises OutboundBudgetExhausted (nothing sent), OutboundTimeout after
        `timeout` seconds, OutboundError when no answer came. `secret_path`: logs show only
        the URL's origin."""
        if not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("only http and https URLs can be fetched")
        if body is not None and method.upper() in ("GET", "HEAD"):
            raise ValueError(f"a {method} request has no body")  # fetch refuses one
        shown = loggable_url(url, secret_path)
        if self.remaining == 0:  # fail at once rather than wait for a slot
            self._refuse(method, shown)
        async with self._slots:
            if self.remaining == 0:  # the last one went while this waited
                self._refuse(method, shown)
            self.used += 1
            return await self._send(method, url, shown, dict(headers or {}), body, timeout)

    async def _send(
        self, method: str, url: str, shown: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> OutboundResponse:
        started = time.perf_counter()
        try:
            status, answer_headers, answer = await asyncio.wait_for(
                self.transport(method, url, headers, body, timeout), timeout + self._grace
            )
        except TimeoutError:  # the transport did not time out by itself
            failure = OutboundTimeout(f"no answer in {timeout} s")
            self._emit("warning", method, shown, started, outcome="timeout", error=str(failure))
            raise failure from None
        except OutboundError as exc:
            outcome = "timeout" if isinstance(exc, OutboundTimeout) else "error"
            self._emit("warning", method, shown, started, outcome=outcome, error=str(exc))
            raise
        response = OutboundResponse(status, answer_headers, answer)
        self._emit("info", method, shown, started, status=status, bytes=len(answer))
        return response

    def _refuse(self, method: str, shown: str) -> None:
        limit = self.max_requests
        if self._log is not None:
            self._log("warning", "outbound budget exhausted", method=method, url=shown, limit=limit)
        raise OutboundBudgetExhausted(f"this invocation may make at most {limit} outbound requests")

    def _emit(self, level: str, method: str, shown: str, started: float, **fields: Any) -> None:
        if self._log is not None:
            elapsed = round((time.perf_counter() - started) * 1000, 2)
            self._log(level, "outbound request", method=method, url=shown, duration_ms=elapsed, **fields)

    async def gather_bounded(self, calls: Iterable[Callable[[], Awaitable[T]]]) -> list[T | Exception]:
        """`gather_bounded` with this client's limit on open requests."""
        return await gather_bounded(calls, self.max_open)


async def gather_bounded(
    calls: Iterable[Callable[[], Awaitable[T]]], limit: int = MAX_OPEN_REQUESTS
) -> list[T | Exception]:
    """Run `calls` (each a no-argument async function), at most `limit` at a time, in order of
    start; returns each one's result or the exception it raised, in the order given. One
    failure stops nothing else; cancelling the gather cancels the calls still running."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    pending = list(enumerate(calls))
    pending.reverse()  # pop() from the end takes them in the order given
    results: list[T | Exception] = [None] * len(pending)  # type: ignore[list-item]  # all filled below

    async def worker() -> None:
        while pending:
            index, call = pending.pop()
            try:
                results[index] = await call()
            except Exception as exc:  # noqa: BLE001 - handed back to the caller in its slot
                results[index] = exc

    await asyncio.gather(*(worker() for _ in range(min(limit, len(pending)))))
    return results
