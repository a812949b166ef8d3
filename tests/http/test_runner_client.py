"""The runner client (clients/python/edgejobs_runner.py) against the local runtime, with 30% of
D1 calls failing: every job it claims ends `complete` exactly once.

The injector fails a D1 call before it runs, so each 503 here means "nothing happened" and the
client's retries (after the server's Retry-After) are safe with or without lease ids. Faults are
always cleared, and the test leaves no pending job behind.
"""

from __future__ import annotations

import secrets
import threading
import time

import httpx
from edgejobs_runner import JobContext, Runner

from tests.support.runtime import LocalRuntime
from tests.support.settings import TOKEN

JOBS = 6


def test_every_claimed_job_completes_once_with_30_percent_d1_faults(
    client: httpx.Client, local: LocalRuntime, base_url: str
) -> None:
    project = secrets.randbelow(10**9)
    ids = [
        client.post(
            "/api/export-jobs",
            json={"project_id": project, "type": "framing", "input_video_key": f"raw/{n}.mp4"},
        ).json()["id"]
        for n in range(JOBS)
    ]

    def handler(ctx: JobContext) -> dict[str, object]:
        ctx.progress(40)
        ctx.set_runpod_job_id(f"rp-{ctx.job_id[-8:]}")  # a heartbeat right away
        give_up = time.monotonic() + 20
        while ctx.heartbeats == 0 and time.monotonic() < give_up:  # its retries may take a while
            ctx.wait(0.05)
        return {"output_video_key": f"exports/{ctx.job_id}.mp4"}

    runner = Runner(
        base_url, TOKEN, f"client-{project}", lease_seconds=30, max_jobs=3, handler=handler,
        idle_seconds=0.1, idle_max_seconds=0.5, retry_base=0.1, retry_cap=1.0, timeout=20,
    )  # fmt: skip

    def done() -> bool:
        marks = ",".join("?" * JOBS)
        rows = local.sql(
            f"SELECT count(*) AS n FROM export_jobs WHERE status = 'complete' AND id IN ({marks})", *ids
        )
        return int(rows[0]["n"]) == JOBS

    thread = threading.Thread(target=runner.run_forever, kwargs={"install_signals": False}, daemon=True)
    local.set_d1_faults(rate=0.3)
    try:
        thread.start()
        give_up = time.monotonic() + 90
        while not done() and time.monotonic() < give_up:
            time.sleep(0.2)
    finally:
        runner.stop(hurry=True)
        thread.join(60)
        local.set_d1_faults()
        for job_id in ids:  # nothing left pending for other tests' claims
            client.post(f"/api/export-jobs/{job_id}/cancel")

    assert not thread.is_alive()
    for job_id in ids:
        job = client.get(f"/api/export-jobs/{job_id}").json()
        assert (job["status"], job["output_video_key"]) == ("complete", f"exports/{job_id}.mp4")
        assert job["runpod_job_id"] == f"rp-{job_id[-8:]}"
        events = [e["event"] for e in client.get(f"/api/export-jobs/{job_id}/events").json()["items"]]
        assert events == ["created", "claimed", "completed"], events
    counts = runner.counters.snapshot()
    assert counts["jobs"]["completed"] >= JOBS
    assert sum(counts["retries"].values()) > 0  # the faults were met, and retried
