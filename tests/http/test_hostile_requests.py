"""Hostile requests beyond the body: path ids, dot segments, query strings (limits, cursors,
unknown and repeated parameters), undeclared methods and abused headers. Every refusal is a
clear 4xx that changes nothing (the `ledger` fixture checks D1 before and after)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from edgejobs.main import REGISTRY
from tests.support.hostile import (
    JSON,
    LISTS,
    OPERATIONS,
    PATHS,
    WITH_BODY,
    WITH_PATH_ID,
    assert_refused,
    minimal_body,
    op_id,
    raw_request,
)
from tests.support.settings import TOKEN

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


# A user id is any `sub` a token may carry (1-128 visible ASCII, `../x` and `*` included): those
# routes are held to the ids no user can have below (test_hostile_user_id_is_refused).
RECORD_IDS = [(m, t) for m, t in WITH_PATH_ID if "{user_id}" not in t]
USER_ID_ROUTES = [(m, t) for m, t in WITH_PATH_ID if "{user_id}" in t]
NO_USER_IDS = [
    raw for raw in HOSTILE_IDS if not re.fullmatch(r"[\x21-\x7e]{1,128}", unquote(raw, errors="replace"))
]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("raw_id", NO_USER_IDS, ids=lambda raw: raw[:30])
@pytest.mark.parametrize("operation", USER_ID_ROUTES, ids=op_id)
def test_hostile_user_id_is_refused(client: httpx.Client, operation: tuple[str, str], raw_id: str) -> None:
    method, template = operation
    body = json.dumps({"videos_limit": 1}).encode() if method == "PUT" else None
    response = client.request(method, template.replace("{user_id}", raw_id), content=body, headers=JSON)
    assert_refused(response, (400, 404))


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("raw_id", HOSTILE_IDS, ids=lambda raw: raw[:30])
@pytest.mark.parametrize("operation", RECORD_IDS, ids=op_id)
def test_hostile_path_id_is_refused(client: httpx.Client, operation: tuple[str, str], raw_id: str) -> None:
    method, template = operation
    path = template.replace("{job_id}", raw_id).replace("{id}", raw_id)
    body = json.dumps(minimal_body(method, template)).encode() if (method, template) in WITH_BODY else None
    response = client.request(method, path, content=body, headers=JSON if body else None)
    assert_refused(response, (400, 404))
    assert "set-cookie" not in response.headers


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
              "project_id": "1", "type": "overlay", "user_id": "u", "ready": "true",
              "since": "2026-11-01", "until": "2026-11-30", "model": "sora-2", "generation_id": "g",
              "created_after": "2026-01-01T00:00:00Z", "created_before": "2026-01-02T00:00:00Z",
              "archived": "true", "ids": "f1"}  # fmt: skip
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
