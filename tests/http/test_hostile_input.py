"""The hostile input corpus, over HTTP through the real runtime.

Every request here is refused with a 4xx in the SPEC's shape (`{"error": {"code",
"message"}}`, JSON, `nosniff`, a small body that never echoes unbounded input), and
nothing is stored: the `ledger` fixture compares D1 (counts and the newest write of each
table) before and after every test. The cases are tables over the operations of the served
`/openapi.json`, so a new route is covered by adding it.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from edgejobs.core.config import Config
from edgejobs.main import REGISTRY
from tests.support.factories import export_job_body
from tests.support.runtime import LocalRuntime
from tests.support.settings import TOKEN


MAX_BODY_BYTES = Config().max_body_bytes
SMALL_BODY_LIMIT = 16 * 1024  # the smallest body limit of any route (runner actions)
MAX_ERROR_BYTES = 1024
JSON = {"content-type": "application/json"}
VEO_PROBE = "hostile-probe"  # a live VEO job the tests try (and fail) to change

# Every operation as served, from the same routes /openapi.json is built from (the
# `served_document` test checks that the two agree).
OPERATIONS = [(route.method, route.template) for route in REGISTRY.routes]
PATHS = sorted({template for _, template in OPERATIONS})
WITH_BODY = [(r.method, r.template) for r in REGISTRY.routes if "requestBody" in r.operation]
WITHOUT_BODY = [(r.method, r.template) for r in REGISTRY.routes if "requestBody" not in r.operation]
WITH_PATH_ID = [(m, t) for m, t in OPERATIONS if "{" in t]
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
    """A 4xx in the SPEC's error shape; `status`/`code` when the case pins them."""
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
  (SELECT count(*) FROM maintenance_runs) AS maintenance_runs
"""


def state(runtime: LocalRuntime | None, client: httpx.Client) -> Any:
    """What D1 holds, as far as any write would change it. Against a remote Worker (no D1
    access): the newest item of every list instead."""
    if runtime is not None:
        return runtime.sql(STATE_SQL)[0]
    lists = ("/api/veo/jobs", "/api/export-jobs", "/api/maintenance/runs")
    return [client.get(path, params={"limit": 1}).json()["items"][:1] for path in lists]


@pytest.fixture
def ledger(runtime: LocalRuntime | None, client: httpx.Client) -> Iterator[None]:
    """Fails the test if anything was stored, changed or deleted while it ran."""
    before = state(runtime, client)
    yield
    assert state(runtime, client) == before, "a refused request changed what is stored"


@pytest.fixture(scope="module")
def export_job(client: httpx.Client) -> Iterator[str]:
    """A live pending export job: the `{id}` that hostile runner requests aim at."""
    created = client.post("/api/export-jobs", json=export_job_body(project_id=6, type="annotate"))
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    yield job_id
    client.post(f"/api/export-jobs/{job_id}/cancel")  # claim tests share this D1


@pytest.fixture(scope="module")
def veo_jobs(client: httpx.Client) -> Iterator[list[str]]:
    """Two live VEO jobs (so lists have a second page and a real cursor exists)."""
    ids = [VEO_PROBE, f"hostile-{uuid.uuid4().hex[:12]}"]
    for job_id in ids:
        assert client.put(f"/api/veo/jobs/{job_id}", json={"status": "running"}).status_code in (200, 201)
    yield ids
    for job_id in ids:
        client.delete(f"/api/veo/jobs/{job_id}")


@pytest.fixture
def fill(export_job: str, veo_jobs: list[str]) -> Any:
    """`template` → a concrete path naming the live probe jobs."""

    def fill_path(template: str) -> str:
        return template.replace("{job_id}", VEO_PROBE).replace("{id}", export_job)

    return fill_path


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
        if "enum" in prop:
            return prop["enum"][0]
        kind = prop["type"] if isinstance(prop["type"], str) else prop["type"][0]
        return {"string": "probe", "integer": prop.get("minimum", 1), "boolean": True}[kind]

    return {name: example(schema["properties"][name]) for name in schema.get("required", [])}


def test_served_document_lists_exactly_these_operations(anon: httpx.Client) -> None:
    served = anon.get("/openapi.json").json()["paths"]
    assert sorted((m.upper(), p) for p, ops in served.items() for m in ops) == sorted(OPERATIONS)


# --- request bodies ------------------------------------------------------------------------------
OVER_LIMIT = b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}'
HOSTILE_BODIES: list[tuple[str, bytes, int, str]] = [
    ("invalid-utf8", b'{"x": "\xff\xfe"}', 400, "invalid_json"),
    ("utf8-encoded-surrogate", b'{"x": "\xed\xa0\x80"}', 400, "invalid_json"),
    ("overlong-utf8", b'{"x": "\xc0\xaf"}', 400, "invalid_json"),
    ("byte-order-mark", b"\xef\xbb\xbf{}", 400, "invalid_json"),
    ("raw-nul", b'{"x":\x00 1}', 400, "invalid_json"),
    ("trailing-nul", b"{}\x00", 400, "invalid_json"),
    ("nested-100k-arrays", b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "invalid_json"),
    ("nested-100k-objects", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400, "invalid_json"),
    ("unclosed-100k", b"[" * 100_000, 400, "invalid_json"),
    ("1e400", b'{"x": 1e400}', 400, "invalid_json"),
    ("-1e400", b'{"x": -1e400}', 400, "invalid_json"),
    ("NaN", b'{"x": NaN}', 400, "invalid_json"),
    ("Infinity", b'{"x": Infinity}', 400, "invalid_json"),
    ("-Infinity", b'{"x": -Infinity}', 400, "invalid_json"),
    ("int-with-5000-digits", b'{"x": 1' + b"0" * 5000 + b"}", 400, "invalid_json"),
    ("duplicate-keys", b'{"x": 1, "x": 2}', 400, "invalid_json"),
    ("duplicate-nested-keys", b'{"x": {"y": 1, "y": 1}}', 400, "invalid_json"),
    ("truncated", b'{"x": ', 400, "invalid_json"),
    ("single-quotes", b"{'x': 1}", 400, "invalid_json"),
    ("trailing-comma", b'{"x": 1,}', 400, "invalid_json"),
    ("array", b"[]", 400, "validation_error"),
    ("null", b"null", 400, "validation_error"),
    ("string", b'"x"', 400, "validation_error"),
    ("number", b"1", 400, "validation_error"),
    ("over-max-body-bytes", OVER_LIMIT, 413, "payload_too_large"),
]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize(
    ("name", "body", "status", "code"), HOSTILE_BODIES, ids=[c[0] for c in HOSTILE_BODIES]
)
@pytest.mark.parametrize("operation", WITH_BODY, ids=op_id)
def test_hostile_body_is_refused(
    client: httpx.Client,
    fill: Any,
    operation: tuple[str, str],
    name: str,
    body: bytes,
    status: int,
    code: str,
) -> None:
    method, template = operation
    response = client.request(method, fill(template), content=body, headers=JSON)
    if response.status_code == 413 and len(body) > SMALL_BODY_LIMIT:
        status, code = 413, "payload_too_large"  # routes with small bodies refuse it by size first
    error = assert_refused(response, status, code)
    assert "sys." not in error["message"] and "set_int_max_str_digits" not in error["message"]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("operation", WITH_BODY, ids=op_id)
def test_oversized_body_without_content_length_is_413(
    client: httpx.Client, fill: Any, operation: tuple[str, str]
) -> None:
    def chunks() -> Iterator[bytes]:  # sent chunked: the size is known only once read
        for _ in range(11):
            yield b" " * (1024 * 1024)
        yield b"{}"

    method, template = operation
    response = client.request(method, fill(template), content=chunks(), headers=JSON)
    assert_refused(response, 413, "payload_too_large")


CONTENT_TYPES = [
    None,
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "application/xml",
    "json",
]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("content_type", CONTENT_TYPES, ids=str)
@pytest.mark.parametrize("operation", WITH_BODY, ids=op_id)
def test_body_with_wrong_or_missing_content_type_is_415(
    anon: httpx.Client, fill: Any, operation: tuple[str, str], content_type: str | None
) -> None:
    method, template = operation
    headers = {"authorization": f"Bearer {TOKEN}"}
    if content_type is not None:
        headers["content-type"] = content_type
    body = json.dumps(minimal_body(method, template) or {"x": 1}).encode()
    response = anon.request(method, fill(template), content=body, headers=headers)
    assert_refused(response, 415, "unsupported_media_type")


def field_abuse_cases() -> list[tuple[tuple[str, str], str, Any]]:
    """For each strict body (unknown fields refused): every declared field with values of
    the wrong kind, and unknown fields with hostile names."""
    cases: list[tuple[tuple[str, str], str, Any]] = []
    for operation in WITH_BODY:
        schema = request_body_schema(*operation)
        if schema.get("additionalProperties") is not False:
            continue
        for name, prop in schema.get("properties", {}).items():
            kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
            if "integer" in kinds:
                values: list[Any] = [10**400, -(10**30), 1.0, 1.5, True, "1", [1]]
            elif "string" in kinds:
                values = ["a\x00b", "x" * 10_240, " \t\n ", 1, True, {}, ["probe"]]
            elif "boolean" in kinds:
                values = [0, 1, "true", []]
            elif "array" in kinds:
                values = [[], "framing", ["framing", 1], [None], {}]
            else:
                values = ["{}", [], 1]
            cases += [(operation, name, value) for value in values]
        for unknown in ("k" * 10_000, "__proto__", "constructor", "", "a\x00b"):
            cases.append((operation, unknown, 1))
    return cases


FIELD_ABUSE = field_abuse_cases()


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize(
    ("operation", "field", "value"),
    FIELD_ABUSE,
    ids=[f"{op_id(o)}-{f[:20]}-{type(v).__name__}{i}" for i, (o, f, v) in enumerate(FIELD_ABUSE)],
)
def test_wrong_field_value_is_400_naming_the_field(
    client: httpx.Client, fill: Any, operation: tuple[str, str], field: str, value: Any
) -> None:
    method, template = operation
    body = {**minimal_body(method, template), field: value}
    response = client.request(method, fill(template), content=json.dumps(body).encode(), headers=JSON)
    error = assert_refused(response, 400, "validation_error")
    named = error.get("field")
    assert named == field or (len(field) > 64 and len(named) <= 64 and field.startswith(named[:-1])), error


VEO_ABUSE: list[tuple[str, dict[str, Any]]] = [
    ("status-with-nul", {"status": "done\x00"}),
    ("status-10kB", {"status": "s" * 10_240}),
    ("status-number", {"status": 1}),
    ("status-object", {"status": {"$ne": 1}}),
    ("scene-count-huge", {"scene_count": 10**400}),
    ("scene-count-negative", {"sceneCount": -1}),
    ("scene-count-float", {"scene_count": 1.5}),
    ("scene-count-bool", {"scene_count": True}),
    ("has-script-string", {"has_script": "yes"}),
    ("video-id-lone-surrogate", {"video_id": "\ud800"}),
    ("video-url-10kB", {"videoUrl": "https://x/" + "a" * 10_240}),
    ("two-spellings-disagree", {"video_id": "a", "videoId": "b"}),
    ("job-id-differs", {"jobId": "another-job"}),
    ("job-id-traversal", {"job_id": "../../etc/passwd"}),
    ("job-id-10kB", {"job_id": "j" * 10_240}),
]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize(("name", "body"), VEO_ABUSE, ids=[c[0] for c in VEO_ABUSE])
def test_veo_metadata_abuse_is_400(client: httpx.Client, veo_jobs: list[str], name: str, body: Any) -> None:
    response = client.put(f"/api/veo/jobs/{VEO_PROBE}", content=json.dumps(body).encode(), headers=JSON)
    assert_refused(response, 400, "validation_error")


def test_free_form_veo_data_is_stored_exactly(client: httpx.Client) -> None:
    """What the VEO cache stores is the client's object: hostile-looking *values* outside the
    metadata fields are data, kept exactly (not a 4xx, not mangled)."""
    job_id = f"hostile-data-{uuid.uuid4().hex[:8]}"
    obj = {
        "nul": "a\x00b",
        "lone_surrogate": "\ud800",
        "big_int": 10**400,
        "tiny": 1e-300,
        "rtl": "\u202egnp.exe",
        "emoji": "🎬" * 100,
        "__proto__": {"polluted": True},
        "": "empty key",
        "deep": json.loads("[" * 200 + "]" * 200),
        "sql": "'; DROP TABLE veo_jobs; --",
        "html": "<script>alert(1)</script>",
    }
    body = json.dumps(obj).encode()  # ASCII escapes: the lone surrogate survives the wire
    try:
        assert client.put(f"/api/veo/jobs/{job_id}", content=body, headers=JSON).status_code == 201
        got = client.get(f"/api/veo/jobs/{job_id}")
        assert got.status_code == 200
        assert got.headers["x-content-type-options"] == "nosniff"
        assert json.loads(got.content.decode("utf-8", "surrogatepass")) == obj
    finally:
        client.delete(f"/api/veo/jobs/{job_id}")


def test_ten_megabyte_string_under_the_limit_is_stored(client: httpx.Client) -> None:
    """10 MB of JSON under MAX_BODY_BYTES is a legal VEO object: stored, not a crash."""
    job_id = f"hostile-10mb-{uuid.uuid4().hex[:8]}"
    body = b'{"x": "' + b"v" * 10_000_000 + b'"}'
    assert len(body) < MAX_BODY_BYTES
    try:
        created = client.put(f"/api/veo/jobs/{job_id}", content=body, headers=JSON)
        assert created.status_code == 201, created.text[:300]
        assert created.json()["size_bytes"] == len(body) - 1  # canonical JSON: no space
        assert len(client.get(f"/api/veo/jobs/{job_id}").json()["x"]) == 10_000_000
    finally:
        client.delete(f"/api/veo/jobs/{job_id}")


# --- bodies where none belongs --------------------------------------------------------------------
@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize(
    "body", [b'{"x": 1}', b"{}", b"x" * 100_000], ids=["json-object", "empty-object", "100kB-junk"]
)
@pytest.mark.parametrize("operation", WITHOUT_BODY, ids=op_id)
def test_body_on_a_route_that_takes_none_is_400(
    client: httpx.Client, fill: Any, operation: tuple[str, str], body: bytes
) -> None:
    method, template = operation
    path = fill(template) + ("?confirm=all" if (method, template) == ("DELETE", "/api/veo/jobs") else "")
    assert_refused(client.request(method, path, content=body, headers=JSON), 400, "validation_error")


# --- path ids -----------------------------------------------------------------------------------
HOSTILE_IDS = [
    "..%2F..%2Fetc%2Fpasswd",
    "..%5C..%5Cwindows",
    "%2e%2e",
    "a%00b",
    "%00",
    "a%2Fb",
    "%2F",
    "x" * 10_240,
    "%ff%fe",
    "%C0%AE%C0%AE",
    "%0D%0ASet-Cookie:%20hacked=1",
    "'%20OR%201=1--",
    "%2A",
    "%25",
    "%20",
    "%E2%80%AE",
    "%F0%9F%8E%AC",
    "0190f2e4-1b2c-7d3e-8f40-5a6b7c8d9e0f%00",
    "0190F2E4-1B2C-7D3E-8F40-5A6B7C8D9E0F'",
]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("raw_id", HOSTILE_IDS, ids=lambda raw: raw[:30])
@pytest.mark.parametrize("operation", WITH_PATH_ID, ids=op_id)
def test_hostile_path_id_is_refused(client: httpx.Client, operation: tuple[str, str], raw_id: str) -> None:
    method, template = operation
    path = template.replace("{job_id}", raw_id).replace("{id}", raw_id)
    body = json.dumps(minimal_body(method, template)).encode() if (method, template) in WITH_BODY else None
    response = client.request(method, path, content=body, headers=JSON if body else None)
    assert_refused(response, (400, 404))
    assert "set-cookie" not in response.headers


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


DOT_SEGMENT_TARGETS = [
    "/api/veo/jobs/../../../etc/passwd",
    "/api/veo/jobs/%2e%2e/%2e%2e/health",
    "/api/export-jobs/./../export-jobs/claim/..",
    "/api/veo/jobs/..;/..;/x",
    "//api//veo//jobs",
]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("target", DOT_SEGMENT_TARGETS)
def test_dot_segments_never_reach_outside_the_routes(base_url: str, target: str) -> None:
    status, body = raw_request(base_url, "GET", target, {"authorization": f"Bearer {TOKEN}"})
    assert status in (400, 401, 404, 405), (status, body[:200])
    assert set(json.loads(body)) == {"error"}


@pytest.mark.parametrize("target", ["/health/../api/veo/jobs", "/openapi.json/%2e%2e/api/export-jobs"])
def test_dot_segments_cannot_skip_auth(base_url: str, target: str) -> None:
    status, body = raw_request(base_url, "GET", target, {})
    assert status == 401, (status, body[:200])
    assert json.loads(body)["error"]["code"] == "unauthorized"


# --- query strings ------------------------------------------------------------------------------
BAD_LIMITS = ["-1", "0", "201", "1e9", "abc", "1" + "0" * 30, "", "1.5", "+5", " 5", "0x10", "٣", "5%00"]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("limit", BAD_LIMITS)
@pytest.mark.parametrize("operation", LISTS, ids=op_id)
def test_absurd_limit_is_400(client: httpx.Client, fill: Any, operation: tuple[str, str], limit: str) -> None:
    response = client.get(f"{fill(operation[1])}?limit={limit}")
    assert assert_refused(response, 400, "validation_error")["field"] == "limit"


@pytest.fixture(scope="module")
def real_cursor(client: httpx.Client, veo_jobs: list[str]) -> str:
    page = client.get("/api/veo/jobs", params={"limit": 1}).json()
    assert page["next_cursor"], page
    return str(page["next_cursor"])


def forged_cursors(real: str) -> list[tuple[str, str]]:
    raw = base64.urlsafe_b64decode(real + "=" * (-len(real) % 4))
    payload, signature = raw[:-12], raw[-12:]
    edited = payload.replace(b'"veo_jobs"', b'"veo_jobX"') + signature
    flipped = (
        real[: len(real) // 2] + ("A" if real[len(real) // 2] != "A" else "B") + real[len(real) // 2 + 1 :]
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return [
        ("garbage", "abc"),
        ("not-base64", "!!!***"),
        ("5000-chars", "A" * 5000),
        ("unsigned-json", b64(b'["veo_jobs",[0,"x"]]')),
        ("unsigned-json-zero-signature", b64(b'["veo_jobs",[0,"x"]]' + b"\0" * 12)),
        ("edited-payload-same-signature", b64(edited)),
        ("one-character-flipped", flipped),
        ("truncated", real[:-3]),
        ("extended", real + "AAAA"),
        ("nul", real + "%00"),
        ("signature-only", b64(signature)),
    ]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("operation", LISTS, ids=op_id)
def test_forged_or_tampered_cursor_is_400(
    client: httpx.Client, fill: Any, real_cursor: str, operation: tuple[str, str]
) -> None:
    path = fill(operation[1])
    for name, cursor in forged_cursors(real_cursor):
        response = client.get(f"{path}?cursor={cursor}")
        error = assert_refused(response, 400, "validation_error")
        assert error["field"] == "cursor", name
    # A genuine cursor is bound to its own list: on any other list it is refused too.
    if operation[1] != "/api/veo/jobs":
        assert_refused(client.get(path, params={"cursor": real_cursor}), 400, "validation_error")
    else:
        assert client.get(path, params={"cursor": real_cursor}).status_code == 200


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("operation", OPERATIONS, ids=op_id)
def test_unknown_query_parameter_is_400(client: httpx.Client, fill: Any, operation: tuple[str, str]) -> None:
    method, template = operation
    body = json.dumps(minimal_body(method, template)).encode() if operation in WITH_BODY else None
    for query in ("unknown=1", "LIMIT=5", "limit[]=5", "x" * 2000 + "=1", "=1"):
        path = fill(template) + "?" + ("confirm=all&" if template == "/api/veo/jobs" else "") + query
        response = client.request(method, path, content=body, headers=JSON if body else None)
        assert_refused(response, 400, "validation_error")


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize(
    "operation", [op for op in OPERATIONS if op in LISTS or op[1] == "/api/veo/jobs"], ids=op_id
)
def test_duplicate_query_parameter_is_400(
    client: httpx.Client, fill: Any, real_cursor: str, operation: tuple[str, str]
) -> None:
    method, template = operation
    route = next(r for r in REGISTRY.routes if (r.method, r.template) == operation)
    values = {"limit": "5", "cursor": real_cursor, "confirm": "all", "status": "pending", "video_id": "v",
              "project_id": "1", "type": "overlay"}  # fmt: skip
    for param in route.operation.get("parameters", []):
        if param["in"] != "query":
            continue
        name = param["name"]
        query = f"{name}={values[name]}&{name}={values[name]}"
        response = client.request(method, f"{fill(template)}?{query}")
        assert assert_refused(response, 400, "validation_error")["field"] == name


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize(
    "query", ["", "confirm=ALL", "confirm=all%00", "confirm=", "confirm[]=all", "Confirm=all"]
)
def test_delete_all_needs_exactly_confirm_all(client: httpx.Client, veo_jobs: list[str], query: str) -> None:
    assert_refused(client.delete(f"/api/veo/jobs?{query}"), 400, "validation_error")


# --- methods --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE", "PROPFIND", "PURGE"])
@pytest.mark.parametrize("path", PATHS)
def test_undeclared_method_is_405_with_allow_on_every_path(
    client: httpx.Client, fill: Any, path: str, method: str
) -> None:
    """HEAD and OPTIONS are not served (no route declares them): 405 naming what is, as for any
    other undeclared method. (A CORS preflight from an allowed origin is answered: see
    test_foundation.)"""
    response = client.request(method, fill(path))
    assert response.status_code == 405, response.text
    allowed = sorted(m for m, t in OPERATIONS if t == path)
    assert response.headers["allow"] == ", ".join(allowed)
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    if method == "HEAD":
        assert response.content == b""
    else:
        assert_refused(response, 405, "method_not_allowed")


# --- headers ----------------------------------------------------------------------------------------
HEADER_ABUSE: list[tuple[str, str, str, str]] = [
    ("PUT", "/api/veo/jobs/{job_id}", "if-match", "e" * 10_240 + ', "a", "b", "c", "d"'),
    ("PUT", "/api/veo/jobs/{job_id}", "if-match", ", ".join(f'"{i}"' for i in range(100))),
    ("PUT", "/api/veo/jobs/{job_id}", "if-none-match", '"abc"'),
    ("DELETE", "/api/veo/jobs/{job_id}", "if-none-match", "*"),
    ("POST", "/api/export-jobs", "idempotency-key", "k" * 256),
    ("POST", "/api/export-jobs", "idempotency-key", "has space"),
    ("POST", "/api/export-jobs", "idempotency-key", "é"),
]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize(("method", "template", "name", "value"), HEADER_ABUSE, ids=lambda v: str(v)[:24])
def test_hostile_condition_and_idempotency_headers_are_400(
    client: httpx.Client, fill: Any, method: str, template: str, name: str, value: str
) -> None:
    body = json.dumps(minimal_body(method, template)).encode() if (method, template) in WITH_BODY else None
    headers = {name: value.encode(), **(JSON if body else {})}
    response = client.request(method, fill(template), content=body, headers=headers)
    assert_refused(response, 400, "validation_error")
