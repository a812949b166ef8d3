"""The export runner: claim, heartbeat, then complete, fail or let the lease lapse, retrying a
503 as the runner client (clients/python/edgejobs_runner.py) does."""

from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Any

import httpx

from soak.ledger import Api
from soak.workload import E_CLAIM, E_COMPLETE, E_FAIL, E_HEARTBEAT, LEASE_SECONDS, TYPES, Shared

FINISH_SECONDS = 30  # how long past the lease complete and fail are still resent


def runner(api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    ledger, runner_id = api.ledger, f"{shared.run}-runner-{me}"

    def mine(response: httpx.Response, attempt: dict[str, Any], action: str, retries: int = 0) -> None:
        """A runner's successful action must have hit its own attempt (its claim). A finish
        sent again after a lost answer is answered with the job as it is now (it may have been
        claimed again since), so then only the job is compared."""
        job = response.json()
        if retries and api.losing and action == "fail" and job["id"] == attempt["id"]:
            return
        same = job["id"] == attempt["id"] and job["started_at"] == attempt["started_at"]
        if not same or (job["status"] != "pending" and job["runner_id"] != runner_id):
            with ledger.lock:
                ledger.attempt_problems.append(f"{action} by {runner_id} on {attempt['id']} answered {job}")

    def send(route: str, path: str, body: dict[str, Any], method: str = "POST") -> tuple[httpx.Response, int]:
        """As the runner client does: a 503 is sent again after its Retry-After (jittered, capped
        for the soak's pace) until the lease would end, complete and fail FINISH_SECONDS longer
        (a late one lands until the cron takes the job back, then it is lease_lost; such a lapse
        is counted as one the runner caused). The last answer, and how many retries."""
        retries, finish = 0, route in (E_COMPLETE, E_FAIL)
        give_up = lease_ends + (FINISH_SECONDS if finish else 0)
        while True:
            response = api.call(route, method, path, (200, 409), json=body)
            if response.status_code != 503 or time.monotonic() >= give_up:
                return response, retries
            if finish and time.monotonic() >= lease_ends and not retries_past_lease:
                retries_past_lease.append(route)
                ledger.add(abandoned=attempt["id"])
            retries += 1
            ledger.add(retries=route)
            wait = float(response.headers.get("retry-after", "1") or 1)
            time.sleep(min(wait, 0.5) * rng.uniform(0.5, 1.0))

    def gave_up(response: httpx.Response, job_id: str, event: str | None = None) -> bool:
        """Still 503 when the lease was about to end: the lease lapses, as the runner caused
        (or, if the last answer was lost after the commit, `event` happened)."""
        if response.status_code == 503:
            ledger.add(abandoned=job_id, gave_up=job_id)
            if event:
                api.maybe(response, maybe_events=event)
            return True
        return False

    while shared.running():
        body: dict[str, Any] = {"runner_id": runner_id, "lease_seconds": LEASE_SECONDS}
        if rng.random() < 0.3:
            body["types"] = rng.sample(TYPES, rng.randint(1, 2))
        claimed = api.call(E_CLAIM, "POST", "/api/export-jobs/claim", (200, 204), json=body)
        if claimed.status_code != 200:
            api.maybe(claimed, maybe_events="claimed")  # its job's lease lapses unheld
            time.sleep(0.05)
            continue
        lease_ends = time.monotonic() + LEASE_SECONDS - 5  # a margin for the last call's trip
        retries_past_lease: list[str] = []
        attempt = claimed.json()
        job_id, url = attempt["id"], f"/api/export-jobs/{attempt['id']}"
        holder = {"runner_id": runner_id, "lease_id": attempt["lease_id"]}
        ledger.add(transitions=(job_id, "claimed"))
        lost = False
        for progress in sorted(rng.sample(range(1, 100), rng.randint(0, 2))):
            beat, _ = send(E_HEARTBEAT, url, {**holder, "progress": progress}, "PATCH")
            if beat.status_code == 409 or gave_up(beat, job_id):
                lost = True
                break
            mine(beat, attempt, "heartbeat")
        if lost:
            continue
        roll = rng.random()
        if roll < 0.15 and shared.sql is not None:  # abandon: the lease lapses, the runner comes back late
            shared.sql(
                "UPDATE export_jobs SET lease_expires_at = ? WHERE id = ? AND status = 'processing'"
                " AND runner_id = ? AND started_at = ?",
                int(time.time() * 1000) - 1000,
                job_id,
                runner_id,
                _ms(attempt["started_at"]),
            )
            ledger.add(abandoned=job_id)
            time.sleep(rng.uniform(0, 1.5))
            roll = 0.0  # then it tries to complete
        if roll < 0.6:
            body = {**holder, "output_video_key": f"out/{job_id}.mp4"}
            done, retries = send(E_COMPLETE, f"{url}/complete", body)
            if done.status_code == 200:
                mine(done, attempt, "complete", retries)
                ledger.add(transitions=(job_id, "completed"))
                if retries:
                    ledger.add(retried_completions=job_id)
            gave_up(done, job_id, "completed")
        else:
            retryable = roll < 0.85
            body = {**holder, "error": "CUDA out of memory", "retryable": retryable}
            failed, retries = send(E_FAIL, f"{url}/fail", body)
            if failed.status_code == 200:
                mine(failed, attempt, "fail", retries)
                ledger.add(transitions=(job_id, "failed"))
            gave_up(failed, job_id, "failed")


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
