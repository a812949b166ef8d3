"""Who may call what: the service token, user tokens (HS256, RS256/ES256 through a JWKS,
Cloudflare Access's header), 401 reasons, 403 on service routes, POST /api/tokens."""

from __future__ import annotations

import time

import pytest

from edgejobs.core.jwt import parse_compact
from tests.support.client import SECRET, SERVICE_TOKEN, AppClient, body_of
from tests.support.tokens import FakeJwksSource, cpython_verify, ec_key, mint, public_jwk, rsa_key

NOW = int(time.time())  # tokens are minted at collection: margins of hours, not minutes


def user_token(sub: str = "alice", secret: str = SECRET, **claims: object) -> str:
    return mint("HS256", secret.encode(), {"sub": sub, "exp": NOW + 6 * 3600, "iat": NOW, **claims})


async def test_the_service_token_opens_service_routes_and_a_user_token_does_not() -> None:
    client = AppClient()
    assert (await client.call("GET", "/api/export-jobs")).status == 200
    refused = await client.call("GET", "/api/export-jobs", token=user_token())
    assert refused.status == 403
    assert body_of(refused)["error"]["code"] == "forbidden"
    assert (await client.call("GET", "/api/maintenance/runs", token=user_token())).status == 403


async def test_a_user_token_opens_the_veo_routes() -> None:
    client = AppClient()
    assert (await client.call("PUT", "/api/veo/jobs/a1", {"status": "x"}, token=user_token())).status == 201
    assert (await client.call("GET", "/api/veo/jobs", token=user_token())).status == 200


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (user_token(exp=NOW - 6 * 3600), "expired"),
        (user_token(nbf=NOW + 6 * 3600), "not_yet_valid"),
        (user_token(secret="another-secret-of-at-least-32-bytes"), "signature"),
        (user_token()[:-6], "malformed"),
        (mint("HS256", SECRET.encode(), {"sub": "a", "exp": NOW + 60}, header={"alg": "none"}), "algorithm"),
        (mint("RS256", rsa_key(), {"sub": "a", "exp": NOW + 60}), "algorithm"),
    ],
)
async def test_bad_user_tokens_are_401_with_their_reason(token: str, reason: str) -> None:
    answer = await AppClient().call("GET", "/api/veo/jobs", token=token)
    assert answer.status == 401
    error = body_of(answer)["error"]
    assert (error["code"], error["details"]["reason"]) == ("unauthorized", reason)
    assert token not in error["message"] and token.split(".")[1] not in error["message"]


async def test_a_random_string_is_still_just_an_invalid_bearer_token() -> None:
    answer = await AppClient().call("GET", "/api/veo/jobs", token="not-a-token")
    assert answer.status == 401
    assert body_of(answer)["error"]["message"] == "The bearer token is not valid."


async def test_issuer_and_audience_when_configured() -> None:
    client = AppClient(JWT_ISSUER="https://idp.example, edgejobs", JWT_AUDIENCE="app")
    good = user_token(iss="edgejobs", aud=["other", "app"])
    assert (await client.call("GET", "/api/veo/jobs", token=good)).status == 200
    for token, reason in (
        (user_token(iss="evil", aud="app"), "issuer"),
        (user_token(iss="edgejobs"), "audience"),
    ):
        answer = await client.call("GET", "/api/veo/jobs", token=token)
        assert (answer.status, body_of(answer)["error"]["details"]["reason"]) == (401, reason)


async def test_cloudflare_access_header_is_read_when_there_is_no_authorization() -> None:
    client = AppClient()
    alone = await client.call("GET", "/api/veo/jobs", token=None, cf_access_jwt_assertion=user_token())
    assert alone.status == 200
    # Authorization wins: the service token with an Access assertion is the service.
    both = await client.call("GET", "/api/export-jobs", cf_access_jwt_assertion=user_token())
    assert both.status == 200
    nothing = await client.call("GET", "/api/veo/jobs", token=None)
    assert nothing.status == 401
    # The service token is only ever taken from Authorization.
    smuggled = await client.call("GET", "/api/export-jobs", token=None, cf_access_jwt_assertion=SERVICE_TOKEN)
    assert smuggled.status == 401


async def test_without_api_token_even_a_valid_user_token_is_refused() -> None:
    client = AppClient(API_TOKEN="")
    answer = await client.call("GET", "/api/veo/jobs", token=user_token())
    assert answer.status == 401
    assert "API_TOKEN" in body_of(answer)["error"]["message"]


async def test_a_short_jwt_secret_is_a_logged_500_not_a_weak_key() -> None:
    client = AppClient(JWT_SECRET="short")
    answer = await client.call("GET", "/api/veo/jobs", token=user_token(secret="short"))
    assert answer.status == 500


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_jwks_tokens_through_the_app(alg: str) -> None:
    source = FakeJwksSource(public_jwk(rsa_key(), "r1"), public_jwk(ec_key(), "e1"))
    client = AppClient(
        fetch_json=source,
        verify_signature=cpython_verify,
        JWT_SECRET="",
        JWT_JWKS_URL=f"https://idp.example/{alg}/jwks.json",
    )
    key, kid = (rsa_key(), "r1") if alg == "RS256" else (ec_key(), "e1")
    token = mint(alg, key, {"sub": "bob", "exp": NOW + 6 * 3600}, kid=kid)
    assert (await client.call("PUT", "/api/veo/jobs/b1", {}, token=token)).status == 201
    assert body_of(await client.call("GET", "/api/veo/jobs?user_id=bob"))["items"][0]["job_id"] == "b1"
    hs = user_token("bob")  # no JWT_SECRET here: HS256 is not an accepted algorithm
    answer = await client.call("GET", "/api/veo/jobs", token=hs)
    assert (answer.status, body_of(answer)["error"]["details"]["reason"]) == (401, "algorithm")
    assert source.fetches == 1


async def test_an_unreachable_jwks_is_a_503_with_retry_after() -> None:
    source = FakeJwksSource()
    source.fail = OSError("connection refused")
    client = AppClient(
        fetch_json=source, verify_signature=cpython_verify, JWT_JWKS_URL="https://idp.example/down/jwks.json"
    )
    answer = await client.call(
        "GET", "/api/veo/jobs", token=mint("RS256", rsa_key(), {"sub": "a", "exp": NOW + 60})
    )
    assert answer.status == 503
    assert body_of(answer)["error"]["code"] == "jwks_unavailable"
    assert answer.headers["retry-after"] == "60"


# --- POST /api/tokens ---------------------------------------------------------------------------
async def test_minted_tokens_are_user_tokens() -> None:
    client = AppClient(JWT_ISSUER="edgejobs", JWT_AUDIENCE="web,mobile")
    answer = await client.call("POST", "/api/tokens", {"sub": "carol", "ttl_seconds": 120})
    assert answer.status == 201
    body = body_of(answer)
    assert body["sub"] == "carol" and body["expires_at"].endswith("Z")
    claims = parse_compact(body["token"]).payload
    assert claims["iss"] == "edgejobs" and claims["aud"] == ["web", "mobile"]
    assert claims["exp"] - claims["iat"] == 120
    put = await client.call("PUT", "/api/veo/jobs/c1", {}, token=body["token"])
    assert put.status == 201 and body_of(put)["user_id"] == "carol"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"sub": ""},
        {"sub": "has space"},
        {"sub": "x" * 129},
        {"sub": 7},
        {"sub": "a", "ttl_seconds": 59},
        {"sub": "a", "ttl_seconds": 2_592_001},
        {"sub": "a", "ttl_seconds": True},
        {"sub": "a", "admin": True},
    ],
)
async def test_mint_refuses_bad_bodies(body: dict[str, object]) -> None:
    answer = await AppClient().call("POST", "/api/tokens", body)
    assert answer.status == 400, body_of(answer)


async def test_mint_needs_the_service_token_and_a_secret() -> None:
    assert (await AppClient().call("POST", "/api/tokens", {"sub": "a"}, token=user_token())).status == 403
    answer = await AppClient(JWT_SECRET="").call("POST", "/api/tokens", {"sub": "a"})
    assert answer.status == 409 and "JWT_SECRET" in body_of(answer)["error"]["message"]
    default = body_of(await AppClient().call("POST", "/api/tokens", {"sub": "a"}))
    claims = parse_compact(default["token"]).payload
    assert claims["exp"] - claims["iat"] == 3600 and "iss" not in claims and "aud" not in claims
