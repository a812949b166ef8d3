"""Export jobs as the API sees them: their fields, the request bodies and queries that
create and change them (one field spec each: parser, allowed names and JSON Schema), and how a
stored row is rendered."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..core import ids
from ..core.db import MAX_SAFE_INTEGER
from ..core.errors import NotFound, ValidationError
from ..core.fields import Body, Bool, Field, Int, Text
from ..core.http import HttpRequest, HttpResponse, json_response
from ..core.render import JSON, TIME, Column, item_sql, render
from ..core.validation import check_str, path_param
from .machine import PENDING, PROCESSING, STATUSES

TYPES = ("framing", "overlay", "annotate")
ACTIVE = (PENDING, PROCESSING)  # `status=active`
MAX_KEY_CHARS = 1024  # input/output video keys
MAX_PARAMS_BYTES = 64 * 1024  # `params`, serialised as compact UTF-8 JSON
MAX_NAME_CHARS = 255  # runner_id, runpod_job_id
MAX_ERROR_CHARS = 4096
CREATE_BODY_LIMIT = 256 * 1024  # room for 64 KiB of params written with whitespace or escapes
SMALL_BODY_LIMIT = 16 * 1024
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII

# What a job looks like to clients, rendered by `render_job` or, on list pages, by SQLite.
JOB_FIELDS = (
    *map(Column, (
        "id", "project_id", "type", "status", "progress", "input_video_key", "output_video_key",
        "error", "retry_count", "max_retries", "runner_id", "lease_id", "runpod_job_id", "lease_seconds",
    )),
    Column("params", JSON),
    *(Column(name, TIME) for name in (
        "lease_expires_at", "available_at", "created_at", "started_at", "completed_at", "updated_at",
    )),
)  # fmt: skip

# The item as SQLite renders it, for list pages (`render.item_sql`).
JOB_ITEM_EXPR = item_sql(JOB_FIELDS)


class NewJob(NamedTuple):
    project_id: int
    type: str
    input_video_key: str
    params: str  # compact JSON
    max_retries: int

    def request_hash(self) -> str:
        """What makes two creates "the same request" for an Idempotency-Key: the route and
        the normalised fields (defaults applied, params with sorted keys)."""
        canonical = json.dumps(
            ["POST /api/export-jobs", self.project_id, self.type, self.input_video_key,
             json.loads(self.params), self.max_retries],
            sort_keys=True, ensure_ascii=False, separators=(",", ":"),
        )  # fmt: skip
        return hashlib.sha256(canonical.encode()).hexdigest()


def _parse_params(body: Mapping[str, Any]) -> str:
    """`params`: a JSON object of at most 64 KiB (compact UTF-8 JSON); `{}` if absent or null."""
    value = body.get("params")
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ValidationError("Field 'params' must be a JSON object.", field="params")
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValidationError(
            "Field 'params' must not contain unpaired surrogates.", field="params"
        ) from None
    if size > MAX_PARAMS_BYTES:
        raise ValidationError(
            f"Field 'params' is {size} bytes as JSON; the limit is {MAX_PARAMS_BYTES}.", field="params"
        )
    return text


def _parse_types(body: Mapping[str, Any]) -> str | None:
    """`types` of a claim: a non-empty list of job types, as a sorted JSON array; None = any."""
    if "types" not in body or body["types"] is None:
        return None
    value = body["types"]
    if not isinstance(value, list) or not value:
        raise ValidationError("Field 'types' must be a non-empty list of job types.", field="types")
    chosen = [check_str(t, "types", choices=TYPES) for t in value]
    return json.dumps(sorted(set(chosen)))


RUNNER_ID = Text("runner_id", max_length=MAX_NAME_CHARS)
# The lease of the caller's claim. Optional only for jobs claimed before leases existed (their
# lease is NULL); for any other job a call without it is `lease_lost`.
LEASE_ID = Text(
    "lease_id",
    max_length=MAX_NAME_CHARS,
    default=None,
    description="The `lease_id` of this runner's claim (required for every job claimed with one).",
)
PARAMS = Field(
    "params", {"type": "object", "description": "At most 64 KiB as JSON."}, _parse_params, required=False
)
TYPES_FIELD = Field(
    "types",
    {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(TYPES)}},
    _parse_types,
    required=False,
)

CREATE = Body(
    Int("project_id", minimum=1, maximum=MAX_SAFE_INTEGER),
    Text("type", choices=TYPES),
    Text("input_video_key", max_length=MAX_KEY_CHARS),
    PARAMS,
    Int("max_retries", minimum=0, maximum=10, default=3),
    limit=CREATE_BODY_LIMIT,
)
CLAIM = Body(
    RUNNER_ID,
    TYPES_FIELD,
    Int("lease_seconds", minimum=10, maximum=86_400, default=300),
    limit=SMALL_BODY_LIMIT,
)
HEARTBEAT = Body(
    RUNNER_ID,
    LEASE_ID,
    Int("progress", minimum=0, maximum=100, default=None),
    Text("runpod_job_id", max_length=MAX_NAME_CHARS, default=None),
    limit=SMALL_BODY_LIMIT,
)
COMPLETE = Body(
    RUNNER_ID, LEASE_ID, Text("output_video_key", max_length=MAX_KEY_CHARS), limit=SMALL_BODY_LIMIT
)
FAIL = Body(
    RUNNER_ID,
    LEASE_ID,
    Text("error", max_length=MAX_ERROR_CHARS),
    Bool("retryable", default=True),
    limit=SMALL_BODY_LIMIT,
)
NO_FIELDS = Body(limit=SMALL_BODY_LIMIT, optional=True)  # retry, cancel: an empty body is fine


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


def parse_list_query(query: Mapping[str, str]) -> ListFilter:
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
    job_type = check_str(query["type"], "type", choices=TYPES) if "type" in query else None
    return ListFilter(project_id, tuple(statuses), job_type)


def render_job(row: Mapping[str, Any]) -> dict[str, Any]:
    return render(JOB_FIELDS, row)


def job_response(
    row: Mapping[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    return json_response(render_job(row), status, headers)
