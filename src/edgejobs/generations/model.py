"""Generations as the API sees them: the create body, the id rule, and how a generation (with
or without its videos) is rendered."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from ..core.errors import NotFound, ValidationError
from ..core.fields import Body, Int, Text
from ..core.render import TIME, Column, item_sql, render
from ..core.validation import path_param
from ..videos.model import CREATE_BODY_LIMIT, INPUT, METADATA, PROMPT, USER_ID_FIELD, VISIBLE_ID

GENERATION_ID = VISIBLE_ID  # 1–255 visible ASCII: a Checkout Session id, or a UUIDv7
STATUSES = ("pending", "processing", "completed", "partial", "failed")
MAX_VIDEOS = 10

GENERATION_FIELDS = (
    *map(Column, ("generation_id", "user_id", "model", "prompt", "video_count", "status", "progress")),
    Column("created_at", TIME),
    Column("updated_at", TIME),
)
GENERATION_ITEM_EXPR = item_sql(GENERATION_FIELDS)
# A generation's video as the generation shows it, rendered by SQLite (`error` as JSON).
SUMMARY_EXPR = (
    "json_object('id', id, 'provider_job_id', provider_job_id, 'status', status, 'progress', progress, "
    "'file_url', file_url, 'thumbnail_url', thumbnail_url, 'error', json(error))"
)

CREATE = Body(
    Text("generation_id", max_length=255, pattern=GENERATION_ID, default=None,
         description="Your id for it (a Checkout Session id…); default a UUIDv7."),
    Text("model", max_length=64),
    PROMPT,
    Int("video_count", minimum=1, maximum=MAX_VIDEOS),
    Int("seconds", minimum=1, maximum=3600, default=None),
    INPUT,
    METADATA,
    USER_ID_FIELD,
    limit=CREATE_BODY_LIMIT,
)  # fmt: skip


def request_hash(owner: str | None, fields: Mapping[str, Any]) -> str:
    """What makes two creates of one generation id "the same request"."""
    canonical = json.dumps(
        ["POST /api/generations", owner, dict(fields)], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_generation_id(raw: str) -> str:
    generation_id = path_param(raw, "generation_id")
    if not GENERATION_ID.fullmatch(generation_id):
        raise NotFound(f"No generation {generation_id[:64]!r}: ids are 1-255 visible ASCII characters.")
    return generation_id


def render_generation(row: Mapping[str, Any]) -> dict[str, Any]:
    """The generation with its videos (the row's `videos` column: a JSON array)."""
    item = render(GENERATION_FIELDS, row)
    item["videos"] = json.loads(row["videos"]) if row.get("videos") else []
    return item


def parse_status(query: Mapping[str, str]) -> str | None:
    status = query.get("status")
    if status is not None and status not in STATUSES:
        raise ValidationError(
            f"Query parameter 'status' must be one of {', '.join(STATUSES)}.", field="status"
        )
    return status


def parse_ids(query: Mapping[str, str], limit: int = 50) -> list[str]:
    """`?ids=a,b,c`: 1 to `limit` file ids (repeats dropped, order kept)."""
    raw = query.get("ids")
    if raw is None:
        raise ValidationError("Query parameter 'ids' is required: comma-separated file ids.", field="ids")
    chosen: list[str] = []
    for part in raw.split(","):
        file_id = part.strip()
        if not re.fullmatch(GENERATION_ID, file_id):
            raise ValidationError("Each file id is 1-255 visible ASCII characters (no commas).", field="ids")
        if file_id not in chosen:
            chosen.append(file_id)
    if len(chosen) > limit:
        raise ValidationError(f"At most {limit} file ids at once; got {len(chosen)}.", field="ids")
    return chosen
