"""The hostile input corpus, over HTTP through the real runtime.

Every request here is refused with a 4xx in the API's error shape (`{"error": {"code",
"message"}}`, JSON, `nosniff`, a small body that never echoes unbounded input), and
nothing is stored: the `ledger` fixture compares D1 (counts and the newest write of each
table) before and after every test. The cases are tables over the operations of the served
`/openapi.json`, so a new route is covered by adding it.

This file: request bodies (hostile JSON, sizes, content types, field values). Path ids,
query strings, methods and headers: test_hostile_requests.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.hostile import (
    JSON,
    MAX_BODY_BYTES,
    OPERATIONS,
    SMALL_BODY_LIMIT,
    VEO_PROBE,
    WITH_BODY,
    WITHOUT_BODY,
    assert_refused,
    minimal_body,
    op_id,
    request_body_schema,
)
from tests.support.settings import TOKEN


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
            if "type" not in prop:
                continue  # any JSON value (a report's content): no value is of the wrong kind
            kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
            if "integer" in kinds:
                values: list[Any] = [10**400, -(10**30), 1.0, 1.5, True, "1", [1]]
            elif "string" in kinds:
                too_long = "x" * (prop.get("maxLength", 10_239) + 1)  # past the field's own limit
                values = ["a\x00b", too_long, " \t\n ", 1, True, {}, ["probe"]]
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
