"""Test-only token tooling: RSA/EC keys generated per test session, tokens minted with them,
and a CPython stand-in for the Worker's Web Crypto verifier (dev dependency `cryptography`).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from edgejobs.core.jwt import b64url_decode, b64url_encode, hs256

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@cache
def rsa_key(name: str = "rsa-1") -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key, generated once per name and session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def ec_key(name: str = "ec-1") -> ec.EllipticCurvePrivateKey:
    """A P-256 key, generated once per name and session."""
    return ec.generate_private_key(ec.SECP256R1())


def _int_b64(value: int, length: int | None = None) -> str:
    size = length or (value.bit_length() + 7) // 8
    return b64url_encode(value.to_bytes(size, "big"))


def public_jwk(key: PrivateKey, kid: str | None = None, **extra: Any) -> dict[str, Any]:
    """The public JWK of `key`, as an identity provider publishes it."""
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        jwk: dict[str, Any] = {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}
    else:
        point = key.public_key().public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": _int_b64(point.x, 32), "y": _int_b64(point.y, 32)}
    if kid is not None:
        jwk["kid"] = kid
    return {**jwk, **extra}


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def encode_segment(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":")).encode()
    return b64url_encode(raw)


def sign(alg: str, key: PrivateKey | bytes, signing_input: bytes) -> bytes:
    """The JWS signature of `signing_input` under `alg` (raw r||s for ES256)."""
    if alg == "HS256":
        assert isinstance(key, bytes)
        return hs256(signing_input, key)
    if alg == "RS256":
        assert isinstance(key, rsa.RSAPrivateKey)
        return key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    assert alg == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey)
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def mint(
    alg: str,
    key: PrivateKey | bytes,
    claims: dict[str, Any] | bytes,
    *,
    kid: str | None = None,
    header: dict[str, Any] | None = None,
) -> str:
    """A compact JWS over `claims` (a dict, or raw payload bytes) signed with `key`."""
    head: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        head["kid"] = kid
    head.update(header or {})
    signing_input = f"{encode_segment(head)}.{encode_segment(claims)}"
    return f"{signing_input}.{b64url_encode(sign(alg, key, signing_input.encode()))}"


async def cpython_verify(alg: str, jwk: dict[str, str], signing_input: bytes, signature: bytes) -> bool:
    """What the Worker's Web Crypto verifier does, with `cryptography`."""
    try:
        if alg == "RS256":
            n = int.from_bytes(b64url_decode(jwk["n"]), "big")
            e = int.from_bytes(b64url_decode(jwk["e"]), "big")
            rsa.RSAPublicNumbers(e, n).public_key().verify(
                signature, signing_input, padding.PKCS1v15(), hashes.SHA256()
            )
            return True
        if alg == "ES256":
            x = int.from_bytes(b64url_decode(jwk["x"]), "big")
            y = int.from_bytes(b64url_decode(jwk["y"]), "big")
            public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            public.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
            return True
    except InvalidSignature:
        return False
    raise AssertionError(f"unexpected algorithm {alg}")


class FakeJwksSource:
    """A JWKS endpoint in memory: serves `keys`, counts fetches, can fail."""

    def __init__(self, *jwks: dict[str, Any]) -> None:
        self.keys = list(jwks)
        self.fetches = 0
        self.fail: Exception | None = None

    async def __call__(self, url: str) -> Any:
        self.fetches += 1
        if self.fail is not None:
            raise self.fail
        return {"keys": list(self.keys)}
