"""The phases of one VEO PUT, each timed alone inside Pyodide: bench/cpu_probe.mjs runs this
file and calls `phases(body_file, d1)` with a D1 binding that answers from memory.

Each phase reports the median of its CPU time over `ROUNDS` rounds (the Node process's,
`process.cpuUsage()`, all its threads: Web Crypto digests run on Node's thread pool, not on
the thread that runs Python). "body_read" includes building the Request, which the runtime
does before the Worker runs. The phases follow `veo.handlers.put_veo_job` and the pipeline
around it; the lines marked "before" are what those phases cost with the code they replaced.
"""

from __future__ import annotations

import json
import statistics
import struct
import zlib
from collections.abc import Callable
from typing import Any

from js import Request, process

from edgejobs.core import codec
from edgejobs.core.db import D1Stats, Database, Statement
from edgejobs.core.http import json_response
from edgejobs.core.strict_json import _parse_strict, parse_json
from edgejobs.platform import jsbridge
from edgejobs.platform.d1 import JsD1
from edgejobs.platform.globals import js_globals
from edgejobs.veo import model, sql

ROUNDS = 25


def cpu_ms() -> tuple[float, float]:
    """(process CPU ms, main thread CPU ms): reading the process's first makes the thread's
    current (Linux refreshes a running thread's time for process-wide reads)."""
    usage = process.cpuUsage()
    thread = process.threadCpuUsage()
    return (usage.user + usage.system) / 1000, (thread.user + thread.system) / 1000


Phase = Callable[[], Any]


async def measure(phases: dict[str, tuple[Phase, bool]]) -> tuple[dict[str, float], dict[str, float]]:
    """Median CPU ms of each phase over `ROUNDS` rounds, of the process and of the main thread,
    each round running every phase once in turn: a burst of the machine's other work lands on
    all phases alike, not on one."""
    times: dict[str, list[float]] = {name: [] for name in phases}
    thread_times: dict[str, list[float]] = {name: [] for name in phases}
    for _ in range(ROUNDS):
        for name, (fn, is_async) in phases.items():
            cpu0, thread0 = cpu_ms()
            result = fn()
            if is_async:
                await result
            cpu1, thread1 = cpu_ms()
            times[name].append(cpu1 - cpu0)
            thread_times[name].append(thread1 - thread0)

    def medians(values: dict[str, list[float]]) -> dict[str, float]:
        return {name: round(statistics.median(v), 3) for name, v in values.items()}

    return medians(times), medians(thread_times)


async def phases(body_file: str, d1: Any) -> str:
    """The report, as JSON text: {"phases": {name: ms}, "before": {name: ms}}, and the same for
    the main thread alone ("phases_main_thread", "before_main_thread")."""
    with open(body_file, "rb") as file:
        raw = file.read()
    job_id = json.loads(raw)["jobId"]
    js = js_globals()

    def new_request() -> Any:
        return Request.new("http://127.0.0.1/", method="PUT", body=js.to_js(raw))

    async def read_body() -> bytes:
        return bytes((await new_request().arrayBuffer()).to_bytes())

    # Every phase's input, computed once, as the handler computes it.
    body = await read_body()
    obj = parse_json(body)
    meta = model.extract_metadata(obj)
    canonical = codec.canonical_json(obj, body)
    stored = codec.compress(canonical)
    payload = codec.EncodedPayload(canonical, stored, codec.etag_from_digest(await codec.sha256(canonical)))
    statements = sql.write_statements(
        job_id, meta, payload, model.Precondition(), 1_767_225_600_000, 1_767_830_400_000
    )
    as_blob = [statements[0], Statement(sql.WRITE_PAYLOAD_SQL, [job_id, stored, payload.etag, 1])]
    db = Database(JsD1(d1, js), D1Stats())
    row = (await db.batch(statements))[0].first()
    assert row is not None

    def metadata() -> Any:
        model.check_body_job_id(job_id, obj)
        return model.extract_metadata(obj)

    level = f"level {codec.GZIP_LEVEL}"
    now: dict[str, tuple[Phase, bool]] = {
        "body_read (Request built, then read)": (read_body, True),
        "parse_json": (lambda: parse_json(body), False),
        "metadata": (metadata, False),
        "canonicalise": (lambda: codec.canonical_json(obj, body), False),
        f"gzip ({level})": (lambda: codec.compress(canonical), False),
        "etag (SHA-256, Web Crypto)": (lambda: codec.sha256(canonical), True),
        "d1_call (binding answers at once)": (lambda: db.batch(statements), True),
        "response": (
            lambda: jsbridge.response_to_js(
                json_response(model.render_metadata(row), 200, {"etag": payload.etag})
            ),
            False,
        ),
    }

    before: dict[str, tuple[Phase, bool]] = {
        "parse_json": (lambda: _parse_strict(body.decode()), False),
        "canonicalise (UTF-8 encoder)": (lambda: codec.canonical_json(obj), False),
        "d1_call (payload bound as a BLOB)": (lambda: db.batch(as_blob), True),
    }
    measured, main_thread = await measure(
        {**{f"now:{k}": v for k, v in now.items()}, **{f"before:{k}": v for k, v in before.items()}}
    )
    return json.dumps(
        {
            "phases": {k[4:]: v for k, v in measured.items() if k.startswith("now:")},
            "before": {k[7:]: v for k, v in measured.items() if k.startswith("before:")},
            "phases_main_thread": {k[4:]: v for k, v in main_thread.items() if k.startswith("now:")},
            "before_main_thread": {k[7:]: v for k, v in main_thread.items() if k.startswith("before:")},
            "gzip_alternatives": await gzip_alternatives(canonical),
        }
    )


def _gzip(data: bytes, level: int) -> bytes:
    """What `codec.compress` writes, at `level`."""
    deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    return codec._GZIP_HEADER + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


async def native_gzip_and_digest(data: bytes) -> tuple[bytes, bytes]:
    """gzip by the runtime's `CompressionStream` (zlib's level 6; no level to choose) and the
    SHA-256 by Web Crypto, both fed one JS copy of `data`, the digest running meanwhile."""
    from js import CompressionStream, Response, Uint8Array, crypto

    array = Uint8Array.new(len(data))
    array.assign(data)
    digest = crypto.subtle.digest("SHA-256", array)
    stream = CompressionStream.new("gzip")
    writer = stream.writable.getWriter()
    writer.write(array)
    writer.close()
    compressed = await Response.new(stream.readable).arrayBuffer()
    return bytes(compressed.to_bytes()), bytes((await digest).to_bytes())


async def gzip_alternatives(canonical: bytes) -> dict[str, dict[str, float]]:
    """The PUT's gzip and digest done other ways, timed like the phases: zlib in Pyodide at each
    level from 1 to 6, and the runtime's native stream. Per way: process and main-thread CPU ms,
    and the compressed length."""
    assert _gzip(canonical, codec.GZIP_LEVEL) == codec.compress(canonical)
    sizes: dict[str, int] = {}

    def wasm(level: int) -> Phase:
        async def run() -> None:
            sizes[f"zlib level {level} in Pyodide"] = len(_gzip(canonical, level))
            await codec.sha256(canonical)

        return run

    async def native() -> None:
        sizes["native CompressionStream"] = len((await native_gzip_and_digest(canonical))[0])

    ways: dict[str, tuple[Phase, bool]] = {f"zlib level {n} in Pyodide": (wasm(n), True) for n in range(1, 7)}
    ways["native CompressionStream"] = (native, True)
    cpu, main_thread = await measure(ways)
    return {
        name: {"cpu_ms": cpu[name], "main_thread_ms": main_thread[name], "stored_bytes": sizes[name]}
        for name in ways
    }
