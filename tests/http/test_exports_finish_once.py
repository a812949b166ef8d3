"""A finished attempt is never lost: `complete` and `fail` are idempotent per lease.

The runtime lets the D1 batch of a `complete` (or `fail`) commit and then loses its answer, as a
connection dropped after the commit would: the runner sees a 503 and sends the same call again.
That retry must answer 200 with the job as it is and write no second event; the same lease with
another body is a 409 `conflict`; another lease is still `lease_lost`.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.exports import (
    Jobs,
    claim_job,
    complete,
    error_code,
    events,
    fail,
    get,
    heartbeat,
    history,
    make_due,
)
from tests.support.faults import assert_unavailable, d1_faults
from tests.support.runtime import LocalRuntime

FINISH = {"complete": complete, "fail": fail}


@pytest.mark.parametrize("action", ["complete", "fail"])
def test_a_finish_whose_answer_was_lost_is_answered_again_once_retried(
    client: httpx.Client, local: LocalRuntime, jobs: Jobs, runner: Callable[[], str], action: str
) -> None:
    job, runner_id = jobs.create(), runner()
    lease = claim_job(client, job["id"], runner_id)["lease_id"]
    finish = FINISH[action]
    with d1_faults(local, lose_nth=[1]):  # the batch commits; its answer never arrives
        assert_unavailable(finish(client, job["id"], runner_id, lease))
    landed = get(client, job["id"])
    assert landed["status"] == ("complete" if action == "complete" else "pending")
    trail = events(client, job["id"])

    again = finish(client, job["id"], runner_id, lease)
    assert again.status_code == 200, again.text
    assert again.json() == landed  # the job as it is
    assert events(client, job["id"]) == trail  # no second event
    assert finish(client, job["id"], runner_id, lease).status_code == 200  # and again


def test_the_same_lease_with_another_body_is_a_conflict(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str]
) -> None:
    job, runner_id = jobs.create(), runner()
    lease = claim_job(client, job["id"], runner_id)["lease_id"]
    assert complete(client, job["id"], runner_id, lease).status_code == 200
    before, trail = get(client, job["id"]), events(client, job["id"])
    for other in (
        complete(client, job["id"], runner_id, lease, output_video_key="out/another.mp4"),
        fail(client, job["id"], runner_id, lease),  # the attempt ended by completing, not failing
    ):
        assert other.status_code == 409, other.text
        assert error_code(other) == "conflict"
        assert "already" in other.json()["error"]["message"]
    assert (get(client, job["id"]), events(client, job["id"])) == (before, trail)


def test_a_failed_attempt_repeated_after_the_job_was_claimed_again(
    client: httpx.Client, local: LocalRuntime, jobs: Jobs, runner: Callable[[], str]
) -> None:
    """The retry of a `fail` that landed still answers 200 after another runner took the
    retried job: that attempt ended as the runner said (the job is answered as it is now)."""
    job, first, second = jobs.create(max_retries=2), runner(), runner()
    lease = claim_job(client, job["id"], first)["lease_id"]
    assert fail(client, job["id"], first, lease, retryable=True).status_code == 200
    make_due(local, job["id"])
    assert claim_job(client, job["id"], second)["lease_id"] != lease
    now, trail = get(client, job["id"]), events(client, job["id"])
    again = fail(client, job["id"], first, lease, retryable=True)
    assert again.status_code == 200, again.text
    assert again.json() == now
    assert events(client, job["id"]) == trail
    other = fail(client, job["id"], first, lease, retryable=False)  # not what it sent
    assert (other.status_code, error_code(other)) == (409, "conflict")


def test_other_runners_and_leases_stay_refused(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str]
) -> None:
    job, runner_id = jobs.create(), runner()
    lease = claim_job(client, job["id"], runner_id)["lease_id"]
    assert complete(client, job["id"], runner_id, lease).status_code == 200
    trail = history(client, job["id"])
    for response in (
        complete(client, job["id"], runner(), lease),  # another runner naming this lease
        complete(client, job["id"], runner_id, "0" * 64),  # a lease that never was
        complete(client, job["id"], runner_id),  # no lease at all
    ):
        assert (response.status_code, error_code(response)) == (409, "lease_lost"), response.text
    beat = heartbeat(client, job["id"], runner_id, lease, progress=50)  # not a finish: no replay
    assert beat.status_code == 409, beat.text
    assert history(client, job["id"]) == trail
