"""What one `make bench` run measures, and how often (`BENCH_SCALES`, `BENCH_STRESS_ROWS`)."""

from __future__ import annotations

import os

import edgejobs.main  # noqa: F401 - builds the registry, which declares every capability's settings
from edgejobs.core.config import Config
from tests.support.runtime import ROOT

RESULTS = ROOT / "bench-results"
SCALES = tuple(int(s) for s in os.environ.get("BENCH_SCALES", "1000,10000,100000").split(","))
STRESS_ROWS = int(os.environ.get("BENCH_STRESS_ROWS", "100000"))
SAMPLES = {1_000: 60, 10_000: 60, 100_000: 40}  # fewer at 100k; the whole run stays well under 10 minutes
COLD_STARTS = 5
IMPORT_RUNS = 11  # the first compiles bytecode and is dropped; the rest vary ±30% here
PAGE = 50
DAY_MS = 86_400_000
RUNNER = "bench-runner"
OVERHEAD_NOTE = (
    "Handler overhead = the median, over calls made alternately, of (route latency − latency of "
    "the same D1 statements sent straight to the same D1 through the runtime's SQL endpoint, one "
    "HTTP round trip charged like the route). Both paths share the HTTP hop, the D1 bridge and D1 "
    "itself, so the difference is the Worker and the runtime's per-request glue: request and "
    "response conversion between JS and Python, routing, auth, validation, JSON, gzip, cursor "
    "signing, logging, and converting each D1 call's arguments and rows across the Pyodide boundary."
)
CONFIG = Config()  # every setting at its default, as the bench's runtime runs


def scale_label(rows: int) -> str:
    """1k, 100k, 1M."""
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 else f"{rows // 1000}k"
