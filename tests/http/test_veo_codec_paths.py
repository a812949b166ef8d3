"""The Worker's VEO write path (Pyodide: the fast strict parse, the ASCII encoder for plain-ASCII
bodies, Web Crypto's SHA-256, zlib compiled to WebAssembly) against CPython's (hashlib, the
stdlib's zlib): for the same request body, the same ETag, the same metadata, the same stored
BLOB byte for byte, and the same object served back."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from typing import Any

import httpx
import pytest

from edgejobs.core import codec
from edgejobs.core.strict_json import parse_json
from tests.support.pyodide import run_in_pyodide
from tests.support.runtime import LocalRuntime
from tests.support.veo_payload import realistic_veo_job

JSON = {"content-type": "application/json"}


def bodies() -> list[tuple[str, bytes]]:
    job = {k: v for k, v in realistic_veo_job(scenes=40).items() if k != "jobId"}  # the path names it
    unicode_job = {**job, "script": "Сцена 1: «рассвет» — 🎬\u2028 café", "voice": "ja-JP-ナナミ"}
    odd = {
        "scenes": [{"prompt": 'she says "wait\\now"\n\ttabs\x7f', "n": 10**30, "f": 1e-300}],
        "deep": json.loads("[" * 200 + "]" * 200),
        "lone": "\ud800",
        "": "empty key",
    }
    return [
        ("realistic-ascii", json.dumps(job, separators=(",", ":")).encode()),
        ("realistic-pretty", json.dumps(job, indent=2).encode()),
        ("unicode-raw", json.dumps(unicode_job, ensure_ascii=False).encode()),
        ("unicode-escaped", json.dumps(unicode_job).encode()),
        ("odd-values", json.dumps(odd).encode()),
        # ~1.4 MB of gzip: over half a D1 string, so the BLOB is bound as bytes, not as hex text.
        ("incompressible", json.dumps({"noise": base64.b64encode(os.urandom(1_050_000)).decode()}).encode()),
    ]


def cpython_payload(body: bytes) -> codec.EncodedPayload:
    """What CPython stores for `body` (hashlib, the stdlib's zlib, the UTF-8 encoder)."""
    return codec.encode_payload_sync(parse_json(body))


@pytest.mark.parametrize(("name", "body"), bodies(), ids=[n for n, _ in bodies()])
def test_worker_and_cpython_store_and_answer_the_same(
    client: httpx.Client, local: LocalRuntime, name: str, body: bytes
) -> None:
    job_id = f"codec-{name}-{uuid.uuid4().hex[:8]}"
    expected = cpython_payload(body)
    assert asyncio.run(codec.encode_payload(parse_json(body), source=body)) == expected
    try:
        put = client.put(f"/api/veo/jobs/{job_id}", content=body, headers=JSON)
        assert put.status_code == 201, put.text[:300]
        meta: dict[str, Any] = put.json()
        assert put.headers["etag"] == meta["etag"] == expected.etag
        assert meta["size_bytes"] == expected.size_bytes
        assert meta["stored_bytes"] == expected.stored_bytes
        (row,) = local.sql(
            "SELECT length(data) AS n, hex(substr(data, 1, 900000)) AS head, "
            "hex(substr(data, 900001)) AS tail FROM veo_job_data WHERE job_id = ?",
            job_id,
        )
        assert row["n"] == expected.stored_bytes
        assert bytes.fromhex(row["head"] + row["tail"]) == expected.stored
        got = client.get(f"/api/veo/jobs/{job_id}")
        assert got.content == expected.canonical
        assert got.headers["etag"] == expected.etag
    finally:
        client.delete(f"/api/veo/jobs/{job_id}")


def test_the_worker_stores_what_its_python_gzip_module_wrote_before() -> None:
    """Stored bytes are unchanged: in the Worker's own Python, `codec.compress` is byte for byte
    what `gzip.compress(data, 5, mtime=0)` (the code before) writes, on the realistic job and on
    the odd bodies."""
    answer = run_in_pyodide(
        "import base64, gzip, json\n"
        "from edgejobs.core import codec\n"
        f"bodies = [base64.b64decode(b) for b in {[base64.b64encode(b).decode() for _, b in bodies()]!r}]\n"
        "canon = [codec.canonical_json(json.loads(b)) for b in bodies]\n"
        "json.dumps([codec.compress(c) == gzip.compress(c, compresslevel=5, mtime=0) for c in canon])\n",
        timeout=300,
    )
    assert answer == [True] * len(bodies())
