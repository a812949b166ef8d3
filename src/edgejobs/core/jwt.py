"""User tokens: JSON Web Tokens in the compact JWS form, checked without third-party code.

`TokenVerifier.verify` parses a token strictly, pins its algorithm to the configuration
(HS256 only with a shared secret, RS256/ES256 only with a JWKS, never `none`), checks the
signature and then the claims. HS256 is checked here with `hmac.compare_digest`; RS256 and
ES256 are checked by an injected `AsymmetricVerify` (Web Crypto in the Worker) against keys
from a `JwksCache`. Every failure is a `TokenError` whose message never repeats the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edgejobs.core.jwks import FetchJson, JwksCache

MAX_TOKEN_CHARS = 8192  # identity providers' tokens are 1-3 kB; anything larger is refused unread
MAX_HEADER_BYTES = 1024
LEEWAY_SECONDS = 60  # clock skew allowed on exp, nbf and iat
MAX_SUBJECT_CHARS = 128
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256")

# (alg, public JWK, signing input, signature) -> whether the signature verifies.
AsymmetricVerify = Callable[[str, dict[str, str], bytes, bytes], Awaitable[bool]]

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_SUBJECT = re.compile(rf"[\x21-\x7e]{{1,{MAX_SUBJECT_CHARS}}}")


class TokenError(Exception):
    """The token is not valid.

    `reason` is one of: malformed, algorithm, signature, expired, not_yet_valid, issuer,
    audience. `message` is a sentence for the client; it never contains the token.
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(message)


def _malformed(what: str) -> TokenError:
    return TokenError("malformed", f"The token is malformed: {what}.")


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url, as JWS uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    """Strict unpadded base64url: only the URL-safe alphabet, no padding, canonical last
    character (so one byte string has exactly one encoding). Raises ValueError."""
    if len(segment) % 4 == 1 or not _BASE64URL.fullmatch(segment):
        raise ValueError("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except binascii.Error:
        raise ValueError("not unpadded base64url") from None
    if b64url_encode(data) != segment:
        raise ValueError("not canonical base64url")
    return data


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member")
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_object(segment: str, part: str) -> dict[str, Any]:
    try:
        value = json.loads(
            b64url_decode(segment).decode("utf-8"),
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError):  # bad base64url/UTF-8/JSON, duplicates, huge integers
        raise _malformed(f"its {part} is not a base64url JSON object") from None
    if not isinstance(value, dict):
        raise _malformed(f"its {part} is not a JSON object")
    return value


class Jws:
    """A parsed compact JWS: header, payload, the bytes that were signed and the signature."""

    __slots__ = ("header", "payload", "signature", "signing_input")

    def __init__(
        self, header: dict[str, Any], payload: dict[str, Any], signing_input: bytes, signature: bytes
    ):
        self.header = header
        self.payload = payload
        self.signing_input = signing_input
        self.signature = signature

    @property
    def alg(self) -> str:
        return str(self.header["alg"])

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


def parse_compact(token: str) -> Jws:
    """Splits and decodes `header.payload.signature` without trusting any of it."""
    if not isinstance(token, str) or not token:
        raise _malformed("it is empty")
    if len(token) > MAX_TOKEN_CHARS:
        raise _malformed(f"it is longer than {MAX_TOKEN_CHARS} characters")
    if not token.isascii():
        raise _malformed("it contains characters outside base64url")
    parts = token.split(".")
    if len(parts) != 3:
        raise _malformed("a compact JWS has three dot-separated parts")
    header_part, payload_part, signature_part = parts
    if len(header_part) > MAX_HEADER_BYTES * 4 // 3 + 4:
        raise _malformed("its header is too large")
    header = _json_object(header_part, "header")
    payload = _json_object(payload_part, "payload")
    try:
        signature = b64url_decode(signature_part)
    except ValueError:
        raise _malformed("its signature is not base64url") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise _malformed("its header has no alg")
    if "crit" in header:  # extensions that must be understood: none are, so refuse
        raise _malformed("its header lists critical extensions this service does not support")
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or len(kid) > 256):
        raise _malformed("its header's kid is not a short string")
    return Jws(header, payload, f"{header_part}.{payload_part}".encode("ascii"), signature)


def hs256(signing_input: bytes, secret: bytes) -> bytes:
    """The HS256 signature (HMAC-SHA-256) of `signing_input`."""
    return hmac.new(secret, signing_input, hashlib.sha256).digest()


def mint_hs256(claims: dict[str, Any], secret: bytes) -> str:
    """A compact HS256 JWS of `claims` (header `{"alg":"HS256","typ":"JWT"}`)."""
    header = b64url_encode(b'{"alg":"HS256","typ":"JWT"}')
    payload = b64url_encode(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signing_input = f"{header}.{payload}".encode("ascii")
    return f"{header}.{payload}.{b64url_encode(hs256(signing_input, secret))}"


def _numeric_date(payload: dict[str, Any], name: str) -> float | None:
    value = payload.get(name)
    if value is None and name not in payload:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _malformed(f"its {name} claim is not a number of seconds")
    return float(value)


def check_claims(
    payload: dict[str, Any],
    *,
    now: float,
    issuers: tuple[str, ...] = (),
    audiences: tuple[str, ...] = (),
    leeway: float = LEEWAY_SECONDS,
) -> str:
    """Checks exp (required), nbf, iat, iss, aud and sub of a verified payload at `now`
    (epoch seconds); returns the subject."""
    exp = _numeric_date(payload, "exp")
    if exp is None:
        raise _malformed("it has no exp claim (an expiry is required)")
    nbf = _numeric_date(payload, "nbf")
    iat = _numeric_date(payload, "iat")
    sub = payload.get("sub")
    if not isinstance(sub, str) or not _SUBJECT.fullmatch(sub):
        raise _malformed(f"its sub claim must be 1-{MAX_SUBJECT_CHARS} visible ASCII characters")
    if now >= exp + leeway:
        raise TokenError("expired", "The token has expired.")
    if nbf is not None and now + leeway < nbf:
        raise TokenError("not_yet_valid", "The token is not valid yet (its nbf is in the future).")
    if iat is not None and now + leeway < iat:
        raise TokenError("not_yet_valid", "The token is not valid yet (its iat is in the future).")
    if issuers and payload.get("iss") not in issuers:
        raise TokenError("issuer", "The token's issuer (iss) is not one this service accepts.")
    if audiences:
        aud = payload.get("aud")
        named = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not any(isinstance(a, str) and a in audiences for a in named):
            raise TokenError("audience", "The token's audience (aud) is not one this service accepts.")
    return sub


class TokenVerifier:
    """Verifies user tokens under one configuration (kept per isolate)."""

    def __init__(
        self,
        *,
        secret: bytes | None = None,
        jwks: JwksCache | None = None,
        verify_asymmetric: AsymmetricVerify | None = None,
        issuers: tuple[str, ...] = (),
        audiences: tuple[str, ...] = (),
        leeway: float = LEEWAY_SECONDS,
    ) -> None:
        self.secret = secret or None
        self.jwks = jwks
        self.verify_asymmetric = verify_asymmetric
        self.issuers = issuers
        self.audiences = audiences
        self.leeway = leeway
        algorithms = ("HS256",) if self.secret else ()
        self.algorithms: tuple[str, ...] = algorithms + (ASYMMETRIC_ALGORITHMS if jwks else ())

    async def verify(
        self,
        token: str,
        *,
        now: float,
        fetch_json: FetchJson | None = None,
        verify_asymmetric: AsymmetricVerify | None = None,
    ) -> dict[str, Any]:
        """The token's claims once its signature and claims hold at `now` (epoch seconds);
        else TokenError (JwksUnavailable when the keys cannot be had). `sub` is always a valid
        subject in the result. `fetch_json` fetches the JWKS and `verify_asymmetric` checks
        RS256/ES256 for this call (else the constructor's)."""
        jws = parse_compact(token)
        alg = jws.alg
        if alg not in self.algorithms:
            if alg.lower() == "none":
                raise TokenError("algorithm", "Unsigned tokens (alg none) are never accepted.")
            accepted = ", ".join(self.algorithms) or "none: no JWT_SECRET or JWT_JWKS_URL is set"
            raise TokenError(
                "algorithm", f"The token's algorithm is not accepted here (accepted: {accepted})."
            )
        if alg == "HS256":
            assert self.secret is not None  # HS256 is in self.algorithms only with a secret
            valid = hmac.compare_digest(jws.signature, hs256(jws.signing_input, self.secret))
        else:
            verify = verify_asymmetric or self.verify_asymmetric
            if verify is None:
                raise TokenError("algorithm", "RS256 and ES256 cannot be verified here (no Web Crypto).")
            valid = await self._verify_with_jwks(jws, now, fetch_json, verify)
        if not valid:
            raise TokenError("signature", "The token's signature does not verify.")
        check_claims(jws.payload, now=now, issuers=self.issuers, audiences=self.audiences, leeway=self.leeway)
        return jws.payload

    async def _verify_with_jwks(
        self, jws: Jws, now: float, fetch_json: FetchJson | None, verify: AsymmetricVerify
    ) -> bool:
        assert self.jwks is not None
        if jws.alg == "ES256" and len(jws.signature) != 64:  # raw r||s of P-256
            return False
        keys = await self.jwks.keys_for(jws.alg, jws.kid, now=now, fetch_json=fetch_json)
        if not keys:
            raise TokenError("signature", "No key in the JWKS matches the token's kid and algorithm.")
        for key in keys:
            if await verify(jws.alg, key, jws.signing_input, jws.signature):
                return True
        return False
