"""The five kinds of client of the VEO cache and the queue, each a loop until the run's deadline;
`CLIENTS` names every kind (the video clients are in videos.py)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from soak.ledger import Api
from soak.videos import creator, renderer
from soak.workload import (
    CRON_ROUTE,
    E_CANCEL,
    E_CLAIM,
    E_COMPLETE,
    E_CREATE,
    E_EVENTS,
    E_FAIL,
    E_GET,
    E_HEARTBEAT,
    E_LIST,
    E_RETRY,
    HEALTH,
    LEASE_SECONDS,
    M_RUNS,
    TYPES,
    V_DELETE,
    V_GET,
    V_LIST,
    V_ONE,
    Shared,
)
from tests.support.cron import CRON


def veo_client(api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    ledger, n = api.ledger, 0
    while shared.running():
        roll = rng.random()
        if roll < 0.45:  # read-modify-write of a shared counter; a lost race is retried
            counter = rng.choice(shared.counters)
            for _ in range(30):
                got = api.call(V_GET, "GET", f"/api/veo/jobs/{counter}", (200,))
                if got.status_code != 200:
                    continue
                body = {"status": "processing", "count": got.json()["count"] + 1, "by": me}
                put = api.call(
                    V_ONE,
                    "PUT",
                    f"/api/veo/jobs/{counter}",
                    (200, 412),
                    json=body,
                    headers={"if-match": got.headers["etag"]},
                )
                if put.status_code == 200:
                    ledger.add(counter_writes=counter)
                    break
                if not shared.running():
                    break
        elif roll < 0.65:  # create-only / delete-if-match on a shared id
            toggle = rng.choice(shared.toggles)
            if rng.random() < 0.5:
                put = api.call(
                    V_ONE,
                    "PUT",
                    f"/api/veo/jobs/{toggle}",
                    (201, 412),
                    json={"toggle": True, "by": me, "n": n},
                    headers={"if-none-match": "*"},
                )
                if put.status_code == 201:
                    ledger.add(toggle_creates=toggle)
            else:
                got = api.call(V_GET, "GET", f"/api/veo/jobs/{toggle}", (200, 404))
                if got.status_code == 200:
                    deleted = api.call(
                        V_DELETE,
                        "DELETE",
                        f"/api/veo/jobs/{toggle}",
                        (204, 412),
                        headers={"if-match": got.headers["etag"]},
                    )
                    if deleted.status_code == 204:
                        ledger.add(toggle_deletes=toggle)
        else:  # a job of its own: put, read back, list, sometimes delete
            job_id = f"{shared.run}-veo-{me}-{n}"
            body = {
                "jobId": job_id,
                "status": rng.choice(["processing", "completed", "failed"]),
                "videoId": f"{shared.run}-video-{me}",
                "scenes": [{"i": i} for i in range(rng.randint(0, 5))],
            }
            if api.call(V_ONE, "PUT", f"/api/veo/jobs/{job_id}", (201,), json=body).status_code == 201:
                got = api.call(V_GET, "GET", f"/api/veo/jobs/{job_id}", (200,))
                if got.status_code == 200 and got.json() != body:
                    with ledger.lock:
                        ledger.unexpected.append(f"{V_GET}: {job_id} read back {got.text[:200]}")
                api.call(
                    V_LIST,
                    "GET",
                    "/api/veo/jobs",
                    (200,),
                    params={"video_id": body["videoId"], "status": body["status"], "limit": 10},
                )
                if rng.random() < 0.3:
                    api.call(V_DELETE, "DELETE", f"/api/veo/jobs/{job_id}", (204,))
        n += 1


def export_body(shared: Shared, rng: random.Random) -> dict[str, Any]:
    return {
        "project_id": shared.project,
        "type": rng.choice(TYPES),
        "input_video_key": f"in/{rng.randrange(10**8)}.mp4",
        "params": {"fps": rng.choice([24, 30, 60])},
        "max_retries": rng.randint(0, 3),
    }


def producer(api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    ledger = api.ledger

    def create(body: dict[str, Any], key: str | None, expected: tuple[int, ...]) -> httpx.Response:
        headers = {"idempotency-key": key} if key else None
        response = api.call(E_CREATE, "POST", "/api/export-jobs", expected, json=body, headers=headers)
        if response.status_code in (200, 201):
            job_id = response.json()["id"]
            with ledger.lock:
                ledger.jobs.add(job_id)
                if key:
                    ledger.key_creates[key].append((response.status_code, job_id))
            if response.status_code == 201:
                ledger.add(transitions=(job_id, "created"))
        return response

    while shared.running():
        roll = rng.random()
        if roll < 0.45:
            create(export_body(shared, rng), None, (201,))
        elif roll < 0.7:  # a fresh key, then the client's retry of the same request
            key, body = f"{shared.run}-key-{uuid.uuid4().hex[:12]}", export_body(shared, rng)
            if create(body, key, (201,)).status_code == 201:
                create({**body, "params": dict(reversed(body["params"].items()))}, key, (200,))
                with shared.lock:
                    shared.fresh_keys.append((key, body))
        elif roll < 0.9:  # a hot key: producers racing with the same request
            bucket = int(time.monotonic() * 4)
            hot = random.Random(bucket)  # the same body for everyone in this quarter second
            create(export_body(shared, hot), f"{shared.run}-hot-{bucket}", (200, 201))
        else:  # a used key with another body
            with shared.lock:
                reused = rng.choice(shared.fresh_keys) if shared.fresh_keys else None
            if reused:
                create({**reused[1], "input_video_key": "in/other.mp4"}, reused[0], (409,))
        time.sleep(rng.uniform(0, 0.03))


def runner(api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    ledger, runner_id = api.ledger, f"{shared.run}-runner-{me}"

    def mine(response: httpx.Response, attempt: dict[str, Any], action: str) -> None:
        """A runner's successful action must have hit its own attempt (its claim)."""
        job = response.json()
        same = job["id"] == attempt["id"] and job["started_at"] == attempt["started_at"]
        if not same or (job["status"] != "pending" and job["runner_id"] != runner_id):
            with ledger.lock:
                ledger.attempt_problems.append(f"{action} by {runner_id} on {attempt['id']} answered {job}")

    def send(route: str, path: str, body: dict[str, Any], method: str = "POST") -> tuple[httpx.Response, int]:
        """As the runner client does: a 503 is sent again after its Retry-After (jittered, capped
        for the soak's pace) until the lease would end. The last answer, and how many retries."""
        retries = 0
        while True:
            response = api.call(route, method, path, (200, 409), json=body)
            if response.status_code != 503 or time.monotonic() >= lease_ends:
                return response, retries
            retries += 1
            ledger.add(retries=route)
            wait = float(response.headers.get("retry-after", "1") or 1)
            time.sleep(min(wait, 0.5) * rng.uniform(0.5, 1.0))

    def gave_up(response: httpx.Response, job_id: str) -> bool:
        """Still 503 when the lease was about to end: the lease lapses, as the runner caused."""
        if response.status_code == 503:
            ledger.add(abandoned=job_id, gave_up=job_id)
            return True
        return False

    while shared.running():
        body: dict[str, Any] = {"runner_id": runner_id, "lease_seconds": LEASE_SECONDS}
        if rng.random() < 0.3:
            body["types"] = rng.sample(TYPES, rng.randint(1, 2))
        claimed = api.call(E_CLAIM, "POST", "/api/export-jobs/claim", (200, 204), json=body)
        if claimed.status_code != 200:
            time.sleep(0.05)
            continue
        lease_ends = time.monotonic() + LEASE_SECONDS - 5  # a margin for the last call's trip
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
                mine(done, attempt, "complete")
                ledger.add(transitions=(job_id, "completed"))
                if retries:
                    ledger.add(retried_completions=job_id)
            gave_up(done, job_id)
        else:
            retryable = roll < 0.85
            body = {**holder, "error": "CUDA out of memory", "retryable": retryable}
            failed, _ = send(E_FAIL, f"{url}/fail", body)
            if failed.status_code == 200:
                mine(failed, attempt, "fail")
                ledger.add(transitions=(job_id, "failed"))
            gave_up(failed, job_id)


def _ms(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def operator(api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    ledger = api.ledger
    while shared.running():
        job_id = shared.known_job(ledger, rng)
        roll = rng.random()
        if job_id is None:
            time.sleep(0.05)
        elif roll < 0.25:
            if api.call(E_CANCEL, "POST", f"/api/export-jobs/{job_id}/cancel", (200, 409)).status_code == 200:
                ledger.add(transitions=(job_id, "cancelled"))
        elif roll < 0.45:
            if api.call(E_RETRY, "POST", f"/api/export-jobs/{job_id}/retry", (200, 409)).status_code == 200:
                ledger.add(transitions=(job_id, "retried"))
        elif roll < 0.65:
            api.call(E_GET, "GET", f"/api/export-jobs/{job_id}", (200,))
        elif roll < 0.85:
            api.call(E_EVENTS, "GET", f"/api/export-jobs/{job_id}/events", (200,), params={"limit": 50})
        else:
            params: dict[str, object] = rng.choice(
                [
                    {"status": "active"},
                    {"project_id": shared.project, "status": "error,cancelled"},
                    {"project_id": shared.project, "type": rng.choice(TYPES)},
                ]
            )
            api.call(E_LIST, "GET", "/api/export-jobs", (200,), params={**params, "limit": 20})
        time.sleep(rng.uniform(0, 0.02))


def observer(api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    next_cron = time.monotonic() + shared.cron_every / 2
    while shared.running():
        if time.monotonic() >= next_cron:
            # Every other tick fires two runs at once: overlapping runs must not double-apply.
            ticks = 2 if rng.random() < 0.5 else 1
            fire = [
                threading.Thread(
                    target=api.call,
                    args=(CRON_ROUTE, "GET", "/cdn-cgi/handler/scheduled", (200,)),
                    kwargs={"params": {"cron": CRON}, "timeout": 120},
                )
                for _ in range(ticks)
            ]
            for thread in fire:
                thread.start()
            for thread in fire:
                thread.join(timeout=125)
            next_cron = time.monotonic() + shared.cron_every
        route = rng.choice([M_RUNS, HEALTH, E_LIST, V_LIST])
        if route == M_RUNS:
            api.call(M_RUNS, "GET", "/api/maintenance/runs", (200,), params={"limit": 5})
        elif route == HEALTH:
            api.call(HEALTH, "GET", "/health", (200,))
        elif route == E_LIST:
            api.call(E_LIST, "GET", "/api/export-jobs", (200,), params={"status": "processing", "limit": 50})
        else:
            api.call(V_LIST, "GET", "/api/veo/jobs", (200,), params={"limit": 20})
        time.sleep(0.05)


CLIENTS: dict[str, Callable[[Api, Shared, random.Random, int], None]] = {
    "veo": veo_client,
    "producer": producer,
    "runner": runner,
    "operator": operator,
    "observer": observer,
    "creator": creator,
    "renderer": renderer,
}
