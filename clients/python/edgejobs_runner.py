"""A GPU runner for the edgejobs export queue: claim, heartbeat, complete or fail, and retry.

Standard library only, Python >= 3.9: copy this one file next to your code.

    from edgejobs_runner import Runner, RetryableError

    def export(ctx):                      # ctx.job is the claimed job (a dict)
        for pct in range(0, 100, 10):
            if ctx.cancelled:             # cancelled, lease lost, or the shutdown grace ran out
                return None               # nothing is sent: the job is no longer ours
            ctx.progress(pct)             # sent with the next heartbeat
            ...
        return f"exports/{ctx.job_id}.mp4"  # or {"output_video_key": ..., "result": {...}}

    Runner("https://jobs.example.com", "token", "gpu-7", handler=export).run_forever()

A return value completes the job; an exception fails it (`PermanentError`: no retry; anything
else: retryable). See README.md next to this file for the retry policy.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import http.client
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, Callable, NamedTuple

__all__ = [
    "Answer",
    "ApiError",
    "Clock",
    "Counters",
    "GaveUp",
    "JobContext",
    "LeaseLost",
    "PermanentError",
    "QueueClient",
    "RetryableError",
    "Runner",
    "command_handler",
]

log = logging.getLogger("edgejobs_runner")
RETRY_STATUSES = frozenset({429, 502, 503, 504})
ERROR_MAX_CHARS = 4000


class RetryableError(Exception):
    """Raised by a handler: fail the job so that it is retried after the queue's backoff."""


class PermanentError(Exception):
    """Raised by a handler: fail the job for good (no retry)."""


class ApiError(Exception):
    """An answer that retrying cannot change (a 4xx other than 429, or a 5xx not retried)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code, self.message, self.field = status, code, message, field
        self.attempts = 1  # how many times the call was sent (> 1: an earlier attempt may have landed)


class LeaseLost(ApiError):
    """409 `lease_lost`: the job is no longer ours (cancelled, finished, expired, re-claimed)."""

    @property
    def cancelled(self) -> bool:
        return "cancel" in self.message.lower()


class GaveUp(Exception):
    """Transient failures lasted until the deadline (the job's lease would have ended)."""


class Interrupted(Exception):
    """The wait between two attempts was interrupted (the caller is stopping)."""


class Clock:
    """Time and waiting, one seam so that tests can run retries without real sleeps."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event | None, seconds: float) -> bool:
        """Wait `seconds` or until `event` is set; True if it was set."""
        if event is None:
            time.sleep(max(0.0, seconds))
            return False
        return event.wait(max(0.0, seconds))


class Counters:
    """What the runner did, for reports: jobs by outcome, and retries per call kind."""

    KINDS = ("claim", "heartbeat", "complete", "fail", "get")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.jobs: dict[str, int] = dict.fromkeys(("claimed", "completed", "failed", "lost", "errors"), 0)
        self.retries: dict[str, int] = dict.fromkeys(self.KINDS, 0)  # attempts repeated
        self.retried_calls: dict[str, int] = dict.fromkeys(self.KINDS, 0)  # calls that needed one
        self.ambiguous: dict[str, int] = dict.fromkeys(self.KINDS, 0)  # retries after no answer
        self.gave_up: dict[str, int] = dict.fromkeys(self.KINDS, 0)

    def add(self, table: str, key: str, n: int = 1) -> None:
        with self._lock:
            counts = getattr(self, table)
            counts[key] = counts.get(key, 0) + n

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            names = ("jobs", "retries", "retried_calls", "ambiguous", "gave_up")
            return {name: dict(getattr(self, name)) for name in names}


def _retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class Answer(NamedTuple):
    status: int
    body: Any  # the decoded JSON, None for an empty body
    attempts: int  # > 1: the call was repeated
    sent: float  # when the answered attempt was sent (clock time): a lease runs from about then


class QueueClient:
    """HTTP calls to the queue; transient failures are retried until a deadline."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retry_base: float = 0.5,
        retry_cap: float = 20.0,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        counters: Counters | None = None,
    ) -> None:
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout
        self.retry_base, self.retry_cap = retry_base, retry_cap
        self.clock, self.rng = clock or Clock(), rng or random.Random()
        self.counters = counters or Counters()

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        deadline: float | None = None,
        interrupt: threading.Event | None = None,
    ) -> Answer:
        """The first 2xx answer; the same bytes are sent on every attempt. Raises LeaseLost,
        ApiError, GaveUp (no definitive answer before the deadline) or Interrupted."""
        data = None if body is None else json.dumps(body).encode()
        attempt = 0
        while True:
            timeout = self.timeout
            if deadline is not None:
                timeout = min(timeout, deadline - self.clock.now())
                if timeout <= 0:
                    self.counters.add("gave_up", kind)
                    raise GaveUp(f"{kind} {path}: no definitive answer before the deadline")
            attempt += 1
            sent = self.clock.now()
            status, payload, retry_after, why = self._attempt(method, path, data, timeout)
            if status is not None and status < 300:
                if attempt > 1:
                    self.counters.add("retried_calls", kind)
                return Answer(status, payload, attempt, sent)
            if status is not None and status not in RETRY_STATUSES:
                error = payload.get("error", {}) if isinstance(payload, dict) else {}
                cls = LeaseLost if error.get("code") == "lease_lost" else ApiError
                code, message = str(error.get("code", "http_error")), str(error.get("message", ""))
                failure = cls(status, code, message, error.get("field"))
                failure.attempts = attempt
                raise failure
            delay = self._delay(attempt, retry_after)
            if deadline is not None and self.clock.now() + delay >= deadline:
                self.counters.add("gave_up", kind)
                raise GaveUp(f"{kind} {path}: {why}; the next attempt would come after the deadline")
            log.info("%s %s: %s; retrying in %.2f s", kind, path, why, delay)
            self.counters.add("retries", kind)
            if status is None:  # the request may have landed: the retry must be idempotent
                self.counters.add("ambiguous", kind)
            if self.clock.wait(interrupt, delay):
                raise Interrupted(f"{kind} {path}: stopped while retrying")

    def _attempt(
        self,
        method: str,
        path: str,
        data: bytes | None,
        timeout: float,
    ) -> tuple[int | None, Any, float | None, str]:
        """One request: (status or None when there was no answer, body, Retry-After, why)."""
        headers = {"authorization": f"Bearer {self.token}", "accept": "application/json"}
        if data is not None:
            headers["content-type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None, None, "ok"
        except urllib.error.HTTPError as error:
            try:
                payload = json.loads(error.read() or b"null")
            except (ValueError, OSError, http.client.HTTPException):
                payload = None
            return error.code, payload, _retry_after(error.headers.get("retry-after")), f"HTTP {error.code}"
        except (OSError, http.client.HTTPException, ValueError) as error:  # refused, reset, timeout
            return None, None, None, f"no answer ({type(error).__name__}: {error})"

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Jittered exponential backoff, never shorter than the server's Retry-After."""
        step = min(self.retry_cap, self.retry_base * 2 ** (attempt - 1))
        delay = self.rng.uniform(step / 2, step)
        if retry_after is not None:
            delay = max(delay, retry_after * self.rng.uniform(1.0, 1.2))
        return delay


class JobContext:
    """What a handler gets: the job, progress reporting, and whether to stop."""

    def __init__(self, job: Mapping[str, Any], runner_id: str, stopping: threading.Event) -> None:
        self.job: dict[str, Any] = dict(job)
        self.job_id: str = str(job["id"])
        self.lease_id: str | None = job.get("lease_id")
        self.runner_id = runner_id
        self.cancel_reason: str | None = None  # why the job is no longer ours
        self.was_cancelled = False  # True when someone cancelled the job (not a lapse)
        self.heartbeats = 0  # heartbeats the server acknowledged
        self._stopping = stopping
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._progress: int | None = None
        self._runpod_job_id: str | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._wake_heartbeat: Callable[[], None] = lambda: None

    @property
    def cancelled(self) -> bool:
        """True once the job is not ours any more: stop working, nothing will be sent."""
        return self._cancelled.is_set()

    @property
    def stopping(self) -> bool:
        """True once the runner is shutting down (finish soon, or raise RetryableError)."""
        return self._stopping.is_set()

    def progress(self, percent: float) -> None:
        """Record progress 0-100 (a fraction is rounded down); the next heartbeat sends it."""
        if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 <= percent <= 100:
            raise ValueError(f"progress must be a number 0-100, got {percent!r}")
        with self._lock:
            self._progress = max(int(percent), self._progress or 0)

    def set_runpod_job_id(self, runpod_job_id: str) -> None:
        """Record the RunPod job id and send it with a heartbeat right away."""
        with self._lock:
            self._runpod_job_id = str(runpod_job_id)
        self._wake_heartbeat()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True (early) if the job was cancelled meanwhile."""
        return self._cancelled.wait(seconds)

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call `callback` (from another thread) when the job stops being ours."""
        with self._lock:
            self._callbacks.append(callback)
            now = self._cancelled.is_set()
        if now:
            callback()

    def _heartbeat_fields(self) -> dict[str, Any]:
        with self._lock:
            fields: dict[str, Any] = {} if self._progress is None else {"progress": self._progress}
            if self._runpod_job_id is not None:
                fields["runpod_job_id"] = self._runpod_job_id
            return fields

    def _cancel(self, reason: str, *, by_user: bool = False) -> None:
        with self._lock:
            if self._cancelled.is_set():
                return
            self.cancel_reason, self.was_cancelled = reason, by_user
            self._cancelled.set()
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a handler's callback must not kill the heartbeat
                log.exception("job %s: on_cancel callback failed", self.job_id)


class _Active:
    """One claimed job: its context, lease as we know it, and who sends its final call."""

    def __init__(self, job: Mapping[str, Any], ctx: JobContext, lease_end: float) -> None:
        self.job, self.ctx, self.lease_end = job, ctx, lease_end
        self.beat_stop, self.beat_wake = threading.Event(), threading.Event()
        self.thread: threading.Thread | None = None
        self._owner: str | None = None
        self._lock = threading.Lock()

    def take(self, owner: str) -> bool:
        """The worker (on return) and the shutdown (after the grace period) race to send the
        job's final call; exactly one of them wins."""
        with self._lock:
            if self._owner is None:
                self._owner = owner
            return self._owner == owner


Handler = Callable[[JobContext], Any]


class Runner:
    """Claims jobs and runs `handler` for each, at most `max_jobs` at once, until stopped."""

    def __init__(
        self,
        base_url: str,
        token: str,
        runner_id: str,
        *,
        types: list[str] | None = None,
        lease_seconds: float = 300,
        max_jobs: int = 1,
        handler: Handler,
        heartbeat_seconds: float | None = None,
        grace_seconds: float = 30.0,
        finish_seconds: float = 300.0,
        idle_seconds: float = 1.0,
        idle_max_seconds: float = 30.0,
        timeout: float = 30.0,
        retry_base: float = 0.5,
        retry_cap: float = 20.0,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= max_jobs <= 10:
            raise ValueError("max_jobs must be 1-10")
        self.runner_id, self.types, self.handler = runner_id, types, handler
        self.lease_seconds, self.max_jobs, self.grace_seconds = lease_seconds, max_jobs, grace_seconds
        # complete/fail are sent past the lease's end: the queue takes them until its lease
        # recovery has run, and a late one is answered either way (200 if it landed, or is
        # accepted now; lease_lost and nothing changed if the job was taken back)
        self.finish_seconds = finish_seconds
        self.heartbeat_seconds = heartbeat_seconds or lease_seconds / 3
        self.idle_seconds, self.idle_max_seconds = idle_seconds, idle_max_seconds
        self.clock, self.rng, self.counters = clock or Clock(), rng or random.Random(), Counters()
        self.api = QueueClient(
            base_url,
            token,
            timeout=timeout,
            retry_base=retry_base,
            retry_cap=retry_cap,
            clock=self.clock,
            rng=self.rng,
            counters=self.counters,
        )
        self._stopping, self._hurry, self._wake = threading.Event(), threading.Event(), threading.Event()
        self._active: dict[str, _Active] = {}
        self._batch_claims = max_jobs > 1

    def stop(self, hurry: bool = False) -> None:
        """Stop claiming; running jobs get the grace period (none with `hurry`). Any thread."""
        if self._stopping.is_set() and not hurry:
            hurry = True  # a second request (e.g. a second Ctrl-C) skips the grace period
        self._stopping.set()
        if hurry:
            self._hurry.set()
        self._wake.set()

    def run_forever(self, install_signals: bool = True) -> None:
        """Claim and work until stop() or SIGTERM/SIGINT; then drain and return."""
        previous = {}
        if install_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, lambda signum, frame: self._on_signal(signum))
        try:
            self._claim_loop()
        finally:
            self._stopping.set()
            try:
                self._drain()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    def _on_signal(self, signum: int) -> None:
        log.warning(
            "signal %s: no more claims; finishing running jobs (grace %.1f s)", signum, self.grace_seconds
        )
        self.stop()

    # --- claiming ------------------------------------------------------------------------
    def _claim_loop(self) -> None:
        idle = self.idle_seconds
        while not self._stopping.is_set():
            self._wake.clear()
            free = self.max_jobs - len(self._active)
            if free <= 0:
                self._wake.wait(1.0)
                continue
            try:
                jobs = self._claim(free)
            except (GaveUp, Interrupted):
                jobs = []
            if jobs:
                idle = self.idle_seconds
                for job in jobs:
                    self._start(job)
                continue
            self.clock.wait(self._wake, self.rng.uniform(idle / 2, idle))
            idle = min(self.idle_max_seconds, idle * 2)

    def _claim(self, free: int) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"runner_id": self.runner_id, "lease_seconds": _number(self.lease_seconds)}
        if self.types:
            body["types"] = list(self.types)
        if self._batch_claims:
            body["max_jobs"] = free
        try:
            answer = self.api.call(
                "claim",
                "POST",
                "/api/export-jobs/claim",
                body,
                deadline=self.clock.now() + self.lease_seconds,
                interrupt=self._stopping,
            )
        except ApiError as error:
            if (
                self._batch_claims
                and error.status == 400
                and (error.field == "max_jobs" or "max_jobs" in error.message)
            ):
                log.warning("the server does not take max_jobs: claiming one job per call")
                self._batch_claims = False
                return []
            raise
        payload = answer.body
        if answer.status == 204 or payload is None:
            return []
        jobs = payload["items"] if isinstance(payload, dict) and "items" in payload else [payload]
        self.counters.add("jobs", "claimed", len(jobs))
        for job in jobs:
            job["_lease_end"] = answer.sent + self.lease_seconds
        return jobs

    def _start(self, job: dict[str, Any]) -> None:
        lease_end = job.pop("_lease_end")
        ctx = JobContext(job, self.runner_id, self._stopping)
        active = _Active(job, ctx, lease_end)
        ctx._wake_heartbeat = active.beat_wake.set
        log.info("job %s claimed (lease_id %s)", ctx.job_id, ctx.lease_id)
        if ctx.lease_id is None:
            log.info("job %s has no lease_id (an older server): acting with runner_id only", ctx.job_id)
        self._active[ctx.job_id] = active
        active.thread = threading.Thread(
            target=self._work, args=(active,), daemon=True, name=f"job-{ctx.job_id}"
        )
        threading.Thread(target=self._beat, args=(active,), daemon=True, name=f"beat-{ctx.job_id}").start()
        active.thread.start()

    # --- one job -------------------------------------------------------------------------
    def _work(self, active: _Active) -> None:
        ctx = active.ctx
        try:
            try:
                outcome, error = self.handler(ctx), None
            except Exception as exc:  # noqa: BLE001 - any handler error fails the job
                outcome, error = None, exc
            active.beat_stop.set()
            active.beat_wake.set()
            if not active.take("worker"):
                return  # the shutdown failed it meanwhile
            if ctx.cancelled:
                log.warning("job %s: not ours any more (%s); nothing sent", ctx.job_id, ctx.cancel_reason)
                self.counters.add("jobs", "lost")
            elif error is None:
                self._complete(active, outcome)
            else:
                retryable = not isinstance(error, PermanentError)
                log.warning(
                    "job %s failed (%s): %r", ctx.job_id, "retryable" if retryable else "final", error
                )
                self._fail(active, f"{type(error).__name__}: {error}", retryable)
        except Exception:
            log.exception("job %s: could not report its outcome", ctx.job_id)
            self.counters.add("jobs", "errors")
        finally:
            self._active.pop(ctx.job_id, None)
            self._wake.set()

    def _beat(self, active: _Active) -> None:
        """Heartbeats every `heartbeat_seconds` (sooner when the handler sets a RunPod id)."""
        ctx, path = active.ctx, f"/api/export-jobs/{active.ctx.job_id}"
        next_beat = self.clock.now() + self.heartbeat_seconds
        while not active.beat_stop.is_set():
            self.clock.wait(active.beat_wake, next_beat - self.clock.now())
            if active.beat_stop.is_set():
                return
            if active.beat_wake.is_set():
                active.beat_wake.clear()
            elif self.clock.now() < next_beat:
                continue
            body = {**self._identity(ctx), **ctx._heartbeat_fields()}
            try:
                answer = self.api.call(
                    "heartbeat", "PATCH", path, body, deadline=active.lease_end, interrupt=active.beat_stop
                )
            except Interrupted:
                return
            except LeaseLost as lost:
                if not active.beat_stop.is_set():  # else the job was just completed or failed
                    ctx._cancel(f"lease lost: {lost.message}", by_user=lost.cancelled)
                return
            except (GaveUp, ApiError) as error:
                if not active.beat_stop.is_set():
                    ctx._cancel(f"heartbeat failed, the lease would end: {error}")
                return
            ctx.heartbeats += 1
            active.lease_end = answer.sent + self.lease_seconds
            next_beat = answer.sent + self.heartbeat_seconds

    def _identity(self, ctx: JobContext) -> dict[str, Any]:
        body: dict[str, Any] = {"runner_id": self.runner_id}
        if ctx.lease_id is not None:
            body["lease_id"] = ctx.lease_id
        return body

    def _complete(self, active: _Active, outcome: Any) -> None:
        if isinstance(outcome, str):
            outcome = {"output_video_key": outcome}
        if not isinstance(outcome, Mapping) or not isinstance(outcome.get("output_video_key"), str):
            self._fail(active, f"the handler returned {outcome!r}, not an output_video_key", True)
            return
        body = {**self._identity(active.ctx), "output_video_key": outcome["output_video_key"]}
        if outcome.get("result") is not None:
            body["result"] = outcome["result"]
        if self._finish(active, "complete", body):
            log.info("job %s complete: %s", active.ctx.job_id, body["output_video_key"])
            self.counters.add("jobs", "completed")

    def _fail(self, active: _Active, error: str, retryable: bool, deadline: float | None = None) -> None:
        body = {**self._identity(active.ctx), "error": error[:ERROR_MAX_CHARS], "retryable": retryable}
        if self._finish(active, "fail", body, deadline):
            self.counters.add("jobs", "failed")

    def _finish(
        self, active: _Active, action: str, body: dict[str, Any], deadline: float | None = None
    ) -> bool:
        """Send complete/fail with the same body until a definitive answer (by default until
        `finish_seconds` after the lease's end); True if it landed."""
        path = f"/api/export-jobs/{active.ctx.job_id}/{action}"
        deadline = deadline or active.lease_end + self.finish_seconds
        try:
            self.api.call(action, "POST", path, body, deadline=deadline)
            return True
        except LeaseLost as lost:
            if action == "complete" and lost.attempts > 1 and self._landed(active, body):
                return True  # a server without idempotent completion: the first attempt had landed
            log.warning("job %s: %s answered lease_lost (%s)", active.ctx.job_id, action, lost.message)
        except GaveUp as error:
            log.error("job %s: %s gave up: %s", active.ctx.job_id, action, error)
        except ApiError as error:
            if action != "complete" or error.status not in (400, 413):
                raise
            log.error("job %s: complete refused (%s); failing the job", active.ctx.job_id, error)
            self._fail(active, f"the server refused the completion: {error}", False)
            return False
        self.counters.add("jobs", "lost")
        return False

    def _landed(self, active: _Active, body: Mapping[str, Any]) -> bool:
        """After lease_lost on a complete: was the job completed by us (an earlier attempt)?"""
        try:
            job = self.api.call(
                "get", "GET", f"/api/export-jobs/{active.ctx.job_id}", deadline=self.clock.now() + 10
            ).body
        except (ApiError, GaveUp):
            return False
        return (
            isinstance(job, dict)
            and job.get("status") == "complete"
            and job.get("runner_id") == self.runner_id
            and job.get("output_video_key") == body["output_video_key"]
            and job.get("lease_id", body.get("lease_id")) == body.get("lease_id")
        )

    # --- shutdown ------------------------------------------------------------------------
    def _drain(self) -> None:
        """Wait up to the grace period for running jobs, then fail the rest as retryable."""
        give_up = self.clock.now() + self.grace_seconds
        while self._running() and self.clock.now() < give_up and not self._hurry.is_set():
            self._wake.clear()
            self.clock.wait(self._wake, min(0.2, give_up - self.clock.now()))
        for active in list(self._active.values()):
            if active.take("shutdown"):
                active.ctx._cancel("the runner is shutting down")
                active.beat_stop.set()
                active.beat_wake.set()
                log.warning("job %s: still running at shutdown; failing it as retryable", active.ctx.job_id)
                deadline = min(active.lease_end, self.clock.now() + max(self.grace_seconds, 5.0))
                self._fail(active, "runner shut down before the job finished", True, deadline)
                self._active.pop(active.ctx.job_id, None)
            elif active.thread is not None:  # its worker is sending complete/fail right now
                active.thread.join(max(0.0, active.lease_end + self.finish_seconds - self.clock.now()))

    def _running(self) -> bool:
        return any(a.thread is not None and a.thread.is_alive() for a in list(self._active.values()))


def _number(value: float) -> float:
    """JSON integers where the value is whole (the server wants an integer lease)."""
    return int(value) if float(value).is_integer() else value


# --- command line: run a shell command per job -----------------------------------------------
_PROGRESS_LINE = re.compile(r"^\s*progress[\s=:]+(\d{1,3})\s*%?\s*$", re.IGNORECASE)


def command_handler(command: str, output_key: str) -> Handler:
    """A handler that runs `command` in a shell with the job in EDGEJOBS_* variables; lines
    `progress 40` on its stdout are reported; exit 0 completes with `output_key` (formatted
    with the job's fields), another exit fails the job (retryable); a cancel kills it."""

    def handle(ctx: JobContext) -> str:
        key = output_key.format(**ctx.job)
        env = dict(
            os.environ,
            EDGEJOBS_JOB=json.dumps(ctx.job),
            EDGEJOBS_JOB_ID=ctx.job_id,
            EDGEJOBS_INPUT_VIDEO_KEY=str(ctx.job.get("input_video_key") or ""),
            EDGEJOBS_OUTPUT_VIDEO_KEY=key,
        )
        process = subprocess.Popen(
            command, shell=True, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
        )

        def kill() -> None:
            if process.poll() is not None:
                return  # finished (its process group may be gone)
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGTERM)

        ctx.on_cancel(kill)
        assert process.stdout is not None
        for line in process.stdout:
            match = _PROGRESS_LINE.match(line)
            if match and int(match.group(1)) <= 100:
                ctx.progress(int(match.group(1)))
        code = process.wait()
        if code != 0:
            raise RetryableError(f"command exited with status {code}")
        return key

    return handle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run an edgejobs export runner.")
    parser.add_argument("--base-url", default=os.environ.get("EDGEJOBS_BASE_URL", "http://127.0.0.1:8787"))
    parser.add_argument("--token", default=os.environ.get("EDGEJOBS_API_TOKEN", ""))
    parser.add_argument("--runner-id", default=os.environ.get("EDGEJOBS_RUNNER_ID", f"runner-{os.getpid()}"))
    parser.add_argument("--types", help="comma-separated job types to claim (default: any)")
    parser.add_argument("--lease-seconds", type=float, default=300)
    parser.add_argument("--max-jobs", type=int, default=1)
    parser.add_argument("--grace-seconds", type=float, default=30.0)
    parser.add_argument(
        "--finish-seconds", type=float, default=300.0, help="retry complete/fail this long past the lease"
    )
    parser.add_argument("--idle-seconds", type=float, default=1.0)
    parser.add_argument("--command", help="shell command per job (default: a 3-second demo)")
    parser.add_argument("--output-key", default="exports/{id}.mp4", help="output_video_key template")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler = command_handler(args.command or _DEMO_COMMAND, args.output_key)
    runner = Runner(
        args.base_url,
        args.token,
        args.runner_id,
        handler=handler,
        types=args.types.split(",") if args.types else None,
        lease_seconds=args.lease_seconds,
        max_jobs=args.max_jobs,
        grace_seconds=args.grace_seconds,
        finish_seconds=args.finish_seconds,
        idle_seconds=args.idle_seconds,
    )
    runner.run_forever()
    print(json.dumps(runner.counters.snapshot()), file=sys.stderr)
    return 0


_DEMO_COMMAND = "for p in 25 50 75; do sleep 1; echo progress $p; done"

if __name__ == "__main__":
    sys.exit(main())
