"""The export queue's routes and their OpenAPI operations."""

from __future__ import annotations

from typing import Any

from ..core.events import EVENT_SCHEMA
from ..core.openapi import PAGE_PARAMETERS, json_content, page_answer, parameter, ref
from ..core.routing import Route
from .bodies import CANCEL, CLAIM, COMPLETE, CREATE, FAIL, HEARTBEAT, NO_FIELDS
from .handlers import (
    cancel_export_job,
    claim_export_job,
    complete_export_job,
    create_export_job,
    fail_export_job,
    get_export_job,
    heartbeat_export_job,
    list_export_job_events,
    list_export_jobs,
    list_export_queues,
    pause_export_queue,
    resume_export_queue,
    retry_export_job,
)
from .model import IDEMPOTENCY_KEY, TYPE_NAME
from .schemas import EXPORT_JOB_SCHEMA, QUEUE_STATE_SCHEMA, QUEUES_SCHEMA

_TAGS = ["export jobs"]


def _operation(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "tags": _TAGS, "responses": responses, **extra}


def _job(description: str) -> dict[str, Any]:
    return {"description": description, "content": json_content(ref("ExportJob"))}


_ID_PARAMETER = parameter(
    "id",
    "path",
    {"type": "string", "format": "uuid"},
    "The job's id (a UUID; anything else is a 404).",
    required=True,
)
_IDEMPOTENCY_PARAMETER = parameter(
    "Idempotency-Key",
    "header",
    {"type": "string", "pattern": f"^{IDEMPOTENCY_KEY.pattern}$"},
    "Repeat a create safely: the same key and body answer with the same job (200).",
    required=False,
)
_LIST_PARAMETERS = [
    {"name": "project_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "status",
        "in": "query",
        "description": "Comma-separated statuses; `active` = pending,processing.",
        "schema": {"type": "string"},
    },
    {"name": "type", "in": "query", "schema": {"type": "string", "pattern": f"^{TYPE_NAME.pattern}$"}},
    {
        "name": "ready",
        "in": "query",
        "description": "With status=pending only: true = claimable now, false = waiting for "
        "start_after or a retry's backoff.",
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
    *PAGE_PARAMETERS,
]
_RUNNER_ACTION = (
    "409: `lease_lost` if this runner no longer holds the job under this lease (not processing "
    "under the `runner_id` and `lease_id` of the claim). Nothing is changed."
)


def _links(*operation_ids: str, runner: bool = False) -> dict[str, Any]:
    """OpenAPI links from a response holding a job to the operations on that job (for clients'
    tooling; the fuzzer's stateful phase follows them, e.g. claim → heartbeat → complete)."""
    links: dict[str, Any] = {}
    for operation_id in operation_ids:
        link: dict[str, Any] = {"operationId": operation_id, "parameters": {"path.id": "$response.body#/id"}}
        if runner:
            link["requestBody"] = {
                "runner_id": "$response.body#/runner_id",
                "lease_id": "$response.body#/lease_id",
            }
        links[operation_id] = link
    return links


def _job_change(
    method: str,
    template: str,
    handler: Any,
    summary: str,
    answer: dict[str, Any],
    description: str,
    body: Any,
) -> Route:
    """A route that changes one job (runner actions, retry, cancel): 409 when it may not."""
    operation = _operation(
        summary,
        {"200": answer},
        description=description,
        parameters=[_ID_PARAMETER],
        requestBody=body.openapi(),
        **{"x-errors": ["409"]},
    )
    return Route(method, template, handler, operation)


_JOB_LINKS = _links("get_export_job", "cancel_export_job", "retry_export_job", "list_export_job_events")
_RUNNER_LINKS = _links("heartbeat_export_job", "complete_export_job", "fail_export_job", runner=True)

ROUTES = [
    Route(
        "POST",
        "/api/export-jobs",
        create_export_job,
        _operation(
            "Create an export job (pending)",
            {
                "201": {
                    **_job("Created"),
                    "headers": {"location": {"description": "The job's URL", "schema": {"type": "string"}}},
                    "links": _JOB_LINKS,
                },
                "200": _job("The job an earlier create with the same Idempotency-Key and body made"),
            },
            parameters=[_IDEMPOTENCY_PARAMETER],
            requestBody=CREATE.openapi(),
            **{"x-errors": ["409"]},
        ),
    ),
    Route(
        "GET",
        "/api/export-jobs",
        list_export_jobs,
        _operation(
            "Export jobs, newest first",
            page_answer("A page of jobs", "ExportJob"),
            parameters=_LIST_PARAMETERS,
        ),
    ),
    Route(
        "POST",
        "/api/export-jobs/claim",
        claim_export_job,
        _operation(
            "Claim the next claimable job, or up to max_jobs (runner)",
            {
                "200": {
                    "description": "Claimed: now processing under this runner, each with its own "
                    'lease_id. Without max_jobs, the job; with it, `{"items": [...]}` (maybe empty).',
                    "content": json_content(
                        {
                            "oneOf": [
                                ref("ExportJob"),
                                {
                                    "type": "object",
                                    "required": ["items"],
                                    "properties": {"items": {"type": "array", "items": ref("ExportJob")}},
                                },
                            ]
                        }
                    ),
                    "links": {**_RUNNER_LINKS, **_JOB_LINKS},
                },
                "204": {"description": "No job is claimable now (without max_jobs)"},
            },
            description="Order: highest priority, then oldest available_at, then oldest id "
            "(arrival). Paused types are never claimed.",
            requestBody=CLAIM.openapi(),
        ),
    ),
    Route(
        "GET",
        "/api/export-jobs/{id}",
        get_export_job,
        _operation("An export job", {"200": _job("The job")}, parameters=[_ID_PARAMETER]),
    ),
    _job_change(
        "PATCH",
        "/api/export-jobs/{id}",
        heartbeat_export_job,
        "Runner heartbeat: progress, RunPod id; extends the lease",
        _job("Updated. A progress lower than recorded is ignored."),
        _RUNNER_ACTION,
        HEARTBEAT,
    ),
    _job_change(
        "POST",
        "/api/export-jobs/{id}/complete",
        complete_export_job,
        "Complete a job (runner)",
        _job("Complete, progress 100"),
        _RUNNER_ACTION,
        COMPLETE,
    ),
    _job_change(
        "POST",
        "/api/export-jobs/{id}/fail",
        fail_export_job,
        "Fail a job (runner): back to pending after backoff while retries remain, else error",
        {**_job("Pending (retry scheduled at available_at) or error"), "links": _JOB_LINKS},
        _RUNNER_ACTION,
        FAIL,
    ),
    _job_change(
        "POST",
        "/api/export-jobs/{id}/retry",
        retry_export_job,
        "Retry an error or cancelled job (same id) → pending",
        _job("Pending, claimable now, with a fresh retry budget"),
        "409 `conflict` (with the current status) unless the job is error or cancelled.",
        NO_FIELDS,
    ),
    _job_change(
        "POST",
        "/api/export-jobs/{id}/cancel",
        cancel_export_job,
        "Cancel a pending or processing job, with an optional reason",
        _job("Cancelled"),
        "409 `conflict` (with the current status) unless the job is pending or processing. The "
        "runner holding it learns of it from its next heartbeat (409 `lease_lost`, cancelled).",
        CANCEL,
    ),
    Route(
        "GET",
        "/api/export-jobs/{id}/events",
        list_export_job_events,
        _operation(
            "A job's history, oldest first",
            page_answer("A page of events", "ExportJobEvent"),
            parameters=[_ID_PARAMETER, *PAGE_PARAMETERS],
        ),
    ),
]
_TYPE_PARAMETER = parameter(
    "type", "path", {"type": "string"}, "A job type (one of EXPORT_JOB_TYPES; else 404).", required=True
)


def _queue_route(action: str, handler: Any, summary: str) -> Route:
    return Route(
        "POST",
        f"/api/export-jobs/queues/{{type}}/{action}",
        handler,
        _operation(
            summary,
            {"200": {"description": "The queue's state", "content": json_content(ref("ExportQueueState"))}},
            parameters=[_TYPE_PARAMETER],
            requestBody=NO_FIELDS.openapi(),
        ),
    )


ROUTES += [
    Route(
        "GET",
        "/api/export-jobs/queues",
        list_export_queues,
        _operation(
            "Each job type (EXPORT_JOB_TYPES): paused or not, and its jobs per status",
            {"200": {"description": "Every configured type", "content": json_content(QUEUES_SCHEMA)}},
        ),
    ),
    _queue_route("pause", pause_export_queue, "Pause claims of a job type (running jobs go on)"),
    _queue_route("resume", resume_export_queue, "Resume claims of a job type"),
]
SCHEMAS = {
    "ExportJob": EXPORT_JOB_SCHEMA,
    "ExportJobEvent": EVENT_SCHEMA,
    "ExportQueueState": QUEUE_STATE_SCHEMA,
}
