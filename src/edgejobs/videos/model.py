"""Videos as the API sees them: the request bodies (one field spec each), whose videos a
request sees, and how a stored row is rendered."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NamedTuple

from ..core import ids
from ..core.auth import Principal
from ..core.clock import iso_ms
from ..core.errors import NotFound, ValidationError
from ..core.fields import Body, Field, Int, JsonObject, Text
from ..core.render import JSON, TIME, Column, item_sql, render
from ..core.validation import check_str, path_param
from .settings import VideoModel

MAX_PROMPT_CHARS = 32_000
MAX_INPUT_BYTES = 64 * 1024
MAX_METADATA_BYTES = 16 * 1024
MAX_NAME_CHARS = 255  # provider_job_id, quality
MAX_URL_CHARS = 4096
MAX_ERROR_CHARS = 4096
DEFAULT_SECONDS = 5
CREATE_BODY_LIMIT = 512 * 1024  # a 32,000-character prompt and 64 KiB of input, escaped
SMALL_BODY_LIMIT = 16 * 1024
USER_ID = re.compile(r"[\x21-\x7e]{1,128}")  # a user token's `sub`
VISIBLE_ID = re.compile(r"[\x21-\x7e]{1,255}")  # provider ids, generation ids
SIZE = re.compile(r"[1-9][0-9]{1,4}x[1-9][0-9]{1,4}")

VIDEO_FIELDS = (
    *map(Column, ("id", "user_id", "generation_id", "model", "status", "progress", "prompt", "seconds")),
    *map(Column, ("size", "quality")),
    Column("input", JSON),
    Column("metadata", JSON),
    *map(Column, ("remixed_from", "provider", "provider_job_id", "file_url", "thumbnail_url")),
    Column("error", JSON),
    Column("cost_cents"),
    *(Column(n, TIME) for n in ("created_at", "updated_at", "started_at", "completed_at", "expires_at")),
    Column("archived_at", TIME),
)
VIDEO_ITEM_EXPR = item_sql(VIDEO_FIELDS)


def render_video(row: Mapping[str, Any]) -> dict[str, Any]:
    return render(VIDEO_FIELDS, row)


def _parse_error(body: Mapping[str, Any]) -> str | None:
    """`error`: `{"code", "message"}` (strings), stored as compact JSON; None if absent."""
    value = body.get("error")
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"code", "message"}:
        raise ValidationError('Field \'error\' must be an object {"code", "message"}.', field="error")
    code = check_str(value["code"], "error", max_length=64)
    message = check_str(value["message"], "error", max_length=MAX_ERROR_CHARS)
    return json.dumps({"code": code, "message": message}, ensure_ascii=False, separators=(",", ":"))


def _parse_time(body: Mapping[str, Any]) -> int | None:
    value = body.get("expires_at")
    if value is None:
        return None
    return parse_iso(check_str(value, "expires_at", max_length=40), "expires_at")


ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})")


def parse_iso(text: str, name: str) -> int:
    """An ISO 8601 instant with a zone (`Z` or ±hh:mm) → epoch milliseconds (400 naming `name`)."""
    match = ISO.fullmatch(text)
    if not match:
        raise ValidationError(
            f"{name!r} must be an ISO 8601 time such as 2026-11-22T06:23:18.123Z.", field=name
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        offset = (
            UTC
            if zone == "Z"
            else timezone(
                (1 if zone[0] == "+" else -1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            )
        )
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=offset)
    except ValueError:
        raise ValidationError(f"{name!r} is not a valid time.", field=name) from None
    millis = int(moment.timestamp()) * 1000 + int((fraction or "0")[:3].ljust(3, "0"))
    if not 0 <= millis < 2**48:
        raise ValidationError(f"{name!r} is out of range.", field=name)
    return millis


PROMPT = Text("prompt", max_length=MAX_PROMPT_CHARS)
INPUT = JsonObject("input", MAX_INPUT_BYTES)
METADATA = JsonObject("metadata", MAX_METADATA_BYTES)
USER_ID_FIELD = Text("user_id", max_length=128, pattern=USER_ID, default=None,
                     description="Service token only: the owner (charged for it).")  # fmt: skip
CREATE = Body(
    Text("model", max_length=64),
    PROMPT,
    Int("seconds", minimum=1, maximum=3600, default=None, description="Default 5; at most the model's max."),
    Text("size", max_length=16, pattern=SIZE, default=None),
    Text("quality", max_length=64, default=None),
    INPUT,
    METADATA,
    USER_ID_FIELD,
    Text("provider_job_id", max_length=MAX_NAME_CHARS, pattern=VISIBLE_ID, default=None),
    limit=CREATE_BODY_LIMIT,
)
REMIX = Body(
    PROMPT,
    Int("seconds", minimum=1, maximum=3600, default=None),
    INPUT,
    limit=CREATE_BODY_LIMIT,
)
STATUSES = ("queued", "in_progress", "completed", "failed", "cancelled")
PATCH = Body(
    Text("status", choices=STATUSES, default=None),
    Int("progress", minimum=0, maximum=100, default=None),
    Text("file_url", max_length=MAX_URL_CHARS, default=None),
    Text("thumbnail_url", max_length=MAX_URL_CHARS, default=None),
    Field(
        "error",
        {"type": "object", "required": ["code", "message"], "additionalProperties": False,
         "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
        _parse_error,
        required=False,
    ),
    Text("provider_job_id", max_length=MAX_NAME_CHARS, pattern=VISIBLE_ID, default=None),
    Field("expires_at", {"type": "string", "format": "date-time"}, _parse_time, required=False),
    limit=SMALL_BODY_LIMIT,
)  # fmt: skip
NO_FIELDS = Body(limit=SMALL_BODY_LIMIT, optional=True)


def choose_model(
    config_models: Mapping[str, VideoModel], name: str, seconds: int | None
) -> tuple[VideoModel, int]:
    """The model and the seconds to make (a 400 naming the known models, or the model's max)."""
    model = config_models.get(name)
    if model is None:
        known = ", ".join(sorted(config_models))
        raise ValidationError(f"Unknown model {name[:64]!r}; known models: {known}.", field="model")
    chosen = min(DEFAULT_SECONDS, model.max_seconds) if seconds is None else seconds
    if chosen > model.max_seconds:
        raise ValidationError(
            f"Field 'seconds' must be at most {model.max_seconds} for {name}; got {chosen}.", field="seconds"
        )
    return model, chosen


class Owner(NamedTuple):
    """Whose videos a request sees (`scope`: None for every video) and who owns (and pays for)
    what it creates (`creator`: None for the service without `user_id`)."""

    scope: str | None
    creator: str | None


def owner_of(principal: Principal, query: Mapping[str, str], body_user_id: str | None = None) -> Owner:
    """A user token: its own videos (naming a user_id is a 400). The service token: every
    video, or with `?user_id=` (lists, stats) or a body `user_id` (creates) that user's."""
    user_id = query.get("user_id")
    if not principal.is_service:
        if user_id is not None or body_user_id is not None:
            raise ValidationError("Only the service token may name a user_id.", field="user_id")
        return Owner(principal.sub, principal.sub)
    if user_id is not None and not USER_ID.fullmatch(user_id):
        raise ValidationError("user_id must be 1-128 visible ASCII characters.", field="user_id")
    chosen = user_id if user_id is not None else body_user_id
    return Owner(user_id, chosen)


def parse_video_id(raw: str) -> str:
    """The path's video id. Anything that is not a UUID cannot name a video: 404, no query."""
    video_id = path_param(raw, "id").lower()
    if not ids.UUID_PATTERN.fullmatch(video_id):
        raise NotFound(f"No video {video_id[:64]!r}: video ids are UUIDs.")
    return video_id


def not_found(video_id: str) -> NotFound:
    return NotFound(f"No video {video_id}.")


def id_floor(epoch_ms: int) -> str:
    """The smallest id text a video created at `epoch_ms` can have (ids are UUIDv7 of their
    creation time: `created_at >= t` is `id >= id_floor(t)`)."""
    text = f"{epoch_ms:012x}"
    return f"{text[:8]}-{text[8:]}"


ID_CEILING = "g"  # above every id (lower-case hex and '-')


def cache_seconds(status: str) -> int:
    if status == "completed":
        return 3600
    if status in ("failed", "cancelled"):
        return 300
    return 5


def iso(epoch_ms: int) -> str:
    return str(iso_ms(epoch_ms))
