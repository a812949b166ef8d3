"""RS256/ES256 user tokens over HTTP: the real runtime fetches a JWKS from a loopback server
(through the outbound seam and the runtime's fetch) and verifies with Web Crypto. Key rotation
brings the new `kid` in; unknown `kid`s do not hammer the server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from edgejobs.core.jwt import b64url_decode, b64url_encode
from tests.support.fake_http import FakeHttp, Reply
from tests.support.runtime import LocalRuntime, local_runtime
from tests.support.settings import BASE_URL
from tests.support.tokens import ec_key, mint, public_jwk, public_pem, rsa_key

JWKS_PATH = "/.well-known/jwks.json"
ISSUER, AUDIENCE = "https://idp.test/", "edgejobs-app"
MIN_REFETCH = 8  # seconds (the default is 60; short so the test need not wait a minute, long
# enough that a burst of requests on a loaded machine stays inside one window)
SERVICE = "jwks-test-service-token"

pytestmark = pytest.mark.skipif(bool(BASE_URL), reason="needs its own local runtime and a loopback JWKS")


class Keys:
    """What the loopback JWKS serves (mutable: rotation)."""

    def __init__(self) -> None:
        self.jwks = [public_jwk(rsa_key(), "rsa-1", alg="RS256", use="sig"), public_jwk(ec_key(), "ec-1")]

    def reply(self, seen: Any) -> Reply:
        return Reply(json={"keys": self.jwks})


@pytest.fixture(scope="module")
def idp() -> Iterator[tuple[FakeHttp, Keys]]:
    keys = Keys()
    with FakeHttp() as server:
        server.on("GET", JWKS_PATH, keys.reply)
        yield server, keys


@pytest.fixture(scope="module")
def worker(idp: tuple[FakeHttp, Keys]) -> Iterator[LocalRuntime]:
    server, _ = idp
    settings = {
        "API_TOKEN": SERVICE,
        "JWT_JWKS_URL": server.url + JWKS_PATH,
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "JWT_JWKS_MIN_REFETCH_SECONDS": str(MIN_REFETCH),
    }
    with local_runtime(vars=settings) as rt:
        yield rt


def claims(**extra: object) -> dict[str, object]:
    now = int(time.time())
    return {"sub": "idp-user", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, "iat": now, **extra}


def call(worker: LocalRuntime, token: str, path: str = "/api/veo/jobs") -> httpx.Response:
    return httpx.get(worker.url + path, headers={"authorization": f"Bearer {token}"}, timeout=60)


def fetches(server: FakeHttp) -> int:
    return len(server.received("GET", JWKS_PATH))


def truncated_signature(token: str) -> str:
    signing_input, signature = token.rsplit(".", 1)
    return f"{signing_input}.{b64url_encode(b64url_decode(signature)[:-10])}"


def reason(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    return str(response.json()["error"]["details"]["reason"])


def test_rs256_and_es256_tokens_from_the_jwks(worker: LocalRuntime, idp: tuple[FakeHttp, Keys]) -> None:
    server, _ = idp
    rs = call(worker, mint("RS256", rsa_key(), claims(), kid="rsa-1"))
    assert rs.status_code == 200, rs.text
    es = call(worker, mint("ES256", ec_key(), claims(), kid="ec-1"))
    assert es.status_code == 200, es.text
    created = httpx.put(
        worker.url + "/api/veo/jobs/jwks-1",
        json={"status": "x"},
        headers={"authorization": f"Bearer {mint('ES256', ec_key(), claims(), kid='ec-1')}"},
    )
    assert created.status_code == 201 and created.json()["user_id"] == "idp-user"
    assert (
        call(worker, mint("RS256", rsa_key(), claims(), kid="rsa-1"), "/api/export-jobs").status_code == 403
    )
    assert fetches(server) == 1


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (lambda: mint("RS256", rsa_key(), claims(aud="another-app"), kid="rsa-1"), "audience"),
        (lambda: mint("RS256", rsa_key(), claims(iss="https://evil.test/"), kid="rsa-1"), "issuer"),
        (lambda: mint("RS256", rsa_key(), claims(exp=int(time.time()) - 300), kid="rsa-1"), "expired"),
        (lambda: mint("ES256", ec_key(), claims(nbf=int(time.time()) + 300), kid="ec-1"), "not_yet_valid"),
        (lambda: mint("RS256", rsa_key("intruder"), claims(), kid="rsa-1"), "signature"),
        (lambda: mint("HS256", public_pem(rsa_key()), claims(), kid="rsa-1"), "algorithm"),
        (
            lambda: mint("HS256", b"x" * 32, claims(), header={"alg": "none"}).rsplit(".", 1)[0] + ".",
            "algorithm",
        ),
        (lambda: truncated_signature(mint("RS256", rsa_key(), claims(), kid="rsa-1")), "signature"),
        (lambda: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.%%%", "malformed"),
    ],
)
def test_bad_tokens_are_401_with_the_reason(worker: LocalRuntime, token: Any, expected: str) -> None:
    assert reason(call(worker, token())) == expected


def test_rotation_brings_in_the_new_kid_and_made_up_kids_do_not_hammer(
    worker: LocalRuntime, idp: tuple[FakeHttp, Keys]
) -> None:
    server, keys = idp
    assert call(worker, mint("RS256", rsa_key(), claims(), kid="rsa-1")).status_code == 200
    time.sleep(MIN_REFETCH + 0.2)
    keys.jwks = [*keys.jwks, public_jwk(rsa_key("rotated"), "rsa-2")]  # the provider rotates
    before = fetches(server)
    rotated = call(worker, mint("RS256", rsa_key("rotated"), claims(), kid="rsa-2"))
    assert rotated.status_code == 200, rotated.text
    assert fetches(server) == before + 1  # the unknown kid fetched the JWKS again, once
    for i in range(10):  # a flood of made-up kids right after: no fetch at all
        assert reason(call(worker, mint("RS256", rsa_key(), claims(), kid=f"made-up-{i}"))) == "signature"
    assert fetches(server) == before + 1
    time.sleep(MIN_REFETCH + 0.2)
    for i in range(5):  # the next window: one fetch for the first, none for the rest
        assert reason(call(worker, mint("RS256", rsa_key(), claims(), kid=f"later-{i}"))) == "signature"
    assert fetches(server) == before + 2
    assert call(worker, mint("RS256", rsa_key("rotated"), claims(), kid="rsa-2")).status_code == 200
