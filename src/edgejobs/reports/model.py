"""Report snapshots: one JSON document per (report_type, scheduled_date), with revisions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from ..core import codec
from ..core.dates import check_date
from ..core.errors import PayloadTooLarge, ValidationError
from ..core.render import JSON, TIME, Column
from ..core.validation import get_str, path_param
from .fields import MAX_TRIGGER_CHARS, check_job_type, parse_metadata

MAX_CONTENT_BYTES = 1024 * 1024  # canonical JSON of `content`
BODY_LIMIT = 2 * MAX_CONTENT_BYTES  # a client's spelling of it may be longer
LATEST = "latest"
PUT_FIELDS = ("content", "metadata", "trigger_source")

# A report's metadata as clients see it (lists; and with `content` when read one at a time).
REPORT_FIELDS = (
    *map(Column, ("id", "report_type", "scheduled_date")),
    Column("metadata", JSON),
    *map(Column, ("trigger_source", "revision", "size_bytes", "stored_bytes")),
    Column("created_at", TIME),
    Column("updated_at", TIME),
)


def etag(row: Mapping[str, Any]) -> str:
    """One strong validator per stored version: ids are never reused (AUTOINCREMENT) and every
    write raises the revision."""
    return f'"r{row["id"]}-{row["revision"]}"'


ETAG_EXPRESSION = "'\"r' || id || '-' || revision || '\"'"  # `etag` in SQL, for If-Match


def parse_type(raw: str) -> str:
    return check_job_type(path_param(raw, "report_type"), "report_type")


def parse_date(raw: str, *, latest_allowed: bool = False) -> str:
    value = path_param(raw, "scheduled_date")
    if value == LATEST:
        if latest_allowed:
            return value
        raise ValidationError(
            "'latest' names the newest report for reading only; write or delete a report by its date "
            "(YYYY-MM-DD).",
            field="scheduled_date",
        )
    return check_date(value, "scheduled_date")


class NewReport(NamedTuple):
    content: codec.EncodedPayload
    metadata: str | None
    trigger_source: str | None


async def parse_put(body: Mapping[str, Any]) -> NewReport:
    if body.get("content") is None:
        raise ValidationError("Field 'content' is required: any JSON value but null.", field="content")
    content = await codec.encode_payload(body["content"], what="The report's content")
    if content.size_bytes > MAX_CONTENT_BYTES:
        raise PayloadTooLarge(
            f"The report's content is {content.size_bytes:,} bytes as JSON; at most {MAX_CONTENT_BYTES:,}."
        )
    return NewReport(
        content=content,
        metadata=parse_metadata(body),
        trigger_source=get_str(body, "trigger_source", max_length=MAX_TRIGGER_CHARS, default=None),
    )
