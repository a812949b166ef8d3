"""A loopback fake of the export queue's runner routes, with leases, `lease_id` and faults.

It keeps the rules a runner relies on: claim (one job, or `{"items": [...]}` with `max_jobs`),
heartbeat, complete and fail answer 409 `lease_lost` unless the job is `processing` under that
runner and lease; a lease that has passed is recovered before every request (the worst case:
a cron running all the time); complete and fail repeated with the same `lease_id` and body
answer 200 and record nothing (a different body is 409 `conflict`). With `lease_ids=False` it
behaves like a server from before leases had ids: no `lease_id`, no `max_jobs`, and a repeated
complete is `lease_lost`.

Faults (random at `fault_rate`, or queued per route with `inject`): `503` (nothing applied,
`Retry-After`), `drop_before` (connection closed, nothing applied), `drop_after` (applied, then
the connection closed: the answer is lost), `slow` (answers after `slow_seconds`, applied),
`400` (a validation error, nothing applied).
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("503", "drop_before", "drop_after", "slow")
_PATH = re.compile(r"^/api/export-jobs(?:/(?P<id>[0-9a-f-]{36}|claim)(?:/(?P<action>complete|fail))?)?$")


@dataclass
class Job:
    id: str
    status: str = "pending"
    runner_id: str | None = None
    lease_id: str | None = None
    lease_seconds: float = 0.0
    lease_end: float = 0.0
    progress: int = 0
    runpod_job_id: str | None = None
    output_video_key: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    retry_count: int = 0
    max_retries: int = 3
    events: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def view(self, lease_ids: bool) -> dict[str, Any]:
        shown = {k: v for k, v in vars(self).items() if k not in ("lease_end", "events", "heartbeats")}
        shown["type"] = "overlay"
        shown["input_video_key"] = f"raw/{self.id}.mp4"
        if not lease_ids:
            shown.pop("lease_id")
        return shown


class FakeQueue:
    def __init__(
        self,
        *,
        lease_ids: bool = True,
        fault_rate: float = 0.0,
        faults: tuple[str, ...] = FAULTS,
        slow_seconds: float = 0.4,
        retry_after: str = "0",
        max_retries: int = 3,
        seed: int = 7,
    ) -> None:
        self.max_retries = max_retries
        self.lease_ids, self.fault_rate, self.faults = lease_ids, fault_rate, faults
        self.slow_seconds, self.retry_after = slow_seconds, retry_after
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.finished: dict[str, tuple[str, dict[str, Any]]] = {}  # lease_id -> (action, body)
        self.injected: dict[str, deque[str]] = defaultdict(deque)
        self.calls: list[tuple[str, str | None, dict[str, Any] | None, str]] = []  # route, job, body, outcome
        self.replays = 0  # complete/fail answered 200 as a repeat
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.queue = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeQueue:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_jobs(self, n: int) -> list[str]:
        with self.lock:
            ids = [str(uuid.uuid4()) for _ in range(n)]
            for job_id in ids:
                self.jobs[job_id] = Job(job_id, max_retries=self.max_retries, events=[{"event": "created"}])
            return ids

    def inject(self, route: str, *faults: str) -> None:
        """The next requests to `route` (claim, heartbeat, complete, fail, get) meet `faults`."""
        with self.lock:
            self.injected[route].extend(faults)

    def cancel(self, job_id: str) -> None:
        with self.lock:
            job = self.jobs[job_id]
            job.status, job.runner_id, job.lease_id = "cancelled", None, None
            job.events.append({"event": "cancelled"})

    def events(self, job_id: str) -> list[str]:
        with self.lock:
            return [e["event"] for e in self.jobs[job_id].events]

    def calls_to(self, route: str, job_id: str | None = None) -> list[tuple[dict[str, Any] | None, str]]:
        with self.lock:
            return [(b, o) for r, j, b, o in self.calls if r == route and job_id in (None, j)]

    # --- serving -------------------------------------------------------------------------
    def fault_for(self, route: str) -> str | None:
        with self.lock:
            if self.injected[route]:
                return self.injected[route].popleft()
            if self.rng.random() < self.fault_rate:
                return self.rng.choice(self.faults)
            return None

    def apply(self, method: str, route: str, job_id: str | None, body: Any) -> tuple[int, Any]:
        with self.lock:
            now = time.monotonic()
            for lapsed in self.jobs.values():  # lease recovery, as a cron running all the time would
                if lapsed.status == "processing" and lapsed.lease_end <= now:
                    self._retry_or_end(lapsed, "lease_expired", "lease_expired")
            if route == "claim":
                return self._claim(body, now)
            job = self.jobs.get(job_id or "")
            if job is None:
                return 404, _error("not_found", "no such job")
            if route == "get":
                return 200, job.view(self.lease_ids)
            if route in ("complete", "fail") and body.get("lease_id") in self.finished:
                action, first = self.finished[body["lease_id"]]
                if (action, first) != (route, body):
                    return 409, _error("conflict", "this lease already ended with another call")
                self.replays += 1
                return 200, job.view(self.lease_ids)
            holds = job.status == "processing" and job.runner_id == body.get("runner_id")
            if not holds or (self.lease_ids and job.lease_id != body.get("lease_id")):
                why = "the job was cancelled" if job.status == "cancelled" else f"the job is {job.status}"
                return 409, _error("lease_lost", f"This runner no longer holds the job: {why}.")
            if route == "heartbeat":
                job.heartbeats.append((now, body))
                job.lease_end = now + job.lease_seconds
                job.progress = max(job.progress, body.get("progress", 0))
                job.runpod_job_id = body.get("runpod_job_id", job.runpod_job_id)
            elif route == "complete":
                job.status, job.progress, job.output_video_key = "complete", 100, body["output_video_key"]
                job.result = body.get("result")
                job.events.append({"event": "completed", "data": body})
            else:
                self._retry_or_end(job, "failed", body["error"], retryable=body.get("retryable", True))
                job.events[-1]["data"] = body
            if route != "heartbeat" and self.lease_ids:
                self.finished[body["lease_id"]] = (route, body)
            return 200, job.view(self.lease_ids)

    def _claim(self, body: dict[str, Any], now: float) -> tuple[int, Any]:
        if "max_jobs" in body and not self.lease_ids:
            return 400, _error("validation_error", "Unknown field: max_jobs.", field="max_jobs")
        pending = [j for j in self.jobs.values() if j.status == "pending"][: body.get("max_jobs", 1)]
        for job in pending:
            job.status, job.runner_id = "processing", body["runner_id"]
            job.lease_id = str(uuid.uuid4()) if self.lease_ids else None
            job.lease_seconds = body["lease_seconds"]
            job.lease_end = now + body["lease_seconds"]
            job.events.append({"event": "claimed", "data": {"lease_id": job.lease_id}})
        views = [j.view(self.lease_ids) for j in pending]
        if "max_jobs" in body:
            return 200, {"items": views}
        return (200, views[0]) if views else (204, None)

    def _retry_or_end(self, job: Job, event: str, error: str, retryable: bool = True) -> None:
        job.status = "pending" if retryable and job.retry_count < job.max_retries else "error"
        job.retry_count += job.status == "pending"
        job.error, job.runner_id, job.lease_id, job.progress = error, None, None, 0
        job.events.append({"event": event})


def _error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        queue: FakeQueue = self.server.queue  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.loads(raw) if raw else None
        match = _PATH.match(self.path)
        job_id = match["id"] if match and match["id"] not in (None, "claim") else None
        route = _route(self.command, match)
        fault = queue.fault_for(route)
        with queue.lock:
            queue.calls.append((route, job_id, body, fault or "ok"))
        if fault in ("503", "400"):
            status = int(fault)
            code = "database_unavailable" if status == 503 else "validation_error"
            return self._send(status, _error(code, "injected"), {"retry-after": queue.retry_after})
        if fault == "drop_before":
            self.close_connection = True
            return None
        if fault == "slow":
            time.sleep(queue.slow_seconds)
        status, answer = queue.apply(self.command, route, job_id, body)
        if fault == "drop_after":
            self.close_connection = True
            return None
        with contextlib.suppress(OSError):  # the client may have given up waiting (a slow answer)
            self._send(status, answer, {})
        return None

    def _send(self, status: int, answer: Any, headers: dict[str, str]) -> None:
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        for name, value in {"content-type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _route(method: str, match: re.Match[str] | None) -> str:
    if match is None or match["id"] is None:
        return "unknown"
    if match["id"] == "claim":
        return "claim"
    if match["action"]:
        return str(match["action"])
    return "heartbeat" if method == "PATCH" else "get"
