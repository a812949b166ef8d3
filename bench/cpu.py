"""`make bench`: the Worker's CPU time per request, for every route the bench calls, and where
the CPU of one large VEO PUT goes.

- **Per route.** The bench's runtime runs with `--cpu-timing` (tools/runtime/cpu.mjs): each
  response carries `x-runtime-cpu-ms`, the CPU time of the runtime's Node process from the
  call of the Worker's fetch until its Response is ready, less the CPU time spent while D1
  calls were in flight. That is the Python handler, the JS glue between it and the runtime,
  and the work Node hands to its thread pool for it (Web Crypto digests); neither waiting nor
  D1 itself. `process.cpuUsage()` counts every thread of the process, so V8's helper threads
  (garbage collection, WebAssembly compilation) are in it too: an upper bound, never a figure
  flattered by work moved off the main thread. (Python's `time.process_time()` in Pyodide is
  not the process's CPU time; `performance.now()` is wall time, which counts the machine's
  other work as ours.)
- **One 200-scene VEO PUT.** bench/cpu_probe.mjs: the app in the real Pyodide, no Miniflare,
  a D1 binding that answers from memory; the whole request through `Default.fetch`, then each
  phase alone (bench/cpu_phases.py), beside what the replaced code cost.

Run the PUT probe alone: `.venv/bin/python -m bench.cpu` (prints JSON).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from typing import Any

from bench.settings import scale_label
from edgejobs.core.codec import GZIP_LEVEL
from tests.support.runtime import NODE_BIN, ROOT, node_env
from tests.support.veo_payload import realistic_veo_job

CPU_HEADER = "x-runtime-cpu-ms"
RUNTIME_ARGS = ["--cpu-timing"]
FREE_PLAN_CPU_MS = 10
PUT_SCENES = 200
PUT_RUNS = 40
PUT_JOB_ID = "veo_bench_cpu"


def cpu_of(headers: Any) -> float | None:
    value = headers.get(CPU_HEADER)
    return float(value) if value else None


def veo_put_body(scenes: int = PUT_SCENES) -> bytes:
    """The realistic job as a client sends it: its own key order, compact, UTF-8."""
    job = {**realistic_veo_job(scenes=scenes), "jobId": PUT_JOB_ID}
    return json.dumps(job, ensure_ascii=False, separators=(",", ":")).encode()


def veo_put_cpu_report(runs: int = PUT_RUNS) -> dict[str, Any]:
    """Runs bench/cpu_probe.mjs on the 200-scene PUT; its JSON report."""
    with tempfile.NamedTemporaryFile(suffix=".json") as body:
        body.write(veo_put_body())
        body.flush()
        done = subprocess.run(
            [str(NODE_BIN / "node"), str(ROOT / "bench" / "cpu_probe.mjs"), body.name, str(runs)],
            cwd=ROOT,
            env=node_env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def render(report: dict[str, Any]) -> str:
    """The Markdown section: the PUT's CPU and its phases, then every route's CPU per scale."""
    out = []
    put = report.get("veo_put_cpu")
    if put:
        cpu, main = put["request_cpu_ms"], put["request_main_thread_cpu_ms"]
        out += [
            "",
            f"VEO PUT CPU: one {PUT_SCENES}-scene job ({put['body_bytes']:,} B of JSON), the whole request "
            f"through `Default.fetch` in Pyodide with D1 answering from memory, {put['runs']} calls: "
            f"**{cpu['median']:.1f} ms** median (min {cpu['min']:.1f}, p90 {cpu['p90']:.1f}) of process CPU, "
            f"{main['median']:.1f} (min {main['min']:.1f}) on the main thread alone (the free plan allows "
            f"{FREE_PLAN_CPU_MS} ms). Each phase alone, median ms, beside the code it replaced:",
            "",
            "| phase | now | before |",
            "|---|---|---|",
        ]
        before = dict(put["before"])
        for name, ms in put["phases"].items():
            key = next((k for k in before if k.split(" (")[0] == name.split(" (")[0]), None)
            old = ""
            if key:
                old = f"{before.pop(key):.2f}" + ("" if key == name else f" ({key.partition(' (')[2][:-1]})")
            out.append(f"| {name} | {ms:.2f} | {old} |")
        out += [f"| sum | {put['phases_sum_ms']:.2f} | |"]
        ways = put.get("gzip_alternatives") or {}
        if ways:
            out += [
                "",
                "The gzip and the ETag's digest done other ways, timed the same way (median ms): zlib "
                "compiled into Pyodide at each level (the digest by Web Crypto), and the runtime's native "
                '`CompressionStream("gzip")` (zlib\'s level 6, no level to choose) with the digest, fed one '
                "JS copy. Process CPU counts the work Node's thread pool does for the native stream; in "
                "workerd it runs on the isolate's thread.",
                "",
                "| way | process CPU | main thread | stored bytes |",
                "|---|---|---|---|",
                *(
                    f"| {name}{' (now)' if name == f'zlib level {GZIP_LEVEL} in Pyodide' else ''} "
                    f"| {w['cpu_ms']:.2f} | {w['main_thread_ms']:.2f} | {w['stored_bytes']:,} |"
                    for name, w in ways.items()
                ),
            ]
    scales = report.get("scales") or []
    if scales:
        labels = " · ".join(scale_label(s["scale"]) for s in scales)
        out += [
            "",
            f"Worker CPU per request, D1 excluded (`x-runtime-cpu-ms`; p50 (p95) ms at {labels} rows):",
            "",
            "| route | CPU p50 (p95) ms |",
            "|---|---|",
        ]
        for route in [r["route"] for r in scales[-1]["routes"]]:
            per = [next((r for r in s["routes"] if r["route"] == route), None) for s in scales]
            cells = [
                f"{r['cpu_p50_ms']:.1f} ({r['cpu_p95_ms']:.1f})"
                if r and r.get("cpu_p50_ms") is not None
                else "–"
                for r in per
            ]
            out.append(f"| {route} | {' · '.join(cells)} |")
    return "\n".join(out) + ("\n" if out else "")


if __name__ == "__main__":
    print(json.dumps(veo_put_cpu_report(), indent=2))
