"""The webhooks routes and their OpenAPI operations."""

from __future__ import annotations

from typing import Any

from ..core.openapi import PAGE_PARAMETERS, json_content, page_answer, ref
from ..core.routing import Route
from .events import known_names
from .handlers import (
    create_webhook,
    delete_webhook,
    get_delivery,
    get_webhook,
    list_deliveries,
    list_webhooks,
    retry_delivery,
    update_webhook,
)
from .model import MAX_DESCRIPTION, STATUSES
from .urls import MAX_URL_LENGTH

_TAGS = ["webhooks"]
_TIME = {"type": "string", "format": "date-time"}
_EVENTS = {
    "type": "array",
    "minItems": 1,
    "maxItems": 50,
    "items": {"type": "string", "examples": list(known_names())[:4]},
    "description": "Event names (`export_job.completed`), patterns (`export_job.*`) or `*`.",
    "examples": [["export_job.completed", "export_job.failed"]],
}
_URL = {
    "type": "string",
    "maxLength": MAX_URL_LENGTH,
    "examples": ["https://hooks.example.com/edgejobs"],
    "description": "https:// to a public host, no credentials (http:// only to loopback, with "
    "WEBHOOK_ALLOW_HTTP=true).",
}
_DESCRIPTION = {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION}

WEBHOOK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "url",
        "events",
        "description",
        "disabled",
        "disabled_reason",
        "created_at",
        "updated_at",
    ],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "url": {"type": "string"},
        "events": {"type": "array", "items": {"type": "string"}},
        "description": {"type": ["string", "null"]},
        "disabled": {"type": "boolean"},
        "disabled_reason": {
            "type": ["string", "null"],
            "description": "Why (a 410 from the receiver, a request).",
        },
        "created_at": _TIME,
        "updated_at": _TIME,
    },
}
CREATED_WEBHOOK_SCHEMA = {
    **WEBHOOK_SCHEMA,
    "required": [*WEBHOOK_SCHEMA["required"], "secret"],
    "properties": {
        **WEBHOOK_SCHEMA["properties"],
        "secret": {"type": "string", "description": "`whsec_` + base64: shown only in this answer."},
    },
}
DELIVERY_SCHEMA = {
    "type": "object",
    "required": [
        "id", "subscription_id", "event_id", "event_type", "status", "attempts", "last_status_code",
        "last_error", "next_attempt_at", "last_attempt_at", "created_at", "updated_at",
    ],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "The `webhook-id` of every attempt."},
        "subscription_id": {"type": "string", "format": "uuid"},
        "event_id": {"type": "integer", "description": "The job event it announces."},
        "event_type": {"type": "string", "examples": ["export_job.completed"]},
        "status": {"type": "string", "enum": list(STATUSES)},
        "attempts": {"type": "integer", "minimum": 0},
        "last_status_code": {"type": ["integer", "null"]},
        "last_error": {"type": ["string", "null"]},
        "next_attempt_at": {**_TIME, "type": ["string", "null"]},
        "last_attempt_at": {**_TIME, "type": ["string", "null"]},
        "created_at": _TIME,
        "updated_at": _TIME,
    },
}  # fmt: skip
SCHEMAS = {
    "Webhook": WEBHOOK_SCHEMA,
    "CreatedWebhook": CREATED_WEBHOOK_SCHEMA,
    "WebhookDelivery": DELIVERY_SCHEMA,
}

_CREATE_BODY = {
    "required": True,
    "content": json_content(
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["url", "events"],
            "properties": {"url": _URL, "events": _EVENTS, "description": _DESCRIPTION},
        }
    ),
}
_PATCH_BODY = {
    "required": True,
    "content": json_content(
        {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "url": _URL,
                "events": _EVENTS,
                "description": _DESCRIPTION,
                "disabled": {
                    "type": "boolean",
                    "description": "false: enable again (from the newest event on).",
                },
            },
        }
    ),
}
_STATUS = {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}}


def _op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "tags": _TAGS, "responses": responses, **extra}


def _one(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": json_content(ref(name))}


_CREATED = {"201": _one("CreatedWebhook", "Created; the secret is shown only here")}
_PAGE = page_answer("A page", "Webhook")
_DELIVERIES = page_answer("A page", "WebhookDelivery")

ROUTES = [
    Route("POST", "/api/webhooks", create_webhook,
          _op("Subscribe a URL to events", _CREATED, requestBody=_CREATE_BODY)),
    Route("GET", "/api/webhooks", list_webhooks,
          _op("Subscriptions, newest first", _PAGE, parameters=PAGE_PARAMETERS)),
    Route("GET", "/api/webhooks/{id}", get_webhook,
          _op("A subscription (never its secret)", {"200": _one("Webhook", "The subscription")})),
    Route("PATCH", "/api/webhooks/{id}", update_webhook,
          _op("Change url, events, description or disabled", {"200": _one("Webhook", "Changed")},
              requestBody=_PATCH_BODY)),
    Route("DELETE", "/api/webhooks/{id}", delete_webhook,
          _op("Delete a subscription and its deliveries", {"204": {"description": "Deleted"}})),
    Route("GET", "/api/webhooks/{id}/deliveries", list_deliveries,
          _op("A subscription's deliveries, newest first", _DELIVERIES,
              parameters=[_STATUS, *PAGE_PARAMETERS])),
    Route("GET", "/api/webhooks/{id}/deliveries/{delivery_id}", get_delivery,
          _op("One delivery", {"200": _one("WebhookDelivery", "The delivery")})),
    Route("POST", "/api/webhooks/{id}/deliveries/{delivery_id}/retry", retry_delivery,
          _op("Send a delivery again now (failed ones too)",
              {"200": _one("WebhookDelivery", "The delivery after the attempt")}, **{"x-errors": ["409"]})),
]  # fmt: skip
