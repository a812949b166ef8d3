"""Stats: the route and its OpenAPI declaration."""

from __future__ import annotations

from typing import Any

from ..core.openapi import json_content, ref
from ..core.routing import Route
from ..maintenance.api import RUN_SCHEMA
from .handlers import EXPORT_STATUSES, get_stats

_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
STATS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["export_jobs", "veo_jobs", "videos", "generations", "job_runs", "last_maintenance_run"],
    "properties": {
        "export_jobs": {
            "type": "object",
            "required": ["by_status", "oldest_claimable_age_seconds", "completed_per_hour"],
            "properties": {
                "by_status": {**_COUNTS, "required": list(EXPORT_STATUSES)},
                "oldest_claimable_age_seconds": {
                    "type": ["integer", "null"],
                    "description": "How long the oldest claimable pending job has waited; null if none.",
                },
                "completed_per_hour": {
                    "type": "array",
                    "minItems": 24,
                    "maxItems": 24,
                    "description": "Oldest first; the last entry is the current hour.",
                    "items": {
                        "type": "object",
                        "required": ["hour", "count"],
                        "properties": {
                            "hour": {"type": "string", "format": "date-time"},
                            "count": {"type": "integer", "minimum": 0},
                        },
                    },
                },
            },
        },
        "veo_jobs": {
            "type": "object",
            "required": ["stored"],
            "properties": {"stored": {"type": "integer", "minimum": 0}},
        },
        "videos": {"type": "object", "required": ["by_status"], "properties": {"by_status": _COUNTS}},
        "generations": {"type": "object", "required": ["by_status"], "properties": {"by_status": _COUNTS}},
        "job_runs": {
            "type": "object",
            "required": ["last_24h"],
            "properties": {
                "last_24h": {
                    "type": "object",
                    "required": ["succeeded", "failed"],
                    "properties": {"succeeded": {"type": "integer"}, "failed": {"type": "integer"}},
                }
            },
        },
        "last_maintenance_run": {"anyOf": [RUN_SCHEMA, {"type": "null"}]},
    },
}

ROUTES = [
    Route(
        "GET",
        "/api/stats",
        get_stats,
        {
            "summary": "Counts per status, completions per hour, the last maintenance run",
            "tags": ["stats"],
            "responses": {"200": {"description": "The stats", "content": json_content(ref("Stats"))}},
        },
    )
]
SCHEMAS = {"Stats": STATS_SCHEMA}
