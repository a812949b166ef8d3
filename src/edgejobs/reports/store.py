"""Reading a stored report as the JSON clients get: its fields plus `content`, spliced in as the
stored canonical bytes (never parsed and encoded again)."""

from __future__ import annotations

import json
from typing import Any

from ..core import codec
from ..core.db import Database
from ..core.render import render
from .model import REPORT_FIELDS
from .sql import GET_SQL


def report_bytes(row: dict[str, Any]) -> bytes:
    """The report of a row that holds `content` (gzip), as JSON bytes."""
    fields = json.dumps(render(REPORT_FIELDS, row), ensure_ascii=False, separators=(",", ":")).encode()
    return fields[:-1] + b',"content":' + codec.decode_payload(row["content"]) + b"}"


async def report_json(db: Database, report_type: str, scheduled_date: str) -> bytes | None:
    row = await db.first(GET_SQL, report_type, scheduled_date, blobs=("content",))
    return None if row is None else report_bytes(row)
