"""Service routes: `GET /health` and `GET /openapi.json` (both public)."""

from __future__ import annotations

from typing import Any

from .core.capability import Capability
from .core.context import RequestContext
from .core.db import DatabaseError
from .core.errors import DatabaseUnavailable
from .core.http import HttpResponse, json_response
from .core.openapi import build_document, json_content, ref
from .core.routing import Route
from .maintenance.api import RUN_SCHEMA
from .maintenance.runs import LAST_RUN_SQL, render_run
from .providers.sql import OLDEST_DUE_CHECK_SQL

LAST_MIGRATION_SQL = "SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1"


async def health(ctx: RequestContext) -> HttpResponse:
    """D1 answers and the schema is migrated (503 otherwise); the last maintenance run."""
    try:
        migration = await ctx.db.first(LAST_MIGRATION_SQL)
        last_run = await ctx.db.first(LAST_RUN_SQL)
        oldest_check = await ctx.db.first(OLDEST_DUE_CHECK_SQL)
    except (DatabaseError, DatabaseUnavailable) as exc:
        reason = "no migrations applied" if "no such table" in str(exc) else "unavailable"
        return json_response(
            {
                "status": "error",
                "database": reason,
                "schema_version": None,
                "last_maintenance_run": None,
                "provider_sync_lag_seconds": None,
            },
            503,
            {"retry-after": "5"},
        )
    return json_response(
        {
            "status": "ok",
            "database": "ok",
            "schema_version": migration["name"].removesuffix(".sql") if migration else None,
            "last_maintenance_run": render_run(last_run) if last_run else None,
            "provider_sync_lag_seconds": sync_lag(oldest_check, ctx.now),
        }
    )


def sync_lag(oldest_check: dict[str, Any] | None, now: int) -> int | None:
    """How long the most overdue provider check has waited past its time (0: none overdue;
    None: nothing is being synced)."""
    if oldest_check is None or oldest_check["next_check_at"] is None:
        return None
    return max(0, now - oldest_check["next_check_at"]) // 1000


HEALTH_SCHEMA = {
    "type": "object",
    "required": ["status", "database", "schema_version", "last_maintenance_run", "provider_sync_lag_seconds"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "error"]},
        "database": {"type": "string"},
        "schema_version": {"type": ["string", "null"]},
        "last_maintenance_run": {"anyOf": [RUN_SCHEMA, {"type": "null"}]},
        "provider_sync_lag_seconds": {
            "type": ["integer", "null"],
            "description": "Seconds the most overdue provider check (export jobs resynced with RunPod) "
            "has waited past its time; null when nothing is being synced.",
        },
    },
}

HEALTH_ROUTE = Route(
    "GET",
    "/health",
    health,
    {
        "summary": "Liveness and database check",
        "tags": ["service"],
        "responses": {
            "200": {"description": "Healthy", "content": json_content(ref("Health"))},
            "503": {"description": "D1 failing or not migrated", "content": json_content(ref("Health"))},
        },
    },
)


_document: dict[str, Any] = {}  # built once per isolate


async def openapi(ctx: RequestContext) -> HttpResponse:
    """This service's OpenAPI document, built from the routes it serves."""
    if "doc" not in _document:
        registry = ctx.registry
        assert registry is not None, "the app always passes its registry"
        _document["doc"] = build_document(registry.routes, {"Health": HEALTH_SCHEMA, **registry.schemas})
    return json_response(_document["doc"])


OPENAPI_ROUTE = Route(
    "GET",
    "/openapi.json",
    openapi,
    {
        "summary": "This OpenAPI 3.1 document",
        "tags": ["service"],
        "responses": {"200": {"description": "The document", "content": json_content({"type": "object"})}},
    },
)

CAPABILITY = Capability("service", routes=[HEALTH_ROUTE, OPENAPI_ROUTE])
