"""User tokens minted by the service: `POST /api/tokens` (service token only).

An app server that does not mint its own tokens asks for one per user and hands it to the
browser, which then never holds the service token. The token is HS256 with `JWT_SECRET`, and
carries `iss`/`aud` when `JWT_ISSUER`/`JWT_AUDIENCE` are set, so it passes the same checks as
any other user token.
"""

from __future__ import annotations

import re

from ..core.auth import MIN_SECRET_BYTES
from ..core.capability import Capability
from ..core.clock import iso_ms
from ..core.context import RequestContext
from ..core.errors import Conflict
from ..core.fields import Body, Int, Text
from ..core.http import HttpResponse, json_response
from ..core.jwt import MAX_SUBJECT_CHARS, mint_hs256
from ..core.openapi import json_content, ref
from ..core.routing import Route

MIN_TTL_SECONDS = 60
MAX_TTL_SECONDS = 30 * 86_400
DEFAULT_TTL_SECONDS = 3600

MINT = Body(
    Text(
        "sub",
        max_length=MAX_SUBJECT_CHARS,
        pattern=re.compile(rf"[\x21-\x7e]{{1,{MAX_SUBJECT_CHARS}}}"),
        description="The user the token names: 1-128 visible ASCII characters (your user id).",
    ),
    Int(
        "ttl_seconds",
        minimum=MIN_TTL_SECONDS,
        maximum=MAX_TTL_SECONDS,
        default=DEFAULT_TTL_SECONDS,
        description="Lifetime of the token in seconds.",
    ),
    limit=16 * 1024,  # like the runner actions: the smallest body limit of any route
)


async def mint_token(ctx: RequestContext) -> HttpResponse:
    """201 `{"token", "sub", "expires_at"}`: an HS256 user token for `sub`."""
    values = await MINT.read(ctx)
    secret = str(ctx.config.jwt_secret).encode()
    if len(secret) < MIN_SECRET_BYTES:
        raise Conflict(
            "No JWT_SECRET is set (or it is shorter than 32 bytes), so no user token can be minted. "
            "Set it with `npx wrangler secret put JWT_SECRET`."
        )
    issued = ctx.now // 1000
    expires = issued + values["ttl_seconds"]
    claims: dict[str, object] = {"sub": values["sub"], "iat": issued, "exp": expires}
    if ctx.config.jwt_issuer:
        claims["iss"] = ctx.config.jwt_issuer[0]
    audiences = list(ctx.config.jwt_audience)
    if audiences:
        claims["aud"] = audiences[0] if len(audiences) == 1 else audiences
    token = mint_hs256(claims, secret)
    return json_response({"token": token, "sub": values["sub"], "expires_at": iso_ms(expires * 1000)}, 201)


TOKEN_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["token", "sub", "expires_at"],
    "properties": {
        "token": {"type": "string", "description": "The JWT; send it as `Authorization: Bearer <token>`."},
        "sub": {"type": "string"},
        "expires_at": {"type": "string", "format": "date-time"},
    },
}

ROUTES = [
    Route(
        "POST",
        "/api/tokens",
        mint_token,
        {
            "summary": "Mint an HS256 user token (service token only)",
            "tags": ["identity"],
            "requestBody": MINT.openapi(),
            "responses": {"201": {"description": "The token", "content": json_content(ref("UserToken"))}},
            "x-errors": ["409"],
        },
    )
]

CAPABILITY = Capability("tokens", routes=ROUTES, schemas={"UserToken": TOKEN_SCHEMA})
