"""The resync's wait between checks of one export job, and what each RunPod answer decides."""

from __future__ import annotations

from typing import Any

import pytest

from edgejobs.providers import export_sync
from edgejobs.providers.checks import MAX_WAIT_MS, MIN_WAIT_MS
from edgejobs.providers.results import Transient
from edgejobs.providers.resync import next_wait
from edgejobs.providers.runpod import RunPod, map_job


def check(wait_ms: int, last: str | None = "IN_PROGRESS", lease_seconds: int | None = 3600) -> dict[str, Any]:
    return {"wait_ms": wait_ms, "last_status": last, "lease_seconds": lease_seconds}


def answer(status: str, **fields: Any) -> Any:
    return map_job({"id": "rp-1", "status": status, **fields})


def test_the_wait_doubles_while_unchanged_and_starts_over_on_a_change() -> None:
    assert next_wait(check(10_000), answer("IN_PROGRESS")) == 20_000
    assert next_wait(check(80_000), answer("IN_QUEUE")) == MIN_WAIT_MS
    assert next_wait(check(MAX_WAIT_MS), answer("IN_PROGRESS")) == MAX_WAIT_MS
    assert next_wait(check(10_000), Transient("timeout", "no answer")) == 20_000


@pytest.mark.parametrize(("lease_seconds", "most"), [(60, 30_000), (10, MIN_WAIT_MS), (None, 150_000)])
def test_the_wait_is_at_most_half_the_lease(lease_seconds: int | None, most: int) -> None:
    assert next_wait(check(MAX_WAIT_MS, lease_seconds=lease_seconds), answer("IN_PROGRESS")) == most


@pytest.mark.parametrize(
    ("job", "action", "outcome", "error"),
    [
        (answer("COMPLETED", output={"output_video_key": "out/a.mp4"}), "runpod_complete", "completed", None),
        (answer("COMPLETED", output={"output_video_key": ""}), "runpod_fail", "failed", "runner_failed"),
        (
            answer("COMPLETED", output={"output_video_key": "k" * 1025}),
            "runpod_fail",
            "failed",
            "runner_failed",
        ),
        (answer("FAILED", error="oom"), "runpod_fail", "failed", "runner_failed"),
        (answer("TIMED_OUT"), "runpod_fail", "failed", "runner_failed"),
        (answer("CANCELLED"), "runpod_fail", "failed", "runner_failed"),
        (RunPod.expire("rp-1"), "runpod_fail", "lost", "runner_lost"),
        (answer("IN_PROGRESS"), "runpod_extend_lease", "extended", None),
        (answer("IN_QUEUE"), "runpod_extend_lease", "extended", None),
    ],
)
def test_each_answer_decides_one_action(job: Any, action: str, outcome: str, error: str | None) -> None:
    chosen, values, named = export_sync.decide(job)
    assert (chosen.name, named, values.get("error")) == (action, outcome, error)
    assert not chosen.runner_scoped and "runpod_job_id = :runpod_job_id" in chosen.guard
