"""Fencing: every claim is its own lease (`lease_id`), and only the call that carries the lease
of the current attempt may heartbeat, complete or fail it, even when one runner id claims the
same job twice."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support.exports import (
    Jobs,
    assert_lease_lost,
    claim_job,
    complete,
    error_code,
    events,
    fail,
    get,
    heartbeat,
)


def test_a_runner_cannot_fail_its_own_earlier_attempt(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str]
) -> None:
    """claim by one runner id → cancel → retry → claim by the same runner id: the first
    attempt's late fail is refused, and the second attempt is untouched."""
    runner_id = runner()
    job = jobs.create(max_retries=3)
    first = claim_job(client, job["id"], runner_id)
    assert client.post(f"/api/export-jobs/{job['id']}/cancel").status_code == 200
    assert client.post(f"/api/export-jobs/{job['id']}/retry").status_code == 200
    second = claim_job(client, job["id"], runner_id)

    late = fail(client, job["id"], runner_id, first.get("lease_id"), error="late error from attempt 1")
    assert late.status_code == 409 and error_code(late) == "lease_lost", late.text
    assert first["lease_id"] and second["lease_id"] and first["lease_id"] != second["lease_id"]
    assert_lease_lost(client, job["id"], runner_id, first["lease_id"])
    assert "lease" in late.json()["error"]["message"]
    current = get(client, job["id"])
    assert (current["status"], current["retry_count"], current["lease_id"]) == (
        "processing",
        0,
        second["lease_id"],
    )

    # The current attempt goes on.
    assert heartbeat(client, job["id"], runner_id, second["lease_id"], progress=50).status_code == 200
    done = complete(client, job["id"], runner_id, second["lease_id"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "complete"


def test_runner_calls_without_the_lease_are_refused(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str]
) -> None:
    runner_id = runner()
    job = jobs.create()
    claimed = claim_job(client, job["id"], runner_id)
    assert_lease_lost(client, job["id"], runner_id, None)
    assert_lease_lost(client, job["id"], runner_id, "0" * 32)
    assert_lease_lost(client, job["id"], "someone-else", claimed["lease_id"])
    assert heartbeat(client, job["id"], runner_id, claimed["lease_id"]).status_code == 200


def test_the_lease_is_on_the_job_and_in_the_claim_event(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str]
) -> None:
    runner_id = runner()
    job = jobs.create()
    assert job["lease_id"] is None
    claimed = claim_job(client, job["id"], runner_id)
    assert get(client, job["id"])["lease_id"] == claimed["lease_id"]
    claim_event = events(client, job["id"])[-1]
    assert claim_event["event"] == "claimed"
    assert claim_event["data"]["lease_id"] == claimed["lease_id"]
