"""The export job state machine over HTTP: claims, heartbeats, completion, failures with
retries and backoff, cancels, lapsed leases recovered by the cron, concurrent claimers.

Like test_exports.py, every test cancels what it created (the `jobs` fixture: `claim` takes
any claimable job of the shared D1) and asserts only on its own jobs."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.cron import run_cron
from tests.support.exports import (
    ACTIONS,
    RETRY_BASE_MS,
    Jobs,
    assert_lease_lost,
    claim_job,
    complete,
    error_code,
    events,
    expire_lease,
    fail,
    get,
    heartbeat,
    history,
    make_due,
    ms,
)
from tests.support.factories import claim, d1_stats, unique_project
from tests.support.runtime import LocalRuntime


def test_lifecycle(client: httpx.Client, jobs: Jobs, runner: Callable[[], str]) -> None:
    project = unique_project()
    response = client.post(
        "/api/export-jobs",
        json={
            "project_id": project,
            "type": "overlay",
            "input_video_key": "in/a.mp4",
            "params": {"crop": [1, 2]},
        },
    )
    assert response.status_code == 201, response.text
    job = response.json()
    jobs.ids.append(job["id"])
    assert response.headers["location"] == f"/api/export-jobs/{job['id']}"
    assert job["status"] == "pending" and job["progress"] == 0
    assert (job["params"], job["retry_count"], job["max_retries"], job["runner_id"]) == (
        {"crop": [1, 2]},
        0,
        3,
        None,
    )
    assert job["created_at"] == job["available_at"] == job["updated_at"] and job["created_at"].endswith("Z")

    fetched = client.get(f"/api/export-jobs/{job['id']}")
    assert fetched.json() == job
    assert d1_stats(fetched)["rows_read"] <= 2
    listed = client.get("/api/export-jobs", params={"project_id": project}).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]

    runner_id = runner()
    claim_response = client.post("/api/export-jobs/claim", json={"runner_id": runner_id, "lease_seconds": 60})
    assert claim_response.status_code == 200
    assert d1_stats(claim_response)["rows_read"] <= 10  # index-driven, however many jobs exist
    claimed = claim_response.json()
    lease = claimed["lease_id"]
    assert claimed["id"] == job["id"]
    assert (claimed["status"], claimed["runner_id"], claimed["lease_seconds"]) == (
        "processing",
        runner_id,
        60,
    )
    assert ms(claimed["lease_expires_at"]) - ms(claimed["started_at"]) == 60_000

    assert heartbeat(client, job["id"], runner_id, lease, progress=10).json()["progress"] == 10
    beat = heartbeat(client, job["id"], runner_id, lease, progress=50, runpod_job_id="rp-123").json()
    assert (beat["progress"], beat["runpod_job_id"]) == (50, "rp-123")
    beat = heartbeat(client, job["id"], runner_id, lease, progress=30).json()
    assert beat["progress"] == 50  # never decreases: a lower progress is ignored
    assert ms(beat["lease_expires_at"]) - ms(beat["updated_at"]) == 60_000  # the lease is extended

    done = complete(client, job["id"], runner_id, lease)
    assert done.status_code == 200
    finished = done.json()
    assert (finished["status"], finished["progress"]) == ("complete", 100)
    assert finished["output_video_key"] == f"out/{job['id']}.mp4"
    assert finished["completed_at"] is not None and finished["lease_expires_at"] is None
    assert get(client, job["id"]) == finished

    history_items = events(client, job["id"])
    assert [(e["event"], e["from_status"], e["to_status"]) for e in history_items] == [
        ("created", None, "pending"),
        ("claimed", "pending", "processing"),
        ("completed", "processing", "complete"),
    ]
    assert history_items[1]["data"]["runner_id"] == runner_id
    assert history_items[1]["data"]["lease_expires_at"] == claimed["lease_expires_at"]
    assert history_items[2]["at"] == finished["completed_at"]


def make_job_in(client: httpx.Client, jobs: Jobs, status: str, runner_id: str) -> dict[str, Any]:
    """A job of this test in `status` (a processing one held by `runner_id`)."""
    job = jobs.create(max_retries=0 if status == "error" else 3)
    if status == "cancelled":
        assert client.post(f"/api/export-jobs/{job['id']}/cancel").status_code == 200
    lease = None
    if status in ("processing", "complete", "error"):
        lease = claim_job(client, job["id"], runner_id)["lease_id"]
    if status == "complete":
        assert complete(client, job["id"], runner_id, lease).status_code == 200
    if status == "error":
        assert fail(client, job["id"], runner_id, lease).status_code == 200
    current = get(client, job["id"])
    assert current["status"] == status
    return current


# (status, action) → the status after it, for allowed pairs; every other pair is a 409.
ALLOWED = {
    ("processing", "heartbeat"): "processing",
    ("processing", "complete"): "complete",
    ("processing", "fail"): "pending",  # retries left: back to the queue
    ("error", "retry"): "pending",
    ("cancelled", "retry"): "pending",
    ("pending", "cancel"): "cancelled",
    ("processing", "cancel"): "cancelled",
}


RUNNER_ACTIONS = {"heartbeat", "complete", "fail"}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("status", ["pending", "processing", "complete", "error", "cancelled"])
def test_every_state_action_pair(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str], status: str, action: str
) -> None:
    runner_id = runner()
    before = make_job_in(client, jobs, status, runner_id)
    events_before = events(client, before["id"])

    response = ACTIONS[action](client, before["id"], runner_id, before["lease_id"])

    after = get(client, before["id"])
    events_after = events(client, before["id"])
    if (status, action) in ALLOWED:
        assert response.status_code == 200, response.text
        assert response.json() == after
        assert after["status"] == ALLOWED[status, action]
        recorded = 0 if action == "heartbeat" else 1  # a heartbeat is not a transition
        assert len(events_after) == len(events_before) + recorded
        if recorded:
            assert (events_after[-1]["from_status"], events_after[-1]["to_status"]) == (
                status,
                after["status"],
            )
    else:
        assert response.status_code == 409, response.text
        assert error_code(response) == ("lease_lost" if action in RUNNER_ACTIONS else "conflict")
        assert status in response.json()["error"]["message"]
        assert after == before
        assert events_after == events_before


def test_twenty_concurrent_claimers_drain_a_hundred_jobs(client: httpx.Client, jobs: Jobs) -> None:
    project = unique_project()
    with ThreadPoolExecutor(4) as pool:
        created = set(pool.map(lambda _: jobs.create(project_id=project)["id"], range(100)))
    assert len(created) == 100

    def drain(worker: int) -> list[str]:
        taken = []
        with httpx.Client(base_url=str(client.base_url), headers=dict(client.headers), timeout=60) as own:
            while (job := claim(own, f"drainer-{worker}")) is not None:
                taken.append(job["id"])
        return taken

    with ThreadPoolExecutor(20) as pool:
        claimed = [job_id for taken in pool.map(drain, range(20)) for job_id in taken]

    assert len(claimed) == len(set(claimed)), "a job was claimed twice"
    assert created <= set(claimed), "a job was left unclaimed"
    listed = client.get("/api/export-jobs", params={"project_id": project, "limit": 200}).json()["items"]
    assert {j["id"] for j in listed} == created
    assert {j["status"] for j in listed} == {"processing"}
    assert (
        client.get("/api/export-jobs", params={"project_id": project, "status": "pending"}).json()["items"]
        == []
    )


def test_expired_lease_is_recovered_by_the_cron_and_the_old_runner_loses_it(
    client: httpx.Client, local: LocalRuntime, base_url: str, jobs: Jobs, runner: Callable[[], str]
) -> None:
    old_runner, new_runner = runner(), runner()
    job = jobs.create()
    old_lease = claim_job(client, job["id"], old_runner)["lease_id"]
    heartbeat(client, job["id"], old_runner, old_lease, progress=40)
    expire_lease(local, job["id"])

    run_cron(base_url)

    recovered = get(client, job["id"])
    assert (recovered["status"], recovered["error"], recovered["retry_count"]) == (
        "pending",
        "lease_expired",
        1,
    )
    assert (recovered["runner_id"], recovered["progress"], recovered["lease_expires_at"]) == (None, 0, None)
    assert ms(recovered["available_at"]) - ms(recovered["updated_at"]) == RETRY_BASE_MS  # the /fail rule
    assert history(client, job["id"])[-1] == ("lease_expired", "processing", "pending")
    assert_lease_lost(client, job["id"], old_runner, old_lease)

    make_due(local, job["id"])
    newer = claim_job(client, job["id"], new_runner)
    assert_lease_lost(client, job["id"], old_runner, old_lease)  # the newer attempt is untouched
    assert get(client, job["id"]) == newer
    assert complete(client, job["id"], new_runner, newer["lease_id"]).status_code == 200
    assert [e for e, _, _ in history(client, job["id"])] == [
        "created",
        "claimed",
        "lease_expired",
        "claimed",
        "completed",
    ]


def test_expired_lease_at_the_retry_limit_becomes_error(
    client: httpx.Client, local: LocalRuntime, base_url: str, jobs: Jobs, runner: Callable[[], str]
) -> None:
    runner_id = runner()
    job = jobs.create(max_retries=0)
    lease = claim_job(client, job["id"], runner_id)["lease_id"]
    expire_lease(local, job["id"])
    run_cron(base_url)
    recovered = get(client, job["id"])
    assert (recovered["status"], recovered["error"], recovered["retry_count"]) == (
        "error",
        "lease_expired",
        0,
    )
    assert history(client, job["id"])[-1] == ("lease_expired", "processing", "error")
    assert_lease_lost(client, job["id"], runner_id, lease)


def test_a_cancelled_job_is_lost_to_its_runner(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str]
) -> None:
    runner_id = runner()
    job = jobs.create()
    lease = claim_job(client, job["id"], runner_id)["lease_id"]
    assert client.post(f"/api/export-jobs/{job['id']}/cancel").json()["status"] == "cancelled"
    assert_lease_lost(client, job["id"], runner_id, lease)
    assert_lease_lost(client, job["id"], "someone-else", lease)


def test_fail_retries_with_backoff_then_errors(
    client: httpx.Client, local: LocalRuntime, jobs: Jobs, runner: Callable[[], str]
) -> None:
    job = jobs.create()
    for attempt in range(3):
        runner_id = runner()
        lease = claim_job(client, job["id"], runner_id)["lease_id"]
        failed = fail(client, job["id"], runner_id, lease).json()
        assert (failed["status"], failed["retry_count"]) == ("pending", attempt + 1)
        assert ms(failed["available_at"]) - ms(failed["updated_at"]) == RETRY_BASE_MS * 2**attempt
        assert claim(client, runner()) is None  # not claimable before available_at
        make_due(local, job["id"])

    runner_id = runner()
    lease = claim_job(client, job["id"], runner_id)["lease_id"]
    last = fail(client, job["id"], runner_id, lease).json()
    assert (last["status"], last["retry_count"], last["error"]) == ("error", 3, "CUDA out of memory")
    assert last["completed_at"] is not None
    assert claim(client, runner()) is None

    recorded = events(client, job["id"])
    assert [(e["event"], e["from_status"], e["to_status"]) for e in recorded] == [
        ("created", None, "pending"),
        *[("claimed", "pending", "processing"), ("failed", "processing", "pending")] * 3,
        ("claimed", "pending", "processing"),
        ("failed", "processing", "error"),
    ]
    assert [e["data"]["retry_count"] for e in recorded if e["event"] == "failed"] == [1, 2, 3, 3]
    assert recorded[-1]["data"]["retry_at"] is None and recorded[2]["data"]["retryable"] is True


def test_fail_not_retryable_is_error_at_once(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str]
) -> None:
    runner_id = runner()
    job = jobs.create()
    lease = claim_job(client, job["id"], runner_id)["lease_id"]
    failed = fail(client, job["id"], runner_id, lease, retryable=False).json()
    assert (failed["status"], failed["retry_count"]) == ("error", 0)
    retried = client.post(f"/api/export-jobs/{job['id']}/retry").json()
    assert (retried["id"], retried["status"], retried["error"], retried["retry_count"]) == (
        job["id"],
        "pending",
        None,
        0,
    )


def test_claim_respects_types(client: httpx.Client, jobs: Jobs, runner: Callable[[], str]) -> None:
    job = jobs.create(type="annotate")
    assert claim(client, runner(), types=["framing", "overlay"]) is None
    assert claim_job(client, job["id"], runner(), types=["annotate"])["type"] == "annotate"
