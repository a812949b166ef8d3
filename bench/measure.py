"""Calling routes and statements on a running runtime, and summarising what they cost."""

from __future__ import annotations

import re
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.cpu import RUNTIME_ARGS, cpu_of
from edgejobs.core.db import Statement
from tests.support.runtime import TEST_JWT_SECRET, TEST_TOKEN, LocalRuntime
from tests.support.stats import percentile


def parse_stats(header: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", header)}


@dataclass
class Sample:
    ms: float
    status: int
    stats: dict[str, int]
    cpu_ms: float | None = None  # the Worker's CPU time, D1 excluded (bench/cpu.py)


def returned(response: httpx.Response) -> int:
    """Items a response carries: a list page's items, else 1 for a 2xx with a body."""
    if not response.content or not 200 <= response.status_code < 300:
        return 0
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            return len(body["items"])
    return 1


def summarise(route: str, samples: list[Sample]) -> dict[str, Any]:
    ms = [s.ms for s in samples]
    cpu = [s.cpu_ms for s in samples if s.cpu_ms is not None]

    def stat(name: str) -> dict[str, int]:
        values = [s.stats.get(name, 0) for s in samples]
        return {"median": int(statistics.median(values)), "max": max(values)}

    return {
        "route": route,
        "n": len(samples),
        "statuses": sorted({s.status for s in samples}),
        "queries": stat("queries"),
        "rows_read": stat("rows_read"),
        "rows_written": stat("rows_written"),
        "rows_returned": stat("rows_returned"),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "cpu_p50_ms": round(percentile(cpu, 50), 2) if cpu else None,
        "cpu_p95_ms": round(percentile(cpu, 95), 2) if cpu else None,
    }


class Bench:
    """One running runtime and its clients."""

    def __init__(self, rt: LocalRuntime) -> None:
        self.rt = rt
        self.api = httpx.Client(
            base_url=rt.url, headers={"authorization": f"Bearer {TEST_TOKEN}"}, timeout=300
        )
        self.raw = httpx.Client(base_url=rt.url, timeout=300)
        self.claimed_extra: list[str] = []
        self.leases: dict[str, str] = {}  # job id → lease_id of the bench's unmeasured claims

    def close(self) -> None:
        self.api.close()
        self.raw.close()

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, Sample]:
        started = time.perf_counter()
        response = self.api.request(method, path, **kwargs)
        ms = (time.perf_counter() - started) * 1000
        stats = parse_stats(response.headers.get("x-d1-stats", ""))
        stats["rows_returned"] = returned(response)
        return response, Sample(ms, response.status_code, stats, cpu_of(response.headers))

    def sql(self, body: dict[str, Any]) -> tuple[Any, float]:
        """The runtime's SQL endpoint: (D1's answer with meta, milliseconds)."""
        started = time.perf_counter()
        response = self.raw.post("/__runtime/sql", json=body)
        ms = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"SQL endpoint: {response.status_code} {response.text[:300]}")
        return response.json(), ms

    def statement(self, sql: str, *params: Any) -> dict[str, Any]:
        """One statement: rows read/written/returned, changes, milliseconds (and `rows`, not
        part of any report)."""
        answer, ms = self.sql({"sql": sql, "params": list(params)})
        meta = answer["meta"]
        return {
            "rows_read": meta["rows_read"],
            "rows_written": meta["rows_written"],
            "rows_returned": len(answer["results"]),
            "changes": meta["changes"],
            "ms": round(ms, 2),
            "rows": answer["results"][:1],
        }


Request = Callable[[int], tuple[str, str, dict[str, Any]]]
"""Call i of a probe: (method, path, httpx keyword arguments)."""
Direct = list[dict[str, Any]]
"""One call's D1 work as SQL-endpoint bodies: `{"sql", "params"}` or `{"batch": [...]}`."""


@dataclass
class Probe:
    """A route called `n` times; `request(i)` gives (method, path, kwargs) for call i and
    `seen(i, response)` may keep what later probes need. `direct(i)` gives the same D1 calls
    as SQL-endpoint bodies, for the handler-overhead comparison."""

    route: str
    request: Request
    seen: Callable[[int, httpx.Response], None] | None = None
    direct: Callable[[int], Direct] | None = None
    samples: int | None = None


def d1_body(statement: Statement) -> dict[str, Any]:
    """The SQL endpoint's body for one of the app's statements (BLOBs as lists of bytes)."""
    return {
        "sql": statement.sql,
        "params": [list(p) if isinstance(p, bytes) else p for p in statement.params],
    }


def d1_batch(statements: list[Statement]) -> dict[str, Any]:
    """The SQL endpoint's body for one D1 batch of the app's statements."""
    return {"batch": [d1_body(statement) for statement in statements]}


def run_probe(bench: Bench, probe: Probe, n: int) -> dict[str, Any]:
    n = probe.samples or n
    samples = []
    for i in range(n):
        method, path, kwargs = probe.request(i)
        response, sample = bench.call(method, path, **kwargs)
        samples.append(sample)
        if probe.seen:
            probe.seen(i, response)
    return summarise(probe.route, samples)


def run_overhead(bench: Bench, probe: Probe, n: int, node_rtt_ms: float) -> dict[str, Any]:
    """Route call i, then the same D1 calls through the SQL endpoint, alternately (each D1
    call after the first charged one Node round trip less, so both hold one HTTP round trip).
    Pairs cancel the machine's drift: the overhead is the median of the paired differences."""
    assert probe.direct is not None
    routes, directs = [], []
    calls = 0
    for i in range(probe.samples or n):
        method, path, kwargs = probe.request(i)
        response, sample = bench.call(method, path, **kwargs)
        if probe.seen:
            probe.seen(i, response)
        bodies = probe.direct(i)
        calls = len(bodies)
        started = time.perf_counter()
        for body in bodies:
            bench.sql(body)
        routes.append(sample.ms)
        directs.append((time.perf_counter() - started) * 1000 - (len(bodies) - 1) * node_rtt_ms)
    return {
        "route": probe.route,
        "route_p50_ms": round(percentile(routes, 50), 2),
        "direct_sql_p50_ms": round(percentile(directs, 50), 2),
        "d1_calls": calls,
        "overhead_p50_ms": round(statistics.median(r - d for r, d in zip(routes, directs, strict=True)), 2),
    }


def baselines(bench: Bench, n: int = 200) -> dict[str, float]:
    """Round trips that bound the overhead figures: Node alone, and the SQL endpoint with a
    statement that does nothing."""
    node, noop = [], []
    for _ in range(n):
        started = time.perf_counter()
        bench.raw.get("/__runtime/d1-faults")
        node.append((time.perf_counter() - started) * 1000)
        _, ms = bench.sql({"sql": "SELECT 1"})
        noop.append(ms)
    node_p50, noop_p50 = round(percentile(node, 50), 2), round(percentile(noop, 50), 2)
    return {
        "node_http_rtt_p50_ms": node_p50,
        "sql_endpoint_noop_p50_ms": noop_p50,
        "sql_endpoint_overhead_p50_ms": round(noop_p50 - node_p50, 2),
    }


def start(persist_to: Path) -> LocalRuntime:
    """A local runtime on the D1 under `persist_to` (the bench's token and the secret of its
    user tokens, no other vars)."""
    return LocalRuntime(
        vars={"API_TOKEN": TEST_TOKEN, "JWT_SECRET": TEST_JWT_SECRET},
        persist_to=persist_to,
        extra_args=RUNTIME_ARGS,
    ).start(timeout=300)


@contextmanager
def running(persist_to: Path) -> Iterator[Bench]:
    """A runtime on the D1 under `persist_to` and its clients; afterwards the runtime is
    stopped and the data deleted."""
    bench = Bench(start(persist_to))
    try:
        yield bench
    finally:
        bench.close()
        bench.rt.stop()
        shutil.rmtree(persist_to, ignore_errors=True)
