"""The export queue's features over HTTP: priority and start_after under concurrent claimers,
batch claims, paused types, the ready filter, results, cancel reasons, per-job retry policy,
and job types from EXPORT_JOB_TYPES.

Like the other export tests, each test cancels what it made (the `jobs` fixture) and relies on
being the only one with claimable jobs in the shared D1 while it runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.exports import (
    Jobs,
    claim_job,
    complete,
    error_code,
    events,
    fail,
    get,
    heartbeat,
    make_due,
    ms,
)
from tests.support.factories import d1_stats
from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime


def claim_order(job: dict[str, Any]) -> tuple[int, int, str]:
    return (-job["priority"], ms(job["available_at"]), job["id"])


def concurrent_claims(
    client: httpx.Client, count: int, body: Callable[[int], dict[str, Any]]
) -> list[httpx.Response]:
    """`count` claims sent at once, each from its own connection."""

    def send(i: int) -> httpx.Response:
        with httpx.Client(base_url=str(client.base_url), headers=dict(client.headers), timeout=60) as own:
            return own.post("/api/export-jobs/claim", json=body(i))

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(send, range(count)))


def iso_in(seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def test_priority_and_start_after_order_under_12_concurrent_claimers(
    client: httpx.Client, jobs: Jobs
) -> None:
    """Each wave of 12 simultaneous claims takes exactly the 12 first due jobs in claim order
    (every claim is atomic); a job whose start_after is ahead is never taken, whatever its
    priority."""
    later = [jobs.create(priority=100, start_after=iso_in(3600)) for _ in range(3)]
    due = [
        jobs.create(priority=p, type=t)
        for p, t in zip([0, 5, -2, 5, 1] * 5, ["framing", "overlay", "annotate"] * 9, strict=False)
    ]
    assert all(j["available_at"] == j["created_at"] for j in due)
    remaining = sorted(due, key=claim_order)
    runner = "order-runner"
    for _ in range(3):
        answers = concurrent_claims(client, 12, lambda i: {"runner_id": f"{runner}-{i}"})
        taken = {a.json()["id"] for a in answers if a.status_code == 200}
        assert all(a.status_code in (200, 204) for a in answers)
        assert taken == {j["id"] for j in remaining[:12]}
        remaining = remaining[12:]
    assert {get(client, j["id"])["status"] for j in later} == {"pending"}


def test_concurrent_batch_claims_take_each_job_once_with_its_own_lease(
    client: httpx.Client, jobs: Jobs
) -> None:
    made = {jobs.create(priority=i % 3)["id"] for i in range(40)}
    rows_read: list[tuple[int, int]] = []

    def drain(worker: int) -> list[dict[str, Any]]:
        taken: list[dict[str, Any]] = []
        with httpx.Client(base_url=str(client.base_url), headers=dict(client.headers), timeout=60) as own:
            while True:
                answer = own.post(
                    "/api/export-jobs/claim", json={"runner_id": f"batch-{worker}", "max_jobs": 3}
                )
                assert answer.status_code == 200, answer.text
                items = answer.json()["items"]
                if not items:
                    return taken
                rows_read.append((len(items), d1_stats(answer)["rows_read"]))
                assert [claim_order(j) for j in items] == sorted(claim_order(j) for j in items)
                taken += items

    with ThreadPoolExecutor(8) as pool:
        claimed = [job for taken in pool.map(drain, range(8)) for job in taken]
    ids = [job["id"] for job in claimed]
    assert len(ids) == len(set(ids)), "a job was claimed twice"
    assert set(ids) == made
    assert len({job["lease_id"] for job in claimed}) == len(claimed)
    for job in claimed[:5]:
        assert get(client, job["id"])["lease_id"] == job["lease_id"]
        assert heartbeat(client, job["id"], job["runner_id"], job["lease_id"]).status_code == 200
    # Index-driven: a few rows per job claimed, however many jobs are pending (`make bench`).
    assert [(c, r) for c, r in rows_read if r > 7 * c + 2] == []


@contextmanager
def paused(client: httpx.Client, job_type: str) -> Iterator[dict[str, Any]]:
    answer = client.post(f"/api/export-jobs/queues/{job_type}/pause")
    assert answer.status_code == 200, answer.text
    try:
        yield answer.json()
    finally:
        assert client.post(f"/api/export-jobs/queues/{job_type}/resume").json()["paused"] is False


def test_a_paused_type_is_never_claimed_while_others_are(client: httpx.Client, jobs: Jobs) -> None:
    held = [jobs.create(type="annotate", priority=9) for _ in range(6)]
    free = [jobs.create(type="overlay") for _ in range(6)]
    with paused(client, "annotate") as state:
        assert (state["type"], state["paused"]) == ("annotate", True)
        assert client.post("/api/export-jobs/queues/annotate/pause").json()["paused_at"] == state["paused_at"]
        shapes = [None, ["annotate"], ["annotate", "overlay"], None]
        answers = concurrent_claims(
            client,
            12,
            lambda i: {"runner_id": f"pause-{i}", **({"types": shapes[i % 4]} if shapes[i % 4] else {})},
        )
        taken = [a.json()["id"] for a in answers if a.status_code == 200]
        assert sorted(taken) == sorted(j["id"] for j in free)
        assert {get(client, j["id"])["status"] for j in held} == {"pending"}
        batch = client.post("/api/export-jobs/claim", json={"runner_id": "pause-batch", "max_jobs": 10})
        assert batch.json() == {"items": []}
    resumed = client.post("/api/export-jobs/claim", json={"runner_id": "pause-after", "max_jobs": 10})
    assert sorted(j["id"] for j in resumed.json()["items"]) == sorted(j["id"] for j in held)
    assert client.post("/api/export-jobs/queues/render/pause").status_code == 404


def test_start_after_and_the_ready_filter(client: httpx.Client, local: LocalRuntime, jobs: Jobs) -> None:
    project = 880_000_000 + datetime.now(UTC).microsecond
    start = iso_in(3600)
    scheduled = jobs.create(project_id=project, start_after=start)
    waiting = jobs.create(project_id=project, start_after=iso_in(-60))  # in the past: now
    assert ms(scheduled["available_at"]) == ms(start)
    assert waiting["available_at"] == waiting["created_at"]

    def listed(ready: str) -> list[str]:
        query = {"project_id": str(project), "status": "pending", "ready": ready}
        answer = client.get("/api/export-jobs", params=query)
        assert answer.status_code == 200, answer.text
        return [j["id"] for j in answer.json()["items"]]

    assert (listed("true"), listed("false")) == ([waiting["id"]], [scheduled["id"]])
    assert claim_job(client, waiting["id"], "ready-runner")["id"] == waiting["id"]
    assert client.post("/api/export-jobs/claim", json={"runner_id": "ready-runner"}).status_code == 204
    make_due(local, scheduled["id"])
    assert listed("true") == [scheduled["id"]]
    for query in (
        {"ready": "true"},
        {"status": "pending,error", "ready": "true"},
        {"status": "pending", "ready": "1"},
    ):
        assert error_code(client.get("/api/export-jobs", params=query)) == "validation_error"
    body = {"project_id": 1, "type": "framing", "input_video_key": "k", "start_after": iso_in(400 * 86400)}
    too_far = client.post("/api/export-jobs", json=body)
    assert too_far.status_code == 400 and too_far.json()["error"]["field"] == "start_after"


def test_result_on_complete_and_a_job_retry_policy(client: httpx.Client, jobs: Jobs) -> None:
    job = jobs.create(retry_base_seconds=1, retry_cap_seconds=2, max_retries=1)
    assert (job["retry_base_seconds"], job["retry_cap_seconds"], job["priority"]) == (1, 2, 0)
    first = claim_job(client, job["id"], "policy-runner")
    failed = fail(client, job["id"], "policy-runner", first["lease_id"]).json()
    assert ms(failed["available_at"]) - ms(failed["updated_at"]) == 1000

    done_job = jobs.create()
    claimed = claim_job(client, done_job["id"], "result-runner")
    too_big = complete(
        client, done_job["id"], "result-runner", claimed["lease_id"], result={"x": "y" * 65536}
    )
    assert too_big.status_code == 400 and too_big.json()["error"]["field"] == "result"
    result = {"frames": 240, "scenes": [{"at": 1.5, "label": "名前"}]}
    done = complete(client, done_job["id"], "result-runner", claimed["lease_id"], result=result)
    assert done.status_code == 200, done.text
    assert done.json()["result"] == result == get(client, done_job["id"])["result"]
    assert events(client, done_job["id"])[-1]["data"]["result"] == result


def test_cancel_with_a_reason_reaches_the_runner_at_its_next_heartbeat(
    client: httpx.Client, jobs: Jobs
) -> None:
    job = jobs.create()
    claimed = claim_job(client, job["id"], "cancel-runner")
    cancelled = client.post(f"/api/export-jobs/{job['id']}/cancel", json={"reason": "duplicate upload"})
    assert cancelled.status_code == 200 and cancelled.json()["cancel_reason"] == "duplicate upload"
    beat = heartbeat(client, job["id"], "cancel-runner", claimed["lease_id"], progress=50)
    assert beat.status_code == 409 and error_code(beat) == "lease_lost"
    assert "cancelled" in beat.json()["error"]["message"]
    assert beat.json()["error"]["details"] == {"status": "cancelled", "cancel_reason": "duplicate upload"}
    assert events(client, job["id"])[-1]["data"] == {"reason": "duplicate upload"}
    retried = client.post(f"/api/export-jobs/{job['id']}/retry").json()
    assert (retried["cancel_reason"], retried["lease_id"]) == (None, None)


def test_job_types_come_from_export_job_types() -> None:
    with (
        local_runtime(vars={"API_TOKEN": TEST_TOKEN, "EXPORT_JOB_TYPES": "render,upscale"}) as rt,
        httpx.Client(base_url=rt.url, headers={"authorization": f"Bearer {TEST_TOKEN}"}, timeout=60) as c,
    ):
        body = {"project_id": 1, "input_video_key": "in.mp4"}
        made = c.post("/api/export-jobs", json={**body, "type": "upscale"})
        assert made.status_code == 201, made.text
        refused = c.post("/api/export-jobs", json={**body, "type": "framing"})
        assert refused.status_code == 400 and "render, upscale" in refused.json()["error"]["message"]
        assert (
            c.post("/api/export-jobs/claim", json={"runner_id": "r", "types": ["overlay"]}).status_code == 400
        )
        assert c.post("/api/export-jobs/queues/framing/pause").status_code == 404
        # A type dropped from the var can still be resumed (a pause left over from before).
        assert c.post("/api/export-jobs/queues/framing/resume").json()["paused"] is False
        assert c.post("/api/export-jobs/queues/Not%20a%20type/resume").status_code == 404
        assert c.post("/api/export-jobs/queues/render/pause").status_code == 200
        claimed = c.post("/api/export-jobs/claim", json={"runner_id": "r"})
        assert claimed.json()["id"] == made.json()["id"]  # an untyped claim, render paused
        assert c.get("/api/export-jobs", params={"type": "upscale"}).json()["items"][0]["type"] == "upscale"


def queues(client: httpx.Client) -> dict[str, dict[str, Any]]:
    answer = client.get("/api/export-jobs/queues")
    assert answer.status_code == 200, answer.text
    # Per type: its name, its counter row and its pause, by key (never a COUNT(*) of the jobs).
    assert d1_stats(answer)["rows_read"] <= 3 * len(answer.json()["items"])
    return {queue["type"]: queue for queue in answer.json()["items"]}


def test_queues_list_each_type_with_its_counts_and_pause(client: httpx.Client, jobs: Jobs) -> None:
    before = queues(client)
    assert list(before) == ["framing", "overlay", "annotate"]  # EXPORT_JOB_TYPES, in its order
    made = [jobs.create(type="overlay") for _ in range(3)] + [jobs.create(type="framing")]
    taken = claim_job(client, made[0]["id"], "queues-runner")
    assert complete(client, made[0]["id"], "queues-runner", taken["lease_id"]).status_code == 200
    assert client.post(f"/api/export-jobs/{made[1]['id']}/cancel").status_code == 200
    with paused(client, "framing"), paused(client, "annotate"):
        during = queues(client)
        assert [during[t]["paused"] for t in ("framing", "overlay", "annotate")] == [True, False, True]
        assert client.post("/api/export-jobs/queues/annotate/resume").status_code == 200
        # framing is still paused: a claim of any type still skips it.
        assert (
            client.post("/api/export-jobs/claim", json={"runner_id": "queues-runner"}).json()["type"]
            == "overlay"
        )
    after = queues(client)

    def delta(job_type: str) -> dict[str, int]:
        return {
            s: after[job_type]["counts"][s] - before[job_type]["counts"][s]
            for s in before[job_type]["counts"]
        }

    assert delta("overlay") == {"pending": 0, "processing": 1, "complete": 1, "error": 0, "cancelled": 1}
    assert delta("framing") == {"pending": 1, "processing": 0, "complete": 0, "error": 0, "cancelled": 0}
    assert not any(q["paused"] for q in after.values())
