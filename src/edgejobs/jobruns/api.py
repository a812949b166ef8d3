"""Job runs: routes and their OpenAPI declarations."""

from __future__ import annotations

from typing import Any

from ..core.openapi import PAGE_PARAMETERS, json_content, nullable, page_answer, ref
from ..core.routing import Route
from ..reports.api import DATE, JOB_TYPE_SCHEMA, METADATA, TIME, TRIGGER
from .handlers import create_job_run, finish_job_run, get_job_run, latest_job_run, list_job_runs
from .model import FINISHED, MAX_ERROR_CHARS, MAX_ITEMS, STATUSES

TAGS = ["job runs"]
_ITEMS = {"type": "integer", "minimum": 0, "maximum": MAX_ITEMS}
_ERROR = {"type": "string", "maxLength": MAX_ERROR_CHARS}

RUN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id", "job_type", "scheduled_date", "status", "trigger_source", "started_at", "finished_at",
        "duration_ms", "items_processed", "error", "metadata", "created_at", "updated_at",
    ],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "job_type": JOB_TYPE_SCHEMA,
        "scheduled_date": DATE,
        "status": {"type": "string", "enum": list(STATUSES)},
        "trigger_source": nullable(TRIGGER),
        "started_at": TIME,
        "finished_at": nullable(TIME),
        "duration_ms": {"type": ["integer", "null"]},
        "items_processed": {"type": ["integer", "null"]},
        "error": {"type": ["string", "null"]},
        "metadata": {"type": ["object", "null"]},
        "created_at": TIME,
        "updated_at": TIME,
    },
}  # fmt: skip
RUN_WITH_REPORT_SCHEMA = {
    "allOf": [
        ref("JobRun"),
        {
            "type": "object",
            "required": ["report"],
            "properties": {
                "report": {
                    "anyOf": [ref("Report"), {"type": "null"}],
                    "description": "The report of the same scheduled_date whose report_type is the job_type.",
                }
            },
        },
    ]
}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    properties = {name: p if name in required else nullable(p) for name, p in properties.items()}
    schema = {"type": "object", "additionalProperties": False, "required": required, "properties": properties}
    return {"required": True, "content": json_content(schema)}


def _run(description: str, schema: str = "JobRun") -> dict[str, Any]:
    return {"description": description, "content": json_content(ref(schema))}


_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The run's id (a UUID; anything else is a 404).",
    "schema": {"type": "string", "format": "uuid"},
}
_FILTERS = [
    {"name": "type", "in": "query", "schema": JOB_TYPE_SCHEMA},
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
    {"name": "since", "in": "query", "description": "Earliest scheduled_date (inclusive).", "schema": DATE},
    {"name": "until", "in": "query", "description": "Latest scheduled_date (inclusive).", "schema": DATE},
    *PAGE_PARAMETERS,
]

ROUTES = [
    Route(
        "POST",
        "/api/job-runs",
        create_job_run,
        {
            "summary": "Record a job run: started (running) or finished with its times",
            "tags": TAGS,
            "requestBody": _body(
                {
                    "job_type": JOB_TYPE_SCHEMA,
                    "scheduled_date": {**DATE, "description": "Default: the UTC date of started_at."},
                    "status": {"type": "string", "enum": list(STATUSES), "default": "running"},
                    "trigger_source": TRIGGER,
                    "started_at": {**TIME, "description": "Default: now (or finished_at - duration_ms)."},
                    "finished_at": {**TIME, "description": "Finished runs only; default: now."},
                    "duration_ms": {
                        **_ITEMS,
                        "description": "Finished runs only; default: finished - started.",
                    },
                    "items_processed": _ITEMS,
                    "error": {**_ERROR, "description": "Finished runs only."},
                    "metadata": METADATA,
                },
                ["job_type"],
            ),
            "responses": {"201": _run("Recorded")},
        },
    ),
    Route(
        "GET",
        "/api/job-runs",
        list_job_runs,
        {
            "summary": "Job runs, newest scheduled_date first",
            "tags": TAGS,
            "parameters": _FILTERS,
            "responses": page_answer("A page of runs", "JobRun"),
        },
    ),
    Route(
        "GET",
        "/api/job-runs/latest",
        latest_job_run,
        {
            "summary": "The newest run of a type, with its report",
            "tags": TAGS,
            "parameters": [{"name": "type", "in": "query", "required": True, "schema": JOB_TYPE_SCHEMA}],
            "responses": {"200": _run("The run", "JobRunWithReport")},
            "x-errors": ["404"],
        },
    ),
    Route(
        "GET",
        "/api/job-runs/{id}",
        get_job_run,
        {
            "summary": "A run, with the report of its date and type",
            "tags": TAGS,
            "parameters": [_ID],
            "responses": {"200": _run("The run", "JobRunWithReport")},
        },
    ),
    Route(
        "PATCH",
        "/api/job-runs/{id}",
        finish_job_run,
        {
            "summary": "Finish a running run (once)",
            "tags": TAGS,
            "parameters": [_ID],
            "requestBody": _body(
                {
                    "status": {"type": "string", "enum": list(FINISHED)},
                    "finished_at": {**TIME, "description": "Default: now."},
                    "items_processed": _ITEMS,
                    "error": _ERROR,
                    "metadata": {**METADATA, "description": "Replaces the run's metadata when given."},
                },
                ["status"],
            ),
            "responses": {"200": _run("Finished")},
            "x-errors": ["409"],
        },
    ),
]
SCHEMAS = {"JobRun": RUN_SCHEMA, "JobRunWithReport": RUN_WITH_REPORT_SCHEMA}
