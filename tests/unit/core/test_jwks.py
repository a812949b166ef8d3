"""The JWKS cache: when it fetches, which keys it keeps, how it picks one."""

from __future__ import annotations

import asyncio

import pytest

from edgejobs.core.jwks import JwksCache, JwksUnavailable, parse_jwks, public_signing_key, select_keys
from edgejobs.core.jwt import TokenError, TokenVerifier, b64url_encode
from tests.support.tokens import FakeJwksSource, cpython_verify, ec_key, mint, public_jwk, rsa_key

NOW = 1_800_000_000.0


def claims() -> dict[str, object]:
    return {"sub": "u1", "exp": NOW + 10_000}


def setup(*jwks: dict[str, object]) -> tuple[TokenVerifier, JwksCache, FakeJwksSource]:
    source = FakeJwksSource(*jwks)
    cache = JwksCache("https://idp.example/.well-known/jwks.json", source)
    return TokenVerifier(jwks=cache, verify_asymmetric=cpython_verify), cache, source


async def test_fetched_on_first_use_then_kept() -> None:
    verifier, _, source = setup(public_jwk(rsa_key(), "r1"))
    assert source.fetches == 0
    for seconds in range(0, 600, 60):
        await verifier.verify(mint("RS256", rsa_key(), claims(), kid="r1"), now=NOW + seconds)
    assert source.fetches == 1


async def test_rotation_fetches_the_new_kid_once() -> None:
    verifier, _, source = setup(public_jwk(rsa_key(), "r1"))
    await verifier.verify(mint("RS256", rsa_key(), claims(), kid="r1"), now=NOW)
    source.keys = [public_jwk(rsa_key(), "r1"), public_jwk(rsa_key("rsa-2"), "r2")]
    await verifier.verify(mint("RS256", rsa_key("rsa-2"), claims(), kid="r2"), now=NOW + 61)
    await verifier.verify(mint("RS256", rsa_key("rsa-2"), claims(), kid="r2"), now=NOW + 62)
    assert source.fetches == 2


async def test_unknown_kids_fetch_at_most_once_a_minute() -> None:
    verifier, _, source = setup(public_jwk(rsa_key(), "r1"))
    await verifier.verify(mint("RS256", rsa_key(), claims(), kid="r1"), now=NOW)
    for i in range(200):  # a flood of made-up kids within one minute
        with pytest.raises(TokenError) as info:
            await verifier.verify(
                mint("RS256", rsa_key(), claims(), kid=f"bogus-{i}"), now=NOW + 1 + i * 0.25
            )
        assert info.value.reason == "signature"
    assert source.fetches == 1  # within a minute of the first fetch: no other
    for i in range(200):  # the next minute: one refetch, for the first unknown kid
        with pytest.raises(TokenError):
            await verifier.verify(
                mint("RS256", rsa_key(), claims(), kid=f"late-{i}"), now=NOW + 61 + i * 0.25
            )
    assert source.fetches == 2


async def test_a_key_appearing_before_the_minute_is_up_waits_for_it() -> None:
    verifier, _, source = setup(public_jwk(rsa_key(), "r1"))
    await verifier.verify(mint("RS256", rsa_key(), claims(), kid="r1"), now=NOW)
    token = mint("RS256", rsa_key("rsa-2"), claims(), kid="r2")
    source.keys.append(public_jwk(rsa_key("rsa-2"), "r2"))
    await verifier.verify(token, now=NOW + 61)  # refetched: found
    source.keys.append(public_jwk(rsa_key("rsa-3"), "r3"))
    with pytest.raises(TokenError):
        await verifier.verify(mint("RS256", rsa_key("rsa-3"), claims(), kid="r3"), now=NOW + 90)
    await verifier.verify(mint("RS256", rsa_key("rsa-3"), claims(), kid="r3"), now=NOW + 121)
    assert source.fetches == 3


async def test_stale_keys_are_refreshed_and_a_withdrawn_key_stops_working() -> None:
    verifier, cache, source = setup(public_jwk(rsa_key(), "r1"))
    await verifier.verify(mint("RS256", rsa_key(), claims(), kid="r1"), now=NOW)
    source.keys = [public_jwk(rsa_key("rsa-2"), "r2")]
    await verifier.verify(mint("RS256", rsa_key(), claims(), kid="r1"), now=NOW + cache.max_age - 1)
    with pytest.raises(TokenError):
        await verifier.verify(mint("RS256", rsa_key(), claims(), kid="r1"), now=NOW + cache.max_age)
    assert source.fetches == 2


async def test_fetch_failure_without_keys_is_unavailable_and_rate_limited() -> None:
    verifier, _, source = setup(public_jwk(rsa_key(), "r1"))
    source.fail = OSError("connection refused")
    token = mint("RS256", rsa_key(), claims(), kid="r1")
    for offset in (0, 10, 59):
        with pytest.raises(JwksUnavailable):
            await verifier.verify(token, now=NOW + offset)
    assert source.fetches == 1
    source.fail = None
    await verifier.verify(token, now=NOW + 60)
    assert source.fetches == 2


async def test_fetch_failure_keeps_the_keys_already_held() -> None:
    verifier, cache, source = setup(public_jwk(rsa_key(), "r1"))
    token = mint("RS256", rsa_key(), claims(), kid="r1")
    await verifier.verify(token, now=NOW)
    source.fail = ValueError("not JSON")
    await verifier.verify(token, now=NOW + cache.max_age + 1)
    assert source.fetches == 2


async def test_a_document_that_is_not_a_jwks_counts_as_a_failed_fetch() -> None:
    async def fetch(url: str) -> object:
        return ["not", "a", "jwks"]

    cache = JwksCache("https://idp.example/jwks", fetch)
    with pytest.raises(JwksUnavailable):
        await cache.keys_for("RS256", "r1", now=NOW)


async def test_concurrent_requests_share_one_fetch() -> None:
    release = asyncio.Event()
    fetches = 0

    async def slow_fetch(url: str) -> object:
        nonlocal fetches
        fetches += 1
        await release.wait()
        return {"keys": [public_jwk(rsa_key(), "r1")]}

    cache = JwksCache("https://idp.example/jwks", slow_fetch)
    verifier = TokenVerifier(jwks=cache, verify_asymmetric=cpython_verify)
    token = mint("RS256", rsa_key(), claims(), kid="r1")
    tasks = [asyncio.ensure_future(verifier.verify(token, now=NOW + i)) for i in range(5)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks)
    assert [r["sub"] for r in results] == ["u1"] * 5
    assert fetches == 1


def test_only_public_signing_keys_are_kept_and_stripped() -> None:
    private_rsa = {**public_jwk(rsa_key(), "r1"), "d": "c2VjcmV0", "p": "cA", "use": "sig", "alg": "RS256"}
    assert public_signing_key(private_rsa) == {**public_jwk(rsa_key(), "r1"), "alg": "RS256"}
    small_rsa = {"kty": "RSA", "n": b64url_encode(b"\xc1" * 128), "e": "AQAB"}  # 1024 bits
    rejected = [
        {"kty": "oct", "k": b64url_encode(b"k" * 32)},
        public_jwk(rsa_key(), "enc", use="enc"),
        public_jwk(rsa_key(), "ops", key_ops=["encrypt"]),
        public_jwk(rsa_key(), "wrong-alg", alg="ES256"),
        public_jwk(ec_key(), "wrong-alg", alg="RS256"),
        public_jwk(ec_key(), "p384", crv="P-384"),
        {**public_jwk(ec_key()), "x": "short"},
        {**public_jwk(rsa_key()), "n": "not base64!"},
        {**public_jwk(rsa_key()), "kid": 5},
        small_rsa,
        "a string",
        None,
    ]
    assert [public_signing_key(jwk) for jwk in rejected] == [None] * len(rejected)
    assert public_signing_key(public_jwk(ec_key(), "e1", key_ops=["verify"]))


def test_parse_jwks_skips_unusable_keys_and_refuses_non_documents() -> None:
    doc = {"keys": [{"kty": "oct", "k": "AA"}, public_jwk(ec_key(), "e1"), 7]}
    assert parse_jwks(doc) == [public_jwk(ec_key(), "e1")]
    for bad in (None, [], {"keys": {}}, {"key": []}, "x"):
        with pytest.raises(JwksUnavailable):
            parse_jwks(bad)


def test_select_keys_matches_type_alg_and_kid() -> None:
    keys = [
        public_signing_key(public_jwk(rsa_key(), "r1")),
        public_signing_key(public_jwk(rsa_key("rsa-2"), "r2", alg="RS256")),
        public_signing_key(public_jwk(ec_key(), "e1")),
    ]
    usable = [k for k in keys if k is not None]
    assert [k["kid"] for k in select_keys(usable, "RS256", None)] == ["r1", "r2"]
    assert [k["kid"] for k in select_keys(usable, "RS256", "r2")] == ["r2"]
    assert select_keys(usable, "RS256", "e1") == []
    assert select_keys(usable, "HS256", None) == []
    assert [k["kid"] for k in select_keys(usable, "ES256", None)] == ["e1"]


async def test_each_call_may_bring_its_own_fetch() -> None:
    """The cache lives per isolate; the way to fetch (and its request budget) per invocation."""
    first, second = FakeJwksSource(public_jwk(rsa_key(), "r1")), FakeJwksSource(public_jwk(rsa_key(), "r1"))
    cache = JwksCache("https://idp.example/jwks")
    with pytest.raises(JwksUnavailable):
        await cache.keys_for("RS256", "r1", now=NOW)
    assert await cache.keys_for("RS256", "r1", now=NOW + 60, fetch_json=first)
    assert await cache.keys_for("RS256", "r2", now=NOW + 120, fetch_json=second) == []
    assert (first.fetches, second.fetches) == (1, 1)
