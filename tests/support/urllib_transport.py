"""An outbound transport for CPython tests: `core.outbound`'s contract over `urllib`, run in a
thread. It lets unit tests drive `Outbound` over real sockets (the loopback fake server)
without the Worker's JS fetch. Not for the Worker: it is test support only."""

from __future__ import annotations

import asyncio
import http.client
import urllib.error
import urllib.request
from collections.abc import Mapping

from edgejobs.core.outbound import OutboundError, OutboundTimeout


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is handed back as the answer, as the Worker's transport does."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


async def urllib_transport(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
) -> tuple[int, dict[str, str], bytes]:
    return await asyncio.to_thread(_request, method, url, dict(headers), body, timeout)


def _request(
    method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as answer:  # a 3xx/4xx/5xx is an answer, not a failure
        with answer:
            return answer.code, dict(answer.headers.items()), answer.read()
    except TimeoutError:
        raise OutboundTimeout(f"no answer in {timeout} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise OutboundTimeout(f"no answer in {timeout} s") from None
        raise OutboundError(str(exc.reason)) from None
    except (http.client.HTTPException, OSError) as exc:
        raise OutboundError(f"{type(exc).__name__}: {exc}") from None
