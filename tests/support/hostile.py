"""What the hostile-input tests share: every operation the Worker serves (from the routes
/openapi.json is built from), what a refusal must look like, and the state hostile
requests must leave unchanged."""

from __future__ import annotations

import http.client
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from edgejobs.core.config import Config
from edgejobs.main import REGISTRY
from tests.support.runtime import LocalRuntime

MAX_BODY_BYTES = Config().max_body_bytes
SMALL_BODY_LIMIT = 16 * 1024  # the smallest body limit of any route (runner actions)
MAX_ERROR_BYTES = 1024
JSON = {"content-type": "application/json"}
VEO_PROBE = "hostile-probe"  # a live VEO job the tests try (and fail) to change


# Every operation as served, from the same routes /openapi.json is built from (the
# `served_document` test checks that the two agree).
OPERATIONS = [(route.method, route.template) for route in REGISTRY.routes]
PATHS = sorted({template for _, template in OPERATIONS})
# Public /api/ routes (a provider's webhook) check their callers themselves, before anything
# else: every hostile request without the provider's signature or token is a 401 there. Their
# own hostile cases, with and without credentials: tests/http/test_providers_hostile.py.
PUBLIC = {(r.method, r.template) for r in REGISTRY.routes if r.public}
WITH_BODY = [(r.method, r.template) for r in REGISTRY.routes if "requestBody" in r.operation and not r.public]
WITHOUT_BODY = [(r.method, r.template) for r in REGISTRY.routes if "requestBody" not in r.operation]
WITH_PATH_ID = [(m, t) for m, t in OPERATIONS if "{" in t and (m, t) not in PUBLIC]


LISTS = [
    (r.method, r.template)
    for r in REGISTRY.routes
    if any(p.get("name") == "cursor" for p in r.operation.get("parameters", []))
]


def op_id(value: Any) -> str:
    return f"{value[0]} {value[1]}" if isinstance(value, tuple) else str(value)


# --- what every refusal looks like ---------------------------------------------------------
def assert_refused(
    response: httpx.Response, status: int | tuple[int, ...] | None = None, code: str | None = None
) -> dict[str, Any]:
    """A 4xx in the API's error shape; `status`/`code` when the case pins them."""
    expected = (status,) if isinstance(status, int) else status
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if expected:
        assert response.status_code in expected, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.content) <= MAX_ERROR_BYTES, f"error body of {len(response.content)} bytes"
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "field", "details"}, error
    assert re.fullmatch(r"[a-z_]+", error["code"]), error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    if code:
        assert error["code"] == code, error
    if response.status_code == 405:
        assert response.headers["allow"]
    assert "traceback" not in response.text.lower()
    return error


# --- fixtures: the things hostile requests must not change ------------------------------------
STATE_SQL = """
SELECT
  (SELECT count(*) FROM veo_jobs) AS veo_jobs,
  (SELECT count(*) FROM veo_job_data) AS veo_job_data,
  (SELECT max(updated_at) FROM veo_jobs) AS veo_jobs_written,
  (SELECT count(*) FROM export_jobs) AS export_jobs,
  (SELECT max(updated_at) FROM export_jobs) AS export_jobs_written,
  (SELECT count(*) FROM job_events) AS job_events,
  (SELECT count(*) FROM idempotency_keys) AS idempotency_keys,
  (SELECT count(*) FROM maintenance_runs) AS maintenance_runs,
  (SELECT count(*) FROM export_queue_pauses) AS export_queue_pauses,
  (SELECT count(*) FROM webhook_subscriptions) AS webhook_subscriptions,
  (SELECT max(updated_at) FROM webhook_subscriptions) AS webhook_subscriptions_written,
  (SELECT count(*) FROM webhook_deliveries) AS webhook_deliveries,
  (SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM videos) AS videos,
  (SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM video_usage) AS video_usage,
  (SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM generations) AS generations
"""


def state(runtime: LocalRuntime | None, client: httpx.Client) -> Any:
    """What D1 holds, as far as any write would change it. Against a remote Worker (no D1
    access): the newest item of every list instead."""
    if runtime is not None:
        return runtime.sql(STATE_SQL)[0]
    lists = ("/api/veo/jobs", "/api/export-jobs", "/api/maintenance/runs")
    return [client.get(path, params={"limit": 1}).json()["items"][:1] for path in lists]


def request_body_schema(method: str, template: str) -> dict[str, Any]:
    route = next(r for r in REGISTRY.routes if (r.method, r.template) == (method, template))
    schema = route.operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = REGISTRY.schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return dict(schema)


def minimal_body(method: str, template: str) -> dict[str, Any]:
    """The smallest body the schema accepts: each required field with a plain value."""
    schema = request_body_schema(method, template)

    def example(prop: dict[str, Any]) -> Any:
        if "examples" in prop:
            return prop["examples"][0]
        if "enum" in prop:
            return prop["enum"][0]
        if "type" not in prop:
            return {"probe": True}  # any JSON value
        kind = prop["type"] if isinstance(prop["type"], str) else prop["type"][0]
        return {"string": "probe", "integer": prop.get("minimum", 1), "boolean": True, "array": [],
                "object": {}}[kind]  # fmt: skip

    return {name: example(schema["properties"][name]) for name in schema.get("required", [])}


def raw_request(base_url: str, method: str, target: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send `target` exactly as written (no client-side normalisation of `..` or `%2e`)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        connection.request(method, target, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
