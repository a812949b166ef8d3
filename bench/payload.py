"""Benchmark hooks for the VEO job cache's payload codec.

`veo_compression_report()` builds a realistic 200-scene VEO job (the shape the `000_*`
seed's frontend stores: script, characters, per-scene prompts, camera and audio notes,
generation results) and reports how the codec stores it. `gzip_level_report()` compares
gzip levels on the same job; it is how `codec.GZIP_LEVEL` was chosen.

Run directly: `PYTHONPATH=src .venv/bin/python -m bench.payload`.
"""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

from edgejobs.core import codec
from tests.support.veo_payload import realistic_veo_job


def _timed(fn: Any, repeat: int = 5) -> tuple[Any, float]:
    """Result of fn() and its best wall time in ms over `repeat` runs."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, (time.perf_counter() - started) * 1000)
    return result, best


def veo_compression_report() -> dict[str, Any]:
    """Raw size, compressed size, ratio and encode/decode times for a 200-scene job."""
    job = realistic_veo_job()
    payload, encode_ms = _timed(lambda: codec.encode_payload_sync(job))
    _, decode_ms = _timed(lambda: json.loads(codec.decode_payload(payload.stored)))
    return {
        "scenes": len(job["scenes"]),
        "raw_bytes": payload.size_bytes,
        "stored_bytes": payload.stored_bytes,
        "ratio": round(payload.size_bytes / payload.stored_bytes, 2),
        "gzip_level": codec.GZIP_LEVEL,
        "encode_ms": round(encode_ms, 2),
        "decode_ms": round(decode_ms, 2),
    }


def gzip_level_report(levels: tuple[int, ...] = (1, 5, 6, 9)) -> list[dict[str, Any]]:
    """Compressed size and time per gzip level on the same 200-scene job."""
    raw = codec.canonical_json(realistic_veo_job())
    rows = []
    for level in levels:
        stored, ms = _timed(lambda level=level: gzip.compress(raw, compresslevel=level, mtime=0))
        rows.append(
            {
                "level": level,
                "raw_bytes": len(raw),
                "stored_bytes": len(stored),
                "ratio": round(len(raw) / len(stored), 2),
                "compress_ms": round(ms, 2),
            }
        )
    return rows


if __name__ == "__main__":
    print(json.dumps(veo_compression_report(), indent=2))
    for row in gzip_level_report():
        print(row)
