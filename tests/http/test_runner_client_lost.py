"""The runner client against the local runtime while D1 loses answers: a call's batch commits,
then the Worker sees an error and answers 503, as when a connection drops after the commit.

The client cannot tell such a 503 from one where nothing happened, so it sends the same call
again: a `complete` whose answer was lost is answered 200 by the retry and counted once. A claim
whose answer was lost leaves its job processing under a lease nobody holds; the cron recovers it
when the lease ends (here run between ticks with the faults paused, as the cron would run on
its own) and the job is claimed again. Every job still ends `complete` exactly once, with the
result the handler returned, and nothing stays behind.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from edgejobs_runner import JobContext, Runner

from tests.support import consistency
from tests.support.cron import run_cron
from tests.support.faults import UNFINISHED_RUNS
from tests.support.runtime import LocalRuntime
from tests.support.settings import TOKEN

LOSE_RATE = 0.3
WAVE = 4  # jobs made at a time
MAX_JOBS = 24  # waves stop here even if no completion's answer was lost yet
LEASE = 10  # seconds: the shortest the server takes, so a lost claim comes back soon


def result_for(job_id: str) -> dict[str, Any]:
    return {"frames": int(job_id[-4:], 16), "job": job_id}


def test_completions_whose_answers_are_lost_land_exactly_once(
    client: httpx.Client, local: LocalRuntime, base_url: str
) -> None:
    project = secrets.randbelow(10**9) + 1
    ids: list[str] = []

    def make_wave() -> None:
        for n in range(WAVE):
            body = {
                "project_id": project,
                "type": "overlay",
                "input_video_key": f"raw/{n}.mp4",
                "max_retries": 10,  # lost claims lapse and use retries
                "retry_base_seconds": 1,
                "retry_cap_seconds": 2,
            }
            response = client.post("/api/export-jobs", json=body)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

    def handler(ctx: JobContext) -> dict[str, Any]:
        ctx.progress(30)
        ctx.wait(0.2)
        return {"output_video_key": f"exports/{ctx.job_id}.mp4", "result": result_for(ctx.job_id)}

    def count(where: str) -> int:
        marks = ",".join("?" * len(ids))
        rows = local.sql(f"SELECT count(*) AS n FROM export_jobs WHERE id IN ({marks}) AND {where}", *ids)
        return int(rows[0]["n"])

    runner = Runner(
        base_url, TOKEN, f"lossy-{project}", lease_seconds=LEASE, max_jobs=2, handler=handler,
        idle_seconds=0.1, idle_max_seconds=0.5, retry_base=0.1, retry_cap=1.0, timeout=20,
    )  # fmt: skip
    thread = threading.Thread(target=runner.run_forever, kwargs={"install_signals": False}, daemon=True)
    lost = 0

    def between_faults(step: Callable[[], object]) -> None:
        """The test's own writes (new jobs, a cron tick) with the faults paused."""
        nonlocal lost
        lost += local.d1_faults()["lost"]
        local.set_d1_faults()
        step()
        local.set_d1_faults(lose_rate=LOSE_RATE)

    make_wave()
    local.set_d1_faults(lose_rate=LOSE_RATE)
    try:
        thread.start()
        give_up = time.monotonic() + 180
        while time.monotonic() < give_up:
            time.sleep(0.3)
            if count("status = 'complete'") == len(ids):
                if runner.counters.snapshot()["retried_calls"]["complete"] or len(ids) >= MAX_JOBS:
                    break
                between_faults(make_wave)
            lapsed = f"status = 'processing' AND lease_expires_at < {int(time.time() * 1000)}"
            if count(lapsed):  # a claim whose answer was lost: its lease has ended
                between_faults(lambda: run_cron(base_url))
    finally:
        runner.stop(hurry=True)
        lost += local.d1_faults()["lost"]
        local.set_d1_faults()  # a completion still being resent gets its answer
        thread.join(60)
        for job_id in ids:  # nothing left pending for other tests' claims
            client.post(f"/api/export-jobs/{job_id}/cancel")

    assert not thread.is_alive()
    assert lost > 0  # the faults were met
    counts = runner.counters.snapshot()
    assert counts["retried_calls"]["complete"] > 0, counts  # a completion's answer was lost
    for job_id in ids:
        job = client.get(f"/api/export-jobs/{job_id}").json()
        assert job["status"] == "complete", job
        assert (job["output_video_key"], job["result"]) == (f"exports/{job_id}.mp4", result_for(job_id))
        kinds = [e["event"] for e in client.get(f"/api/export-jobs/{job_id}/events").json()["items"]]
        assert kinds.count("completed") == 1 and kinds[-1] == "completed", kinds
        # Only a claim whose answer was lost lapses: its lease_expired comes before a new claim.
        assert kinds.count("claimed") == kinds.count("lease_expired") + 1, kinds
    assert counts["jobs"]["completed"] >= len(ids), counts
    consistency.assert_consistent(
        local.sql, export_ids=ids, veo_ids=(), unfinished_runs_allowed=UNFINISHED_RUNS
    )
