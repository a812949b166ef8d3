"""What the providers' HTTP tests share: a local runtime whose provider base URLs point at the
loopback fakes, export jobs a runner has handed to RunPod, and provider-backed videos."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from tests.support.consistency_videos import assert_videos_consistent
from tests.support.cron import run_cron, trigger_cron
from tests.support.exports import claim_job, heartbeat
from tests.support.factories import create_export_job
from tests.support.fake_providers import (
    REPLICATE_TOKEN,
    REPLICATE_WEBHOOK_SECRET,
    RUNPOD_ENDPOINT,
    RUNPOD_KEY,
    FakeReplicate,
    FakeRunPod,
)
from tests.support.faults import d1_faults
from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime

T = TypeVar("T")

RUNPOD_WEBHOOK_TOKEN = "runpod-hook-" + "t" * 24
MAX_PER_RUN = 12  # PROVIDER_SYNC_MAX_PER_RUN in these tests
# Two provider-backed models (and sora-2, without a provider) in these tests.
REPLICATE_MODEL, RUNPOD_MODEL = "wan-test", "hunyuan-test"
VIDEO_MODELS = {
    REPLICATE_MODEL: {
        "cents_per_second": 10,
        "max_seconds": 20,
        "provider": "replicate",
        "provider_model": "acme/video-model",
    },
    RUNPOD_MODEL: {
        "cents_per_second": 4,
        "max_seconds": 20,
        "provider": "runpod",
        "provider_model": RUNPOD_ENDPOINT,
    },
    "sora-2": {"cents_per_second": 10, "max_seconds": 20, "provider": "none"},
}


@dataclass
class ProvidersWorld:
    runtime: LocalRuntime
    client: httpx.Client  # the service token
    anon: httpx.Client  # no credentials (webhooks are public)
    runpod: FakeRunPod
    replicate: FakeReplicate

    def running_export_job(self, runpod_status: str | None = "IN_PROGRESS", **job: Any) -> dict[str, Any]:
        """A processing export job whose runner handed it to RunPod (its `runpod_job_id` sent in
        a heartbeat), and RunPod's job in `runpod_status` (None: RunPod never heard of it)."""
        created = create_export_job(self.client, project_id=77, **job)
        runner = f"runner-{secrets.token_hex(4)}"
        lease_id = claim_job(self.client, created["id"], runner)["lease_id"]
        runpod_job_id = f"rp-{secrets.token_hex(6)}-u1"
        if runpod_status is not None:
            self.runpod.put(runpod_job_id, runpod_status)
        answer = heartbeat(self.client, created["id"], runner, lease_id, runpod_job_id=runpod_job_id)
        assert answer.status_code == 200, answer.text
        return {**answer.json(), "runner_id": runner}

    def cron(self) -> dict[str, Any]:
        """One scheduled run; the run as recorded."""
        run_cron(self.runtime.url)
        runs = self.client.get("/api/maintenance/runs", params={"limit": 1}).json()["items"]
        return runs[0]

    def cron_runs_overlapping(self, count: int) -> tuple[list[dict[str, Any]], int, int]:
        """`count` cron runs with RunPod's status answers slowed enough for a run's requests to
        overlap: (the runs as recorded, status requests served, the most in flight at once)."""
        route = self.runpod.status_route
        served = route.served
        route.max_in_flight = 0
        self.runpod.delay = 0.2
        try:
            runs = [self.cron() for _ in range(count)]
        finally:
            self.runpod.delay = 0.0
        return runs, route.served - served, route.max_in_flight

    def cron_failing_at_each_d1_call(self, plant: Callable[[], T]) -> Iterator[tuple[int, T]]:
        """For each D1 call a cron run makes (counted on a run over one planted record), a new
        record planted and a run whose nth call fails: yields (n, the record)."""
        plant()
        with d1_faults(self.runtime):
            assert trigger_cron(self.runtime.url).status_code == 200
            calls = self.runtime.d1_faults()["calls"]
        for nth in range(1, calls + 1):
            planted = plant()
            with d1_faults(self.runtime, fail_nth=[nth]):
                trigger_cron(self.runtime.url)  # may fail: the run is recorded with its error
            yield nth, planted

    def checks(self) -> dict[str, dict[str, Any]]:
        rows = self.runtime.sql("SELECT * FROM export_runpod_checks")
        return {row["job_id"]: row for row in rows}

    def make_checks_due(self) -> None:
        self.runtime.sql("UPDATE export_runpod_checks SET next_check_at = ?", now_ms() - 1)

    def video(self, model: str = REPLICATE_MODEL, **fields: Any) -> httpx.Response:
        """`POST /api/videos` for a user of its own (charged), unless `user_id` is given."""
        body = {"model": model, "prompt": "A kite", "user_id": f"pv-{secrets.token_hex(6)}", **fields}
        return self.client.post("/api/videos", json=body)

    def running_video(self, model: str = REPLICATE_MODEL, **fields: Any) -> dict[str, Any]:
        """A video its provider took (201 with its job id)."""
        response = self.video(model, **fields)
        assert response.status_code == 201 and response.json()["provider_job_id"], response.text
        video: dict[str, Any] = response.json()
        return video

    def get_video(self, video_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/videos/{video_id}")
        assert response.status_code == 200, response.text
        video: dict[str, Any] = response.json()
        return video

    def video_events(self, video_id: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/api/videos/{video_id}/events", params={"limit": 200})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def status_trail(self, video_id: str) -> list[tuple[str, str | None, str]]:
        """The video's events as (event, from_status, to_status), oldest first."""
        return [(e["event"], e["from_status"], e["to_status"]) for e in self.video_events(video_id)]

    def video_checks(self) -> dict[str, dict[str, Any]]:
        rows = self.runtime.sql("SELECT * FROM video_provider_checks")
        return {row["video_id"]: row for row in rows}

    def make_video_checks_due(self, *video_ids: str) -> None:
        """The sync rows (of these videos, or all) due now and last asked long ago."""
        past = now_ms() - 3_600_000
        if video_ids:
            for video_id in video_ids:
                self.runtime.sql(
                    "UPDATE video_provider_checks SET next_check_at = ?, checked_at = ? WHERE video_id = ?",
                    now_ms() - 1,
                    past,
                    video_id,
                )
        else:
            self.runtime.sql(
                "UPDATE video_provider_checks SET next_check_at = ?, checked_at = ?", now_ms() - 1, past
            )

    def usage(self, owner: str) -> dict[str, Any]:
        rows = self.runtime.sql("SELECT * FROM video_usage WHERE owner = ?", owner)
        assert rows, f"no usage row for {owner}"
        return rows[0]

    def assert_videos_consistent(self) -> None:
        """Every provider test user's videos: event trails, usage counts and charges, refunds."""
        rows = self.runtime.sql("SELECT DISTINCT user_id FROM videos WHERE user_id LIKE 'pv-%'")
        assert_videos_consistent(self.runtime.sql, {row["user_id"] for row in rows})

    def settle(self) -> None:
        """No check pending from an earlier test: no request still being answered (a slow
        answer the Worker gave up on), every processing job and running video cancelled,
        every check row gone, no fault left scripted."""
        self.runpod.clear_faults()
        self.replicate.clear_faults()
        self.runpod.http.wait_idle()
        self.replicate.http.wait_idle()
        for row in self.runtime.sql("SELECT id FROM export_jobs WHERE status IN ('pending', 'processing')"):
            self.client.post(f"/api/export-jobs/{row['id']}/cancel")
        self.runtime.sql("DELETE FROM export_runpod_checks")
        self.runtime.sql("DELETE FROM video_provider_checks")
        for row in self.runtime.sql("SELECT id FROM videos WHERE status IN ('queued', 'in_progress')"):
            self.client.post(f"/api/videos/{row['id']}/cancel")


def now_ms() -> int:
    return int(time.time() * 1000)


@contextmanager
def providers_world() -> Iterator[ProvidersWorld]:
    with FakeRunPod() as runpod, FakeReplicate() as replicate:
        settings = {
            "API_TOKEN": TEST_TOKEN,
            "RUNPOD_API_BASE": runpod.url,
            "RUNPOD_API_KEY": RUNPOD_KEY,
            "RUNPOD_EXPORT_ENDPOINT": RUNPOD_ENDPOINT,
            "RUNPOD_WEBHOOK_TOKEN": RUNPOD_WEBHOOK_TOKEN,
            "REPLICATE_API_BASE": replicate.url,
            "REPLICATE_API_TOKEN": REPLICATE_TOKEN,
            "REPLICATE_WEBHOOK_SECRET": REPLICATE_WEBHOOK_SECRET,
            "PROVIDER_TIMEOUT_SECONDS": "1",
            "PROVIDER_SYNC_MAX_PER_RUN": str(MAX_PER_RUN),
            "MAINTENANCE_MAX_STATEMENTS": "400",
            "VIDEO_MODELS": json.dumps(VIDEO_MODELS),
            # No outgoing webhooks here: no D1 call after a write's answer (the fault tests
            # count every call of a request).
            "WEBHOOK_SEND_AFTER_WRITE": "false",
        }
        with (
            local_runtime(vars=settings) as rt,
            httpx.Client(
                base_url=rt.url, headers={"authorization": f"Bearer {TEST_TOKEN}"}, timeout=60
            ) as client,
            httpx.Client(base_url=rt.url, timeout=60) as anon,
        ):
            yield ProvidersWorld(rt, client, anon, runpod, replicate)
