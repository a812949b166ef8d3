"""Hostile user tokens: tampered, unsigned, key confusion, wrong algorithms, garbage, truncated,
huge, hostile headers and payloads. Each is a TokenError with its reason, never the token."""

from __future__ import annotations

import json

import pytest

from edgejobs.core.jwt import MAX_TOKEN_CHARS, TokenError, TokenVerifier, b64url_encode, hs256
from tests.support.tokens import ec_key, encode_segment, mint, public_jwk, public_pem, rsa_key
from tests.unit.core.test_jwt import NOW, SECRET, claims, jwks_verifier, reject


async def test_tampering_breaks_the_signature() -> None:
    verifier = TokenVerifier(secret=SECRET)
    header, _, signature = mint("HS256", SECRET, claims()).split(".")
    forged = f"{header}.{encode_segment(claims(sub='admin'))}.{signature}"
    await reject(verifier, forged, "signature")
    await reject(verifier, mint("HS256", b"t" * 32, claims()), "signature")
    await reject(verifier, f"{header}.{encode_segment(claims())}.", "signature")  # signature stripped


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_alg_none_is_never_accepted(alg: str) -> None:
    header = encode_segment({"alg": alg, "typ": "JWT"})
    for signature in ("", b64url_encode(hs256(b"x", SECRET))):
        token = f"{header}.{encode_segment(claims())}.{signature}"
        await reject(TokenVerifier(secret=SECRET), token, "algorithm")


async def test_hs256_signed_with_the_rsa_public_key_is_refused() -> None:
    """The classic key-confusion attack: HMAC keyed with the bytes of the published RSA key."""
    pem = public_pem(rsa_key())
    for secret_key in (pem, pem.strip(), json.dumps(public_jwk(rsa_key())).encode()):
        token = mint("HS256", secret_key, claims())
        only_jwks, _ = jwks_verifier(public_jwk(rsa_key(), "k1"))
        await reject(only_jwks, token, "algorithm")
        both, _ = jwks_verifier(public_jwk(rsa_key(), "k1"), secret=SECRET)
        await reject(both, token, "signature")


async def test_algorithms_follow_the_configuration() -> None:
    rs = mint("RS256", rsa_key(), claims())
    await reject(TokenVerifier(secret=SECRET), rs, "algorithm")
    await reject(TokenVerifier(), mint("HS256", SECRET, claims()), "algorithm")
    for alg in ("HS384", "HS512", "RS384", "PS256", "ES384", "EdDSA"):
        await reject(
            TokenVerifier(secret=SECRET), mint("HS256", SECRET, claims(), header={"alg": alg}), "algorithm"
        )


async def test_es256_signature_in_der_form_is_refused() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    verifier, _ = jwks_verifier(public_jwk(ec_key(), "e1"))
    token = mint("ES256", ec_key(), claims(), kid="e1")
    signing_input = token.rsplit(".", 1)[0]
    der = ec_key().sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    await reject(verifier, f"{signing_input}.{b64url_encode(der)}", "signature")


def _good() -> str:
    return mint("HS256", SECRET, claims())


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "a.b",
        "a.b.c.d",
        "....",
        "\x00\x01\x02",
        "not base64!.e30.AAAA",
        "ey J.e30.AAAA",
        "Bearer abc.def.ghi",
        "ééé.ééé.ééé",
        "W10.e30.AAAA",  # header is a JSON array
        "eyJhbGciOiJIUzI1NiJ9.W10.AAAA",  # payload is a JSON array
        "eyJhbGciOiJIUzI1NiJ9.bnVsbA.AAAA",  # payload is null
        "e30.e30.AAAA",  # header without alg
        "eyJhbGciOjF9.e30.AAAA",  # alg is a number
        "eyJhbGciOiJIUzI1NiJ9=.e30.AAAA",  # padding
        "eyJhbGciOiJIUzI1NiJ9.e31.AAAA",  # non-canonical last character
        "eyJhbGciOiJIUzI1NiJ9.e30.A",  # impossible length
        "eyJhbGciOiJIUzI1NiJ9.e30.AA+/",  # standard, not URL-safe, alphabet
        "x" * (MAX_TOKEN_CHARS + 1),
        ("eyJhbGciOiJIUzI1NiJ9." + "A" * MAX_TOKEN_CHARS + ".AAAA"),
    ],
)
async def test_garbage_is_malformed(token: str) -> None:
    await reject(TokenVerifier(secret=SECRET), token, "malformed")


async def test_truncated_tokens_are_refused() -> None:
    token = _good()
    verifier = TokenVerifier(secret=SECRET)
    for cut in range(1, len(token)):
        with pytest.raises(TokenError) as info:
            await verifier.verify(token[:cut], now=NOW)
        assert info.value.reason in ("malformed", "signature")


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "HS256", "crit": ["exp"]},
        {"alg": "HS256", "kid": 7},
        {"alg": "HS256", "kid": "k" * 257},
        {"alg": "HS256", "pad": "x" * 2000},
    ],
)
async def test_hostile_headers_are_malformed(header: dict[str, object]) -> None:
    token = f"{encode_segment(header)}.{encode_segment(claims())}.{b64url_encode(b'x' * 32)}"
    await reject(TokenVerifier(secret=SECRET), token, "malformed")


@pytest.mark.parametrize(
    "payload",
    [
        b'{"sub":"a","sub":"b","exp":1900000000}',  # duplicate member: which one would be checked?
        b'{"sub":"a","exp":NaN}',
        b'{"sub":"a","exp":Infinity}',
        b'{"sub":"a","exp":1' + b"0" * 5000 + b"}",
        b"[" * 3000 + b"]" * 3000,
        b"\xff\xfe{}",
    ],
)
async def test_hostile_payloads_are_malformed(payload: bytes) -> None:
    await reject(TokenVerifier(secret=SECRET), mint("HS256", SECRET, payload), "malformed")


async def test_jwks_without_a_matching_key_is_a_signature_error() -> None:
    verifier, source = jwks_verifier(public_jwk(rsa_key(), "r1"))
    error = await reject(verifier, mint("RS256", rsa_key("other"), claims(), kid="r-unknown"), "signature")
    assert "kid" in error.message
    await reject(verifier, mint("RS256", rsa_key("other"), claims(), kid="r1"), "signature")
    assert source.fetches == 1
