"""One dataset per scale (and the stress dataset) on a runtime of its own: every probe, the
handler overhead, the peers and the cron."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import seeding
from bench.cron import UNBOUNDED_EXPIRE, drain_cron, expire_statement_idle
from bench.measure import Bench, Probe, Sample, baselines, run_overhead, run_probe, running, summarise
from bench.peers import peer_comparison
from bench.probes import State, claim_some, service_probes
from bench.probes_exports import export_probes
from bench.probes_veo import veo_probes
from bench.probes_videos import video_probes
from bench.report import log
from bench.settings import RUNNER, SAMPLES
from edgejobs.core.clock import now_ms

# Every route's probes, by capability, in the order they run (later ones use what earlier
# ones made: created ids, ETags, cursors, claimed jobs). A new capability adds its group here.
PROBE_GROUPS: list[Callable[[State], list[Probe]]] = [service_probes, veo_probes, export_probes, video_probes]


DELETE_ALL_ROUTE = "DELETE /api/veo/jobs?confirm=all (after the cron; each call until more=false)"


def delete_all_veo_jobs(bench: Bench) -> list[Sample]:
    """`DELETE /api/veo/jobs?confirm=all` called until it answers `more: false` (each call
    deletes a bounded chunk)."""
    samples: list[Sample] = []
    while True:
        response, sample = bench.call("DELETE", "/api/veo/jobs", params={"confirm": "all"})
        samples.append(sample)
        if response.status_code != 200 or not response.json()["more"] or len(samples) > 10_000:
            return samples


def bench_scale(template: Path, work: Path, scale: int) -> dict[str, Any]:
    n = SAMPLES.get(scale, 20)
    data = seeding.copy_persist(template, work / f"scale-{scale}")
    seeded = seeding.seed(seeding.d1_file(data), veo=scale, export=scale, videos=scale, now=now_ms())
    log(
        f"scale {scale:,}: seeded in {seeded.seconds} s ({seeded.veo_expired:,} expired VEO, "
        f"{seeded.export_pending:,} pending exports, {seeded.videos:,} videos)"
    )
    with running(data) as bench:
        for _ in range(10):  # warm-up: first calls compile code paths
            bench.call("GET", "/api/veo/jobs")
            bench.call("GET", f"/api/export-jobs/{seeded.export_ids_by_status['complete'][0]}")
            bench.call("GET", "/api/videos")
        base = baselines(bench)
        state = State(seeded, scale)
        probes = [probe for group in PROBE_GROUPS for probe in group(state)]
        routes: dict[str, dict[str, Any]] = {}
        overhead = []
        for probe in probes:
            if probe.route.startswith(
                ("POST /api/export-jobs/{id}/complete", "POST /api/export-jobs/{id}/fail")
            ):
                claim_some(bench, n)
                state.claimed = list(bench.claimed_extra)
                state.leases.update(bench.leases)
                bench.claimed_extra.clear()
            result = run_probe(bench, probe, n)
            routes[probe.route] = result
            if probe.direct is not None:
                overhead.append(run_overhead(bench, probe, n, base["node_http_rtt_p50_ms"]))
        peers = peer_comparison(bench, state, routes, min(n, 10))
        cron = drain_cron(bench, max_runs=200)
        cron["expire_statement_idle"] = expire_statement_idle(bench)
        wipes = delete_all_veo_jobs(bench)
        route = DELETE_ALL_ROUTE
        routes[route] = summarise(route, wipes)
        return {
            "scale": scale,
            "samples": n,
            "seeded": {k: v for k, v in seeded.__dict__.items() if isinstance(v, int | float)},
            "baselines": base,
            "routes": list(routes.values()),
            "handler_overhead": overhead,
            "peers": peers,
            "cron": cron,
        }


def bench_stress(template: Path, work: Path, rows: int, n: int = 20) -> dict[str, Any]:
    """`rows` expired VEO jobs and `rows` pending export jobs: claim under a deep queue, the
    cron draining the backlog, and one unbounded DELETE on a copy of the same data."""
    data = seeding.copy_persist(template, work / "stress")
    seeded = seeding.seed(
        seeding.d1_file(data),
        veo=rows,
        export=rows,
        now=now_ms(),
        veo_expired_share=1.0,
        export_statuses={"pending": 1},
        export_types=("framing", "overlay"),  # no annotate job: what a typed claim costs when none is due
        # Most jobs at 0, some above and below; 10% of them wait out a backoff (not yet due),
        # which a claim reads past only at a priority above the job it takes.
        export_priorities=(0, 0, 0, 0, 0, 0, 1, 2, 5, -1),
    )
    log(f"stress: seeded {rows:,} expired VEO jobs and {rows:,} pending exports in {seeded.seconds} s")
    copy = work / "stress-unbounded"
    shutil.copytree(data, copy)
    result: dict[str, Any] = {
        "rows": rows,
        "seeded": {k: v for k, v in seeded.__dict__.items() if isinstance(v, int | float)},
    }
    with running(data) as bench:
        for _ in range(5):
            bench.call("GET", "/health")
        claims = [
            bench.call("POST", "/api/export-jobs/claim", json={"runner_id": RUNNER})[1] for _ in range(n)
        ]
        typed = [
            bench.call("POST", "/api/export-jobs/claim", json={"runner_id": RUNNER, "types": ["overlay"]})[1]
            for _ in range(n)
        ]
        # No annotate job is due: the claim walks every due job of the other types to find out.
        absent = [
            bench.call("POST", "/api/export-jobs/claim", json={"runner_id": RUNNER, "types": ["annotate"]})[1]
            for _ in range(3)
        ]
        two_types = [
            bench.call(
                "POST", "/api/export-jobs/claim", json={"runner_id": RUNNER, "types": ["overlay", "framing"]}
            )[1]
            for _ in range(n)
        ]
        batches = [
            bench.call("POST", "/api/export-jobs/claim", json={"runner_id": RUNNER, "max_jobs": 10})
            for _ in range(n)
        ]
        result["claim"] = summarise(f"POST /api/export-jobs/claim ({rows:,} pending, priorities)", claims)
        result["claim_two_types"] = summarise(
            f"POST /api/export-jobs/claim types=[overlay,framing] ({rows:,} pending, merged ranges)",
            two_types,
        )
        result["claim_batch"] = summarise(
            f"POST /api/export-jobs/claim max_jobs=10 ({rows:,} pending)", [s for _, s in batches]
        )
        claimed = sum(len(r.json()["items"]) for r, _ in batches if r.status_code == 200)
        result["claim_batch"]["jobs_claimed"] = claimed
        result["claim_batch"]["rows_read_per_job"] = round(
            sum(s.stats.get("rows_read", 0) for _, s in batches) / max(1, claimed), 2
        )
        result["claim"]["rows_read_per_job"] = round(
            sum(s.stats.get("rows_read", 0) for s in claims) / max(1, sum(s.status == 200 for s in claims)), 2
        )
        result["claim_typed"] = summarise(
            f"POST /api/export-jobs/claim types=[overlay] ({rows:,} pending, half of them overlay)", typed
        )
        result["claim_type_absent"] = summarise(
            f"POST /api/export-jobs/claim types=[annotate] ({rows:,} pending, none annotate)", absent
        )
        started = time.perf_counter()
        result["cron"] = drain_cron(bench, max_runs=60)
        result["cron"]["wall_seconds"] = round(time.perf_counter() - started, 2)
        result["cron"]["expire_statement_idle"] = expire_statement_idle(bench)
    with running(copy) as bench:
        result["unbounded_delete"] = bench.statement(UNBOUNDED_EXPIRE, now_ms())
        result["unbounded_delete"]["rows_deleted"] = seeded.veo_expired
    return result
