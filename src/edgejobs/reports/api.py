"""Report snapshots: routes and their OpenAPI declarations. The GETs are meant for user tokens
too (browsers read reports); every other route is for the service token."""

from __future__ import annotations

from typing import Any

from ..core.openapi import PAGE_PARAMETERS, json_content, nullable, page_answer, ref
from ..core.routing import Route
from .fields import JOB_TYPE, MAX_TRIGGER_CHARS
from .handlers import delete_report, get_report, list_reports, put_report

TAGS = ["reports"]
TIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
JOB_TYPE_SCHEMA = {"type": "string", "pattern": f"^{JOB_TYPE.pattern}$"}
METADATA = {"type": "object", "description": "Any JSON object, at most 16 KiB."}
TRIGGER = {"type": "string", "maxLength": MAX_TRIGGER_CHARS, "examples": ["cron", "manual"]}
REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id", "report_type", "scheduled_date", "metadata", "trigger_source", "revision", "size_bytes",
        "stored_bytes", "created_at", "updated_at",
    ],
    "properties": {
        "id": {"type": "integer"},
        "report_type": JOB_TYPE_SCHEMA,
        "scheduled_date": DATE,
        "metadata": {"type": ["object", "null"]},
        "trigger_source": {"type": ["string", "null"]},
        "revision": {"type": "integer", "minimum": 1, "description": "1 when created, + 1 per PUT."},
        "size_bytes": {"type": "integer", "description": "The content as canonical JSON."},
        "stored_bytes": {"type": "integer", "description": "The content as stored (gzip)."},
        "created_at": TIME,
        "updated_at": TIME,
        "content": {"description": "The stored JSON value (only when one report is read)."},
    },
}  # fmt: skip
_ETAG_HEADER = {"etag": {"description": "The stored version.", "schema": {"type": "string"}}}
_TYPE = {"name": "report_type", "in": "path", "required": True, "schema": JOB_TYPE_SCHEMA}


def _date(latest: bool) -> dict[str, Any]:
    if latest:
        return {
            "name": "scheduled_date",
            "in": "path",
            "required": True,
            "description": "A date, or `latest` for the newest date of the type.",
            "schema": {"anyOf": [DATE, {"const": "latest"}]},
        }
    return {
        "name": "scheduled_date",
        "in": "path",
        "required": True,
        "description": "A date (`latest` is never a date: 400).",
        "schema": DATE,
    }


def _precondition(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": {"type": "string"},
    }


def _report(description: str) -> dict[str, Any]:
    return {"description": description, "headers": _ETAG_HEADER, "content": json_content(ref("Report"))}


_REPORT_PATH = "/api/reports/{report_type}/{scheduled_date}"
ROUTES = [
    Route(
        "PUT",
        _REPORT_PATH,
        put_report,
        {
            "summary": "Store the report of a type and date (create or replace)",
            "tags": TAGS,
            "parameters": [
                _TYPE,
                _date(latest=False),
                _precondition("If-Match", "Replace only this version (its ETag), else 412."),
                _precondition("If-None-Match", "`*`: create only, else 412."),
            ],
            "requestBody": {
                "required": True,
                "content": json_content(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["content"],
                        "properties": {
                            "content": {"description": "Any JSON value but null, at most 1 MiB as JSON."},
                            "metadata": nullable(METADATA),
                            "trigger_source": nullable(TRIGGER),
                        },
                    }
                ),
            },
            "responses": {
                "201": _report("Created (revision 1)"),
                "200": _report("Replaced (revision + 1, created_at kept)"),
            },
            "x-errors": ["412"],
        },
    ),
    Route(
        "GET",
        _REPORT_PATH,
        get_report,
        {
            "summary": "A report with its content (`latest`: of the newest date)",
            "tags": TAGS,
            "x-user-tokens": True,
            "parameters": [
                _TYPE,
                _date(latest=True),
                _precondition("If-None-Match", "An ETag: 304 if unchanged."),
            ],
            "responses": {"200": _report("The report, with content"), "304": {"description": "Not modified"}},
        },
    ),
    Route(
        "DELETE",
        _REPORT_PATH,
        delete_report,
        {
            "summary": "Delete a report (service token)",
            "tags": TAGS,
            "parameters": [
                _TYPE,
                _date(latest=False),
                _precondition("If-Match", "Delete only this version."),
            ],
            "responses": {"204": {"description": "Deleted"}},
            "x-errors": ["412"],
        },
    ),
    Route(
        "GET",
        "/api/reports",
        list_reports,
        {
            "summary": "Reports without content, newest scheduled_date first",
            "tags": TAGS,
            "x-user-tokens": True,
            "parameters": [
                {"name": "type", "in": "query", "schema": JOB_TYPE_SCHEMA},
                {
                    "name": "since",
                    "in": "query",
                    "description": "Earliest date (inclusive).",
                    "schema": DATE,
                },
                {"name": "until", "in": "query", "description": "Latest date (inclusive).", "schema": DATE},
                *PAGE_PARAMETERS,
            ],
            "responses": page_answer("A page of reports", "Report"),
        },
    ),
]
SCHEMAS = {"Report": REPORT_SCHEMA}
