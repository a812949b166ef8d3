"""HMAC-SHA256 with the runtime's Web Crypto (Pyodide only): `core.services.HmacSha256` in
the Worker. Imported keys are kept per isolate (a webhook secret signs many deliveries).
Nothing JS is touched at import: the JS globals are looked up once per isolate, on first use.
"""

from __future__ import annotations

from functools import cache
from typing import Any

_MAX_KEYS = 64
_keys: dict[bytes, Any] = {}  # raw key -> CryptoKey


class _Js:
    """The JS objects a signature needs, looked up once (each lookup crosses)."""

    __slots__ = ("algorithm", "from_entries", "new_uint8_array", "subtle", "usages")

    def __init__(self) -> None:
        import js  # Pyodide's bridge to the JS globals
        from pyodide.ffi import to_js

        self.subtle = js.crypto.subtle
        self.from_entries = js.Object.fromEntries
        self.new_uint8_array = js.Uint8Array.new
        self.algorithm = to_js({"name": "HMAC", "hash": "SHA-256"}, dict_converter=js.Object.fromEntries)
        self.usages = to_js(["sign"])


@cache
def _globals() -> _Js:
    return _Js()


def _bytes(data: bytes) -> Any:
    array = _globals().new_uint8_array(len(data))
    array.assign(data)
    return array


async def webcrypto_hmac_sha256(key: bytes, message: bytes) -> bytes:
    """`crypto.subtle.sign("HMAC", key, message)` with SHA-256: 32 bytes."""
    js = _globals()
    crypto_key = _keys.get(key)
    if crypto_key is None:
        crypto_key = await js.subtle.importKey("raw", _bytes(key), js.algorithm, False, js.usages)
        if len(_keys) >= _MAX_KEYS:
            _keys.clear()
        _keys[key] = crypto_key
    signature = await js.subtle.sign(js.algorithm, crypto_key, _bytes(message))
    return bytes(signature.to_bytes())
