"""The JWKS key cache: an identity provider's public keys, fetched on demand and kept per isolate.

Keys are fetched on first use and again when a token names a `kid` the cache does not hold,
at most once per `min_interval` (a flood of tokens with made-up kids costs one fetch a
minute), and refreshed when older than `max_age` so that a key the provider withdrew stops
working. Only public RSA (2048-8192 bits) and P-256 EC signing keys are kept, reduced to the
members Web Crypto's `importKey("jwk", ...)` needs; symmetric (`oct`) keys are never used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from edgejobs.core.jwt import b64url_decode

FetchJson = Callable[[str], Awaitable[Any]]  # url -> the parsed JSON document

MAX_KEYS = 64
_KTY_FOR_ALG = {"RS256": "RSA", "ES256": "EC"}


class JwksUnavailable(Exception):
    """The signing keys could not be fetched (and none are cached)."""


def _b64url_length(value: object) -> int | None:
    """Decoded length of a base64url JWK member, or None when it is not one."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        return None
    try:
        return len(b64url_decode(value))
    except ValueError:
        return None


def public_signing_key(jwk: object) -> dict[str, str] | None:
    """The verification-only form of one JWK, or None when it is not an RS256/ES256 public key
    usable for signatures (wrong type, curve, size, `use`, `key_ops` or `alg`)."""
    if not isinstance(jwk, dict):
        return None
    if jwk.get("use", "sig") != "sig":
        return None
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        return None
    kty, alg, kid = jwk.get("kty"), jwk.get("alg"), jwk.get("kid")
    if alg is not None and _KTY_FOR_ALG.get(alg) != kty:
        return None
    if kid is not None and not isinstance(kid, str):
        return None
    if kty == "RSA":
        modulus = _b64url_length(jwk.get("n"))
        exponent = _b64url_length(jwk.get("e"))
        if modulus is None or not 256 <= modulus <= 1024 or exponent is None or exponent > 8:
            return None
        key = {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}
    elif kty == "EC":
        if (
            jwk.get("crv") != "P-256"
            or _b64url_length(jwk.get("x")) != 32
            or _b64url_length(jwk.get("y")) != 32
        ):
            return None
        key = {"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]}
    else:
        return None
    if kid is not None:
        key["kid"] = kid
    if alg is not None:
        key["alg"] = alg
    return key


def parse_jwks(document: object) -> list[dict[str, str]]:
    """The usable signing keys of a JWKS document `{"keys": [...]}` (others are skipped).
    Raises JwksUnavailable when the document is not a JWKS at all."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksUnavailable('The JWKS document is not a JSON object with a "keys" list.')
    keys = [key for key in map(public_signing_key, document["keys"][:MAX_KEYS]) if key is not None]
    return keys


def select_keys(keys: list[dict[str, str]], alg: str, kid: str | None) -> list[dict[str, str]]:
    """Keys that may verify a token of `alg` naming `kid` (every key of the right type when the
    token names none)."""
    kty = _KTY_FOR_ALG.get(alg)
    return [
        key
        for key in keys
        if key["kty"] == kty and key.get("alg", alg) == alg and (kid is None or key.get("kid") == kid)
    ]


class JwksCache:
    """The keys at one JWKS URL, kept for the isolate's lifetime."""

    def __init__(
        self,
        url: str,
        fetch_json: FetchJson | None = None,
        *,
        min_interval: float = 60,
        max_age: float = 3600,
    ) -> None:
        self.url = url
        self.fetch_json = fetch_json
        self.min_interval = min_interval
        self.max_age = max_age
        self.keys: list[dict[str, str]] = []
        self.fetched_at: float | None = None  # last successful fetch (epoch seconds)
        self.attempted_at: float | None = None  # last fetch started, successful or not
        self.fetches = 0
        self._inflight: asyncio.Future[None] | None = None

    def _may_fetch(self, now: float) -> bool:
        return self.attempted_at is None or now - self.attempted_at >= self.min_interval

    async def keys_for(
        self, alg: str, kid: str | None, *, now: float, fetch_json: FetchJson | None = None
    ) -> list[dict[str, str]]:
        """The cached keys for a token, fetching first when the cache is empty, stale, or lacks
        the token's kid (each within the rate limit). `fetch_json` (else the constructor's) makes
        the request: the cache outlives an invocation, its outbound budget does not. Raises
        JwksUnavailable when no keys were ever fetched."""
        fetch = fetch_json or self.fetch_json
        stale = self.fetched_at is None or now - self.fetched_at >= self.max_age
        if self._inflight is not None or (stale and self._may_fetch(now)):
            await self._refresh(now, fetch)
        if self.fetched_at is None:
            raise JwksUnavailable("The signing keys at JWT_JWKS_URL could not be fetched; retry shortly.")
        found = select_keys(self.keys, alg, kid)
        if not found and kid is not None and self._may_fetch(now):
            await self._refresh(now, fetch)
            found = select_keys(self.keys, alg, kid)
        return found

    async def _refresh(self, now: float, fetch: FetchJson | None) -> None:
        """One fetch at a time: concurrent requests of the isolate wait for the same one."""
        if self._inflight is None:
            self.attempted_at = now
            self.fetches += 1
            self._inflight = asyncio.ensure_future(self._load(now, fetch))
        inflight = self._inflight
        try:
            await inflight
        except JwksUnavailable:
            pass  # keep serving the keys already held; keys_for reports when there are none
        finally:
            if self._inflight is inflight and inflight.done():
                self._inflight = None

    async def _load(self, now: float, fetch: FetchJson | None) -> None:
        if fetch is None:
            raise JwksUnavailable("no way to fetch the JWKS was given")
        try:
            document = await fetch(self.url)
        except Exception as exc:  # any transport or decoding failure is one outcome: no new keys
            raise JwksUnavailable(f"fetching the JWKS failed: {type(exc).__name__}") from exc
        self.keys = parse_jwks(document)
        self.fetched_at = now
