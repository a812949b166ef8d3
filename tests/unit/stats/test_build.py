"""The stats document from the counter rows read."""

from __future__ import annotations

from edgejobs.core.clock import iso_ms
from edgejobs.core.counters import HOUR_MS, hour_start, summed
from edgejobs.stats.handlers import build_stats

NOW = 1_764_532_800_000  # 2025-11-30T20:00:00.000Z


def test_stats_have_24_hours_oldest_first_ending_with_the_current_one() -> None:
    now = NOW + 25 * 60_000  # 20:25
    hourly = [
        {"name": "export_jobs.complete", "hour": hour_start(now), "value": 3},
        {"name": "export_jobs.complete", "hour": hour_start(now) - 23 * HOUR_MS, "value": 2},
        {"name": "job_runs.failed", "hour": hour_start(now) - 5 * HOUR_MS, "value": 1},
    ]
    stats = build_stats(now, {"pending": 4}, 7, hourly, {"available_at": now - 90_500}, None)
    hours = stats["export_jobs"]["completed_per_hour"]
    assert len(hours) == 24 and hours[-1] == {"hour": iso_ms(hour_start(now)), "count": 3}
    assert hours[0] == {"hour": iso_ms(hour_start(now) - 23 * HOUR_MS), "count": 2}
    assert sum(h["count"] for h in hours) == 5
    assert stats["export_jobs"]["by_status"] == {
        "pending": 4,
        "processing": 0,
        "complete": 0,
        "error": 0,
        "cancelled": 0,
    }
    assert stats["export_jobs"]["oldest_claimable_age_seconds"] == 90
    assert stats["veo_jobs"] == {"stored": 7}
    assert stats["videos"] == {"by_status": {}} and stats["generations"] == {"by_status": {}}
    assert stats["job_runs"] == {"last_24h": {"succeeded": 0, "failed": 1}}
    assert stats["last_maintenance_run"] is None


def test_per_type_count_rows_add_up_per_status() -> None:
    rows = [
        {"job_type": "framing", "pending": 2, "processing": 1, "complete": 5, "error": 0, "cancelled": 0},
        {"job_type": "overlay", "pending": 3, "processing": 0, "complete": 1, "error": 2, "cancelled": 1},
    ]
    assert summed(rows, ("pending", "processing", "complete", "error", "cancelled")) == {
        "pending": 5,
        "processing": 1,
        "complete": 6,
        "error": 2,
        "cancelled": 1,
    }
    assert summed([], ("pending",)) == {"pending": 0}
