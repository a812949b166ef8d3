"""Export jobs as the API sees them: their limits and job types, how a stored row is rendered,
and the path and query parameters of the routes (request bodies: bodies.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..core import ids
from ..core.db import MAX_SAFE_INTEGER
from ..core.errors import NotFound, ValidationError
from ..core.http import HttpRequest, HttpResponse, json_response
from ..core.render import JSON, TIME, Column, item_sql, render
from ..core.validation import check_str, path_param
from .machine import PENDING, PROCESSING, STATUSES

DEFAULT_TYPES = ("framing", "overlay", "annotate")  # EXPORT_JOB_TYPES when unset
TYPES = DEFAULT_TYPES  # what the SQL catalogue drives the claim builders over
TYPE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
MAX_TYPES = 32
ACTIVE = (PENDING, PROCESSING)  # `status=active`
MAX_KEY_CHARS = 1024  # input/output video keys
MAX_JSON_BYTES = 64 * 1024  # `params` and `result`, serialised as compact UTF-8 JSON
MAX_PARAMS_BYTES = MAX_JSON_BYTES
MAX_NAME_CHARS = 255  # runner_id, runpod_job_id, lease_id
MAX_ERROR_CHARS = 4096  # error, cancel reason
CREATE_BODY_LIMIT = 256 * 1024  # room for 64 KiB of JSON written with whitespace or escapes
SMALL_BODY_LIMIT = 16 * 1024
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII


def parse_job_types(text: str, env_name: str) -> tuple[str, ...]:
    """EXPORT_JOB_TYPES: comma-separated type names (`[a-z][a-z0-9_-]{0,31}`), 1–32, distinct."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    bad = [name for name in names if not TYPE_NAME.fullmatch(name)]
    if not names or bad or len(set(names)) != len(names) or len(names) > MAX_TYPES:
        raise ValueError(
            f"var {env_name} must be 1-{MAX_TYPES} distinct names of [a-z][a-z0-9_-]{{0,31}}, "
            f"comma-separated; got {text[:80]!r}"
        )
    return names


def check_type(value: Any, name: str, types: Sequence[str]) -> str:
    """A job type: one of the configured types (EXPORT_JOB_TYPES)."""
    return check_str(value, name, max_length=32, choices=types)


# What a job looks like to clients, rendered by `render_job` or, on list pages, by SQLite.
JOB_FIELDS = (
    *map(Column, (
        "id", "project_id", "type", "status", "priority", "progress", "input_video_key",
        "output_video_key", "error", "cancel_reason", "retry_count", "max_retries",
        "retry_base_seconds", "retry_cap_seconds", "runner_id", "lease_id", "runpod_job_id",
        "lease_seconds",
    )),
    Column("params", JSON),
    Column("result", JSON),
    *(Column(name, TIME) for name in (
        "lease_expires_at", "available_at", "created_at", "started_at", "completed_at", "updated_at",
    )),
)  # fmt: skip

# The item as SQLite renders it, for list pages (`render.item_sql`).
JOB_ITEM_EXPR = item_sql(JOB_FIELDS)


def parse_job_id(raw: str) -> str:
    """The path's job id. Anything that is not a UUID cannot name a job: 404, no query."""
    job_id = path_param(raw, "id").lower()
    if not ids.UUID_PATTERN.fullmatch(job_id):
        raise NotFound(f"No export job {job_id[:64]!r}: export job ids are UUIDs.")
    return job_id


def parse_idempotency_key(request: HttpRequest) -> str | None:
    key = request.header("idempotency-key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationError(
            "The Idempotency-Key header must be 1–255 visible ASCII characters.", field="Idempotency-Key"
        )
    return key


class ListFilter(NamedTuple):
    project_id: int | None
    statuses: tuple[str, ...]  # empty: any
    type: str | None
    ready: bool | None = None  # with status=pending only: claimable now (true) or later (false)


def parse_list_query(query: Mapping[str, str], types: Sequence[str] = DEFAULT_TYPES) -> ListFilter:
    project_id = None
    if "project_id" in query:
        raw = query["project_id"]
        if not re.fullmatch(r"[1-9][0-9]{0,15}", raw) or int(raw) > MAX_SAFE_INTEGER:
            raise ValidationError(
                "Query parameter 'project_id' must be a positive integer.", field="project_id"
            )
        project_id = int(raw)
    statuses: list[str] = []
    if "status" in query:
        for name in query["status"].split(","):
            name = check_str(name, "status", choices=(*STATUSES, "active"))
            for status in ACTIVE if name == "active" else (name,):
                if status not in statuses:
                    statuses.append(status)
    job_type = check_type(query["type"], "type", types) if "type" in query else None
    ready = None
    if "ready" in query:
        if query["ready"] not in ("true", "false"):
            raise ValidationError("Query parameter 'ready' must be true or false.", field="ready")
        if statuses != [PENDING]:
            raise ValidationError(
                "Query parameter 'ready' applies to status=pending only (waiting vs scheduled).",
                field="ready",
            )
        ready = query["ready"] == "true"
    return ListFilter(project_id, tuple(statuses), job_type, ready)


def render_job(row: Mapping[str, Any]) -> dict[str, Any]:
    return render(JOB_FIELDS, row)


def job_response(
    row: Mapping[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    return json_response(render_job(row), status, headers)
