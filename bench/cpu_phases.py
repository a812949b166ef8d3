"""The phases of one VEO PUT, each timed alone inside Pyodide: bench/cpu_probe.mjs runs this
file and calls `phases(body_file, d1)` with a D1 binding that answers from memory.

Each phase reports the median of its CPU time over `ROUNDS` rounds (the Node process's,
`process.cpuUsage()`, all its threads: Web Crypto digests run on Node's thread pool, not on
the thread that runs Python). "body_read" includes building the Request, which the runtime
does before the Worker runs. The phases follow `veo.handlers.put_veo_job` and the pipeline
around it; the lines marked "before" are what those phases cost with the code they replaced.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import statistics
from collections.abc import Callable
from typing import Any

from js import Request, process

from edgejobs.core import codec
from edgejobs.core.db import D1Stats, Database, Statement
from edgejobs.core.http import json_response
from edgejobs.core.validation import _parse_strict, parse_json
from edgejobs.platform import jsbridge
from edgejobs.platform.d1 import JsD1
from edgejobs.platform.globals import js_globals
from edgejobs.veo import model, sql

ROUNDS = 25
OLD_GZIP_LEVEL = 5


def cpu_ms() -> float:
    usage = process.cpuUsage()
    return (usage.user + usage.system) / 1000


Phase = Callable[[], Any]


async def measure(phases: dict[str, tuple[Phase, bool]]) -> dict[str, float]:
    """Median CPU ms of each phase over `ROUNDS` rounds, each round running every phase once in
    turn: a burst of the machine's other work lands on all phases alike, not on one."""
    times: dict[str, list[float]] = {name: [] for name in phases}
    for _ in range(ROUNDS):
        for name, (fn, is_async) in phases.items():
            started = cpu_ms()
            result = fn()
            if is_async:
                await result
            times[name].append(cpu_ms() - started)
    return {name: round(statistics.median(values), 3) for name, values in times.items()}


async def phases(body_file: str, d1: Any) -> str:
    """The report, as JSON text: {"phases": {name: ms}, "before": {name: ms}}."""
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
        f"gzip (level {OLD_GZIP_LEVEL}, gzip module)": (
            lambda: gzip.compress(canonical, compresslevel=OLD_GZIP_LEVEL, mtime=0),
            False,
        ),
        "etag (SHA-256, hashlib)": (lambda: hashlib.sha256(canonical).digest(), False),
        "d1_call (payload bound as a BLOB)": (lambda: db.batch(as_blob), True),
    }
    measured = await measure(
        {**{f"now:{k}": v for k, v in now.items()}, **{f"before:{k}": v for k, v in before.items()}}
    )
    return json.dumps(
        {
            "phases": {k[4:]: v for k, v in measured.items() if k.startswith("now:")},
            "before": {k[7:]: v for k, v in measured.items() if k.startswith("before:")},
        }
    )
