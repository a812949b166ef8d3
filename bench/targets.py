"""The performance targets: figures to report against, never assertions."""

from __future__ import annotations

import statistics
from typing import Any

from bench.settings import PAGE
from edgejobs.main import REGISTRY

# The routes on one item by its id (prefixes of the probe names).
SINGLE_ITEM_ROUTES = (
    "PUT /api/veo/jobs/{id}",
    "GET /api/veo/jobs/{id}",
    "DELETE /api/veo/jobs/{id}",
    "GET /api/export-jobs/{id}",
    "PATCH /api/export-jobs/{id}",
    "POST /api/export-jobs/{id}/",
    "GET /api/videos/{id}",
    "GET /api/quotas/",
)
# Routes that read one counter row, not a page (left out of the list rule).
COUNTER_ROUTES = ("GET /api/stats", "GET /api/videos/stats", "GET /api/quotas/")


def largest(report: dict[str, Any]) -> dict[str, Any]:
    return max(report["scales"], key=lambda s: s["scale"])


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    big = largest(report)
    routes = {r["route"]: r for r in big["routes"]}
    rows: list[dict[str, Any]] = []

    def add(target: str, measured: str, ok: bool | None) -> None:
        rows.append({"target": target, "measured": measured, "met": ok})

    single = {
        r: v["rows_read"]["max"]
        for r, v in routes.items()
        if r.startswith(SINGLE_ITEM_ROUTES) and not r.startswith("GET /api/export-jobs/{id}/events")
    }
    worst = max(single, key=lambda r: single[r]) if single else ""
    add(
        f"single-item routes read ≤ 3 rows ({big['scale']:,} rows)",
        f"max {single.get(worst, 0)} ({worst})",
        bool(single) and max(single.values()) <= 3,
    )
    lists = {
        r: v["rows_read"]["max"]
        for r, v in routes.items()
        if r.startswith("GET /api/") and "{id}" not in r and not r.startswith(COUNTER_ROUTES)
    }
    within = {r: v for r, v in lists.items() if v <= 55}
    worst = max(within, key=lambda r: within[r]) if within else ""
    over = "; ".join(f"{v} for {r}" for r, v in sorted(lists.items(), key=lambda i: -i[1]) if v > 55)
    add(
        f"a list page of {PAGE} reads ≤ 55 rows, filters included",
        f"max {within.get(worst, 0)} over {len(within)} of {len(lists)} list shapes ({worst})"
        + (f"; over 55: {over}" if over else ""),
        bool(lists) and not over,
    )
    rows += video_targets(big["scale"], routes)
    claim_route = routes.get("POST /api/export-jobs/claim")
    if claim_route:
        add(
            f"claim reads ≤ 5 rows with {big['seeded']['export_pending']:,} pending "
            f"({big['scale']:,} export jobs)",
            f"max {claim_route['rows_read']['max']}",
            claim_route["rows_read"]["max"] <= 5,
        )
    put = report.get("veo_put_cpu")
    if put:
        cpu, main = put["request_cpu_ms"], put["request_main_thread_cpu_ms"]
        add(
            f"a 200-scene VEO PUT ({put['body_bytes']:,} B) ≤ 10 ms of Worker CPU (Pyodide, D1 from memory)",
            f"median {cpu['median']:.1f} ms, min {cpu['min']:.1f} (main thread alone: median "
            f"{main['median']:.1f}, min {main['min']:.1f})",
            cpu["median"] <= 10,
        )
    stress = report.get("stress")
    if stress:
        claim = stress["claim"]["rows_read"]["max"]
        add(
            f"claim reads ≤ 5 rows with {stress['rows']:,} pending (one statement + its event)",
            f"max {claim}; with types=[one type of two]: max {stress['claim_typed']['rows_read']['max']}; "
            f"types=[a type no due job has]: {stress['claim_type_absent']['rows_read']['max']:,} (204)",
            claim <= 5,
        )
        batch = stress.get("claim_batch")
        if batch:
            add(
                f"a batch claim (max_jobs=10) reads ≤ 8 rows per job claimed with {stress['rows']:,} pending",
                f"{batch['rows_read_per_job']} per job ({batch['jobs_claimed']} jobs; single claims: "
                f"{stress['claim']['rows_read_per_job']}; types=[two, merged]: max "
                f"{stress['claim_two_types']['rows_read']['max']})",
                batch["rows_read_per_job"] <= 8,
            )
        cron, unbounded = stress["cron"], stress["unbounded_delete"]
        ours = cron["rows_read"] / max(1, cron["veo_jobs_deleted"])
        theirs = unbounded["rows_read"] / max(1, unbounded["rows_deleted"])
        add(
            f"cleanup ≤ 2× the rows read per row deleted of one unbounded DELETE "
            f"({stress['rows']:,} expired)",
            f"{ours:.2f} vs {theirs:.2f} per row ({ours / theirs:.2f}×), {cron['runs_needed']} runs",
            ours <= 2 * theirs,
        )
        idle = cron["expire_statement_idle"]["rows_read"]
        delete_idle = cron["expire_statement_idle"]["delete_statement_rows_read"]
        add(
            "cleanup reads ≤ 2 rows when nothing is due",
            f"VEO expiry task {idle} (its DELETE alone would read {delete_idle}); whole idle run "
            f"{cron['idle_run']['rows_read']} (all {len(REGISTRY.tasks)} tasks + run record)",
            idle <= 2,
        )
    overhead = [o["overhead_p50_ms"] for o in big["handler_overhead"]]
    if overhead:
        add(
            "handler overhead p50 ≤ 2 ms",
            f"median {statistics.median(overhead):.1f} ms, range "
            f"{min(overhead):.1f}–{max(overhead):.1f} ms over {len(overhead)} routes",
            statistics.median(overhead) <= 2,
        )
    alone = report["startup"]["import_alone"]
    app_import = alone["app_import_ms"]
    add(
        "importing the app's modules in Pyodide (after the SDK) ≤ 50 ms",
        f"median {app_import:.0f} ms alone (min {alone['app_import_min_ms']:.0f}; "
        f"{alone['app_import_single_threaded_ms']:.0f} with `node --single-threaded`); "
        f"{report['startup']['median']['app_import_ms']:.0f} ms within the runtime's start-up "
        "(Miniflare booting alongside)",
        app_import <= 50,
    )
    plans = report["query_plans_on_d1"]
    add(
        "every statement index-driven (EXPLAIN QUERY PLAN on D1)",
        f"{plans['statements']} statements, {len(plans['problems'])} problems, {len(plans['exempt'])} exempt",
        not plans["problems"],
    )
    return rows


def video_targets(scale: int, routes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Stats from counters, a generation's read, and a video's change of status."""
    rows = []

    def worst(prefix: str) -> tuple[str, int]:
        found = {r: v["rows_read"]["max"] for r, v in routes.items() if r.startswith(prefix)}
        route = max(found, key=lambda r: found[r]) if found else ""
        return route, found.get(route, -1)

    route, stats = max((worst(p) for p in ("GET /api/stats", "GET /api/videos/stats")), key=lambda w: w[1])
    if stats >= 0:
        rows.append(
            {"target": f"stats read ≤ 30 rows ({scale:,} rows)", "measured": f"max {stats} ({route})",
             "met": stats <= 30}
        )  # fmt: skip
    route, generation = worst("GET /api/generations/{id}")
    if generation >= 0:
        rows.append(
            {"target": "a generation of 3 videos reads ≤ 5 rows (its row, its videos, their range's end)",
             "measured": f"max {generation} ({route})", "met": generation <= 5}
        )  # fmt: skip
    moves = {r: v for r, v in routes.items() if r.startswith("PATCH /api/videos/{id}") and "→" in r}
    if moves:
        most = max(v["rows_read"]["max"] for v in moves.values())
        create = (
            routes.get("POST /api/videos (charges the owner's quota)", {}).get("rows_read", {}).get("max")
        )
        rows.append(
            {"target": "a video's change of status reads ≤ 5 rows (the UPDATE, its event, two usage rows)",
             "measured": f"max {most} over {len(moves)} moves; a create reads {create}", "met": most <= 5}
        )  # fmt: skip
    return rows
