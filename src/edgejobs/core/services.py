"""What an invocation gets from the platform besides D1: how to reach other services (the
outbound transport), how to compute an HMAC-SHA256, and how to keep work running after the
response (`ctx.waitUntil`).

The platform layer builds one `Services` per invocation (`platform/jsbridge.py` in the Worker:
`fetch`, Web Crypto and the request's `waitUntil`); the app makes it the current one for the
request or cron run (`use`), so a handler or cron task deep inside reads it with `current()`
instead of every signature carrying it. Under CPython the defaults apply: no transport (nothing
is sent), the standard library's HMAC, and no background work.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple

from .outbound import Transport

HmacSha256 = Callable[[bytes, bytes], Awaitable[bytes]]
"""`await hmac_sha256(key, message)`: the 32-byte HMAC-SHA256 of `message` under `key`."""
WaitUntil = Callable[[Awaitable[Any]], None]
"""Keeps an awaitable running after the response has been sent (the runtime's `waitUntil`)."""


async def stdlib_hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 with the standard library (CPython tests; the same bytes as Web Crypto's)."""
    return hmac.new(key, message, hashlib.sha256).digest()


class Services(NamedTuple):
    transport: Transport | None = None
    hmac_sha256: HmacSha256 = stdlib_hmac_sha256
    wait_until: WaitUntil | None = None


_DEFAULT = Services()
_CURRENT: ContextVar[Services | None] = ContextVar("edgejobs_services", default=None)


def current() -> Services:
    """The services of the invocation running now (the defaults outside one)."""
    return _CURRENT.get() or _DEFAULT


@contextmanager
def use(services: Services) -> Iterator[Services]:
    """Make `services` current for the block (work handed to `wait_until` inside it keeps
    them: a task copies the context it was created in)."""
    token = _CURRENT.set(services)
    try:
        yield services
    finally:
        _CURRENT.reset(token)
