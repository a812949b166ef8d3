"""The videos' and quotas' routes and their OpenAPI operations."""

from __future__ import annotations

from typing import Any

from ..core.events import EVENT_SCHEMA
from ..core.openapi import PAGE_PARAMETERS, json_content, page_answer, parameter, ref
from ..core.routing import Handler, Route
from ..exports.model import IDEMPOTENCY_KEY
from .changes import (
    archive_video,
    cancel_video,
    delete_video,
    download_video,
    list_video_events,
    patch_video,
    remix_video,
)
from .handlers import create_video, get_video, list_videos, video_stats
from .machine import STATUSES
from .model import CREATE, NO_FIELDS, PATCH, REMIX, VIDEO_FIELDS
from .quotas import LIMITS, my_quota, set_user_quota, user_quota

_TAGS = ["videos"]
_TIME = {"type": ["string", "null"], "format": "date-time"}
_TEXT = {"type": ["string", "null"]}
_ERROR = {
    "type": ["object", "null"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}
VIDEO_SCHEMA = {
    "type": "object",
    "required": [field.name for field in VIDEO_FIELDS],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "UUIDv7: sorts in creation order."},
        "user_id": {**_TEXT, "description": "The owner (null: made by the service without one)."},
        "generation_id": _TEXT,
        "model": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "prompt": {"type": "string"},
        "seconds": {"type": "integer", "minimum": 1},
        "size": _TEXT,
        "quality": _TEXT,
        "input": {"type": "object"},
        "metadata": {"type": "object"},
        "remixed_from": _TEXT,
        "provider": {
            **_TEXT,
            "description": "The service doing the work (null: none; status moves by PATCH).",
        },
        "provider_job_id": {**_TEXT, "description": "The provider's id for it: the file id."},
        "file_url": _TEXT,
        "thumbnail_url": _TEXT,
        "error": _ERROR,
        "cost_cents": {"type": "integer", "minimum": 0},
        **{name: _TIME for name in ("started_at", "completed_at", "expires_at", "archived_at")},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
STATS_SCHEMA = {
    "type": "object",
    "required": ["total", "by_status", "archived", "cost_cents_this_month"],
    "properties": {
        "total": {"type": "integer", "description": "Videos not deleted, archived ones included."},
        "by_status": {
            "type": "object",
            "required": list(STATUSES),
            "properties": {status: {"type": "integer"} for status in STATUSES},
        },
        "archived": {"type": "integer"},
        "cost_cents_this_month": {"type": "integer", "description": "Net of refunds."},
    },
}
QUOTA_SCHEMA = {
    "type": "object",
    "required": [
        "user_id", "period", "videos_used", "videos_limit", "remaining",
        "cents_used", "cents_limit", "resets_at",
    ],
    "properties": {
        "user_id": {"type": "string"},
        "period": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "description": "The UTC month."},
        "videos_used": {"type": "integer"},
        "videos_limit": {"type": "integer"},
        "remaining": {"type": "integer"},
        "cents_used": {"type": "integer"},
        "cents_limit": {"type": "integer", "description": "0: no spend limit."},
        "resets_at": {"type": "string", "format": "date-time"},
    },
}  # fmt: skip


def _op(
    summary: str, responses: dict[str, Any], *, users: bool = True, errors: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    """An operation; `users`: a user token may call it; `errors`: statuses it answers besides the
    common ones."""
    operation = {"summary": summary, "tags": _TAGS, "responses": responses, "x-user-tokens": users, **extra}
    if errors:
        operation["x-errors"] = list(errors)
    return operation


def _on_video(
    method: str, template: str, handler: Handler, summary: str, responses: dict[str, Any], **extra: Any
) -> Route:
    """A route on one video: its id first among the parameters."""
    parameters = [_ID, *extra.pop("parameters", ())]
    return Route(method, template, handler, _op(summary, responses, parameters=parameters, **extra))


def _video(description: str) -> dict[str, Any]:
    headers = {
        "etag": {"schema": {"type": "string"}},
        "cache-control": {"schema": {"type": "string"}},
    }
    return {"description": description, "content": json_content(ref("Video")), "headers": headers}


_ID = parameter("id", "path", {"type": "string", "format": "uuid"}, "The video's id.", required=True)
_USER = parameter("user_id", "query", {"type": "string", "minLength": 1, "maxLength": 128},
                  "Service token only: that user's.", required=False)  # fmt: skip
_QUOTA_USER = parameter(
    "user_id", "path", {"type": "string", "minLength": 1, "maxLength": 128}, required=True
)
_KEY = parameter("Idempotency-Key", "header", {"type": "string", "pattern": f"^{IDEMPOTENCY_KEY.pattern}$"},
                 "Repeat a create safely: the same key and body answer with the same video (200).",
                 required=False)  # fmt: skip
_DATE_TIME = {"type": "string", "format": "date-time"}
_LIST = [
    _USER,
    parameter("status", "query", {"type": "string"}, "Comma-separated statuses.", required=False),
    parameter("model", "query", {"type": "string", "minLength": 1, "maxLength": 255}, required=False),
    parameter("generation_id", "query", {"type": "string", "minLength": 1, "maxLength": 255}, required=False),
    parameter("created_after", "query", _DATE_TIME, "Inclusive.", required=False),
    parameter("created_before", "query", _DATE_TIME, "Exclusive.", required=False),
    parameter("archived", "query", {"type": "string", "enum": ["true", "false"]},
              "false (default): archived videos left out; true: only them.", required=False),
    *PAGE_PARAMETERS,
]  # fmt: skip
_QUOTA = {"description": "The user's month", "content": json_content(ref("Quota"))}

ROUTES = [
    Route(
        "POST",
        "/api/videos",
        create_video,
        _op(
            "Create a video (queued), charging the owner's monthly quota; submitted to its provider",
            {
                "201": _video("Created"),
                "200": _video("The video an earlier create with this Idempotency-Key made"),
            },
            parameters=[_KEY],
            requestBody=CREATE.openapi(),
            errors=("409", "429", "502"),
        ),
    ),
    Route(
        "GET",
        "/api/videos",
        list_videos,
        _op(
            "Videos, newest first",
            page_answer("A page of videos", "Video"),
            parameters=_LIST,
        ),
    ),
    Route(
        "GET",
        "/api/videos/stats",
        video_stats,
        _op(
            "Counts by status, archived, this month's cost",
            {"200": {"description": "The stats", "content": json_content(ref("VideoStats"))}},
            parameters=[_USER],
        ),
    ),
    _on_video(
        "GET",
        "/api/videos/{id}",
        get_video,
        "A video (ETag; If-None-Match → 304)",
        {"200": _video("The video"), "304": {"description": "Not modified"}},
        parameters=[parameter("If-None-Match", "header", {"type": "string"}, required=False)],
    ),
    _on_video(
        "PATCH",
        "/api/videos/{id}",
        patch_video,
        "Report progress, the provider's id, the file or a new status (service)",
        {"200": _video("Changed. A lower progress than recorded is ignored.")},
        users=False,
        requestBody=PATCH.openapi(),
        errors=("409",),
    ),
    _on_video(
        "DELETE",
        "/api/videos/{id}",
        delete_video,
        "Delete a video (soft: gone from every route)",
        {"204": {"description": "Deleted"}},
    ),
    _on_video(
        "POST",
        "/api/videos/{id}/cancel",
        cancel_video,
        "Cancel a queued or in-progress video (its unit and cost are given back)",
        {"200": _video("Cancelled")},
        requestBody=NO_FIELDS.openapi(),
        errors=("409",),
    ),
    _on_video(
        "POST",
        "/api/videos/{id}/remix",
        remix_video,
        "A new video from a completed one (same model and owner; charged)",
        {"201": _video("Created")},
        requestBody=REMIX.openapi(),
        errors=("409", "429", "502"),
    ),
    _on_video(
        "POST",
        "/api/videos/{id}/archive",
        archive_video,
        "Archive a video (left out of default lists)",
        {"200": _video("Archived")},
        requestBody=NO_FIELDS.openapi(),
    ),
    _on_video(
        "GET",
        "/api/videos/{id}/download",
        download_video,
        "Redirect to the file of a completed video (records a downloaded event)",
        {"302": {"description": "To the file", "headers": {"location": {"schema": {"type": "string"}}}}},
        errors=("409", "410"),
    ),
    Route(
        "GET",
        "/api/videos/{id}/events",
        list_video_events,
        _op(
            "A video's history, oldest first",
            page_answer("A page of events", "VideoEvent"),
            parameters=[_ID, *PAGE_PARAMETERS],
        ),
    ),
    Route(
        "GET",
        "/api/quotas/me",
        my_quota,
        {**_op("The caller's month (user token)", {"200": _QUOTA}), "tags": ["quotas"]},
    ),
    Route(
        "GET",
        "/api/quotas/{user_id}",
        user_quota,
        {**_op("A user's month", {"200": _QUOTA}, users=False, parameters=[_QUOTA_USER]), "tags": ["quotas"]},
    ),
    Route(
        "PUT",
        "/api/quotas/{user_id}",
        set_user_quota,
        {
            **_op(
                "Set a user's limits",
                {"200": _QUOTA},
                users=False,
                parameters=[_QUOTA_USER],
                requestBody=LIMITS.openapi(),
            ),
            "tags": ["quotas"],
        },
    ),
]
SCHEMAS = {
    "Video": VIDEO_SCHEMA,
    "VideoEvent": EVENT_SCHEMA,
    "VideoStats": STATS_SCHEMA,
    "Quota": QUOTA_SCHEMA,
}
