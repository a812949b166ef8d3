"""The hostile corpus for user tokens, over HTTP through the real runtime: hostile tokens are
401 on every `/api/` route, a valid user token is 403 on every service route and never reaches
another's VEO job or names a user_id; nothing is stored (the `ledger` fixture)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from edgejobs.main import REGISTRY
from tests.support.hostile import JSON, OPERATIONS, PUBLIC, WITH_BODY, assert_refused, minimal_body, op_id
from tests.support.runtime import TEST_JWT_SECRET
from tests.support.tokens import mint, public_pem, rsa_key

API_OPERATIONS = [op for op in OPERATIONS if op[1].startswith("/api/")]
USER_OPERATIONS = [(r.method, r.template) for r in REGISTRY.routes if r.users]
# (Public routes take no bearer token at all: a provider's webhook answers 401 to any caller
# without the provider's signature or token, user or not.)
SERVICE_OPERATIONS = [op for op in API_OPERATIONS if op not in USER_OPERATIONS and op not in PUBLIC]


def hostile_user_tokens() -> list[tuple[str, str]]:
    now = int(time.time())
    secret = TEST_JWT_SECRET.encode()
    return [
        ("expired", mint("HS256", secret, {"sub": "h", "exp": now - 3600})),
        (
            "alg-none",
            mint("HS256", secret, {"sub": "h", "exp": now + 600}, header={"alg": "none"})[:-43],
        ),
        ("rsa-public-key-as-hmac", mint("HS256", public_pem(rsa_key()), {"sub": "h", "exp": now + 600})),
        ("garbage", "eyJ." + "%" * 40 + ".x"),
        ("huge", "a." + "b" * 12_000 + ".c"),  # over the token limit, under Node's 16 KiB of headers
    ]


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("operation", API_OPERATIONS, ids=op_id)
def test_hostile_user_tokens_are_401_on_every_route(
    base_url: str, fill: Any, operation: tuple[str, str]
) -> None:
    method, template = operation
    body = json.dumps(minimal_body(method, template)).encode() if operation in WITH_BODY else None
    with httpx.Client(base_url=base_url, timeout=60) as anon:
        for name, token in hostile_user_tokens():
            headers = {"authorization": f"Bearer {token}", **(JSON if body else {})}
            response = anon.request(method, fill(template), content=body, headers=headers)
            error = assert_refused(response, 401, "unauthorized")
            assert token[:30] not in error["message"], name


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("operation", SERVICE_OPERATIONS, ids=op_id)
def test_a_user_token_on_a_service_route_is_403_and_changes_nothing(
    base_url: str, fill: Any, user_tokens: Any, operation: tuple[str, str]
) -> None:
    method, template = operation
    body = json.dumps(minimal_body(method, template)).encode() if operation in WITH_BODY else None
    headers = {"authorization": f"Bearer {user_tokens('hostile-user')}", **(JSON if body else {})}
    with httpx.Client(base_url=base_url, timeout=60) as anon:
        assert_refused(anon.request(method, fill(template), content=body, headers=headers), 403, "forbidden")


@pytest.mark.usefixtures("ledger")
@pytest.mark.parametrize("operation", USER_OPERATIONS, ids=op_id)
def test_a_user_token_never_reaches_another_users_job_or_names_a_user(
    base_url: str, fill: Any, user_tokens: Any, operation: tuple[str, str]
) -> None:
    """The probe job belongs to the service; a user token sees it as absent (404), cannot take
    its id (409), and may not name a user_id (400)."""
    method, template = operation
    body = json.dumps(minimal_body(method, template)).encode() if operation in WITH_BODY else None
    headers = {"authorization": f"Bearer {user_tokens('hostile-user')}", **(JSON if body else {})}
    path = fill(template) + ("?confirm=all" if template == "/api/veo/jobs" and method == "DELETE" else "")
    with httpx.Client(base_url=base_url, timeout=60) as anon:
        named = path + ("&" if "?" in path else "?") + "user_id=someone"
        assert_refused(anon.request(method, named, content=body, headers=headers), 400, "validation_error")
        if "{job_id}" in template:
            expected = 409 if method == "PUT" else 404
            assert_refused(anon.request(method, path, content=body, headers=headers), expected)
