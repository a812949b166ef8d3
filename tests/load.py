"""Concurrent load with correctness checks: `make soak` (60 s) and tests/http/test_load.py (10 s).

Sixteen clients (threads, one httpx connection pool each, loopback only) mix every route for
a bounded time while one of them fires the cron every few seconds; the runtime's D1 may
also fail a share of its calls (then proper 503s are expected and counted apart):

  veo ×3        read-modify-write of shared counter jobs with If-Match (retrying on 412),
                create-only / delete-if-match races on shared "toggle" ids, and their own jobs:
                put, get (must equal what was put), list, delete
  producer ×4   export creates: plain, with a fresh Idempotency-Key (then replayed), with a
                "hot" key that several producers send at once, and a reused key with another
                body (409)
  runner ×6     claim, heartbeat, then complete / fail (retryable or not) / abandon (the lease
                is made to lapse, as if time passed, and the runner comes back late)
  operator ×2   cancel and retry random jobs, read jobs, events and lists
  observer ×1   lists, maintenance runs, health, and the cron every `cron_every` seconds
                (every other time two runs at once)

Afterwards (`LoadReport.problems`): no unexpected status (no 5xx at all without faults; with
faults only proper 503s), no lost update (each counter equals its successful writes; each
toggle exists iff its successful creates outnumber its deletes), one job per idempotency
key, and — read straight from D1 — every export job's event trail matches, event by event
kind, the transitions clients were told succeeded (claimed = 200 claims, completed = 200
completes ≤ 1, …), every runner's successful action hit its own attempt, and the whole
database passes tests/consistency.py.

This relies on the injector failing a D1 call *before* it runs (tools/runtime/faults.mjs):
a 503 then means "nothing happened", so client-side tallies are exact.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import consistency
from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime

CRON = "*/5 * * * *"
TYPES = ("framing", "overlay", "annotate")
# A dedicated runtime retries failed export jobs after 1–2 s, so retried jobs cycle back
# into the queue within a short run.
RUNTIME_VARS = {"API_TOKEN": TEST_TOKEN, "EXPORT_RETRY_BASE_SECONDS": "1", "EXPORT_RETRY_CAP_SECONDS": "2"}
ROLES = (("veo", 3), ("producer", 4), ("runner", 6), ("operator", 2), ("observer", 1))
COUNTERS = 3
TOGGLES = 3
LEASE_SECONDS = 30


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (ms)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]


# --- what the clients saw ---------------------------------------------------------------------------
@dataclass
class Ledger:
    """Everything the clients recorded, under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    unexpected: list[str] = field(default_factory=list)
    unavailable: int = 0  # proper 503s while faults were injected
    cron_failed: int = 0  # scheduled runs that reported an exception while faults were injected
    counter_writes: Counter[str] = field(default_factory=Counter)
    toggle_creates: Counter[str] = field(default_factory=Counter)
    toggle_deletes: Counter[str] = field(default_factory=Counter)
    key_creates: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    jobs: set[str] = field(default_factory=set)
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (job, event) told OK
    abandoned: Counter[str] = field(default_factory=Counter)
    attempt_problems: list[str] = field(default_factory=list)

    def add(self, **counters: Any) -> None:
        with self.lock:
            for name, item in counters.items():
                getattr(self, name)[item] += 1


class Api:
    """One client's connection, timing and classifying every answer."""

    def __init__(self, url: str, token: str, ledger: Ledger, faults: bool) -> None:
        self.http = httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=30)
        self.ledger = ledger
        self.faults = faults

    def call(
        self, route: str, method: str, path: str, expected: tuple[int, ...], **kwargs: Any
    ) -> httpx.Response:
        """The response if its status is expected; a 503 under faults is counted; anything
        else is recorded as unexpected. Callers act only on the statuses they expected."""
        started = time.perf_counter()
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            with self.ledger.lock:
                self.ledger.unexpected.append(f"{route}: {type(exc).__name__}: {exc}")
            return httpx.Response(599, request=httpx.Request(method, path))
        elapsed = (time.perf_counter() - started) * 1000
        status = response.status_code
        with self.ledger.lock:
            self.ledger.latencies[route].append(elapsed)
            self.ledger.statuses[route][status] += 1
            if status in expected:
                pass
            elif status == 503 and self.faults and self._proper_503(route, response):
                self.ledger.unavailable += 1
            elif route.startswith("CRON") and status == 500 and self.faults:
                self.ledger.cron_failed += 1
            else:
                self.ledger.unexpected.append(f"{route}: {status} {response.text[:300]}")
        return response

    @staticmethod
    def _proper_503(route: str, response: httpx.Response) -> bool:
        if not response.headers.get("retry-after", "").isdigit():
            return False
        body = response.json()
        if route == "GET /health":
            return body.get("database") == "unavailable"
        return body.get("error", {}).get("code") == "database_unavailable"

    def close(self) -> None:
        self.http.close()


# --- the clients -----------------------------------------------------------------------------------
@dataclass
class Shared:
    """What the clients share: ids, the run's project, and how to stop."""

    run: str
    project: int
    deadline: float
    sql: consistency.Sql | None
    cron_every: float
    counters: list[str]
    toggles: list[str]
    fresh_keys: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def known_job(self, ledger: Ledger, rng: random.Random) -> str | None:
        with ledger.lock:
            return rng.choice(sorted(ledger.jobs)) if ledger.jobs else None


V_ONE = "PUT /api/veo/jobs/{id}"
V_GET = "GET /api/veo/jobs/{id}"
V_LIST = "GET /api/veo/jobs"
V_DELETE = "DELETE /api/veo/jobs/{id}"
E_CREATE = "POST /api/export-jobs"
E_LIST = "GET /api/export-jobs"
E_GET = "GET /api/export-jobs/{id}"
E_CLAIM = "POST /api/export-jobs/claim"
E_HEARTBEAT = "PATCH /api/export-jobs/{id}"
E_COMPLETE = "POST /api/export-jobs/{id}/complete"
E_FAIL = "POST /api/export-jobs/{id}/fail"
E_RETRY = "POST /api/export-jobs/{id}/retry"
E_CANCEL = "POST /api/export-jobs/{id}/cancel"
E_EVENTS = "GET /api/export-jobs/{id}/events"
M_RUNS = "GET /api/maintenance/runs"
HEALTH = "GET /health"
CRON_ROUTE = "CRON GET /cdn-cgi/handler/scheduled"
ALL_ROUTES = (
    V_ONE,
    V_GET,
    V_LIST,
    V_DELETE,
    E_CREATE,
    E_LIST,
    E_GET,
    E_CLAIM,
    E_HEARTBEAT,
    E_COMPLETE,
    E_FAIL,
    E_RETRY,
    E_CANCEL,
    E_EVENTS,
    M_RUNS,
    HEALTH,
    CRON_ROUTE,
)


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

    while shared.running():
        body: dict[str, Any] = {"runner_id": runner_id, "lease_seconds": LEASE_SECONDS}
        if rng.random() < 0.3:
            body["types"] = rng.sample(TYPES, rng.randint(1, 2))
        claimed = api.call(E_CLAIM, "POST", "/api/export-jobs/claim", (200, 204), json=body)
        if claimed.status_code != 200:
            time.sleep(0.05)
            continue
        attempt = claimed.json()
        job_id, url = attempt["id"], f"/api/export-jobs/{attempt['id']}"
        ledger.add(transitions=(job_id, "claimed"))
        lost = False
        for progress in sorted(rng.sample(range(1, 100), rng.randint(0, 2))):
            beat = api.call(
                E_HEARTBEAT, "PATCH", url, (200, 409), json={"runner_id": runner_id, "progress": progress}
            )
            if beat.status_code == 409:
                lost = True
                break
            if beat.status_code == 200:
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
            done = api.call(
                E_COMPLETE,
                "POST",
                f"{url}/complete",
                (200, 409),
                json={"runner_id": runner_id, "output_video_key": f"out/{job_id}.mp4"},
            )
            if done.status_code == 200:
                mine(done, attempt, "complete")
                ledger.add(transitions=(job_id, "completed"))
        else:
            retryable = roll < 0.85
            failed = api.call(
                E_FAIL,
                "POST",
                f"{url}/fail",
                (200, 409),
                json={"runner_id": runner_id, "error": "CUDA out of memory", "retryable": retryable},
            )
            if failed.status_code == 200:
                mine(failed, attempt, "fail")
                ledger.add(transitions=(job_id, "failed"))


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
            params = rng.choice(
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
}


# --- the run and its report ------------------------------------------------------------------------
@dataclass
class LoadReport:
    seconds: float
    clients: int
    fault_rate: float
    ledger: Ledger
    problems: list[str]
    checks: list[str]

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.ledger.latencies.values())

    def routes(self) -> list[dict[str, Any]]:
        rows = []
        for route, samples in sorted(self.ledger.latencies.items()):
            ordered = sorted(samples)
            rows.append(
                {
                    "route": route,
                    "n": len(ordered),
                    "rps": round(len(ordered) / self.seconds, 1),
                    "p50": round(percentile(ordered, 50), 1),
                    "p95": round(percentile(ordered, 95), 1),
                    "p99": round(percentile(ordered, 99), 1),
                    "max": round(ordered[-1], 1),
                    "statuses": dict(sorted(self.ledger.statuses[route].items())),
                }
            )
        return rows

    def render(self) -> str:
        everything = sorted(v for samples in self.ledger.latencies.values() for v in samples)
        histogram = Counter[int]()
        for counts in self.ledger.statuses.values():
            histogram.update(counts)
        lines = [
            f"edgejobs load: {self.clients} clients, {self.seconds:.1f} s, D1 fault rate {self.fault_rate}"
            f" — {platform.machine()} {platform.system()}, Python {platform.python_version()}",
            f"{self.requests} requests, {self.requests / self.seconds:.1f} req/s; latency ms "
            + ", ".join(f"p{p} {percentile(everything, p):.1f}" for p in (50, 95, 99)),
            f"status histogram: {dict(sorted(histogram.items()))}; proper 503s under faults: "
            f"{self.ledger.unavailable}; cron runs failed under faults: {self.ledger.cron_failed}",
            "",
            f"{'route':<40} {'n':>6} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  statuses",
        ]
        for row in self.routes():
            lines.append(
                f"{row['route']:<40} {row['n']:>6} {row['rps']:>7} {row['p50']:>7} {row['p95']:>7} "
                f"{row['p99']:>7} {row['max']:>7}  {row['statuses']}"
            )
        lines += [
            "",
            "checks:",
            *[f"  ok  {c}" for c in self.checks],
            *[f"  FAIL {p}" for p in self.problems[:40]],
        ]
        if len(self.problems) > 40:
            lines.append(f"  … {len(self.problems) - 40} more")
        return "\n".join(lines)


def run_load(
    url: str,
    *,
    seconds: float,
    token: str = TEST_TOKEN,
    local: LocalRuntime | None = None,
    fault_rate: float = 0.0,
    cron_every: float = 2.5,
    seed: int | None = None,
) -> LoadReport:
    """Runs the load for `seconds`, then checks it. With `local` (a runtime started with
    test endpoints) lapsed leases are planted, faults injected and D1 read for the checks."""
    run = f"load-{uuid.uuid4().hex[:8]}"
    rng = random.Random(seed)
    ledger = Ledger()
    setup = Api(url, token, ledger, faults=False)
    if local:
        local.control()  # made once, before the clients share it
    counters = [f"{run}-counter-{i}" for i in range(COUNTERS)]
    for counter in counters:
        setup.call(
            V_ONE, "PUT", f"/api/veo/jobs/{counter}", (201,), json={"status": "processing", "count": 0}
        )
    shared = Shared(
        run=run,
        project=rng.randrange(1, 10**12),
        deadline=0.0,
        sql=local.sql if local else None,
        cron_every=cron_every,
        counters=counters,
        toggles=[f"{run}-toggle-{i}" for i in range(TOGGLES)],
    )
    if local and fault_rate:
        local.set_d1_faults(rate=fault_rate)
    apis = [Api(url, token, ledger, faults=bool(fault_rate)) for _ in range(sum(n for _, n in ROLES))]
    threads = []
    started = time.monotonic()
    shared.deadline = started + seconds
    try:
        index = 0
        for role, count in ROLES:
            for _ in range(count):
                thread = threading.Thread(
                    target=_guarded,
                    args=(CLIENTS[role], apis[index], shared, random.Random(rng.random()), index),
                    name=f"{role}-{index}",
                    daemon=True,
                )
                threads.append(thread)
                thread.start()
                index += 1
        for thread in threads:
            thread.join(timeout=max(1.0, shared.deadline + 90 - time.monotonic()))
    finally:
        if local and fault_rate:
            local.set_d1_faults()
    elapsed = time.monotonic() - started
    stuck = [t.name for t in threads if t.is_alive()]
    for api in apis:
        api.close()
    problems = [f"client {name} did not stop" for name in stuck]
    checks: list[str] = []
    verify(setup, shared, ledger, local, problems, checks)
    setup.close()
    return LoadReport(elapsed, len(threads), fault_rate, ledger, problems, checks)


def _guarded(client: Callable[..., None], api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    try:
        client(api, shared, rng, me)
    except Exception as exc:  # noqa: BLE001 - a crashed client is a finding, not a hang
        with api.ledger.lock:
            api.ledger.unexpected.append(f"client {threading.current_thread().name} crashed: {exc!r}")


def verify(
    api: Api,
    shared: Shared,
    ledger: Ledger,
    local: LocalRuntime | None,
    problems: list[str],
    checks: list[str],
) -> None:
    def expect(ok: bool, check: str, detail: str = "") -> None:
        (checks if ok else problems).append(check if ok else f"{check}: {detail}")

    expect(not ledger.unexpected, "no unexpected status", "; ".join(ledger.unexpected[:20]))
    # No lost update: every successful conditional write is in the counter, none twice.
    counts = {}
    for counter in shared.counters:
        got = api.call(V_GET, "GET", f"/api/veo/jobs/{counter}", (200,))
        counts[counter] = got.json()["count"] if got.status_code == 200 else None
    expect(
        counts == {c: ledger.counter_writes[c] for c in shared.counters},
        f"no lost update ({sum(ledger.counter_writes.values())} If-Match increments)",
        f"counters {counts}, successful writes {dict(ledger.counter_writes)}",
    )
    toggles = {}
    for toggle in shared.toggles:
        exists = api.call(V_GET, "GET", f"/api/veo/jobs/{toggle}", (200, 404)).status_code == 200
        toggles[toggle] = (ledger.toggle_creates[toggle] - ledger.toggle_deletes[toggle], exists)
    expect(
        all(diff == int(exists) for diff, exists in toggles.values()),
        f"create-only/delete-if-match races add up ({sum(ledger.toggle_creates.values())} creates)",
        f"(creates - deletes, exists) per toggle: {toggles}",
    )
    bad_keys = {
        k: v
        for k, v in ledger.key_creates.items()
        if len({job for _, job in v}) != 1 or [s for s, _ in v].count(201) != 1
    }
    expect(not bad_keys, f"one job per Idempotency-Key ({len(ledger.key_creates)} keys)", str(bad_keys)[:500])
    expect(
        not ledger.attempt_problems,
        "every successful runner action hit its own attempt",
        "; ".join(ledger.attempt_problems[:5]),
    )
    if local is None:
        checks.append("(event trails and D1 consistency not checked: no local runtime)")
        return
    # Every transition a client was told succeeded is in the job's history exactly once, and
    # nothing else is (lease_expired: only for leases made to lapse).
    recorded: Counter[tuple[str, str]] = Counter()
    for row in local.sql(
        "SELECT job_id, event, count(*) AS n FROM job_events WHERE job_id IN"
        " (SELECT id FROM export_jobs WHERE project_id = ?) GROUP BY job_id, event",
        shared.project,
    ):
        recorded[row["job_id"], row["event"]] = row["n"]
    mismatches = []
    for job_id, event in set(recorded) | set(ledger.transitions):
        if event == "lease_expired":
            if recorded[job_id, event] > ledger.abandoned[job_id]:
                mismatches.append(
                    f"{job_id}: {recorded[job_id, event]} lease_expired, {ledger.abandoned[job_id]} lapsed"
                )
        elif recorded[job_id, event] != ledger.transitions[job_id, event]:
            mismatches.append(
                f"{job_id} {event}: {recorded[job_id, event]} recorded, "
                f"{ledger.transitions[job_id, event]} answered 2xx"
            )
    completed_twice = [job for (job, event), n in recorded.items() if event == "completed" and n > 1]
    summary = Counter[str]()
    for (_, event), n in ledger.transitions.items():
        summary[event] += n
    recovered = sum(n for (_, event), n in recorded.items() if event == "lease_expired")
    expect(
        not mismatches and not completed_twice,
        f"event trails match what clients were told ({dict(sorted(summary.items()))}); none completed"
        f" twice; the cron recovered {recovered} of {sum(ledger.abandoned.values())} lapsed leases",
        "; ".join(mismatches[:10]) + f" completed twice: {completed_twice[:5]}",
    )
    unfinished = local.sql("SELECT id FROM maintenance_runs WHERE finished_at IS NULL")
    runs = local.sql("SELECT count(*) AS n FROM maintenance_runs")[0]["n"]
    findings = consistency.check(
        local.sql,
        unfinished_runs_allowed={r["id"] for r in unfinished}
        if len(unfinished) <= ledger.cron_failed
        else (),
    )
    expect(
        not findings,
        f"D1 is consistent ({len(ledger.jobs)} export jobs, {runs} maintenance runs)",
        "; ".join(findings[:10]),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of D1 calls to fail (0..1)")
    parser.add_argument("--cron-every", type=float, default=2.5)
    parser.add_argument("--json", help="also write the report as JSON to this file")
    args = parser.parse_args(argv)
    print(f"starting a fresh local runtime; {args.seconds:.0f} s of load follow", flush=True)
    with local_runtime(vars=RUNTIME_VARS) as rt:
        report = run_load(
            rt.url, seconds=args.seconds, local=rt, fault_rate=args.fault_rate, cron_every=args.cron_every
        )
    print(report.render())
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "seconds": report.seconds,
                    "requests": report.requests,
                    "routes": report.routes(),
                    "problems": report.problems,
                    "checks": report.checks,
                },
                out,
                indent=2,
            )
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
