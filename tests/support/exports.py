"""Helpers of the export job queue's HTTP tests: runner actions as a runner sends them, a
job's history, and planting what only time would bring (a lapsed lease, a due retry)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx

from tests.support.factories import claim, create_export_job
from tests.support.runtime import LocalRuntime

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


# Runner actions, as a runner would send them: its runner id and the lease of its claim
# (`lease_id` None: the field is left out).
def _runner(runner_id: str, lease_id: str | None) -> dict[str, Any]:
    return {"runner_id": runner_id, **({} if lease_id is None else {"lease_id": lease_id})}


def heartbeat(
    client: httpx.Client, job_id: str, runner_id: str, lease_id: str | None = None, **extra: Any
) -> httpx.Response:
    return client.patch(f"/api/export-jobs/{job_id}", json={**_runner(runner_id, lease_id), **extra})


def complete(
    client: httpx.Client, job_id: str, runner_id: str, lease_id: str | None = None, **extra: Any
) -> httpx.Response:
    body = {**_runner(runner_id, lease_id), "output_video_key": f"out/{job_id}.mp4", **extra}
    return client.post(f"/api/export-jobs/{job_id}/complete", json=body)


def fail(
    client: httpx.Client, job_id: str, runner_id: str, lease_id: str | None = None, **extra: Any
) -> httpx.Response:
    body = {**_runner(runner_id, lease_id), "error": "CUDA out of memory", **extra}
    return client.post(f"/api/export-jobs/{job_id}/fail", json=body)


ACTIONS: dict[str, Callable[[httpx.Client, str, str, str | None], httpx.Response]] = {
    "heartbeat": lambda c, job_id, runner_id, lease_id: heartbeat(
        c, job_id, runner_id, lease_id, progress=60
    ),
    "complete": complete,
    "fail": fail,
    "retry": lambda c, job_id, runner_id, lease_id: c.post(f"/api/export-jobs/{job_id}/retry"),
    "cancel": lambda c, job_id, runner_id, lease_id: c.post(f"/api/export-jobs/{job_id}/cancel"),
}


def expire_lease(local: LocalRuntime, job_id: str) -> None:
    local.sql(
        "UPDATE export_jobs SET lease_expires_at = ? WHERE id = ?", int(time.time() * 1000) - 1000, job_id
    )


def make_due(local: LocalRuntime, job_id: str) -> None:
    local.sql("UPDATE export_jobs SET available_at = ? WHERE id = ?", int(time.time() * 1000) - 1000, job_id)


def assert_lease_lost(client: httpx.Client, job_id: str, runner_id: str, lease_id: str | None) -> None:
    """The runner's heartbeat, complete and fail (under `lease_id`) are all refused, and
    change nothing."""
    before, history_before = get(client, job_id), events(client, job_id)
    for response in (
        heartbeat(client, job_id, runner_id, lease_id, progress=99),
        complete(client, job_id, runner_id, lease_id),
        fail(client, job_id, runner_id, lease_id),
    ):
        assert response.status_code == 409, response.text
        assert error_code(response) == "lease_lost"
    assert get(client, job_id) == before
    assert events(client, job_id) == history_before
