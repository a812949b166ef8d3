"""The request pipeline: request id, CORS, auth, routing, errors, D1 stats, logging.

Exceptions become responses in exactly one place (`error_response`); nothing after
that can leak a traceback to a client.
"""

from __future__ import annotations

import re
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from . import clock
from .auth import SERVICE_PRINCIPAL, authenticate, jwks_fetcher
from .capability import Registry
from .config import Config
from .context import RequestContext
from .db import D1Stats, Database
from .errors import ApiError, Forbidden, InternalError, NotFound, ValidationError
from .http import HttpRequest, HttpResponse, empty_response, json_response
from .jwks import FetchJson
from .jwt import AsymmetricVerify
from .logs import emit
from .outbound import Transport
from .routing import Router
from .services import Services, use
from .validation import check_query, clip

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
CORS_ALLOW_HEADERS = "authorization, content-type, if-match, if-none-match, idempotency-key, x-request-id"
CORS_EXPOSE_HEADERS = "etag, retry-after, x-request-id, x-d1-stats, allow, location"
BASE_HEADERS = {"x-content-type-options": "nosniff", "cache-control": "no-store"}


class Env:
    """The Worker's env as the app sees it: the D1 binding, and the settings (read when a
    request starts, within its error handling: a bad var is a logged 500, not a crash); and,
    from the platform, how to check RS256/ES256 signatures and how to reach other services
    (`transport`, for the outbound seam: a JWKS here), and the invocation's other services
    (core/services.py: the transport again, HMAC, `waitUntil`)."""

    __slots__ = ("config", "db_binding", "fetch_json", "services", "transport", "verify_signature")

    def __init__(
        self,
        db_binding: Any,
        config: Callable[[], Config],
        *,
        verify_signature: AsymmetricVerify | None = None,
        fetch_json: FetchJson | None = None,
        transport: Transport | None = None,
        services: Services | None = None,
    ) -> None:
        self.db_binding = db_binding
        self.config = config
        self.verify_signature = verify_signature
        self.services = services or Services(transport=transport)
        self.transport = transport  # the cron's outbound requests (provider syncs) go through it
        # One JWKS fetcher per invocation (an Env is made per request): `fetch_json` as given
        # (tests), else one through the outbound seam over `transport`.
        self.fetch_json = fetch_json or (jwks_fetcher(transport) if transport is not None else None)


def error_response(error: ApiError) -> HttpResponse:
    return json_response(error.to_body(), error.status, error.headers)


async def refuse_body(request: HttpRequest) -> None:
    """A route whose operation declares no request body takes none: a body sent anyway (a
    filter meant for the query string, a DELETE with conditions) is a 400, never ignored."""
    declared = (request.header("content-length") or "").strip().lstrip("0")
    if declared or (request.method not in ("GET", "HEAD") and await request.read_body()):
        raise ValidationError(f"{request.method} {clip(request.path)} takes no request body.")


class App:
    """The service: every capability's routes behind one pipeline."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.router = Router(registry.routes)

    async def handle(self, request: HttpRequest, env: Env) -> HttpResponse:
        started = time.perf_counter()
        supplied_id = request.header("x-request-id")
        request_id = supplied_id if supplied_id and _REQUEST_ID.fullmatch(supplied_id) else uuid.uuid4().hex
        stats = D1Stats()
        origin = request.header("origin")
        config: Config | None = None
        try:
            config = env.config()
            with use(env.services):
                response = await self._dispatch(request, env, config, stats, request_id, origin)
        except ApiError as error:
            response = error_response(error)
        except Exception:  # noqa: BLE001 - the one place a crash becomes a 500
            emit(
                "error",
                "unhandled exception",
                request_id=request_id,
                method=request.method,
                path=request.path,
                traceback=traceback.format_exc(),
            )
            response = error_response(InternalError())
        headers = response.headers
        for name, value in BASE_HEADERS.items():
            headers.setdefault(name, value)
        headers["x-request-id"] = request_id
        headers["x-d1-stats"] = stats.header()
        if origin and config and origin.rstrip("/") in config.cors_origins:
            headers["access-control-allow-origin"] = origin
            headers["access-control-expose-headers"] = CORS_EXPOSE_HEADERS
            headers["vary"] = "origin"
        if request.method == "HEAD":
            response.body = b""
        emit(
            "info",
            "request",
            request_id=request_id,
            method=request.method,
            path=request.path,
            status=response.status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            d1=stats.header(),
        )
        return response

    async def _dispatch(
        self,
        request: HttpRequest,
        env: Env,
        config: Config,
        stats: D1Stats,
        request_id: str,
        origin: str | None,
    ) -> HttpResponse:
        if (
            request.method == "OPTIONS"
            and origin
            and origin.rstrip("/") in config.cors_origins
            and request.header("access-control-request-method")
        ):
            return self._preflight(request.path)
        principal = SERVICE_PRINCIPAL
        now = clock.now_ms()
        if request.path.startswith("/api/") and not self.router.is_public(request.method, request.path):
            principal = await authenticate(
                request, config, now_ms=now, fetch_json=env.fetch_json, verify_signature=env.verify_signature
            )
        route, params = self.router.match(request.method, request.path)
        if not principal.is_service and not route.users:
            raise Forbidden(f"A user token may not use {request.method} {route.template}.")
        check_query(request.query_keys, route.query_names)
        if not route.takes_body:
            await refuse_body(request)
        db = Database(env.db_binding, stats)
        ctx = RequestContext(request, config, db, request_id, now, principal, self.registry)
        response = await route.handler(ctx, **params)
        if request.method not in ("GET", "HEAD", "OPTIONS") and response.status < 400 and stats.rows_written:
            await self._after_write(ctx, env)
        return response

    async def _after_write(self, ctx: RequestContext, env: Env) -> None:
        """Each capability's follow-up to a request that wrote something (webhooks send the
        deliveries its events made), handed to `waitUntil` to run after the response. A
        follow-up never changes the answer: its failure is logged."""
        for capability in self.registry.capabilities:
            if capability.after_write is None:
                continue
            try:
                background = await capability.after_write(ctx)
            except Exception as exc:  # noqa: BLE001 - the change is committed; the answer stands
                emit("error", "after-write step failed", capability=capability.name, error=str(exc))
                continue
            if background is None:
                continue
            if env.services.wait_until is None:
                background.close()  # nowhere to run it: the cron sends instead
            else:
                env.services.wait_until(background)

    def _preflight(self, path: str) -> HttpResponse:
        methods = self.router.allowed_methods(path)
        if not methods:
            raise NotFound(f"No route matches {path}.")
        return empty_response(
            204,
            {
                "access-control-allow-methods": ", ".join(methods),
                "access-control-allow-headers": CORS_ALLOW_HEADERS,
                "access-control-max-age": "600",
            },
        )
