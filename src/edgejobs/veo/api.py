"""The VEO job cache's routes and their OpenAPI operations."""

from __future__ import annotations

from ..core.db import MAX_SAFE_INTEGER
from ..core.openapi import COMMON_HEADERS, PAGE_PARAMETERS, json_content, page_answer, ref
from ..core.routing import Route
from .handlers import delete_all_veo_jobs, delete_veo_job, get_veo_job, list_veo_jobs, put_veo_job
from .model import DELETE_ALL_MAX_JOBS, JOB_ID_RULE, MAX_NAME_CHARS, MAX_STATUS_CHARS, MAX_URL_CHARS

_NO_NUL = "^[^\\u0000]*$"
_OPTIONAL_TEXT = {"type": ["string", "null"], "pattern": _NO_NUL}
_OPTIONAL_COUNT = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_SAFE_INTEGER}
_OPTIONAL_FLAG = {"type": ["boolean", "null"]}

JOB_ID_PARAMETER = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "description": f"The client's job id: {JOB_ID_RULE}.",
    "schema": {"type": "string", "pattern": "^(?!\\.+$)[A-Za-z0-9._:-]{1,128}$"},
}
IF_MATCH_PARAMETER = {
    "name": "If-Match",
    "in": "header",
    "description": "`*` or the job's ETag(s): the change happens only if the live job has one, else 412.",
    "schema": {"type": "string"},
}
IF_NONE_MATCH_PARAMETER = {
    "name": "If-None-Match",
    "in": "header",
    "description": "`*`: create only; 412 if a live job with this id exists.",
    "schema": {"type": "string", "enum": ["*"]},
}
USER_ID_PARAMETER = {
    "name": "user_id",
    "in": "query",
    "description": (
        "Service token only (a user token sending it is a 400): act on this user's jobs, as that "
        "user (lists filter on it, another owner's job is a 404, a PUT creates the job for them)."
    ),
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,128}$"},
}
ETAG_HEADER = {"description": "Strong ETag of the stored object.", "schema": {"type": "string"}}

JOB_SCHEMA = {
    "type": "object",
    "description": (
        "Any JSON object (≤ MAX_BODY_BYTES raw, ≤ ~2 MB gzip-compressed). These keys, when present, "
        "become searchable metadata; camelCase and snake_case spellings are both read "
        "(the same field spelled both ways with different values is a 400). A `job_id`/`jobId` "
        "must equal the path's id."
    ),
    "properties": {
        "job_id": {"type": ["string", "null"]},
        "jobId": {"type": ["string", "null"]},
        "status": {**_OPTIONAL_TEXT, "maxLength": MAX_STATUS_CHARS},
        "video_id": {**_OPTIONAL_TEXT, "maxLength": MAX_NAME_CHARS},
        "videoId": {**_OPTIONAL_TEXT, "maxLength": MAX_NAME_CHARS},
        "video_url": {**_OPTIONAL_TEXT, "maxLength": MAX_URL_CHARS},
        "videoUrl": {**_OPTIONAL_TEXT, "maxLength": MAX_URL_CHARS},
        "scene_count": _OPTIONAL_COUNT,
        "sceneCount": _OPTIONAL_COUNT,
        "characters_found": _OPTIONAL_COUNT,
        "charactersFound": _OPTIONAL_COUNT,
        "mode": {**_OPTIONAL_TEXT, "maxLength": MAX_NAME_CHARS},
        "voice": {**_OPTIONAL_TEXT, "maxLength": MAX_NAME_CHARS},
        "has_script": _OPTIONAL_FLAG,
        "hasScript": _OPTIONAL_FLAG,
        "error": {"description": "Text, or any JSON value (kept as its JSON text)."},
    },
    "additionalProperties": True,
}
_NULLABLE_STRING = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
METADATA_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "job_id",
        "user_id",
        "status",
        "video_id",
        "video_url",
        "scene_count",
        "characters_found",
        "mode",
        "voice",
        "has_script",
        "error",
        "created_at",
        "updated_at",
        "expires_at",
        "size_bytes",
        "stored_bytes",
        "etag",
    ],
    "properties": {
        "job_id": {"type": "string"},
        "user_id": {
            "type": ["string", "null"],
            "description": "The user token `sub` that owns the job; null when the service token wrote it.",
        },
        "status": {"type": "string"},
        "video_id": _NULLABLE_STRING,
        "video_url": _NULLABLE_STRING,
        "scene_count": {"type": ["integer", "null"], "minimum": 0},
        "characters_found": {"type": ["integer", "null"], "minimum": 0},
        "mode": _NULLABLE_STRING,
        "voice": _NULLABLE_STRING,
        "has_script": {"type": "boolean"},
        "error": _NULLABLE_STRING,
        "created_at": _TIME,
        "updated_at": _TIME,
        "expires_at": _TIME,
        "size_bytes": {"type": "integer", "minimum": 0, "description": "Canonical JSON, uncompressed"},
        "stored_bytes": {"type": "integer", "minimum": 0, "description": "gzip-compressed, as stored"},
        "etag": {"type": "string", "description": "The ETag header's value (quoted)."},
    },
}
DELETED_SCHEMA = {
    "type": "object",
    "required": ["deleted", "more"],
    "additionalProperties": False,
    "properties": {
        "deleted": {
            "type": "integer",
            "minimum": 0,
            "description": "Live jobs this call deleted (expired ones it removed are not counted).",
        },
        "more": {
            "type": "boolean",
            "description": "Jobs are left (this call stopped at `limit`): call again until it is false.",
        },
    },
}

_TAGS = ["veo"]
ROUTES = [
    Route(
        "PUT",
        "/api/veo/jobs/{job_id}",
        put_veo_job,
        {
            "summary": "Store a VEO job object (upsert)",
            "tags": _TAGS,
            "x-user-tokens": True,
            "parameters": [JOB_ID_PARAMETER, IF_MATCH_PARAMETER, IF_NONE_MATCH_PARAMETER, USER_ID_PARAMETER],
            "requestBody": {"required": True, "content": json_content(ref("VeoJob"))},
            "responses": {
                "200": {
                    "description": "Updated; the job's metadata",
                    "headers": {**COMMON_HEADERS, "etag": ETAG_HEADER},
                    "content": json_content(ref("VeoJobMetadata")),
                },
                "201": {
                    "description": "Created (or an expired job replaced); the job's metadata",
                    "headers": {
                        **COMMON_HEADERS,
                        "etag": ETAG_HEADER,
                        "location": {"description": "The job's URL", "schema": {"type": "string"}},
                    },
                    "content": json_content(ref("VeoJobMetadata")),
                },
            },
            "x-errors": ["409", "412"],
        },
    ),
    Route(
        "GET",
        "/api/veo/jobs/{job_id}",
        get_veo_job,
        {
            "summary": "The stored VEO job object, exactly as stored",
            "tags": _TAGS,
            "x-user-tokens": True,
            "parameters": [JOB_ID_PARAMETER, USER_ID_PARAMETER],
            "responses": {
                "200": {
                    "description": "The object (404 if absent or expired)",
                    "headers": {**COMMON_HEADERS, "etag": ETAG_HEADER},
                    "content": json_content({"type": "object"}),
                }
            },
        },
    ),
    Route(
        "GET",
        "/api/veo/jobs",
        list_veo_jobs,
        {
            "summary": "Live VEO jobs' metadata, newest updated_at first",
            "tags": _TAGS,
            "x-user-tokens": True,
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_STATUS_CHARS},
                },
                {
                    "name": "video_id",
                    "in": "query",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
                },
                USER_ID_PARAMETER,
                *PAGE_PARAMETERS,
            ],
            "responses": page_answer("A page of metadata", "VeoJobMetadata"),
        },
    ),
    Route(
        "DELETE",
        "/api/veo/jobs/{job_id}",
        delete_veo_job,
        {
            "summary": "Delete a VEO job",
            "tags": _TAGS,
            "x-user-tokens": True,
            "parameters": [JOB_ID_PARAMETER, IF_MATCH_PARAMETER, USER_ID_PARAMETER],
            "responses": {"204": {"description": "Deleted"}},
            "x-errors": ["412"],
        },
    ),
    Route(
        "DELETE",
        "/api/veo/jobs",
        delete_all_veo_jobs,
        {
            "summary": "Delete every VEO job (needs confirm=all), up to `limit` per call",
            "description": (
                "Deletes the caller's jobs (a user token: its own; the service token: every job, or "
                "`user_id`'s) in one bounded batch of at most `limit` jobs, expired ones included "
                "but not counted. Repeat while `more` is true; jobs written meanwhile may be "
                "deleted by a later call."
            ),
            "tags": _TAGS,
            "x-user-tokens": True,
            "parameters": [
                {
                    "name": "confirm",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "enum": ["all"]},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "description": f"Jobs deleted at most (default and maximum {DELETE_ALL_MAX_JOBS:,}).",
                    "schema": {"type": "integer", "minimum": 1, "maximum": DELETE_ALL_MAX_JOBS},
                },
                USER_ID_PARAMETER,
            ],
            "responses": {
                "200": {
                    "description": "How many live jobs were deleted, and whether any job is left",
                    "content": json_content(ref("VeoDeleted")),
                }
            },
        },
    ),
]
SCHEMAS = {"VeoJob": JOB_SCHEMA, "VeoJobMetadata": METADATA_SCHEMA, "VeoDeleted": DELETED_SCHEMA}
