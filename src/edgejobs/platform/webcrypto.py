"""RS256 and ES256 signature checks with the runtime's Web Crypto (Pyodide only).

`verify_signature` is the `AsymmetricVerify` that `edgejobs.core.jwt.TokenVerifier` is given
in the Worker: `crypto.subtle.importKey("jwk", ...)` then `crypto.subtle.verify(...)`.
Imported keys are kept per isolate, so a key is imported once, not once per request. Nothing
JS is touched at import: the JS globals are looked up once per isolate, on first use.
"""

from __future__ import annotations

from typing import Any

from .globals import js_globals

# alg -> (importKey algorithm, verify algorithm). ES256 signatures are raw r||s, which is
# what Web Crypto's ECDSA verify takes (no DER).
_ALGORITHMS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "RS256": ({"name": "RSASSA-PKCS1-v1_5", "hash": "SHA-256"}, {"name": "RSASSA-PKCS1-v1_5"}),
    "ES256": ({"name": "ECDSA", "namedCurve": "P-256"}, {"name": "ECDSA", "hash": "SHA-256"}),
}
_MAX_KEYS = 64
_keys: dict[tuple[str, ...], Any] = {}  # (alg, JWK members...) -> CryptoKey


def _js(value: object) -> Any:
    js = js_globals()
    return js.to_js(value, dict_converter=js.from_entries)


def _bytes(data: bytes) -> Any:
    array = js_globals().new_uint8_array(len(data))
    array.assign(data)
    return array


async def _crypto_key(alg: str, jwk: dict[str, str]) -> Any:
    cache_key = (alg, *sorted(f"{name}={value}" for name, value in jwk.items()))
    key = _keys.get(cache_key)
    if key is None:
        subtle = js_globals().subtle
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
    js = js_globals()
    try:
        key = await _crypto_key(alg, jwk)
        algorithm = _js(_ALGORITHMS[alg][1])
        valid = await js.subtle.verify(algorithm, key, _bytes(signature), _bytes(signing_input))
    except js.js_exception:
        return False
    return bool(valid)


async def sha256(data: bytes) -> bytes:
    """SHA-256 of `data` by `crypto.subtle.digest`: the runtime hashes natively, where `hashlib`
    runs compiled to WebAssembly (a 280 kB VEO object: ~1.2 ms in Pyodide, ~0.3-0.7 natively,
    the copy included; `make bench`, "VEO PUT CPU")."""
    digest = await js_globals().subtle.digest("SHA-256", _bytes(data))
    return bytes(digest.to_bytes())
