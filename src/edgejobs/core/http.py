"""Plain-Python request and response types the app works with.

`src/entry.py` converts the runtime's objects into these and back, so everything
behind it runs (and is unit-tested) under CPython.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BodyReader = Callable[[], Awaitable[bytes]]
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


async def _no_body() -> bytes:
    return b""


class HttpRequest:
    """An incoming request. Header names are lower-case; the body is read on demand, once
    (the runtime's body stream can be consumed only once; later reads get the same bytes)."""

    __slots__ = ("_body", "body_reader", "headers", "method", "path", "query", "query_keys", "url")

    def __init__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body_reader: BodyReader = _no_body,
    ) -> None:
        self.method = method
        self.url = url
        self.headers: Mapping[str, str] = {} if headers is None else headers
        self.body_reader = body_reader
        self._body: bytes | None = None
        parts = urlsplit(url)
        self.path = parts.path or "/"
        self.query: dict[str, str] = {}
        self.query_keys: list[str] = []
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            self.query_keys.append(key)
            self.query.setdefault(key, value)

    async def read_body(self) -> bytes:
        if self._body is None:
            self._body = await self.body_reader()
        return self._body

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class HttpResponse:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers: dict[str, str] = {} if headers is None else headers


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> HttpResponse:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    merged = {"content-type": JSON_CONTENT_TYPE}
    if headers:
        merged.update(headers)
    return HttpResponse(status, body, merged)


def empty_response(status: int = 204, headers: Mapping[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, b"", dict(headers or {}))


def parse_entity_tags(value: str) -> list[str] | None:
    """An `If-Match`/`If-None-Match` value: None for `*`, else its entity tags as sent
    (`"abc"`, `W/"abc"`). A bare tag without quotes is taken as if quoted."""
    if value.strip() == "*":
        return None
    tags = []
    for part in value.split(","):
        tag = part.strip()
        if tag:
            tags.append(tag if tag.startswith(('"', 'W/"')) else f'"{tag}"')
    return tags
