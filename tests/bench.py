"""`make bench`: numbers, printed as JSON (and a Markdown table), never asserted.

Measured against the local runtime (real Pyodide 314, real D1 engine in Miniflare) on
this machine; compare ratios within one run, not absolute figures across machines.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from typing import Any

import httpx

from tests.runtime import TEST_TOKEN, LocalRuntime, local_runtime


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return round(ordered[index], 2)


def latency(client: httpx.Client, method: str, path: str, n: int, **kwargs: Any) -> dict[str, Any]:
    samples: list[float] = []
    stats = ""
    for _ in range(n):
        started = time.perf_counter()
        response = client.request(method, path, **kwargs)
        samples.append((time.perf_counter() - started) * 1000)
        stats = response.headers.get("x-d1-stats", "")
    return {
        "route": f"{method} {path}",
        "n": n,
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "mean_ms": round(statistics.fmean(samples), 2),
        "d1": stats,
    }


def startup(rt: LocalRuntime) -> dict[str, Any]:
    with httpx.Client(base_url=rt.url, timeout=60) as client:
        started = time.perf_counter()
        client.get("/health")
        first = round((time.perf_counter() - started) * 1000, 2)
    return {**{k: v for k, v in rt.ready.items() if k.endswith("_ms")}, "first_request_ms": first}


def main() -> None:
    report: dict[str, Any] = {
        "machine": f"{platform.machine()} {platform.system()} {platform.python_version()}",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with local_runtime(vars={"API_TOKEN": TEST_TOKEN}) as rt:
        report["startup"] = startup(rt)
        headers = {"authorization": f"Bearer {TEST_TOKEN}"}
        with httpx.Client(base_url=rt.url, headers=headers, timeout=60) as client:
            latency(client, "GET", "/health", 20)  # warm-up
            report["routes"] = [latency(client, "GET", "/health", 300)]
    print(json.dumps(report, indent=2))
    print()
    print("| route | n | p50 ms | p95 ms | D1 |")
    print("|---|---|---|---|---|")
    for row in report["routes"]:
        print(f"| {row['route']} | {row['n']} | {row['p50_ms']} | {row['p95_ms']} | {row['d1']} |")


if __name__ == "__main__":
    main()
