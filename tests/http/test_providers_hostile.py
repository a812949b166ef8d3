"""Hostile requests to the providers' public webhook routes (the generic hostile corpus leaves
them out: they check their callers first). Without the provider's signature or token: 401.
With it: the body is refused like any other (400, 413, 415). Nothing is ever changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.fake_providers import signed_webhook
from tests.support.providers import RUNPOD_WEBHOOK_TOKEN, ProvidersWorld

RUNPOD_HOOK = f"/api/providers/runpod/webhook/{RUNPOD_WEBHOOK_TOKEN}"
REPLICATE_HOOK = "/api/providers/replicate/webhook"
OVER_LIMIT = b'{"id": "' + b"a" * (1024 * 1024) + b'"}'

BODIES: list[tuple[str, bytes, int, str]] = [
    ("invalid-utf8", b'{"id": "\xff\xfe"}', 400, "invalid_json"),
    ("nested-100k-arrays", b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "invalid_json"),
    ("NaN", b'{"id": "j", "status": "COMPLETED", "x": NaN}', 400, "invalid_json"),
    ("1e400", b'{"id": "j", "status": "COMPLETED", "x": 1e400}', 400, "invalid_json"),
    ("duplicate-keys", b'{"id": "a", "id": "b", "status": "COMPLETED"}', 400, "invalid_json"),
    ("truncated", b'{"id": ', 400, "invalid_json"),
    ("empty", b"", 400, "invalid_json"),
    ("array", b"[]", 400, "validation_error"),
    ("null", b"null", 400, "validation_error"),
    ("no-status", b'{"id": "j"}', 400, "validation_error"),
    ("id-with-slashes", b'{"id": "../../x", "status": "COMPLETED"}', 400, "validation_error"),
    ("over-the-limit", OVER_LIMIT, 413, "payload_too_large"),
]


@pytest.fixture
def unchanged(providers: ProvidersWorld) -> Iterator[None]:
    def state() -> Any:
        return (
            providers.runtime.sql("SELECT id, status, transition_id FROM export_jobs ORDER BY id"),
            providers.runtime.sql("SELECT count(*) AS n FROM job_events"),
            providers.runtime.sql("SELECT count(*) AS n FROM provider_webhook_ids"),
        )

    before = state()
    yield
    assert state() == before, "a refused webhook changed what is stored"


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text[:300]
    assert len(response.content) <= 1024 and "Traceback" not in response.text


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("name", "body", "status", "code"), BODIES, ids=[b[0] for b in BODIES])
def test_runpod_webhook_refuses_hostile_bodies(
    providers: ProvidersWorld, name: str, body: bytes, status: int, code: str
) -> None:
    answer = providers.anon.post(RUNPOD_HOOK, content=body, headers={"content-type": "application/json"})
    assert_error(answer, status, code)
    unsigned = providers.anon.post(REPLICATE_HOOK, content=body, headers={"content-type": "application/json"})
    assert_error(unsigned, 413 if status == 413 else 401, code if status == 413 else "unauthorized")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [b for b in BODIES if b[2] != 413],
    ids=[b[0] for b in BODIES if b[2] != 413],
)
def test_signed_replicate_webhook_refuses_hostile_bodies(
    providers: ProvidersWorld, name: str, body: bytes, status: int, code: str
) -> None:
    headers, raw = signed_webhook(body)
    assert_error(providers.anon.post(REPLICATE_HOOK, content=raw, headers=headers), status, code)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/jsonx", "multipart/form-data; boundary=x"]
)
def test_wrong_content_type_is_415_once_the_caller_is_known(
    providers: ProvidersWorld, content_type: str | None
) -> None:
    body = b'{"id": "rp-x", "status": "COMPLETED"}'
    headers = {"content-type": content_type} if content_type else {}
    assert_error(
        providers.anon.post(RUNPOD_HOOK, content=body, headers=headers), 415, "unsupported_media_type"
    )
    signed, _ = signed_webhook(body)
    signed.pop("content-type")
    answer = providers.anon.post(REPLICATE_HOOK, content=body, headers={**signed, **headers})
    assert_error(answer, 415, "unsupported_media_type")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "token",
    [
        "x",
        RUNPOD_WEBHOOK_TOKEN.upper(),
        RUNPOD_WEBHOOK_TOKEN + "%00",
        "%2e%2e",
        "a" * 5000,
        " " + RUNPOD_WEBHOOK_TOKEN,
    ],
)
def test_hostile_runpod_tokens_are_401(providers: ProvidersWorld, token: str) -> None:
    answer = providers.anon.post(
        f"/api/providers/runpod/webhook/{token}", json={"id": "rp-x", "status": "COMPLETED"}
    )
    assert answer.status_code in (401, 404), answer.text[:200]
    assert answer.json()["error"]["code"] in ("unauthorized", "not_found")


def test_chunked_oversized_body_is_413(providers: ProvidersWorld) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(3):
            yield b" " * (1024 * 1024)
        yield b"{}"

    answer = providers.anon.post(RUNPOD_HOOK, content=chunks(), headers={"content-type": "application/json"})
    assert_error(answer, 413, "payload_too_large")
