"""HMAC-SHA256 with the runtime's Web Crypto (Pyodide only): `core.services.HmacSha256` in
the Worker. Imported keys are kept per isolate (a webhook secret signs many deliveries).
Nothing JS is touched at import: the JS globals are looked up once per isolate, on first use.
"""

from __future__ import annotations

from typing import Any

from .globals import js_globals

_MAX_KEYS = 64
_keys: dict[bytes, Any] = {}  # raw key -> CryptoKey
_algorithm: list[Any] = []  # the JS {name: "HMAC", hash: "SHA-256"}, made once


def _bytes(data: bytes) -> Any:
    array = js_globals().new_uint8_array(len(data))
    array.assign(data)
    return array


def _hmac() -> Any:
    if not _algorithm:
        js = js_globals()
        _algorithm.append(js.to_js({"name": "HMAC", "hash": "SHA-256"}, dict_converter=js.from_entries))
    return _algorithm[0]


async def webcrypto_hmac_sha256(key: bytes, message: bytes) -> bytes:
    """`crypto.subtle.sign("HMAC", key, message)` with SHA-256: 32 bytes."""
    js = js_globals()
    crypto_key = _keys.get(key)
    if crypto_key is None:
        usages = js.to_js(["sign"])
        crypto_key = await js.subtle.importKey("raw", _bytes(key), _hmac(), False, usages)
        if len(_keys) >= _MAX_KEYS:
            _keys.clear()
        _keys[key] = crypto_key
    signature = await js.subtle.sign(_hmac(), crypto_key, _bytes(message))
    return bytes(signature.to_bytes())
