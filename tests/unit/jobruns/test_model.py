"""Job runs: request bodies to records, with consistent times."""

from __future__ import annotations

from typing import Any

import pytest

from edgejobs.core.counters import HOUR_MS
from edgejobs.core.errors import ValidationError
from edgejobs.jobruns.model import parse_create, parse_finish

NOW = 1_764_532_800_000  # 2025-11-30T20:00:00.000Z


def test_a_run_starts_running_now_on_its_utc_date() -> None:
    run = parse_create({"job_type": "nightly"}, NOW)
    assert (run.status, run.started_at, run.finished_at, run.duration_ms) == ("running", NOW, None, None)
    assert run.scheduled_date == "2025-11-30"


@pytest.mark.parametrize(
    ("body", "started", "finished", "duration"),
    [
        ({}, NOW, NOW, 0),
        ({"duration_ms": 1500}, NOW - 1500, NOW, 1500),
        ({"started_at": "2025-11-30T19:00:00Z"}, NOW - HOUR_MS, NOW, HOUR_MS),
        (
            {"started_at": "2025-11-30T19:00:00Z", "duration_ms": 2000},
            NOW - HOUR_MS,
            NOW - HOUR_MS + 2000,
            2000,
        ),
        (
            {"finished_at": "2025-11-30T19:00:00Z", "duration_ms": 1000},
            NOW - HOUR_MS - 1000,
            NOW - HOUR_MS,
            1000,
        ),
    ],
)
def test_a_finished_run_gets_consistent_times(
    body: dict[str, Any], started: int, finished: int, duration: int
) -> None:
    run = parse_create({"job_type": "x", "status": "succeeded", **body}, NOW)
    assert (run.started_at, run.finished_at, run.duration_ms) == (started, finished, duration)


def test_finishing_takes_only_a_finished_status() -> None:
    assert parse_finish({"status": "failed", "error": "boom"}, NOW).finished_at == NOW
    with pytest.raises(ValidationError):
        parse_finish({"status": "running"}, NOW)
