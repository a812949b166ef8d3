"""User tokens over HTTP, through the real runtime: POST /api/tokens, 401 reasons, 403 on
service routes, and VEO ownership between users (reads, lists, cursors, If-Match), fuzzed
with hypothesis over interleaved operations of several users."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tests.support.runtime import TEST_JWT_SECRET, LocalRuntime
from tests.support.tokens import mint, rsa_key

TokenFor = Callable[[str], str]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def list_all(anon: httpx.Client, token: str, params: str = "", limit: int = 2) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        answer = anon.get(f"/api/veo/jobs?limit={limit}{params}{cursor}", headers=bearer(token))
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        cursor = f"&cursor={page['next_cursor']}"


def test_minted_token_opens_veo_and_not_the_rest(anon: httpx.Client, user_tokens: TokenFor) -> None:
    token = user_tokens(unique("u"))
    job = unique("id")
    created = anon.put(f"/api/veo/jobs/{job}", json={"status": "done"}, headers=bearer(token))
    assert created.status_code == 201, created.text
    for method, path in (
        ("GET", "/api/export-jobs"),
        ("POST", "/api/export-jobs/claim"),
        ("GET", "/api/maintenance/runs"),
        ("POST", "/api/tokens"),
    ):
        error = error_of(anon.request(method, path, headers=bearer(token)), 403, "forbidden")
        assert path in error["message"]


def test_mint_validates_and_answers_the_contract(client: httpx.Client) -> None:
    answer = client.post("/api/tokens", json={"sub": "someone@example.com"})
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"token", "sub", "expires_at"} and body["sub"] == "someone@example.com"
    error_of(client.post("/api/tokens", json={"sub": "a", "ttl_seconds": 30}), 400, "validation_error")
    error_of(client.post("/api/tokens", json={"sub": "a b"}), 400, "validation_error")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda now: mint("HS256", TEST_JWT_SECRET.encode(), {"sub": "x", "exp": now - 120}), "expired"),
        (
            lambda now: mint(
                "HS256", TEST_JWT_SECRET.encode(), {"sub": "x", "exp": now + 600, "nbf": now + 300}
            ),
            "not_yet_valid",
        ),
        (
            lambda now: mint("HS256", b"wrong-secret-of-at-least-32-bytes!!", {"sub": "x", "exp": now + 60}),
            "signature",
        ),
        (
            lambda now: mint(
                "HS256", TEST_JWT_SECRET.encode(), {"sub": "x", "exp": now + 60}, header={"alg": "none"}
            ),
            "algorithm",
        ),
        (lambda now: mint("RS256", rsa_key(), {"sub": "x", "exp": now + 60}), "algorithm"),
        (  # a signature cut to 33 base64url characters, which no byte string encodes to
            lambda now: mint("HS256", TEST_JWT_SECRET.encode(), {"sub": "x", "exp": now + 60})[:-10],
            "malformed",
        ),
        (lambda now: "eyJhbGciOiJIUzI1NiJ9.garbage.garbage", "malformed"),
        (lambda now: "a.b." + "c" * 9000, "malformed"),
    ],
)
def test_bad_tokens_are_401_with_the_reason(
    anon: httpx.Client, local: LocalRuntime, make: Callable[[int], str], reason: str
) -> None:
    token = make(int(time.time()))
    error = error_of(anon.get("/api/veo/jobs", headers=bearer(token)), 401, "unauthorized")
    assert error["details"]["reason"] == reason
    assert token[:40] not in error["message"]


def test_tampered_token_is_a_signature_error(anon: httpx.Client, user_tokens: TokenFor) -> None:
    header, payload, signature = user_tokens(unique("t")).split(".")
    forged = f"{header}.{payload[:-2]}{'AA' if not payload.endswith('AA') else 'BA'}.{signature}"
    error = error_of(anon.get("/api/veo/jobs", headers=bearer(forged)), 401, "unauthorized")
    assert error["details"]["reason"] in ("signature", "malformed")


def test_two_users_never_see_or_change_each_others_jobs(
    anon: httpx.Client, client: httpx.Client, user_tokens: TokenFor
) -> None:
    alice, bob = user_tokens(unique("alice")), user_tokens(unique("bob"))
    jobs = [unique("iso") for _ in range(3)]
    etags = {}
    for job in jobs:
        answer = anon.put(f"/api/veo/jobs/{job}", json={"status": "completed"}, headers=bearer(alice))
        assert answer.status_code == 201
        etags[job] = answer.headers["etag"]
    job = jobs[0]
    error_of(anon.get(f"/api/veo/jobs/{job}", headers=bearer(bob)), 404, "not_found")
    error_of(anon.put(f"/api/veo/jobs/{job}", json={}, headers=bearer(bob)), 409, "conflict")
    error_of(
        anon.put(f"/api/veo/jobs/{job}", json={}, headers={**bearer(bob), "if-match": etags[job]}),
        409,
        "conflict",
    )
    error_of(
        anon.delete(f"/api/veo/jobs/{job}", headers={**bearer(bob), "if-match": etags[job]}), 404, "not_found"
    )
    assert list_all(anon, bob) == []
    assert sorted(i["job_id"] for i in list_all(anon, alice, limit=1)) == sorted(jobs)
    # Alice's cursor is no use to Bob.
    cursor = anon.get("/api/veo/jobs?limit=1", headers=bearer(alice)).json()["next_cursor"]
    error_of(anon.get(f"/api/veo/jobs?limit=1&cursor={cursor}", headers=bearer(bob)), 400, "validation_error")
    assert anon.get(f"/api/veo/jobs/{job}", headers=bearer(alice)).json() == {"status": "completed"}
    assert client.get(f"/api/veo/jobs/{job}").status_code == 200  # the service sees everything


class UsersOverHttp(RuleBasedStateMachine):
    """Interleaved PUT/GET/DELETE/list by several users against a model of who owns what."""

    anon: httpx.Client
    tokens: TokenFor

    def __init__(self) -> None:
        super().__init__()
        run = uuid.uuid4().hex[:8]
        self.users = [f"fz-{run}-{n}" for n in range(3)]
        self.jobs = [f"fz-{run}-job{n}" for n in range(3)]
        self.owner: dict[str, str] = {}
        self.etag: dict[str, str] = {}

    def token(self, user: int) -> dict[str, str]:
        return bearer(self.tokens(self.users[user]))

    @rule(user=st.integers(0, 2), job=st.integers(0, 2), conditional=st.booleans())
    def put(self, user: int, job: int, conditional: bool) -> None:
        job_id, who = self.jobs[job], self.users[user]
        headers = self.token(user)
        if conditional and job_id in self.etag:
            headers["if-match"] = self.etag[job_id]
        answer = self.anon.put(f"/api/veo/jobs/{job_id}", json={"by": who}, headers=headers)
        if job_id in self.owner and self.owner[job_id] != who:
            assert answer.status_code == 409, answer.text
            return
        assert answer.status_code == (200 if job_id in self.owner else 201), answer.text
        self.owner[job_id] = who
        self.etag[job_id] = answer.headers["etag"]

    @rule(user=st.integers(0, 2), job=st.integers(0, 2))
    def get(self, user: int, job: int) -> None:
        job_id, who = self.jobs[job], self.users[user]
        answer = self.anon.get(f"/api/veo/jobs/{job_id}", headers=self.token(user))
        assert answer.status_code == (200 if self.owner.get(job_id) == who else 404), answer.text

    @rule(user=st.integers(0, 2), job=st.integers(0, 2))
    def delete(self, user: int, job: int) -> None:
        job_id, who = self.jobs[job], self.users[user]
        answer = self.anon.delete(f"/api/veo/jobs/{job_id}", headers=self.token(user))
        if self.owner.get(job_id) == who:
            assert answer.status_code == 204, answer.text
            del self.owner[job_id], self.etag[job_id]
        else:
            assert answer.status_code == 404, answer.text

    @invariant()
    def lists_hold_only_ones_own(self) -> None:
        for who in self.users:
            items = list_all(self.anon, self.tokens(who), limit=1)
            assert sorted(i["job_id"] for i in items) == sorted(j for j, o in self.owner.items() if o == who)


@pytest.mark.slow
def test_users_fuzzed_over_http(anon: httpx.Client, user_tokens: TokenFor) -> None:
    UsersOverHttp.anon = anon
    UsersOverHttp.tokens = staticmethod(user_tokens)  # type: ignore[assignment]
    case = UsersOverHttp.TestCase
    case.settings = settings(
        max_examples=6, stateful_step_count=10, deadline=None, suppress_health_check=list(HealthCheck)
    )
    case().runTest()
