"""The Worker's outbound transport (Pyodide only): `core.outbound`'s requests through the
runtime's `fetch`.

One crossing for the request (method, headers, body as a Uint8Array, redirect and signal in
one options object), one for the response headers (as JSON text), one for the body (its
ArrayBuffer). The timeout is an `AbortSignal.timeout`, which also stops a body still arriving.
Nothing JS is touched at import: the JS globals are looked up once per isolate, on first use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..core.outbound import OutboundError, OutboundTimeout
from .globals import js_globals


async def js_transport(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
) -> tuple[int, dict[str, str], bytes]:
    """One request through the runtime's `fetch`: (status, headers with lower-case names,
    body). Redirects are returned, not followed. OutboundTimeout when `timeout` seconds pass
    before the whole body has arrived; OutboundError when the request fails."""
    js = js_globals()
    init: dict[str, Any] = {
        "method": method,
        "headers": dict(headers),
        "redirect": "manual",
        "signal": js.abort_after(max(1, round(timeout * 1000))),
    }
    if body is not None:
        init["body"] = body  # to_js copies bytes into a Uint8Array
    try:
        response = await js.fetch(url, js.to_js(init, dict_converter=js.from_entries))
        answer = (await response.arrayBuffer()).to_bytes()
    except js.js_exception as exc:
        raise _failure(exc, timeout) from None
    names = json.loads(js.stringify(js.from_entries(response.headers)))
    return response.status, names, answer


def _failure(exc: Any, timeout: float) -> OutboundError:
    """The JS error as the seam's error: the signal's "TimeoutError" (or an "AbortError") is a
    timeout; anything else (a TypeError "fetch failed", a reset) an OutboundError."""
    name = getattr(exc, "name", "")
    if name in ("TimeoutError", "AbortError"):
        return OutboundTimeout(f"no answer in {timeout} s")
    message = getattr(exc, "message", "") or str(exc)
    cause = getattr(getattr(getattr(exc, "js_error", None), "cause", None), "message", None)
    return OutboundError(f"{name or 'Error'}: {message}" + (f" ({cause})" if cause else ""))
