"""Record ids: time-ordered UUIDs (RFC 9562 version 7) and random tokens.

Both draw entropy at call time, never at import time (production snapshots the module at
deploy, so import-time randomness would repeat).
"""

from __future__ import annotations

import os
import re

UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

_MS_BITS = 48
_RANDOM_BITS = 74  # 12 bits rand_a + 62 bits rand_b


def uuid7(epoch_ms: int) -> str:
    """A UUIDv7 whose first 48 bits are `epoch_ms`: ids sort (as text) in creation order."""
    random = int.from_bytes(os.urandom(10), "big") >> (80 - _RANDOM_BITS)
    rand_a, rand_b = random >> 62, random & ((1 << 62) - 1)
    value = (epoch_ms & ((1 << _MS_BITS) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def uuid7s(epoch_ms: int, count: int) -> list[str]:
    """`count` UUIDv7s of the same millisecond, in ascending order (rows made together keep
    the order they were made in when sorted by id)."""
    return sorted(uuid7(epoch_ms) for _ in range(count))


def uuid7_ms(value: str) -> int:
    """The epoch milliseconds a UUIDv7 was made at."""
    return int(value[:8] + value[9:13], 16)


def token() -> str:
    """A random 128-bit token (hex)."""
    return os.urandom(16).hex()
