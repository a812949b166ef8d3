"""Who is asking: the principal of a request, from its bearer token.

Two kinds of token. The service token (`API_TOKEN`, compared in constant time) opens every
route. A user token is a JWT naming one user in `sub`: HS256 with `JWT_SECRET`, or RS256/ES256
against the JWKS at `JWT_JWKS_URL` (checked in `jwt.py`, keys cached per isolate in
`jwks.py`); it is read from `Authorization: Bearer` or, behind Cloudflare Access, from
`Cf-Access-Jwt-Assertion`. With no `API_TOKEN` configured the API fails closed: every `/api/`
route answers 401 with a message that says how to set it.
"""

from __future__ import annotations

import hmac
from typing import NamedTuple
from urllib.parse import urlsplit

from . import clock
from .config import Config, Setting, declare, non_negative_int
from .errors import ApiError, Unauthorized
from .http import HttpRequest
from .jwks import FetchJson, JwksCache, JwksUnavailable
from .jwt import AsymmetricVerify, TokenError, TokenVerifier
from .outbound import Outbound, OutboundError, Transport

SERVICE = "service"
USER = "user"
MIN_SECRET_BYTES = 32  # HS256 keys shorter than the hash are guessable offline from one token
JWKS_TIMEOUT_SECONDS = 5


class Principal(NamedTuple):
    """The caller: the service (`sub` None), or a user named by `sub`."""

    kind: str
    sub: str | None = None

    @property
    def is_service(self) -> bool:
        return self.kind == SERVICE


SERVICE_PRINCIPAL = Principal(SERVICE)


def user_principal(sub: str) -> Principal:
    return Principal(USER, sub)


def comma_list(text: str, env_name: str) -> tuple[str, ...]:
    """Comma-separated values, each stripped, empty ones dropped."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def jwks_url(text: str, env_name: str) -> str:
    """An https URL (http only to a loopback host, for local development and tests)."""
    parts = urlsplit(text)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValueError(f"var {env_name} must be an https:// URL, got {text[:80]!r}")
    return text


def positive_int(text: str, env_name: str) -> int:
    number = non_negative_int(text, env_name)
    if number < 1:
        raise ValueError(f"var {env_name} must be at least 1, got {number}")
    return number


AUTH_SETTINGS = (
    Setting("jwt_secret", "", None),
    Setting("jwt_jwks_url", "", jwks_url),
    Setting("jwt_issuer", (), comma_list),
    Setting("jwt_audience", (), comma_list),
    Setting("jwt_jwks_min_refetch_seconds", 60, positive_int),
)
declare(AUTH_SETTINGS)


class KeysUnavailable(ApiError):
    """The identity provider's signing keys could not be fetched; retry shortly."""

    status, code = 503, "jwks_unavailable"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"retry-after": "60"})


_verifier: tuple[tuple[object, ...], TokenVerifier] | None = None  # the isolate's, and its settings


def token_verifier(config: Config) -> TokenVerifier:
    """The user-token verifier of these settings, kept per isolate (with its JWKS cache) while
    they do not change."""
    global _verifier
    key = tuple(getattr(config, setting.name) for setting in AUTH_SETTINGS)
    if _verifier is None or _verifier[0] != key:
        secret, url = config.jwt_secret, config.jwt_jwks_url
        secret_bytes = str(secret).encode()
        if secret_bytes and len(secret_bytes) < MIN_SECRET_BYTES:
            raise ValueError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (it signs user tokens)")
        jwks = JwksCache(str(url), min_interval=float(config.jwt_jwks_min_refetch_seconds)) if url else None
        verifier = TokenVerifier(
            secret=secret_bytes or None,
            jwks=jwks,
            issuers=tuple(config.jwt_issuer),
            audiences=tuple(config.jwt_audience),
        )
        _verifier = (key, verifier)
    return _verifier[1]


def jwks_fetcher(transport: Transport) -> FetchJson:
    """How this invocation fetches a JWKS: one GET through the outbound seam (its request
    budget, a 5 s timeout), made only when the key cache needs it. Any answer but a 2xx with
    a JSON body is an OutboundError (the cache keeps the keys it has)."""
    outbound: Outbound | None = None

    async def fetch_json(url: str) -> object:
        nonlocal outbound
        if outbound is None:
            outbound = Outbound(transport)
        answer = await outbound.request(
            "GET", url, headers={"accept": "application/json"}, timeout=JWKS_TIMEOUT_SECONDS
        )
        if not answer.ok:
            raise OutboundError(f"the JWKS answered {answer.status}")
        return answer.json()

    return fetch_json


def bearer_token(request: HttpRequest) -> str | None:
    """The token of `Authorization: Bearer <token>`, or None."""
    scheme, _, token = (request.header("authorization") or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


async def authenticate(
    request: HttpRequest,
    config: Config,
    *,
    now_ms: int | None = None,
    fetch_json: FetchJson | None = None,
    verify_signature: AsymmetricVerify | None = None,
) -> Principal:
    """The principal of an `/api/` request at `now_ms` (default: now), or a 401 that says what
    is wrong (503 when a JWKS is needed and cannot be fetched). `fetch_json` fetches the JWKS
    within this invocation's outbound budget; `verify_signature` checks RS256/ES256 (Web
    Crypto in the Worker)."""
    api_token = str(config.api_token)
    if not api_token:
        raise Unauthorized(
            "The API is locked: no API_TOKEN is configured. Set it with "
            "`npx wrangler secret put API_TOKEN` (or API_TOKEN=... in .dev.vars locally)."
        )
    token = bearer_token(request)
    from_access = token is None and request.header("authorization") is None
    if from_access:  # Cloudflare Access's assertion: only ever a user token
        token = (request.header("cf-access-jwt-assertion") or "").strip() or None
    if token is None:
        raise Unauthorized("Send `Authorization: Bearer <token>`: the service token or a user token (a JWT).")
    if not from_access and hmac.compare_digest(token.encode(), api_token.encode()):
        return SERVICE_PRINCIPAL
    if token.count(".") != 2:
        raise Unauthorized("The bearer token is not valid.")
    try:
        claims = await token_verifier(config).verify(
            token,
            now=(clock.now_ms() if now_ms is None else now_ms) / 1000,
            fetch_json=fetch_json,
            verify_asymmetric=verify_signature,
        )
    except TokenError as error:
        raise Unauthorized(error.message, details={"reason": error.reason}) from None
    except JwksUnavailable:
        raise KeysUnavailable() from None
    return user_principal(claims["sub"])
