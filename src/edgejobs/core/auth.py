"""Who is asking: the principal of a request, from its bearer token.

The service token (`API_TOKEN`, compared in constant time) opens every route. With no
`API_TOKEN` configured the API fails closed: every `/api/` route answers 401 with a
message that says how to set it.
"""

from __future__ import annotations

import hmac
from typing import NamedTuple

from .config import Config
from .errors import Unauthorized
from .http import HttpRequest

SERVICE = "service"


class Principal(NamedTuple):
    """The caller: the service (`sub` None), or a user named by `sub`."""

    kind: str
    sub: str | None = None

    @property
    def is_service(self) -> bool:
        return self.kind == SERVICE


SERVICE_PRINCIPAL = Principal(SERVICE)


def bearer_token(request: HttpRequest) -> str | None:
    """The token of `Authorization: Bearer <token>`, or None."""
    scheme, _, token = (request.header("authorization") or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


async def authenticate(request: HttpRequest, config: Config) -> Principal:
    """The principal of an `/api/` request, or a 401 that says what is wrong."""
    if not config.api_token:
        raise Unauthorized(
            "The API is locked: no API_TOKEN is configured. Set it with "
            "`npx wrangler secret put API_TOKEN` (or API_TOKEN=... in .dev.vars locally)."
        )
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Send `Authorization: Bearer <API_TOKEN>`.")
    if not hmac.compare_digest(token.encode(), config.api_token.encode()):
        raise Unauthorized("The bearer token is not valid.")
    return SERVICE_PRINCIPAL
