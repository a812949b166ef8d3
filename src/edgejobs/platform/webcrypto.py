"""RS256 and ES256 signature checks with the runtime's Web Crypto (Pyodide only).

`verify_signature` is the `AsymmetricVerify` that `edgejobs.core.jwt.TokenVerifier` is given
in the Worker: `crypto.subtle.importKey("jwk", ...)` then `crypto.subtle.verify(...)`.
Imported keys are kept per isolate, so a key is imported once, not once per request. Nothing
JS is touched at import: the JS globals are looked up once per isolate, on first use.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# alg -> (importKey algorithm, verify algorithm). ES256 signatures are raw r||s, which is
# what Web Crypto's ECDSA verify takes (no DER).
_ALGORITHMS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "RS256": ({"name": "RSASSA-PKCS1-v1_5", "hash": "SHA-256"}, {"name": "RSASSA-PKCS1-v1_5"}),
    "ES256": ({"name": "ECDSA", "namedCurve": "P-256"}, {"name": "ECDSA", "hash": "SHA-256"}),
}
_MAX_KEYS = 64
_keys: dict[tuple[str, ...], Any] = {}  # (alg, JWK members...) -> CryptoKey


class _Js:
    """The JS objects a verification needs, looked up once (each lookup crosses)."""

    __slots__ = ("from_entries", "js_exception", "new_uint8_array", "subtle", "to_js")

    def __init__(self) -> None:
        import js  # Pyodide's bridge to the JS globals
        from pyodide.ffi import JsException, to_js

        self.subtle = js.crypto.subtle
        self.from_entries = js.Object.fromEntries
        self.new_uint8_array = js.Uint8Array.new
        self.to_js = to_js
        self.js_exception = JsException


@cache
def _globals() -> _Js:
    return _Js()


def _js(value: object) -> Any:
    js = _globals()
    return js.to_js(value, dict_converter=js.from_entries)


def _bytes(data: bytes) -> Any:
    array = _globals().new_uint8_array(len(data))
    array.assign(data)
    return array


async def _crypto_key(alg: str, jwk: dict[str, str]) -> Any:
    cache_key = (alg, *sorted(f"{name}={value}" for name, value in jwk.items()))
    key = _keys.get(cache_key)
    if key is None:
        subtle = _globals().subtle
        key = await subtle.importKey("jwk", _js(jwk), _js(_ALGORITHMS[alg][0]), False, _js(["verify"]))
        if len(_keys) >= _MAX_KEYS:
            _keys.clear()
        _keys[cache_key] = key
    return key


async def verify_signature(alg: str, jwk: dict[str, str], signing_input: bytes, signature: bytes) -> bool:
    """Whether `signature` is `alg`'s signature of `signing_input` under the public `jwk`.
    A key Web Crypto refuses to import (say, a point not on the curve) verifies nothing."""
    if alg not in _ALGORITHMS:
        return False
    js = _globals()
    try:
        key = await _crypto_key(alg, jwk)
        algorithm = _js(_ALGORITHMS[alg][1])
        valid = await js.subtle.verify(algorithm, key, _bytes(signature), _bytes(signing_input))
    except js.js_exception:
        return False
    return bool(valid)
