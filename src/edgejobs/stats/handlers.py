"""The stats answer, from a few dozen counter rows read in one batch, at any table size (the
triggers of migrations/0013_stat_counters.sql keep them; core/counters.py)."""

from __future__ import annotations

from typing import Any

from ..core.clock import iso_ms
from ..core.context import RequestContext
from ..core.counters import HOUR_MS, hour_start, summed
from ..core.db import Statement
from ..core.http import HttpResponse, json_response
from ..maintenance.runs import LAST_RUN_SQL, render_run

EXPORT_STATUSES = ("pending", "processing", "complete", "error", "cancelled")
HOURS = 24
# One row per export job type (three), whatever the tables hold.
EXPORT_COUNTS_SQL = f"SELECT job_type, {', '.join(EXPORT_STATUSES)} FROM export_job_counts LIMIT 100"
VEO_COUNTS_SQL = "SELECT stored FROM veo_job_counts WHERE scope = 'all'"
# Three names × 24 hours at most, each a range of the primary key.
HOURLY_SQL = """
SELECT name, hour, value FROM stat_hourly
WHERE name IN ('export_jobs.complete', 'job_runs.succeeded', 'job_runs.failed') AND hour >= ?1
"""
# The longest-waiting claimable job: the first due pending job in arrival order (the claim
# indexes are in claim order, priority first). One row, plus any pending job created before it
# that is not due yet (a start_after or a backoff ahead).
OLDEST_CLAIMABLE_SQL = """
SELECT available_at FROM export_jobs INDEXED BY export_jobs_by_status
WHERE status = 'pending' AND available_at <= ?1 ORDER BY id LIMIT 1
"""
# Kinds shown under `by_status` when their capabilities keep counts (empty until then).
BY_STATUS_KINDS = ("videos", "generations")


async def get_stats(ctx: RequestContext) -> HttpResponse:
    first_hour = hour_start(ctx.now) - (HOURS - 1) * HOUR_MS
    exports, veo, hourly, oldest, last_run = await ctx.db.batch(
        [
            Statement(EXPORT_COUNTS_SQL),
            Statement(VEO_COUNTS_SQL),
            Statement(HOURLY_SQL, (first_hour,)),
            Statement(OLDEST_CLAIMABLE_SQL, (ctx.now,)),
            Statement(LAST_RUN_SQL),
        ]
    )
    stored = veo.first()
    return json_response(
        build_stats(
            ctx.now,
            summed(exports.rows, EXPORT_STATUSES),
            0 if stored is None else int(stored["stored"]),
            hourly.rows,
            oldest.first(),
            last_run.first(),
        )
    )


def build_stats(
    now: int,
    export_counts: dict[str, int],
    veo_stored: int,
    hourly_rows: list[dict[str, Any]],
    oldest: dict[str, Any] | None,
    last_run: dict[str, Any] | None,
) -> dict[str, Any]:
    """The stats document from the rows read (pure: unit-tested without D1)."""
    first_hour = hour_start(now) - (HOURS - 1) * HOUR_MS
    per_hour: dict[tuple[str, int], int] = {(r["name"], r["hour"]): r["value"] for r in hourly_rows}

    def last_24h(name: str) -> int:
        return sum(n for (found, hour), n in per_hour.items() if found == name and hour >= first_hour)

    return {
        "export_jobs": {
            "by_status": {s: max(0, export_counts.get(s, 0)) for s in EXPORT_STATUSES},
            "oldest_claimable_age_seconds": None
            if oldest is None
            else (now - oldest["available_at"]) // 1000,
            "completed_per_hour": [
                {"hour": iso_ms(hour), "count": per_hour.get(("export_jobs.complete", hour), 0)}
                for hour in range(first_hour, first_hour + HOURS * HOUR_MS, HOUR_MS)
            ],
        },
        "veo_jobs": {"stored": max(0, veo_stored)},
        **{kind: {"by_status": {}} for kind in BY_STATUS_KINDS},
        "job_runs": {"last_24h": {s: last_24h(f"job_runs.{s}") for s in ("succeeded", "failed")}},
        "last_maintenance_run": None if last_run is None else render_run(last_run),
    }
