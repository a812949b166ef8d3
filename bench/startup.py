"""Cold starts of the runtime, and the app's import alone in Pyodide (import_timer.mjs)."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from bench import seeding
from bench.measure import running
from bench.settings import COLD_STARTS, IMPORT_RUNS
from tests.support.runtime import ROOT, node_tool


def bench_startup(template: Path, work: Path) -> dict[str, Any]:
    """Cold starts of the runtime on an empty migrated D1: the ready line's timings and the
    first request (and the second, for comparison)."""
    starts = []
    for i in range(COLD_STARTS):
        data = seeding.copy_persist(template, work / f"start-{i}")
        with running(data) as bench, httpx.Client(base_url=bench.rt.url, timeout=60) as client:
            t = time.perf_counter()
            client.get("/health")
            first = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            client.get("/health")
            second = (time.perf_counter() - t) * 1000
            starts.append(
                {
                    **{k: v for k, v in bench.rt.ready.items() if k.endswith("_ms")},
                    "first_request_ms": round(first, 1),
                    "second_request_ms": round(second, 1),
                }
            )
    keys = starts[0].keys()
    return {
        "cold_starts": len(starts),
        "median": {k: round(statistics.median(s[k] for s in starts), 1) for k in keys},
        "min": {k: min(s[k] for s in starts) for k in keys},
        "runs": starts,
        "import_alone": bench_import(),
    }


def _import_runs(*node_flags: str) -> list[dict[str, Any]]:
    runs = []
    for _ in range(IMPORT_RUNS):
        done = node_tool(
            "node", *node_flags, str(ROOT / "bench" / "import_timer.mjs"), timeout=120, check=True
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs[1:] or runs  # the first may compile bytecode


def bench_import() -> dict[str, Any]:
    """The app's import measured alone (bench/import_timer.mjs): no Miniflare booting alongside.
    Also with `node --single-threaded`: on 2 cores, V8's background compilation of Pyodide's
    WebAssembly competes with the import in some runs (the times are bimodal, ~35 or ~70 ms);
    without background threads they are not."""
    warm = _import_runs()
    single = _import_runs("--single-threaded")
    slowest: dict[str, list[float]] = {}
    for run in warm:
        for name, ms in run["modules"]:
            slowest.setdefault(name, []).append(ms)
    modules = sorted(((n, round(statistics.median(v), 1)) for n, v in slowest.items()), key=lambda m: -m[1])
    return {
        "runs": len(warm),
        "app_import_ms": round(statistics.median(r["total_ms"] for r in warm), 1),
        "app_import_min_ms": min(r["total_ms"] for r in warm),
        "app_import_single_threaded_ms": round(statistics.median(r["total_ms"] for r in single), 1),
        "slowest_modules_self_ms": modules[:6],
    }
