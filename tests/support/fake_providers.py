"""Loopback fakes of Replicate's predictions API and RunPod's serverless API, speaking their
documented JSON, on `FakeHttp` (a real HTTP server on 127.0.0.1): the Worker's adapters talk to
them over real sockets.

    with FakeRunPod() as runpod:                       # key "runpod-test-key", endpoint "ep"
        runpod.put("job-1", "IN_PROGRESS")             # a job, as /status will answer it
        runpod.put("job-1", "COMPLETED", output={"output_video_key": "out/1.mp4"})
        runpod.forget("job-1")                         # retention passed: /status is a 404
        runpod.fault(throttled(retry_after=7), server_error(), slow(5), malformed())
        ... point RUNPOD_API_BASE at runpod.url ...
        runpod.http.received("GET")                    # what the Worker asked

`fault(*replies)`: the next requests (any route) get these answers, in turn, before the fake
answers normally again. A request without the right bearer key is a 401.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from types import TracebackType
from typing import Any

from tests.support.fake_http import FakeHttp, Received, Reply

RUNPOD_KEY = "runpod-test-key"
RUNPOD_ENDPOINT = "ep"
REPLICATE_TOKEN = "r8_test_token"
REPLICATE_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"replicate-test-signing-key-32byte").decode()

_serial = itertools.count(1)


def throttled(retry_after: int = 1, detail: str = "Request was throttled.") -> Reply:
    """A 429 with Retry-After (Replicate's problem-details body; RunPod's is alike)."""
    body = {"title": "Request was throttled.", "detail": detail, "status": 429}
    return Reply(status=429, json=body, headers={"Retry-After": str(retry_after)})


def refused(status: int = 422, detail: str = "Invalid input: duration must be at most 10") -> Reply:
    """A 4xx other than 404 and 429 (a problem-details body, as Replicate sends)."""
    return Reply(status=status, json={"title": "Unprocessable", "detail": detail, "status": status})


def server_error(status: int = 500) -> Reply:
    return Reply(status=status, json={"error": "Internal Server Error"})


def slow(seconds: float) -> Reply:
    """An answer that comes after `seconds` (past the Worker's timeout)."""
    return Reply(json={"id": "late", "status": "IN_PROGRESS"}, delay=seconds)


def malformed() -> Reply:
    """A 200 whose body is not JSON."""
    return Reply(body=b'{"id": "x", "status": "COMPL', headers={"content-type": "application/json"})


class _FakeProvider:
    """A FakeHttp with a bearer key, scripted faults and a lock over its jobs."""

    def __init__(self, key: str) -> None:
        self.http = FakeHttp()
        self.key = key
        self.jobs: dict[str, dict[str, Any]] = {}
        self._faults: list[Reply] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.http.url

    def __enter__(self) -> Any:
        self.http.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.http.__exit__(kind, exc, tb)

    def fault(self, *replies: Reply) -> None:
        with self._lock:
            self._faults.extend(replies)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _gate(self, seen: Received) -> Reply | None:
        """A scripted fault, or a 401 for a wrong key; None: answer normally."""
        with self._lock:
            if self._faults:
                return self._faults.pop(0)
        if seen.headers.get("authorization") != f"Bearer {self.key}":
            return self._unauthorized()
        return None

    def _unauthorized(self) -> Reply:
        raise NotImplementedError


class FakeRunPod(_FakeProvider):
    """RunPod serverless: POST /v2/{endpoint}/run, GET …/status/{id}, POST …/cancel/{id}."""

    def __init__(self, key: str = RUNPOD_KEY) -> None:
        super().__init__(key)
        self.forgotten: set[str] = set()
        self.delay = 0.0  # seconds every /status answer waits (to see requests overlap)
        self.http.on("POST", "/v2/{endpoint}/run", self._run)
        self.status_route = self.http.on("GET", "/v2/{endpoint}/status/{id}", self._status)
        self.http.on("POST", "/v2/{endpoint}/cancel/{id}", self._cancel)

    def put(self, job_id: str, status: str, output: Any = None, error: str | None = None) -> None:
        """The job as /status answers it from now on."""
        job: dict[str, Any] = {"id": job_id, "status": status, "delayTime": 812, "workerId": "w-1"}
        if status != "IN_QUEUE":
            job["executionTime"] = 4310
        if output is not None:
            job["output"] = output
        if error is not None:
            job["error"] = error
        with self._lock:
            self.jobs[job_id] = job
            self.forgotten.discard(job_id)

    def forget(self, job_id: str) -> None:
        """RunPod's retention passed: /status answers 404."""
        with self._lock:
            self.jobs.pop(job_id, None)
            self.forgotten.add(job_id)

    def _unauthorized(self) -> Reply:
        return Reply(status=401, json={"error": "Unauthorized"})

    def _run(self, seen: Received) -> Reply:
        if (gate := self._gate(seen)) is not None:
            return gate
        job_id = f"{time.time_ns():x}-{next(_serial)}-u1"
        self.put(job_id, "IN_QUEUE")
        return Reply(json={"id": job_id, "status": "IN_QUEUE"})

    def _status(self, seen: Received) -> Reply:
        if (gate := self._gate(seen)) is not None:
            return gate
        with self._lock:
            job = self.jobs.get(seen.params["id"])
        if job is None:
            return Reply(status=404, json={"error": "request does not exist"}, delay=self.delay)
        return Reply(json=job, delay=self.delay)

    def _cancel(self, seen: Received) -> Reply:
        if (gate := self._gate(seen)) is not None:
            return gate
        with self._lock:
            job = self.jobs.get(seen.params["id"])
            if job is not None and job["status"] in ("IN_QUEUE", "IN_PROGRESS"):
                job["status"] = "CANCELLED"
        if job is None:
            return Reply(status=404, json={"error": "request does not exist"})
        return Reply(json={"id": job["id"], "status": job["status"]})


class FakeReplicate(_FakeProvider):
    """Replicate: POST /v1/models/{owner}/{name}/predictions, GET /v1/predictions/{id},
    POST /v1/predictions/{id}/cancel."""

    def __init__(self, token: str = REPLICATE_TOKEN) -> None:
        super().__init__(token)
        self.http.on("POST", "/v1/models/{owner}/{name}/predictions", self._create)
        self.http.on("GET", "/v1/predictions/{id}", self._get)
        self.http.on("POST", "/v1/predictions/{id}/cancel", self._cancel)

    def prediction(self, prediction_id: str, status: str, **fields: Any) -> dict[str, Any]:
        """A prediction object as Replicate renders it."""
        base = f"{self.url}/v1/predictions/{prediction_id}"
        body: dict[str, Any] = {
            "id": prediction_id,
            "model": "acme/video-model",
            "version": "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
            "input": {},
            "logs": "",
            "output": None,
            "data_removed": False,
            "error": None,
            "status": status,
            "created_at": "2026-11-30T19:00:00.000000Z",
            "urls": {"get": base, "cancel": base + "/cancel"},
        }
        body.update(fields)
        return body

    def put(self, prediction_id: str, status: str, **fields: Any) -> dict[str, Any]:
        body = self.prediction(prediction_id, status, **fields)
        with self._lock:
            self.jobs[prediction_id] = body
        return body

    def _unauthorized(self) -> Reply:
        detail = "You did not pass a valid authentication token"
        return Reply(status=401, json={"title": "Unauthenticated", "detail": detail, "status": 401})

    def _create(self, seen: Received) -> Reply:
        if (gate := self._gate(seen)) is not None:
            return gate
        sent = seen.json()
        prediction_id = f"p{time.time_ns():x}{next(_serial)}"
        body = self.put(
            prediction_id,
            "starting",
            input=sent.get("input"),
            model=f"{seen.params['owner']}/{seen.params['name']}",
        )
        return Reply(status=201, json=body)

    def _get(self, seen: Received) -> Reply:
        if (gate := self._gate(seen)) is not None:
            return gate
        with self._lock:
            body = self.jobs.get(seen.params["id"])
        if body is None:
            return Reply(status=404, json={"detail": "Not found.", "status": 404})
        return Reply(json=body)

    def _cancel(self, seen: Received) -> Reply:
        if (gate := self._gate(seen)) is not None:
            return gate
        with self._lock:
            body = self.jobs.get(seen.params["id"])
            if body is not None and body["status"] in ("starting", "processing"):
                body["status"] = "canceled"
        if body is None:
            return Reply(status=404, json={"detail": "Not found.", "status": 404})
        return Reply(json=body)


def signed_webhook(
    body: dict[str, Any] | bytes,
    secret: str = REPLICATE_WEBHOOK_SECRET,
    webhook_id: str | None = None,
    timestamp: int | None = None,
) -> tuple[dict[str, str], bytes]:
    """A Replicate webhook delivery (Standard Webhooks), signed as Replicate signs it: the
    headers and the raw body to POST (`body` as JSON, or bytes sent as they are)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    webhook_id = webhook_id or f"msg_{time.time_ns():x}{next(_serial)}"
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{stamp}.".encode() + raw, hashlib.sha256).digest()
    headers = {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
    return headers, raw
