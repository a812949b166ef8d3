"""The providers' routes (webhooks in) and their OpenAPI operations."""

from __future__ import annotations

from ..core.openapi import json_content, ref
from ..core.routing import Route
from .webhooks import ACK_SCHEMA, replicate_webhook, runpod_webhook

_BODY = {"required": True, "content": json_content({"type": "object"})}
_ACK = {
    "200": {
        "description": "Received (applied or ignored)",
        "content": json_content(ref("ProviderWebhookAck")),
    }
}

ROUTES = [
    Route(
        "POST",
        "/api/providers/replicate/webhook",
        replicate_webhook,
        {
            "summary": "Replicate's prediction webhook (Standard Webhooks signature)",
            "description": "Public: verified by its `webhook-signature` with REPLICATE_WEBHOOK_SECRET "
            "(±5 min); a `webhook-id` seen before is acknowledged and ignored.",
            "tags": ["providers"],
            "x-public": True,
            "requestBody": _BODY,
            "responses": _ACK,
        },
    ),
    Route(
        "POST",
        "/api/providers/runpod/webhook/{token}",
        runpod_webhook,
        {
            "summary": "RunPod's job webhook (the URL carries RUNPOD_WEBHOOK_TOKEN)",
            "tags": ["providers"],
            "x-public": True,
            "requestBody": _BODY,
            "responses": _ACK,
        },
    ),
]
SCHEMAS = {"ProviderWebhookAck": ACK_SCHEMA}
