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
from soak.runners import runner
from soak.videos import creator, renderer
from soak.workload import (
    CRON_ROUTE,
    E_CANCEL,
    E_CREATE,
    E_EVENTS,
    E_GET,
    E_LIST,
    E_RETRY,
    HEALTH,
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
                api.maybe(put, maybe_counter_writes=counter)
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
                api.maybe(put, maybe_toggle_creates=toggle)
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
                    api.maybe(deleted, maybe_toggle_deletes=toggle)
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
        elif api.maybe(response, maybe_events="created") and key:
            ledger.add(maybe_keys=key)
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


def operator(api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    ledger = api.ledger
    while shared.running():
        job_id = shared.known_job(ledger, rng)
        roll = rng.random()
        if job_id is None:
            time.sleep(0.05)
        elif roll < 0.25:
            cancel = api.call(E_CANCEL, "POST", f"/api/export-jobs/{job_id}/cancel", (200, 409))
            if cancel.status_code == 200:
                ledger.add(transitions=(job_id, "cancelled"))
            api.maybe(cancel, maybe_events="cancelled")
        elif roll < 0.45:
            retry = api.call(E_RETRY, "POST", f"/api/export-jobs/{job_id}/retry", (200, 409))
            if retry.status_code == 200:
                ledger.add(transitions=(job_id, "retried"))
            api.maybe(retry, maybe_events="retried")
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
