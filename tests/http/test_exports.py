"""The export job queue over HTTP, through the real runtime.

The session shares one D1 and `claim` takes any claimable job, so every test leaves no
pending job behind (the `jobs` fixture cancels what a test created) and asserts only on
jobs it created itself.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support.cron import run_cron
from tests.support.factories import claim, create_export_job, d1_stats, unique_project
from tests.support.runtime import LocalRuntime
from tests.support.settings import TOKEN

RETRY_BASE_MS = 30_000  # EXPORT_RETRY_BASE_SECONDS default


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


class Jobs:
    """Creates jobs for one test and cancels whatever is still pending or processing after it."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.ids: list[str] = []

    def create(self, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        job = create_export_job(self.client, headers=headers, **fields)
        if job["id"] not in self.ids:
            self.ids.append(job["id"])
        return job

    def cleanup(self) -> None:
        def cancel(job_id: str) -> None:
            self.client.post(f"/api/export-jobs/{job_id}/cancel")  # 409 for finished jobs: fine

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(cancel, self.ids))


@pytest.fixture
def jobs(client: httpx.Client) -> Iterator[Jobs]:
    made = Jobs(client)
    yield made
    made.cleanup()


@pytest.fixture
def runner() -> Callable[[], str]:
    return lambda: f"runner-{secrets.token_hex(4)}"


def get(client: httpx.Client, job_id: str) -> dict[str, Any]:
    response = client.get(f"/api/export-jobs/{job_id}")
    assert response.status_code == 200, response.text
    return response.json()


def events(client: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/export-jobs/{job_id}/events", params={"limit": 200})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def history(client: httpx.Client, job_id: str) -> list[tuple[str, str | None, str]]:
    return [(e["event"], e["from_status"], e["to_status"]) for e in events(client, job_id)]


def claim_job(client: httpx.Client, job_id: str, runner_id: str, **extra: Any) -> dict[str, Any]:
    """Claim, expecting this very job (this test's jobs are the only claimable ones)."""
    claimed = claim(client, runner_id, **extra)
    assert claimed is not None and claimed["id"] == job_id, claimed
    return claimed


# Runner actions, as a runner would send them.
def heartbeat(client: httpx.Client, job_id: str, runner_id: str, **extra: Any) -> httpx.Response:
    return client.patch(f"/api/export-jobs/{job_id}", json={"runner_id": runner_id, **extra})


def complete(client: httpx.Client, job_id: str, runner_id: str) -> httpx.Response:
    body = {"runner_id": runner_id, "output_video_key": f"out/{job_id}.mp4"}
    return client.post(f"/api/export-jobs/{job_id}/complete", json=body)


def fail(client: httpx.Client, job_id: str, runner_id: str, **extra: Any) -> httpx.Response:
    body = {"runner_id": runner_id, "error": "CUDA out of memory", **extra}
    return client.post(f"/api/export-jobs/{job_id}/fail", json=body)


ACTIONS: dict[str, Callable[[httpx.Client, str, str], httpx.Response]] = {
    "heartbeat": lambda c, job_id, runner_id: heartbeat(c, job_id, runner_id, progress=60),
    "complete": complete,
    "fail": fail,
    "retry": lambda c, job_id, runner_id: c.post(f"/api/export-jobs/{job_id}/retry"),
    "cancel": lambda c, job_id, runner_id: c.post(f"/api/export-jobs/{job_id}/cancel"),
}


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
    assert claimed["id"] == job["id"]
    assert (claimed["status"], claimed["runner_id"], claimed["lease_seconds"]) == (
        "processing",
        runner_id,
        60,
    )
    assert ms(claimed["lease_expires_at"]) - ms(claimed["started_at"]) == 60_000

    assert heartbeat(client, job["id"], runner_id, progress=10).json()["progress"] == 10
    beat = heartbeat(client, job["id"], runner_id, progress=50, runpod_job_id="rp-123").json()
    assert (beat["progress"], beat["runpod_job_id"]) == (50, "rp-123")
    beat = heartbeat(client, job["id"], runner_id, progress=30).json()
    assert beat["progress"] == 50  # never decreases: a lower progress is ignored
    assert ms(beat["lease_expires_at"]) - ms(beat["updated_at"]) == 60_000  # the lease is extended

    done = complete(client, job["id"], runner_id)
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
    if status in ("processing", "complete", "error"):
        claim_job(client, job["id"], runner_id)
    if status == "complete":
        assert complete(client, job["id"], runner_id).status_code == 200
    if status == "error":
        assert fail(client, job["id"], runner_id).status_code == 200
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

    response = ACTIONS[action](client, before["id"], runner_id)

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


def expire_lease(local: LocalRuntime, job_id: str) -> None:
    local.sql(
        "UPDATE export_jobs SET lease_expires_at = ? WHERE id = ?", int(time.time() * 1000) - 1000, job_id
    )


def make_due(local: LocalRuntime, job_id: str) -> None:
    local.sql("UPDATE export_jobs SET available_at = ? WHERE id = ?", int(time.time() * 1000) - 1000, job_id)


def assert_lease_lost(client: httpx.Client, job_id: str, runner_id: str) -> None:
    """The runner's heartbeat, complete and fail are all refused, and change nothing."""
    before, history_before = get(client, job_id), events(client, job_id)
    for response in (
        heartbeat(client, job_id, runner_id, progress=99),
        complete(client, job_id, runner_id),
        fail(client, job_id, runner_id),
    ):
        assert response.status_code == 409, response.text
        assert error_code(response) == "lease_lost"
    assert get(client, job_id) == before
    assert events(client, job_id) == history_before


def test_expired_lease_is_recovered_by_the_cron_and_the_old_runner_loses_it(
    client: httpx.Client, local: LocalRuntime, base_url: str, jobs: Jobs, runner: Callable[[], str]
) -> None:
    old_runner, new_runner = runner(), runner()
    job = jobs.create()
    claim_job(client, job["id"], old_runner)
    heartbeat(client, job["id"], old_runner, progress=40)
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
    assert_lease_lost(client, job["id"], old_runner)

    make_due(local, job["id"])
    newer = claim_job(client, job["id"], new_runner)
    assert_lease_lost(client, job["id"], old_runner)  # the newer attempt is untouched
    assert get(client, job["id"]) == newer
    assert complete(client, job["id"], new_runner).status_code == 200
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
    claim_job(client, job["id"], runner_id)
    expire_lease(local, job["id"])
    run_cron(base_url)
    recovered = get(client, job["id"])
    assert (recovered["status"], recovered["error"], recovered["retry_count"]) == (
        "error",
        "lease_expired",
        0,
    )
    assert history(client, job["id"])[-1] == ("lease_expired", "processing", "error")
    assert_lease_lost(client, job["id"], runner_id)


def test_a_cancelled_job_is_lost_to_its_runner(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str]
) -> None:
    runner_id = runner()
    job = jobs.create()
    claim_job(client, job["id"], runner_id)
    assert client.post(f"/api/export-jobs/{job['id']}/cancel").json()["status"] == "cancelled"
    assert_lease_lost(client, job["id"], runner_id)
    assert_lease_lost(client, job["id"], "someone-else")


def test_fail_retries_with_backoff_then_errors(
    client: httpx.Client, local: LocalRuntime, jobs: Jobs, runner: Callable[[], str]
) -> None:
    job = jobs.create()
    for attempt in range(3):
        runner_id = runner()
        claim_job(client, job["id"], runner_id)
        failed = fail(client, job["id"], runner_id).json()
        assert (failed["status"], failed["retry_count"]) == ("pending", attempt + 1)
        assert ms(failed["available_at"]) - ms(failed["updated_at"]) == RETRY_BASE_MS * 2**attempt
        assert claim(client, runner()) is None  # not claimable before available_at
        make_due(local, job["id"])

    runner_id = runner()
    claim_job(client, job["id"], runner_id)
    last = fail(client, job["id"], runner_id).json()
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
    claim_job(client, job["id"], runner_id)
    failed = fail(client, job["id"], runner_id, retryable=False).json()
    assert (failed["status"], failed["retry_count"]) == ("error", 0)
    retried = client.post(f"/api/export-jobs/{job['id']}/retry").json()
    assert (retried["id"], retried["status"], retried["error"], retried["retry_count"]) == (
        job["id"],
        "pending",
        None,
        0,
    )


def test_idempotency_key(client: httpx.Client, jobs: Jobs) -> None:
    project = unique_project()
    key = {"idempotency-key": f"create-{secrets.token_hex(8)}"}
    body = {
        "project_id": project,
        "type": "annotate",
        "input_video_key": "in/b.mp4",
        "params": {"a": 1, "b": 2},
    }

    first = client.post("/api/export-jobs", json=body, headers=key)
    assert first.status_code == 201
    jobs.ids.append(first.json()["id"])
    again = client.post("/api/export-jobs", json={**body, "params": {"b": 2, "a": 1}}, headers=key)
    assert again.status_code == 200
    assert again.json() == first.json()

    other = client.post("/api/export-jobs", json={**body, "input_video_key": "in/c.mp4"}, headers=key)
    assert other.status_code == 409 and error_code(other) == "conflict"

    def concurrent_create(_: int) -> httpx.Response:
        return client.post(
            "/api/export-jobs", json=body, headers={"idempotency-key": f"{key['idempotency-key']}-2"}
        )

    with ThreadPoolExecutor(8) as pool:
        racing = list(pool.map(concurrent_create, range(8)))
    assert sorted(r.status_code for r in racing) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in racing}) == 1
    jobs.ids.append(racing[0].json()["id"])

    listed = client.get("/api/export-jobs", params={"project_id": project}).json()["items"]
    assert len(listed) == 2  # one row per key
    bad = client.post("/api/export-jobs", json=body, headers={"idempotency-key": "has space"})
    assert bad.status_code == 400


def test_list_items_are_the_jobs_as_get_renders_them(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str]
) -> None:
    """List pages are rendered by SQLite on D1, single jobs in Python: the same JSON values."""
    project = unique_project()
    params = {
        "ünïcode": '名前 "quoted" \\ \u0001\n',
        "big": 2**53 - 1,
        "neg": -7,
        "nested": [{"a": None}, [], {}],
    }
    failed = jobs.create(project_id=project, params=params)
    runner_id = runner()
    claim_job(client, failed["id"], runner_id, lease_seconds=90)
    error = 'Traceback:\n  "CUDA" \t out \u2028 of memory 💥'
    assert fail(client, failed["id"], runner_id, retryable=False, error=error).status_code == 200
    pending = jobs.create(project_id=project, type="overlay", max_retries=0)
    listed = client.get("/api/export-jobs", params={"project_id": project}).json()["items"]
    singles = [client.get(f"/api/export-jobs/{job['id']}").json() for job in (pending, failed)]
    assert listed == singles
    assert [list(item) for item in listed] == [list(single) for single in singles]  # same key order
    assert listed[1]["params"] == params and listed[1]["error"] == error
    assert all(listed[1][name] for name in ("started_at", "completed_at", "created_at", "updated_at"))


def test_list_filters_newest_first_with_cursor(client: httpx.Client, jobs: Jobs) -> None:
    project = unique_project()
    made = [
        jobs.create(project_id=project, type=kind)["id"]
        for kind in ("framing", "overlay", "overlay", "annotate", "framing")
    ]
    client.post(f"/api/export-jobs/{made[1]}/cancel")

    def ids(**params: Any) -> list[str]:
        return [
            j["id"]
            for j in client.get("/api/export-jobs", params={"project_id": project, **params}).json()["items"]
        ]

    newest_first = made[::-1]
    pages, cursor = [], None
    while True:
        params = {"project_id": project, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/export-jobs", params=params).json()
        pages.append([j["id"] for j in page["items"]])
        if not (cursor := page["next_cursor"]):
            break
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert ids(status="cancelled") == [made[1]]
    assert ids(status="active") == [i for i in newest_first if i != made[1]]
    assert ids(status="cancelled,pending", type="overlay") == [made[2], made[1]]
    assert ids(type="overlay") == [made[2], made[1]]  # export_jobs_by_project_type
    first = client.get(
        "/api/export-jobs", params={"project_id": project, "type": "framing", "limit": 1}
    ).json()
    rest = {"project_id": project, "type": "framing", "cursor": first["next_cursor"]}
    assert [j["id"] for j in first["items"]] == [made[4]]
    assert [j["id"] for j in client.get("/api/export-jobs", params=rest).json()["items"]] == [made[0]]
    assert ids(status="complete") == []
    by_status = client.get("/api/export-jobs", params={"status": "cancelled", "limit": 200}).json()["items"]
    assert made[1] in {j["id"] for j in by_status}

    for params in (
        {"cursor": "forged"},
        {"status": "done"},
        {"project_id": "0"},
        {"type": "x"},
        {"limit": "0"},
    ):
        response = client.get("/api/export-jobs", params=params)
        assert response.status_code == 400 and error_code(response) == "validation_error", params


def test_events_are_paginated_oldest_first(client: httpx.Client, jobs: Jobs) -> None:
    job = jobs.create()
    client.post(f"/api/export-jobs/{job['id']}/cancel")
    client.post(f"/api/export-jobs/{job['id']}/retry")
    client.post(f"/api/export-jobs/{job['id']}/cancel")
    first = client.get(f"/api/export-jobs/{job['id']}/events", params={"limit": 3}).json()
    second = client.get(
        f"/api/export-jobs/{job['id']}/events", params={"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [e["event"] for e in first["items"] + second["items"]] == [
        "created",
        "cancelled",
        "retried",
        "cancelled",
    ]
    assert second["next_cursor"] is None
    ats = [e["at"] for e in first["items"] + second["items"]]
    assert ats == sorted(ats)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "framing", "input_video_key": "k"}, "project_id"),
        ({"project_id": True, "type": "framing", "input_video_key": "k"}, "project_id"),
        ({"project_id": 1, "type": "render", "input_video_key": "k"}, "type"),
        ({"project_id": 1, "type": "framing", "input_video_key": ""}, "input_video_key"),
        ({"project_id": 1, "type": "framing", "input_video_key": "k", "params": []}, "params"),
        (
            {"project_id": 1, "type": "framing", "input_video_key": "k", "params": {"x": "y" * 70_000}},
            "params",
        ),
        ({"project_id": 1, "type": "framing", "input_video_key": "k", "max_retries": 11}, "max_retries"),
        ({"project_id": 1, "type": "framing", "input_video_key": "k", "status": "complete"}, "status"),
    ],
)
def test_create_validation(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = client.post("/api/export-jobs", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        **response.json()["error"],
        "code": "validation_error",
        "field": field,
    }


def test_runner_body_validation_and_unknown_ids(client: httpx.Client, jobs: Jobs) -> None:
    job = jobs.create()
    bad_bodies = [
        ("POST", "/api/export-jobs/claim", {"runner_id": "r", "lease_seconds": 5}),
        ("POST", "/api/export-jobs/claim", {"runner_id": "r", "types": ["x"]}),
        ("POST", "/api/export-jobs/claim", {"runner": "r"}),
        ("PATCH", f"/api/export-jobs/{job['id']}", {"runner_id": "r", "progress": 101}),
        ("PATCH", f"/api/export-jobs/{job['id']}", {"runner_id": "r", "progress": "5"}),
        ("POST", f"/api/export-jobs/{job['id']}/fail", {"runner_id": "r", "error": "e", "retryable": "no"}),
        ("POST", f"/api/export-jobs/{job['id']}/complete", {"runner_id": "r"}),
        ("POST", f"/api/export-jobs/{job['id']}/cancel", {"reason": "x"}),
    ]
    for method, path, body in bad_bodies:
        response = client.request(method, path, json=body)
        assert response.status_code == 400 and error_code(response) == "validation_error", (path, body)
    assert get(client, job["id"]) == job

    unknown = "0190a0a0-0000-7000-8000-000000000000"
    for method, path in [
        ("GET", f"/api/export-jobs/{unknown}"),
        ("GET", f"/api/export-jobs/{unknown}/events"),
        ("POST", f"/api/export-jobs/{unknown}/cancel"),
        ("GET", "/api/export-jobs/not-a-uuid"),
    ]:
        response = client.request(method, path)
        assert response.status_code == 404 and error_code(response) == "not_found", path
    response = client.post(
        f"/api/export-jobs/{unknown}/complete", json={"runner_id": "r", "output_video_key": "o"}
    )
    assert response.status_code == 404


def test_claim_respects_types(client: httpx.Client, jobs: Jobs, runner: Callable[[], str]) -> None:
    job = jobs.create(type="annotate")
    assert claim(client, runner(), types=["framing", "overlay"]) is None
    assert claim_job(client, job["id"], runner(), types=["annotate"])["type"] == "annotate"


def test_openapi_describes_the_export_routes(anon: httpx.Client) -> None:
    paths = anon.get("/openapi.json").json()["paths"]
    assert set(paths["/api/export-jobs"]) == {"get", "post"}
    assert set(paths["/api/export-jobs/{id}"]) == {"get", "patch"}
    assert {"200", "204"} <= set(paths["/api/export-jobs/claim"]["post"]["responses"])
    for action in ("complete", "fail", "retry", "cancel"):
        assert "409" in paths[f"/api/export-jobs/{{id}}/{action}"]["post"]["responses"]
    assert "/api/export-jobs/{id}/events" in paths
    assert TOKEN not in str(paths)
