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
from typing import Any, NamedTuple

from .errors import PayloadTooLarge

# Chosen by measurement (bench/payload.py, a realistic 200-scene job of 277,594 bytes, in
# Pyodide 3.14 as the Worker runs it): level 1 → 77,965 bytes in 4.1 ms; 5 → 65,190 in 9.7 ms;
# 6 → 63,906 in 14.3 ms; 9 → 61,915 in 38.9 ms. Level 5 is the knee: 16% smaller than level 1,
# within 2% of level 6 for two thirds of its CPU time (Workers bill and limit CPU time).
GZIP_LEVEL = 5

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


def canonical_json(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no whitespace, UTF-8.

    Text holding an unpaired surrogate (legal as a JSON escape, not encodable as UTF-8)
    is written with ASCII escapes instead, so every parsed value can be stored exactly.
    """
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True).encode()


def etag_of(canonical: bytes) -> str:
    """A strong ETag: 128 bits of SHA-256 over the canonical bytes, quoted."""
    return '"' + hashlib.sha256(canonical).hexdigest()[:32] + '"'


def compress(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    # mtime=0: the same input always gives the same bytes (no timestamp in the header).
    return gzip.compress(data, compresslevel=level, mtime=0)


def check_row_size(stored_bytes: int, limit: int = MAX_STORED_BYTES, what: str = "The object") -> None:
    """Refuse (413) a compressed payload that would not fit in one D1 row."""
    if stored_bytes > limit:
        raise PayloadTooLarge(
            f"{what} is {stored_bytes:,} bytes after gzip compression; at most {limit:,} bytes "
            f"can be stored (D1's row limit is {D1_MAX_ROW_BYTES:,} bytes). Nothing was stored."
        )


def encode_payload(value: Any, limit: int = MAX_STORED_BYTES, what: str = "The object") -> EncodedPayload:
    """Canonical JSON → gzip → size guard → ETag."""
    canonical = canonical_json(value)
    stored = compress(canonical)
    check_row_size(len(stored), limit, what)
    return EncodedPayload(canonical=canonical, stored=stored, etag=etag_of(canonical))


def decode_payload(stored: bytes) -> bytes:
    """The canonical JSON bytes back from a stored BLOB (served as they are, no re-encoding)."""
    return gzip.decompress(stored)
