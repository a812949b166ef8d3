"""`POST /api/generations/import`: a browser's localStorage history moved to the server.

Each item is a `GenerationData` object exactly as the browser stored it under
`veo3_generation_<id>`: `generationId`, `sessionId`?, `prompt`, `videoCount`, `createdAt`,
`fileIds`, `status`, `progress`, `videos[{fileId, url?, thumbnailUrl?, status}]`. A valid item
becomes a generation of the caller (keeping `createdAt`; no quota charged: it was paid for)
with one video per file id (`provider_job_id` = the file id; status, url and thumbnail from its
`videos` entry when there is one, else queued), or, before any file id is known, `videoCount`
queued videos. Items whose generation exists are skipped; an invalid item is reported by index
and never blocks the others. Everything the request imports is one batch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..core import ids
from ..core.context import RequestContext
from ..core.db import named
from ..core.errors import ValidationError
from ..core.events import event_after_change
from ..core.fields import Body, Field
from ..core.http import HttpResponse, json_response
from ..videos.machine import IMPORTED_VIDEOS, VIDEOS
from ..videos.model import MAX_PROMPT_CHARS, MAX_URL_CHARS, owner_of, parse_iso
from ..videos.sql import ALL, NO_OWNER
from ..videos.usage import period_of
from .model import GENERATION_ID, MAX_VIDEOS
from .sql import IMPORT_COUNTS_SQL, IMPORT_GENERATIONS_SQL, IMPORT_VIDEOS_SQL

MAX_ITEMS = 100
IMPORTED_EVENT_DATA = "json_object('imported', json('true'))"  # the `created` event of an imported video
IMPORT_MODEL = "veo-3"  # the browser history's videos are VEO 3 videos
IMPORT_SECONDS = 8
STATUS = {"pending": "queued", "processing": "in_progress", "completed": "completed", "error": "failed"}
ITEM_KEYS = {"generationId", "sessionId", "prompt", "videoCount", "createdAt", "fileIds", "status",
             "progress", "videos"}  # fmt: skip
VIDEO_KEYS = {"fileId", "url", "thumbnailUrl", "status"}


def _items(body: Mapping[str, Any]) -> list[Any]:
    items = body.get("items")
    if (
        not isinstance(items, list)
        or not 1 <= len(items) <= MAX_ITEMS
        or not all(isinstance(item, dict) for item in items)
    ):  # the envelope is checked whole; what each object holds is reported by index
        raise ValidationError(f"Field 'items' must be a list of 1 to {MAX_ITEMS} objects.", field="items")
    return items


IMPORT = Body(
    Field("items", {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS, "items": {"type": "object"}},
          _items, required=True),
    limit=4 * 1024 * 1024,
)  # fmt: skip


class Bad(Exception):
    """One item is invalid (its message goes to `errors`)."""


def _text(value: Any, what: str, limit: int, pattern: Any = None) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit or "\x00" in value:
        raise Bad(f"{what} must be a non-empty string of at most {limit} characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise Bad(f"{what} must be 1-255 visible ASCII characters")
    return value


def _url(value: Any, what: str) -> str | None:
    return None if value is None else _text(value, what, MAX_URL_CHARS)


class Parsed(NamedTuple):
    generation: dict[str, Any]
    videos: list[dict[str, Any]]


def parse_item(item: Any, now: int) -> Parsed:
    """One `GenerationData` → the generation row and its video rows (Bad if invalid)."""
    if not isinstance(item, dict):
        raise Bad("must be a GenerationData object")
    unknown = sorted(set(item) - ITEM_KEYS)
    if unknown:
        raise Bad(f"unknown field {unknown[0][:40]!r}")
    generation_id = _text(item.get("generationId"), "generationId", 255, GENERATION_ID)
    prompt = _text(item.get("prompt"), "prompt", MAX_PROMPT_CHARS)
    count = item.get("videoCount")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_VIDEOS:
        raise Bad(f"videoCount must be an integer from 1 to {MAX_VIDEOS}")
    try:
        created_at = parse_iso(_text(item.get("createdAt"), "createdAt", 40), "createdAt")
    except ValidationError as error:
        raise Bad(error.message) from None
    if created_at > now:
        raise Bad("createdAt is in the future")
    if item.get("status") not in STATUS:
        raise Bad(f"status must be one of {', '.join(STATUS)}")
    progress = item.get("progress")
    if isinstance(progress, bool) or not isinstance(progress, int | float) or not 0 <= progress <= 100:
        raise Bad("progress must be a number from 0 to 100")
    file_ids = item.get("fileIds")
    if not isinstance(file_ids, list) or len(file_ids) > MAX_VIDEOS:
        raise Bad(f"fileIds must be a list of at most {MAX_VIDEOS} file ids")
    file_ids = [_text(f, "each of fileIds", 255, GENERATION_ID) for f in file_ids]
    if len(set(file_ids)) != len(file_ids):
        raise Bad("fileIds repeats a file id")
    entries = _video_entries(item.get("videos"))
    slots: list[str | None] = list(file_ids) or [None] * count  # before any file id: videoCount
    videos = []
    counts = dict.fromkeys(("queued", "in_progress", "completed", "failed", "cancelled"), 0)
    for file_id in slots:
        entry = entries.get(file_id, {}) if file_id is not None else {}
        status = STATUS[entry.get("status", "pending")]
        counts[status] += 1
        videos.append({
            "id": ids.uuid7(created_at),
            "generation_id": generation_id,
            "prompt": prompt,
            "status": status,
            "progress": 100 if status == "completed" else 0,
            "file_id": file_id,
            "url": entry.get("url"),
            "thumbnail_url": entry.get("thumbnailUrl"),
            "period": period_of(created_at),
            "created_at": created_at,
            "started_at": None if status == "queued" else created_at,
            "completed_at": created_at if status in ("completed", "failed") else None,
        })  # fmt: skip
    generation = {
        "generation_id": generation_id,
        "prompt": prompt,
        "video_count": len(slots),
        "created_at": created_at,
        **counts,
    }
    return Parsed(generation, videos)


def _video_entries(value: Any) -> dict[str, dict[str, Any]]:
    """`videos[]` by file id."""
    if not isinstance(value, list) or len(value) > MAX_VIDEOS:
        raise Bad(f"videos must be a list of at most {MAX_VIDEOS} objects")
    entries: dict[str, dict[str, Any]] = {}
    for entry in value:
        if not isinstance(entry, dict) or set(entry) - VIDEO_KEYS:
            raise Bad("each of videos must be an object of fileId, url, thumbnailUrl and status")
        file_id = _text(entry.get("fileId"), "videos[].fileId", 255, GENERATION_ID)
        if entry.get("status") not in STATUS:
            raise Bad(f"videos[].status must be one of {', '.join(STATUS)}")
        _url(entry.get("url"), "videos[].url")
        _url(entry.get("thumbnailUrl"), "videos[].thumbnailUrl")
        entries[file_id] = entry
    return entries


async def import_generations(ctx: RequestContext) -> HttpResponse:
    items = (await IMPORT.read(ctx))["items"]
    owner = owner_of(ctx.principal, ctx.request.query).creator
    errors: list[dict[str, Any]] = []
    parsed: dict[str, Parsed] = {}
    skipped: list[str] = []
    for index, item in enumerate(items):
        try:
            one = parse_item(item, ctx.now)
        except Bad as problem:
            errors.append({"index": index, "message": f"Item {index}: {problem}."})
            continue
        generation_id = one.generation["generation_id"]
        if generation_id in parsed:
            skipped.append(generation_id)  # the same generation twice in one request
            continue
        parsed[generation_id] = one
    imported: set[str] = set()
    if parsed:
        imported = await _insert(ctx, owner, list(parsed.values()))
    skipped += [generation_id for generation_id in parsed if generation_id not in imported]
    return json_response({"imported": len(imported), "skipped": skipped, "errors": errors})


async def _insert(ctx: RequestContext, owner: str | None, items: list[Parsed]) -> set[str]:
    """One batch; the ids of the generations it created (the others existed)."""
    values = {
        "user_id": owner,
        "model": IMPORT_MODEL,
        "seconds": IMPORT_SECONDS,
        "now": ctx.now,
        "period": period_of(ctx.now),
        "import_id": ids.token(),
        "transition_id": ids.token(),
        "generations": json.dumps([item.generation for item in items]),
        "videos": json.dumps([video for item in items for video in item.videos]),
        "generation_ids": json.dumps([item.generation["generation_id"] for item in items]),
        "owners": json.dumps([NO_OWNER if owner is None else owner, ALL]),
        "job_kind": VIDEOS.kind,
        "event": "created",
    }
    results = await ctx.db.batch([
        named(IMPORT_GENERATIONS_SQL, values),
        named(IMPORT_VIDEOS_SQL, values),
        event_after_change(VIDEOS.table, IMPORTED_VIDEOS.event_where, values, IMPORTED_EVENT_DATA),
        named(IMPORT_COUNTS_SQL, values),
    ])  # fmt: skip
    return {row["generation_id"] for row in results[0].rows}
