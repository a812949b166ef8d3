"""The export queue's request bodies: one field spec each (parser, allowed names and JSON
Schema), and the new job a create asks for."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from ..core.db import MAX_SAFE_INTEGER
from ..core.errors import ValidationError
from ..core.fields import Body, Bool, Field, Int, Text, compact_object
from ..core.validation import check_str
from .machine import MAX_PRIORITY
from .model import (
    CREATE_BODY_LIMIT,
    MAX_ERROR_CHARS,
    MAX_JSON_BYTES,
    MAX_KEY_CHARS,
    MAX_NAME_CHARS,
    SMALL_BODY_LIMIT,
    TYPE_NAME,
)

_TYPE_SCHEMA = {
    "type": "string",
    "pattern": f"^{TYPE_NAME.pattern}$",
    "description": "One of EXPORT_JOB_TYPES (default framing, overlay, annotate).",
}


class NewJob(NamedTuple):
    project_id: int
    type: str
    input_video_key: str
    params: str  # compact JSON
    max_retries: int
    priority: int = 0
    start_after: int | None = None  # epoch ms
    retry_base_seconds: int | None = None
    retry_cap_seconds: int | None = None

    def request_hash(self) -> str:
        """What makes two creates "the same request" for an Idempotency-Key: the route and
        the normalised fields (defaults applied, params with sorted keys). Fields added later
        enter only when set, so the hash of a request without them is unchanged."""
        canonical: list[Any] = [
            "POST /api/export-jobs", self.project_id, self.type, self.input_video_key,
            json.loads(self.params), self.max_retries,
        ]  # fmt: skip
        later = {
            "priority": self.priority or None,
            "start_after": self.start_after,
            "retry_base_seconds": self.retry_base_seconds,
            "retry_cap_seconds": self.retry_cap_seconds,
        }
        if any(value is not None for value in later.values()):
            canonical.append(later)
        text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def json_object_text(body: Mapping[str, Any], name: str) -> str | None:
    """A JSON object field of at most 64 KiB (compact UTF-8 JSON), as that text; None if absent
    or null."""
    value = body.get(name)
    return None if value is None else compact_object(value, name, MAX_JSON_BYTES)


def _parse_params(body: Mapping[str, Any]) -> str:
    """`params`: `{}` if absent or null."""
    return json_object_text(body, "params") or "{}"


def _parse_types(body: Mapping[str, Any]) -> str | None:
    """`types` of a claim: a non-empty list of type names, as a sorted JSON array; None = any.
    (Whether each is configured is checked against EXPORT_JOB_TYPES by the handler.)"""
    if "types" not in body or body["types"] is None:
        return None
    value = body["types"]
    if not isinstance(value, list) or not value or len(value) > 32:
        raise ValidationError("Field 'types' must be a list of 1-32 job types.", field="types")
    chosen = [check_str(t, "types", max_length=32, pattern=TYPE_NAME) for t in value]
    return json.dumps(sorted(set(chosen)))


def _parse_start_after(body: Mapping[str, Any]) -> int | None:
    """`start_after`: an ISO 8601 time with a zone offset (or Z), as epoch ms; None if absent."""
    value = body.get("start_after")
    if value is None:
        return None
    text = check_str(value, "start_after", max_length=40)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not 2000 <= moment.year <= 9999:
        raise ValidationError(
            "Field 'start_after' must be an ISO 8601 time with a zone, e.g. 2026-12-01T09:00:00Z.",
            field="start_after",
        )
    return int(moment.timestamp() * 1000)


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
RESULT = Field(
    "result",
    {"type": "object", "description": "The job's result: at most 64 KiB as JSON."},
    lambda body: json_object_text(body, "result"),
    required=False,
)
TYPES_FIELD = Field(
    "types",
    {"type": "array", "minItems": 1, "maxItems": 32, "items": _TYPE_SCHEMA},
    _parse_types,
    required=False,
)
START_AFTER = Field(
    "start_after",
    {"type": "string", "format": "date-time", "description": "Not claimable before this time."},
    _parse_start_after,
    required=False,
)

CREATE = Body(
    Int("project_id", minimum=1, maximum=MAX_SAFE_INTEGER),
    Text("type", max_length=32, pattern=TYPE_NAME, description=_TYPE_SCHEMA["description"]),
    Text("input_video_key", max_length=MAX_KEY_CHARS),
    PARAMS,
    Int("max_retries", minimum=0, maximum=10, default=3),
    Int("priority", minimum=-MAX_PRIORITY, maximum=MAX_PRIORITY, default=0, description="Higher first."),
    START_AFTER,
    Int("retry_base_seconds", minimum=1, maximum=86_400, default=None, description="Overrides the var."),
    Int("retry_cap_seconds", minimum=1, maximum=604_800, default=None, description="Overrides the var."),
    limit=CREATE_BODY_LIMIT,
)
CLAIM = Body(
    RUNNER_ID,
    TYPES_FIELD,
    Int("lease_seconds", minimum=10, maximum=86_400, default=300),
    Int(
        "max_jobs",
        minimum=1,
        maximum=10,
        default=None,
        description='Claim up to this many jobs at once; the answer is then `{"items": [...]}`.',
    ),
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
    RUNNER_ID,
    LEASE_ID,
    Text("output_video_key", max_length=MAX_KEY_CHARS),
    RESULT,
    limit=CREATE_BODY_LIMIT,
)
FAIL = Body(
    RUNNER_ID,
    LEASE_ID,
    Text("error", max_length=MAX_ERROR_CHARS),
    Bool("retryable", default=True),
    limit=SMALL_BODY_LIMIT,
)
CANCEL = Body(
    Text("reason", max_length=MAX_ERROR_CHARS, default=None, description="Kept on the job and in its event."),
    limit=SMALL_BODY_LIMIT,
    optional=True,
)
NO_FIELDS = Body(limit=SMALL_BODY_LIMIT, optional=True)  # retry: an empty body is fine
