"""User-token verification: RFC 7515/7519 vectors, minted tokens and hostile ones."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgejobs.core.jwks import JwksCache
from edgejobs.core.jwt import (
    TokenError,
    TokenVerifier,
    b64url_decode,
    b64url_encode,
    check_claims,
    hs256,
    mint_hs256,
    parse_compact,
)
from tests.support.tokens import (
    FakeJwksSource,
    cpython_verify,
    ec_key,
    mint,
    public_jwk,
    rsa_key,
)

# RFC 7515 Appendix A: the same claims {"iss":"joe","exp":1300819380,"http://example.com/is_root":true},
# serialised with CRLFs exactly as printed there, signed four ways.
A_PAYLOAD = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
A1_KEY = b64url_decode(
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
)
A1_TOKEN = f"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.{A_PAYLOAD}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
A2_JWK = {
    "kty": "RSA",
    "e": "AQAB",
    "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-y"
    "RT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBd"
    "QOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj"
    "8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
}
A2_TOKEN = (
    f"eyJhbGciOiJSUzI1NiJ9.{A_PAYLOAD}."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJ"
    "dbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN"
    "9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXL"
    "IhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
)
A3_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
A3_TOKEN = (
    f"eyJhbGciOiJFUzI1NiJ9.{A_PAYLOAD}."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)
# RFC 7519 section 6.1: the unsecured JWT (alg none) over the same claims.
UNSECURED_TOKEN = f"eyJhbGciOiJub25lIn0.{A_PAYLOAD}."
A_EXP = 1300819380

NOW = 1_800_000_000.0
SECRET = b"s" * 32


def claims(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {"sub": "user-1", "exp": NOW + 3600, "iat": NOW}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def jwks_verifier(*jwks: dict[str, object], **options: object) -> tuple[TokenVerifier, FakeJwksSource]:
    source = FakeJwksSource(*jwks)
    cache = JwksCache("https://idp.example/jwks", source)
    return TokenVerifier(jwks=cache, verify_asymmetric=cpython_verify, **options), source  # type: ignore[arg-type]


async def reject(verifier: TokenVerifier, token: str, reason: str, now: float = NOW) -> TokenError:
    with pytest.raises(TokenError) as info:
        await verifier.verify(token, now=now)
    error = info.value
    assert error.reason == reason, error.message
    assert len(token) < 8 or token not in error.message
    for segment in token.split("."):
        assert len(segment) < 8 or segment not in error.message
    return error


def test_rfc7515_a1_hs256_example() -> None:
    jws = parse_compact(A1_TOKEN)
    assert jws.header == {"typ": "JWT", "alg": "HS256"}
    assert jws.payload == {"iss": "joe", "exp": A_EXP, "http://example.com/is_root": True}
    assert hs256(jws.signing_input, A1_KEY) == jws.signature


async def test_rfc7515_a1_signature_verifies_then_claims_are_checked() -> None:
    verifier = TokenVerifier(secret=A1_KEY)
    # The signature holds; what fails is the example's lack of a `sub`, then its expiry.
    error = await reject(verifier, A1_TOKEN, "malformed", now=A_EXP - 100)
    assert "sub" in error.message
    payload = parse_compact(A1_TOKEN).payload
    assert check_claims({**payload, "sub": "joe"}, now=A_EXP - 100) == "joe"
    with pytest.raises(TokenError, match="expired"):
        check_claims({**payload, "sub": "joe"}, now=A_EXP + 61)


async def test_rfc7515_a1_with_another_key_is_a_signature_error() -> None:
    await reject(TokenVerifier(secret=b"k" * 64), A1_TOKEN, "signature", now=A_EXP - 100)


@pytest.mark.parametrize(("token", "jwk"), [(A2_TOKEN, A2_JWK), (A3_TOKEN, A3_JWK)], ids=["RS256", "ES256"])
async def test_rfc7515_a2_a3_asymmetric_examples(token: str, jwk: dict[str, object]) -> None:
    jws = parse_compact(token)
    assert await cpython_verify(jws.alg, jwk, jws.signing_input, jws.signature)  # type: ignore[arg-type]
    verifier, _ = jwks_verifier(jwk)
    error = await reject(verifier, token, "malformed", now=A_EXP - 100)  # signature held; no sub
    assert "sub" in error.message
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    await reject(verifier, tampered, "signature", now=A_EXP - 100)


async def test_rfc7519_unsecured_jwt_is_refused() -> None:
    assert parse_compact(UNSECURED_TOKEN).signature == b""
    for verifier in (TokenVerifier(secret=SECRET), jwks_verifier(A3_JWK)[0]):
        error = await reject(verifier, UNSECURED_TOKEN, "algorithm", now=A_EXP - 100)
        assert "none" in error.message


async def test_minted_hs256_round_trips() -> None:
    token = mint_hs256(claims(iss="edgejobs", aud="app"), SECRET)
    verifier = TokenVerifier(secret=SECRET, issuers=("edgejobs",), audiences=("app",))
    assert await verifier.verify(token, now=NOW) == claims(iss="edgejobs", aud="app")
    assert parse_compact(token).header == {"alg": "HS256", "typ": "JWT"}


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_minted_asymmetric_tokens_verify_against_the_jwks(alg: str) -> None:
    key = rsa_key() if alg == "RS256" else ec_key()
    verifier, _ = jwks_verifier(public_jwk(rsa_key(), "r1"), public_jwk(ec_key(), "e1"))
    kid = "r1" if alg == "RS256" else "e1"
    assert (await verifier.verify(mint(alg, key, claims(), kid=kid), now=NOW))["sub"] == "user-1"
    # Without a kid every key of the right type is tried.
    assert (await verifier.verify(mint(alg, key, claims()), now=NOW))["sub"] == "user-1"


async def test_a_key_of_the_wrong_type_never_verifies() -> None:
    verifier, _ = jwks_verifier(public_jwk(rsa_key(), "k1"))
    await reject(verifier, mint("ES256", ec_key(), claims(), kid="k1"), "signature")


@pytest.mark.parametrize(
    ("overrides", "now", "reason"),
    [
        ({"exp": NOW - 61}, NOW, "expired"),
        ({"exp": NOW - 60}, NOW, "expired"),
        ({"nbf": NOW + 61}, NOW, "not_yet_valid"),
        ({"iat": NOW + 61}, NOW, "not_yet_valid"),
        ({"exp": None}, NOW, "malformed"),
        ({"exp": "2099-01-01"}, NOW, "malformed"),
        ({"exp": True}, NOW, "malformed"),
        ({"nbf": None, "iat": [1]}, NOW, "malformed"),
        ({"sub": None}, NOW, "malformed"),
        ({"sub": ""}, NOW, "malformed"),
        ({"sub": "a b"}, NOW, "malformed"),
        ({"sub": "é"}, NOW, "malformed"),
        ({"sub": "x" * 129}, NOW, "malformed"),
        ({"sub": 42}, NOW, "malformed"),
    ],
)
async def test_bad_claims_are_refused(overrides: dict[str, object], now: float, reason: str) -> None:
    await reject(TokenVerifier(secret=SECRET), mint("HS256", SECRET, claims(**overrides)), reason, now=now)


@pytest.mark.parametrize(
    "overrides", [{"exp": NOW - 59}, {"nbf": NOW + 59}, {"iat": NOW + 59}, {"sub": "x" * 128}]
)
async def test_leeway_and_limits_accept(overrides: dict[str, object]) -> None:
    assert await TokenVerifier(secret=SECRET).verify(mint("HS256", SECRET, claims(**overrides)), now=NOW)


async def test_exp_of_1e999_is_not_forever() -> None:
    payload = json.dumps(claims()).replace(str(NOW + 3600), "1e999").encode()
    await reject(TokenVerifier(secret=SECRET), mint("HS256", SECRET, payload), "malformed")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "someone-else"}, "issuer"),
        ({"iss": None}, "issuer"),
        ({"iss": ["edgejobs"]}, "issuer"),
        ({"aud": "other-app"}, "audience"),
        ({"aud": None}, "audience"),
        ({"aud": ["x", "y"]}, "audience"),
        ({"aud": {"app": True}}, "audience"),
    ],
)
async def test_issuer_and_audience_are_checked_when_configured(
    overrides: dict[str, object], reason: str
) -> None:
    verifier = TokenVerifier(secret=SECRET, issuers=("edgejobs", "idp"), audiences=("app", "admin"))
    base = {"iss": "edgejobs", "aud": ["other", "admin"]}
    await reject(verifier, mint("HS256", SECRET, claims(**{**base, **overrides})), reason)
    assert await verifier.verify(mint("HS256", SECRET, claims(**base)), now=NOW)


async def test_issuer_and_audience_are_free_when_not_configured() -> None:
    token = mint("HS256", SECRET, claims(iss="anyone", aud="anything"))
    assert await TokenVerifier(secret=SECRET).verify(token, now=NOW)


@given(st.binary(max_size=64))
def test_b64url_round_trips(data: bytes) -> None:
    encoded = b64url_encode(data)
    assert "=" not in encoded
    assert b64url_decode(encoded) == data


@given(st.text(max_size=300))
async def test_any_text_is_a_token_error_or_valid(text: str) -> None:
    try:
        await TokenVerifier(secret=SECRET).verify(text, now=NOW)
    except TokenError as error:
        assert error.reason in ("malformed", "algorithm", "signature")
