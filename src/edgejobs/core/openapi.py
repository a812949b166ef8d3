"""The OpenAPI 3.1 document, generated from the routes that are actually served.

Each route declares its own operation (summary, body, success responses); this module
adds what every route shares: path parameters, bearer auth on `/api/`, the common
error responses and the headers every response carries.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import __version__
from .routing import Route

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z_]+$"},
                "message": {"type": "string"},
                "field": {"type": "string"},
                "details": {},
            },
        }
    },
}

_ERROR_TEXT = {
    "400": "Validation error or invalid JSON",
    "401": "Missing or invalid bearer token (a user token's reason in details.reason), or no API_TOKEN",
    "403": "A user token on a route only the service token may use",
    "404": "Not found",
    "405": "Method not allowed",
    "409": "Conflict",
    "410": "Gone",
    "412": "Precondition failed",
    "413": "Payload too large",
    "415": "Unsupported media type",
    "429": "Quota exceeded",
    "500": "Internal error",
    "502": "The provider doing the work refused it (its status and message in details)",
    "503": "Database (or a user token's JWKS) unavailable (see Retry-After)",
}

COMMON_HEADERS = {
    "x-request-id": {"description": "Echoed from the request, or generated.", "schema": {"type": "string"}},
    "x-d1-stats": {
        "description": "D1 cost of this request: `queries=<n>; rows_read=<n>; rows_written=<n>`.",
        "schema": {"type": "string"},
    },
}


def error_response(status: str) -> dict[str, Any]:
    return {
        "description": _ERROR_TEXT[status],
        "headers": COMMON_HEADERS,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, also allowing null."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema.get("type")
    if kind is None or kind == "null" or (isinstance(kind, list) and "null" in kind):
        return schema  # no type: any value, null included
    result = {**schema, "type": [*(kind if isinstance(kind, list) else [kind]), "null"]}
    if "enum" in schema:
        result["enum"] = [*schema["enum"], None]
    return result


def parameter(
    name: str, location: str, schema: dict[str, Any], description: str | None = None, *, required: bool
) -> dict[str, Any]:
    """An operation parameter (`location`: path, query or header)."""
    found: dict[str, Any] = {"name": name, "in": location, "required": required}
    if description:
        found["description"] = description
    return {**found, "schema": schema}


PAGE_PARAMETERS = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
]


def page_schema(item: str) -> dict[str, Any]:
    """`{"items": [<item>], "next_cursor": str | null}`."""
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


def page_answer(description: str, item: str) -> dict[str, Any]:
    """The responses of a list operation: 200 with a page of `item` (a schema name)."""
    return {"200": {"description": description, "content": json_content(page_schema(item))}}


def build_document(routes: list[Route], schemas: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation = copy.deepcopy(route.operation)
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in route.param_names
        ]
        declared = {(p["name"], p["in"]) for p in operation.get("parameters", [])}
        operation["parameters"] = [
            p for p in parameters if (p["name"], "path") not in declared
        ] + operation.get("parameters", [])
        if not operation["parameters"]:
            del operation["parameters"]
        responses = operation.setdefault("responses", {})
        for response in responses.values():
            response["headers"] = {**COMMON_HEADERS, **response.get("headers", {})}
        errors = ["400", "405", "500", "503"]
        if route.public:
            errors.append("401")  # the route checks its callers itself
            operation["security"] = []
        elif route.template.startswith("/api/"):
            errors.append("401")
            if not route.users:
                errors.append("403")
            operation["security"] = [{"bearer": []}]
        else:
            operation["security"] = []
        if route.param_names:
            errors.append("404")
        if route.method in ("POST", "PUT", "PATCH"):
            errors += ["413", "415"]
        for status in errors + operation.pop("x-errors", []):
            responses.setdefault(status, error_response(status))
        operation.setdefault("operationId", route.handler.__name__)
        paths.setdefault(route.template, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "edgejobs",
            "version": __version__,
            "description": "Job ledger for AI video pipelines: VEO job cache, export job queue, maintenance.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA, **schemas},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
