"""What a route handler receives: the request, settings, D1 and the request's clock."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from .auth import SERVICE_PRINCIPAL, Principal
from .config import Config
from .db import Database
from .errors import PayloadTooLarge, UnsupportedMediaType, ValidationError
from .http import HttpRequest
from .strict_json import parse_json
from .validation import expect_object, reject_unknown

if TYPE_CHECKING:
    from .capability import Registry

JSON_TYPES = ("application/json",)


class RequestContext:
    """What a handler gets: the request, the settings, D1, the request id, one instant, who
    is asking, and what the service is made of (the registry of every capability)."""

    __slots__ = ("config", "db", "now", "principal", "registry", "request", "request_id")

    def __init__(
        self,
        request: HttpRequest,
        config: Config,
        db: Database,
        request_id: str,
        now: int,
        principal: Principal = SERVICE_PRINCIPAL,
        registry: Registry | None = None,
    ) -> None:
        self.request = request
        self.config = config
        self.db = db
        self.request_id = request_id
        self.now = now  # epoch ms, taken once per request so one request sees one instant
        self.principal = principal
        self.registry = registry

    @property
    def cursor_key(self) -> str:
        """The key that signs list cursors: `CURSOR_SECRET`, else one derived from the service
        token (so a deployment without it still signs; set it, and rotating `API_TOKEN`
        leaves every cursor valid)."""
        return cursor_key(self.config)

    async def body(self, limit: int | None = None) -> bytes:
        """The raw body, refusing (413) anything over `limit` before reading it when the
        client declared its length, and after reading otherwise."""
        limit = self.config.max_body_bytes if limit is None else min(limit, self.config.max_body_bytes)
        declared = self.request.header("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"The request body is {int(declared)} bytes; the limit is {limit} bytes.")
        data = await self.request.read_body()
        if len(data) > limit:
            raise PayloadTooLarge(f"The request body is {len(data)} bytes; the limit is {limit} bytes.")
        return data

    async def json(self, limit: int | None = None, *, required: bool = True) -> Any:
        """The body parsed as strict JSON (415 unless it is declared `application/json`)."""
        return self._parse_json(await self.body(limit), required=required)

    def _parse_json(self, data: bytes, *, required: bool) -> Any:
        if not data.strip():
            if required:
                raise ValidationError("A JSON request body is required.")
            return None
        media_type = (self.request.header("content-type") or "").split(";")[0].strip().lower()
        if media_type not in JSON_TYPES:
            raise UnsupportedMediaType(
                f"The request body must be sent as application/json, not {media_type or 'no content type'}."
            )
        return parse_json(data)

    async def json_object(
        self, allowed: tuple[str, ...] | None = None, limit: int | None = None, *, required: bool = True
    ) -> dict[str, Any]:
        """The body as a JSON object; with `allowed`, any other field is a 400. An absent
        body is `{}` when not required; a body of `null` is never an object (400)."""
        data = await self.body(limit)
        if not data.strip() and not required:
            return {}
        body = expect_object(self._parse_json(data, required=True))
        if allowed is not None:
            reject_unknown(body, allowed)
        return body


def cursor_key(config: Config) -> str:
    """The cursor signing key of these settings (see `RequestContext.cursor_key`)."""
    if config.cursor_secret:
        return str(config.cursor_secret)
    return hashlib.sha256(b"edgejobs cursor key\x00" + config.api_token.encode()).hexdigest()
