"""The payload codec, shared by every resource that stores a client's JSON object.

An object is stored as its canonical JSON (sorted keys, no whitespace, UTF-8) compressed
with gzip. The canonical form makes the ETag a property of the value, not of how a client
spelled it: the same object sent twice, keys in any order, has the same ETag. A payload
that does not fit in one D1 row is refused (413), never truncated.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
import sys
import zlib
from typing import Any, NamedTuple

from .errors import PayloadTooLarge

if sys.platform == "emscripten":  # the Worker: the runtime's native Web Crypto digest
    from ..platform.webcrypto import sha256
else:

    async def sha256(data: bytes) -> bytes:
        """SHA-256 of `data` (hashlib; in the Worker, Web Crypto: `platform/webcrypto.py`)."""
        return hashlib.sha256(data).digest()


# Chosen by measurement (bench/payload.py, a realistic 200-scene job of 277,594 bytes, in
# Pyodide 3.14 as the Worker runs it): level 1 → 77,965 bytes in 4.1 ms; 5 → 65,190 in 9.7 ms;
# 6 → 63,906 in 14.3 ms; 9 → 61,915 in 38.9 ms. Level 5 is the knee: 16% smaller than level 1,
# within 2% of level 6 for two thirds of its CPU time (Workers bill and limit CPU time).
# Stored bytes and `stored_bytes` depend on it: changing it changes what every new write stores.
GZIP_LEVEL = 5

# The gzip header every stored payload has: magic, deflate, no flags, mtime 0, XFL 0 (levels
# 2-8), OS 255 ("unknown"). This is what Python 3.12+'s `gzip.compress(mtime=0)` writes, so
# what the Worker (Pyodide, Python 3.14) has always stored; CPython 3.11 wrote OS 3 instead.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"

# D1 refuses any string, BLOB or row over 2,000,000 bytes. The payload row also holds its key
# (≤ 128 bytes) and SQLite's record header, so the BLOB gets the limit minus a small reserve.
D1_MAX_ROW_BYTES = 2_000_000
ROW_KEY_RESERVE_BYTES = 1_024
MAX_STORED_BYTES = D1_MAX_ROW_BYTES - ROW_KEY_RESERVE_BYTES


class EncodedPayload(NamedTuple):
    canonical: bytes  # what a GET returns
    stored: bytes  # gzip of `canonical`: what the BLOB holds
    etag: str  # quoted strong validator, e.g. '"3f2a…"'

    @property
    def size_bytes(self) -> int:
        return len(self.canonical)

    @property
    def stored_bytes(self) -> int:
        return len(self.stored)


def _has_unicode_escape(text: bytes) -> bool:
    """True when the JSON text holds a `\\u` escape (one search per backslash, each in C)."""
    at = text.find(b"\\")
    while at != -1:
        if text[at + 1 : at + 2] == b"u":
            return True
        at = text.find(b"\\", at + 2)  # past the escaped character, `\\` included
    return False


def plain_ascii(source: bytes) -> bool:
    """True when every string parsed from the JSON text `source` is printable ASCII or one of the
    escapes both encoders write alike (`\\n`, `\\"`, …): no byte past 0x7E, no `\\u` escape."""
    return source.isascii() and b"\x7f" not in source and not _has_unicode_escape(source)


def canonical_json(value: Any, source: bytes | None = None) -> bytes:
    """One byte string per JSON value: sorted keys, no whitespace, UTF-8.

    Text holding an unpaired surrogate (legal as a JSON escape, not encodable as UTF-8)
    is written with ASCII escapes instead, so every parsed value can be stored exactly.
    `source`, the JSON text `value` was parsed from (unchanged since): when it is
    `plain_ascii`, the ASCII encoder writes the same bytes ~20% faster.
    """
    if source is not None and plain_ascii(source):
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True).encode()
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True).encode()


def etag_from_digest(digest: bytes) -> str:
    """A strong ETag: the first 128 bits of the canonical bytes' SHA-256, in hex, quoted."""
    return '"' + digest[:16].hex() + '"'


def etag_of(canonical: bytes) -> str:
    return etag_from_digest(hashlib.sha256(canonical).digest())


def compress(data: bytes) -> bytes:
    """gzip of `data` at `GZIP_LEVEL`, the same bytes on every Python: the fixed header, zlib's
    raw deflate, then the CRC-32 and length (no timestamp: the same input, the same bytes)."""
    deflate = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    return _GZIP_HEADER + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def check_row_size(stored_bytes: int, limit: int = MAX_STORED_BYTES, what: str = "The object") -> None:
    """Refuse (413) a compressed payload that would not fit in one D1 row."""
    if stored_bytes > limit:
        raise PayloadTooLarge(
            f"{what} is {stored_bytes:,} bytes after gzip compression; at most {limit:,} bytes "
            f"can be stored (D1's row limit is {D1_MAX_ROW_BYTES:,} bytes). Nothing was stored."
        )


def _canonical_and_stored(value: Any, limit: int, what: str, source: bytes | None) -> tuple[bytes, bytes]:
    canonical = canonical_json(value, source)
    stored = compress(canonical)
    check_row_size(len(stored), limit, what)
    return canonical, stored


async def encode_payload(
    value: Any, limit: int = MAX_STORED_BYTES, what: str = "The object", source: bytes | None = None
) -> EncodedPayload:
    """Canonical JSON → gzip → size guard → ETag (in the Worker, hashed by Web Crypto).
    `source`: the JSON text `value` was parsed from, if at hand (see `canonical_json`)."""
    canonical, stored = _canonical_and_stored(value, limit, what, source)
    return EncodedPayload(canonical, stored, etag_from_digest(await sha256(canonical)))


def encode_payload_sync(
    value: Any, limit: int = MAX_STORED_BYTES, what: str = "The object"
) -> EncodedPayload:
    """`encode_payload` outside a request (bench data, tools): the same bytes and ETag."""
    canonical, stored = _canonical_and_stored(value, limit, what, None)
    return EncodedPayload(canonical, stored, etag_of(canonical))


def decode_payload(stored: bytes) -> bytes:
    """The canonical JSON bytes back from a stored BLOB (served as they are, no re-encoding)."""
    return gzip.decompress(stored)
