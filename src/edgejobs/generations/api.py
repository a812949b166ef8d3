"""The generations' and files' routes and their OpenAPI operations."""

from __future__ import annotations

from typing import Any

from ..core.openapi import PAGE_PARAMETERS, json_content, page_answer, parameter, ref
from ..core.routing import Route
from .files import get_file, get_files
from .handlers import create_generation, get_generation, list_generations
from .imports import IMPORT, MAX_ITEMS, import_generations
from .model import CREATE, GENERATION_FIELDS, STATUSES

_TIME = {"type": "string", "format": "date-time"}
_TEXT = {"type": ["string", "null"]}
GENERATION_VIDEO_SCHEMA = {
    "type": "object",
    "required": ["id", "provider_job_id", "status", "progress", "file_url", "thumbnail_url", "error"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "provider_job_id": _TEXT,
        "status": {"type": "string"},
        "progress": {"type": "integer"},
        "file_url": _TEXT,
        "thumbnail_url": _TEXT,
        "error": {"type": ["object", "null"]},
    },
}
_GENERATION_PROPERTIES = {
    "generation_id": {"type": "string"},
    "user_id": _TEXT,
    "model": {"type": "string"},
    "prompt": {"type": "string"},
    "video_count": {"type": "integer", "minimum": 1, "maximum": 10},
    "status": {"type": "string", "enum": list(STATUSES)},
    "progress": {"type": "integer", "minimum": 0, "maximum": 100, "description": "⌊100 × completed ÷ count⌋"},
    "created_at": _TIME,
    "updated_at": _TIME,
}
GENERATION_SUMMARY_SCHEMA = {
    "type": "object",
    "required": [field.name for field in GENERATION_FIELDS],
    "properties": _GENERATION_PROPERTIES,
}
GENERATION_SCHEMA = {
    "type": "object",
    "required": [*(field.name for field in GENERATION_FIELDS), "videos"],
    "properties": {
        **_GENERATION_PROPERTIES,
        "videos": {"type": "array", "items": ref("GenerationVideo")},
    },
}
IMPORT_RESULT_SCHEMA = {
    "type": "object",
    "required": ["imported", "skipped", "errors"],
    "properties": {
        "imported": {"type": "integer"},
        "skipped": {"type": "array", "items": {"type": "string"}},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "message"],
                "properties": {"index": {"type": "integer"}, "message": {"type": "string"}},
            },
        },
    },
}
FILES_SCHEMA = {
    "type": "object",
    "required": ["items", "missing"],
    "properties": {
        "items": {"type": "array", "items": ref("Video")},
        "missing": {"type": "array", "items": {"type": "string"}},
    },
}


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    tag: str = "generations",
    errors: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    operation = {"summary": summary, "tags": [tag], "responses": responses, "x-user-tokens": True, **extra}
    if errors:
        operation["x-errors"] = errors
    return operation


def _generation(description: str) -> dict[str, Any]:
    return {"description": description, "content": json_content(ref("Generation"))}


_USER = parameter("user_id", "query", {"type": "string", "minLength": 1, "maxLength": 128},
                  "Service token only: that user's.", required=False)  # fmt: skip
_ID = parameter("id", "path", {"type": "string", "minLength": 1, "maxLength": 255}, required=True)

ROUTES = [
    Route("POST", "/api/generations", create_generation, _op(
        "Create a generation: video_count queued videos, charged at once, submitted to their provider",
        {"201": _generation("Created"), "200": _generation("The same generation_id and body again")},
        requestBody=CREATE.openapi(), errors=["409", "429", "502"],
    )),
    Route("GET", "/api/generations", list_generations, _op(
        "Generations, newest first (without their videos)",
        page_answer("A page", "GenerationSummary"),
        parameters=[_USER, parameter("status", "query", {"type": "string", "enum": list(STATUSES)},
                                     required=False), *PAGE_PARAMETERS],
    )),
    Route("POST", "/api/generations/import", import_generations, _op(
        f"Import a browser's localStorage history (up to {MAX_ITEMS} GenerationData objects)",
        {"200": {"description": "What was imported", "content": json_content(ref("GenerationImport"))}},
        parameters=[_USER], requestBody=IMPORT.openapi(),
    )),
    Route("GET", "/api/generations/{id}", get_generation, _op(
        "A generation with its videos", {"200": _generation("The generation")}, parameters=[_ID],
    )),
    Route("GET", "/api/files", get_files, _op(
        "Up to 50 files (videos by provider id), in the order asked",
        {"200": {"description": "Found and missing", "content": json_content(ref("Files"))}},
        tag="files",
        parameters=[parameter("ids", "query", {"type": "string", "minLength": 1}, "Comma-separated file ids.",
                              required=True)],
    )),
    Route("GET", "/api/files/{file_id}", get_file, _op(
        "The caller's video whose provider id is file_id",
        {"200": {"description": "The video", "content": json_content(ref("Video"))}},
        tag="files",
        parameters=[parameter("file_id", "path", {"type": "string", "minLength": 1, "maxLength": 255},
                              required=True)],
    )),
]  # fmt: skip
SCHEMAS = {
    "Generation": GENERATION_SCHEMA,
    "GenerationSummary": GENERATION_SUMMARY_SCHEMA,
    "GenerationVideo": GENERATION_VIDEO_SCHEMA,
    "GenerationImport": IMPORT_RESULT_SCHEMA,
    "Files": FILES_SCHEMA,
}
