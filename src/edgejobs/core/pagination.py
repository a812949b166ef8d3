"""Keyset pagination with opaque, tamper-evident cursors.

A cursor holds the sort key of the last item on a page (e.g. `[updated_at, job_id]`)
and the list it belongs to, signed with HMAC so a forged or edited cursor is a 400
rather than a query over arbitrary values. Keyset pages stay stable under inserts:
a new row sorts before the cursor and never shifts the pages after it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from .errors import ValidationError
from .http import JSON_CONTENT_TYPE, HttpResponse
from .validation import query_int

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_SIG_BYTES = 12
_CURSOR_CHARS = re.compile(r"[A-Za-z0-9_-]+")  # unpadded base64url, as encode_cursor writes it


def _sign(key: str, payload: bytes) -> bytes:
    return hmac.new(("cursor:" + key).encode(), payload, hashlib.sha256).digest()[:_SIG_BYTES]


def encode_cursor(scope: str, position: Sequence[Any], key: str) -> str:
    payload = json.dumps([scope, list(position)], separators=(",", ":")).encode()
    token = payload + _sign(key, payload)
    return base64.urlsafe_b64encode(token).rstrip(b"=").decode()


def decode_cursor(cursor: str, scope: str, key: str, types: Sequence[type]) -> list[Any]:
    """The position inside `cursor`, or a 400 if it is malformed, forged or from another list."""
    invalid = ValidationError("The cursor is invalid; start again without one.", field="cursor")
    if len(cursor) > 1024 or not _CURSOR_CHARS.fullmatch(cursor):
        raise invalid  # (b64decode would skip stray characters and decode what is left)
    try:
        token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError):
        raise invalid from None
    payload, signature = token[:-_SIG_BYTES], token[-_SIG_BYTES:]
    if len(token) <= _SIG_BYTES or not hmac.compare_digest(signature, _sign(key, payload)):
        raise invalid
    try:
        found_scope, position = json.loads(payload)
    except (ValueError, TypeError):
        raise invalid from None
    if (
        found_scope != scope
        or not isinstance(position, list)
        or len(position) != len(types)
        or not all(type(v) is t for v, t in zip(position, types, strict=True))
    ):
        raise invalid
    return position


class PageRequest(NamedTuple):
    limit: int
    after: list[Any] | None  # sort key of the last item already seen


def page_request(query: Mapping[str, str], scope: str, key: str, types: Sequence[type]) -> PageRequest:
    limit = query_int(query, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    cursor = query.get("cursor")
    after = decode_cursor(cursor, scope, key, types) if cursor else None
    return PageRequest(limit, after)


def page_rows(
    rows: list[dict[str, Any]],
    page: PageRequest,
    scope: str,
    key: str,
    sort_key: Callable[[dict[str, Any]], Sequence[Any]],
) -> tuple[list[dict[str, Any]], str | None]:
    """The page's rows, from up to `limit + 1` fetched in sort order, and the cursor to the next
    page (None on the last)."""
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return rows, encode_cursor(scope, sort_key(rows[-1]), key) if more and rows else None


def page_response(
    rows: list[dict[str, Any]], next_cursor: str | None, render: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """`{"items", "next_cursor"}` for a page's rows (`page_rows`), each rendered by `render`."""
    return {"items": [render(r) for r in rows], "next_cursor": next_cursor}


def rendered_page_response(rows: list[dict[str, Any]], next_cursor: str | None) -> HttpResponse:
    """`page_response` as a response, for a page's rows (`page_rows`) whose `item` column is the
    item as SQLite rendered it (`render.item_sql`): joined, never decoded and encoded again."""
    items = ",".join(row["item"] for row in rows)
    body = f'{{"items":[{items}],"next_cursor":{json.dumps(next_cursor)}}}'
    return HttpResponse(200, body.encode(), {"content-type": JSON_CONTENT_TYPE})
