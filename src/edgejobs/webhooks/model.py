"""Subscriptions and deliveries as the API takes and shows them: request bodies, the secret,
rendering."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

from ..core.errors import NotFound, ValidationError
from ..core.ids import UUID_PATTERN
from ..core.render import BOOL, JSON, TIME, Column, render
from ..core.validation import check_str, get_bool, reject_unknown
from .events import parse_patterns
from .urls import check_url

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_DESCRIPTION = 500
BODY_LIMIT = 16 * 1024

CREATE_FIELDS = ("url", "events", "description")
PATCH_FIELDS = ("url", "events", "description", "disabled")

SUBSCRIPTION_FIELDS = (
    Column("id"),
    Column("url"),
    Column("events", JSON),
    Column("description"),
    Column("disabled", BOOL),
    Column("disabled_reason"),
    Column("created_at", TIME),
    Column("updated_at", TIME),
)
DELIVERY_FIELDS = (
    Column("id"),
    Column("subscription_id"),
    Column("event_id"),
    Column("event_type"),
    Column("status"),
    Column("attempts"),
    Column("last_status_code"),
    Column("last_error"),
    Column("next_attempt_at", TIME),
    Column("last_attempt_at", TIME),
    Column("created_at", TIME),
    Column("updated_at", TIME),
)


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes (drawn now, never at import)."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret: its base64 part, decoded."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def _description(body: Mapping[str, Any]) -> str | None:
    value = body.get("description")
    return None if value is None else check_str(value, "description", max_length=MAX_DESCRIPTION)


def parse_create(body: Mapping[str, Any], allow_http: bool) -> dict[str, Any]:
    reject_unknown(body, CREATE_FIELDS)
    if "url" not in body:
        raise ValidationError("Field 'url' is required.", field="url")
    if "events" not in body:
        raise ValidationError("Field 'events' is required.", field="events")
    return {
        "url": check_url(body["url"], allow_http),
        "events": json.dumps(parse_patterns(body["events"])),
        "description": _description(body),
    }


def parse_patch(body: Mapping[str, Any], allow_http: bool) -> dict[str, Any]:
    """The fields sent (each checked like on create); at least one."""
    reject_unknown(body, PATCH_FIELDS)
    changes: dict[str, Any] = {}
    if body.get("url") is not None:
        changes["url"] = check_url(body["url"], allow_http)
    if body.get("events") is not None:
        changes["events"] = json.dumps(parse_patterns(body["events"]))
    if "description" in body:
        changes["description"] = _description(body)
    if body.get("disabled") is not None:
        changes["disabled"] = int(get_bool(body, "disabled"))
    if not changes:
        raise ValidationError(f"Send at least one of: {', '.join(PATCH_FIELDS)}.")
    return changes


def parse_id(raw: str, noun: str) -> str:
    """A UUID path parameter; anything else is a 404 (no such thing can exist)."""
    if not UUID_PATTERN.fullmatch(raw):
        raise NotFound(f"No {noun} {raw[:64]!r}.")
    return raw


def parse_status_filter(query: Mapping[str, str]) -> str | None:
    status = query.get("status")
    if status is None:
        return None
    if status not in STATUSES:
        raise ValidationError(
            f"Query parameter 'status' must be one of: {', '.join(STATUSES)}.", field="status"
        )
    return status


def render_subscription(row: Mapping[str, Any]) -> dict[str, Any]:
    return render(SUBSCRIPTION_FIELDS, row)


def render_delivery(row: Mapping[str, Any]) -> dict[str, Any]:
    return render(DELIVERY_FIELDS, row)
