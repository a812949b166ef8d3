"""The maintenance routes and their OpenAPI operations."""

from __future__ import annotations

from ..core.openapi import PAGE_PARAMETERS, json_content, page_answer, ref
from ..core.routing import Route
from .handlers import list_runs, run_maintenance_now

RUN_SCHEMA = {
    "type": "object",
    "required": ["id", "trigger", "started_at", "finished_at", "counts", "more", "error"],
    "properties": {
        "id": {"type": "integer"},
        "trigger": {"type": "string"},
        "started_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "more": {"type": "boolean"},
        "error": {"type": ["string", "null"]},
    },
}


ROUTES = [
    Route(
        "GET",
        "/api/maintenance/runs",
        list_runs,
        {
            "summary": "Maintenance runs, newest first",
            "tags": ["maintenance"],
            "parameters": PAGE_PARAMETERS,
            "responses": page_answer("A page of runs", "MaintenanceRun"),
        },
    ),
    Route(
        "POST",
        "/api/maintenance/runs",
        run_maintenance_now,
        {
            "summary": "Run maintenance now (bounded like a cron run)",
            "tags": ["maintenance"],
            "requestBody": {
                "required": False,
                "content": json_content({"type": "object", "additionalProperties": False}),
            },
            "responses": {
                "201": {"description": "The finished run", "content": json_content(ref("MaintenanceRun"))}
            },
        },
    ),
]
SCHEMAS = {"MaintenanceRun": RUN_SCHEMA}
