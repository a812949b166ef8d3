"""The OpenAPI schemas of an export job and of a queue's state."""

from __future__ import annotations

from .machine import STATUSES
from .model import JOB_FIELDS

TIME = {"type": ["string", "null"], "format": "date-time"}

EXPORT_JOB_SCHEMA = {
    "type": "object",
    "required": [field.name for field in JOB_FIELDS],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "UUIDv7: sorts in creation order."},
        "project_id": {"type": "integer", "minimum": 1},
        "type": {"type": "string", "description": "One of EXPORT_JOB_TYPES."},
        "status": {"type": "string", "enum": list(STATUSES)},
        "priority": {"type": "integer", "description": "Higher is claimed first (default 0)."},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "input_video_key": {"type": "string"},
        "output_video_key": {"type": ["string", "null"]},
        "params": {"type": "object"},
        "result": {"type": ["object", "null"], "description": "What complete reported (≤ 64 KiB)."},
        "cancel_reason": {"type": ["string", "null"], "description": "The reason a cancel gave."},
        "error": {
            "type": ["string", "null"],
            "description": "Last failure (`lease_expired`, `queue_expired`, or the runner's).",
        },
        "retry_count": {"type": "integer", "minimum": 0},
        "max_retries": {"type": "integer", "minimum": 0, "maximum": 10},
        "retry_base_seconds": {
            "type": ["integer", "null"],
            "description": "This job's backoff base (null: EXPORT_RETRY_BASE_SECONDS).",
        },
        "retry_cap_seconds": {
            "type": ["integer", "null"],
            "description": "This job's backoff cap (null: EXPORT_RETRY_CAP_SECONDS).",
        },
        "runner_id": {"type": ["string", "null"]},
        "lease_id": {
            "type": ["string", "null"],
            "description": "Opaque; the latest claim's lease (fresh on every claim). Heartbeat, "
            "complete and fail must send it with runner_id.",
        },
        "runpod_job_id": {"type": ["string", "null"]},
        "lease_seconds": {"type": ["integer", "null"], "description": "Lease length of the current claim."},
        "lease_expires_at": {**TIME, "description": "Set while processing; a heartbeat extends it."},
        "available_at": {**TIME, "description": "Claimable from (start_after, retry backoff)."},
        "created_at": {"type": "string", "format": "date-time"},
        "started_at": {**TIME, "description": "When the latest claim started."},
        "completed_at": {**TIME, "description": "When the job became complete, error or cancelled."},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}

QUEUES_SCHEMA: dict[str, object] = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "paused", "paused_at", "counts"],
                "properties": {
                    "type": {"type": "string"},
                    "paused": {"type": "boolean"},
                    "paused_at": TIME,
                    "counts": {
                        "type": "object",
                        "description": "Jobs of this type in each status (kept by counters).",
                        "required": list(STATUSES),
                        "properties": {s: {"type": "integer", "minimum": 0} for s in STATUSES},
                    },
                },
            },
        }
    },
}
QUEUE_STATE_SCHEMA = {
    "type": "object",
    "required": ["type", "paused", "paused_at"],
    "properties": {
        "type": {"type": "string"},
        "paused": {"type": "boolean", "description": "Claims take no job of this type while paused."},
        "paused_at": TIME,
    },
}
