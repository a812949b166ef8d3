"""What the clients saw: every answer timed and classified, under one lock."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx


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
    abandoned: Counter[str] = field(default_factory=Counter)  # leases a runner let lapse, per job
    gave_up: Counter[str] = field(default_factory=Counter)  # of those: still 503 as the lease ended
    retries: Counter[str] = field(default_factory=Counter)  # runner calls sent again after a 503
    retried_completions: Counter[str] = field(default_factory=Counter)  # completes that needed one
    attempt_problems: list[str] = field(default_factory=list)
    video_owner: dict[str, str] = field(default_factory=dict)  # video id → user, for videos told 201
    videos_made: Counter[str] = field(default_factory=Counter)  # per user: videos told created
    video_refunds: Counter[str] = field(default_factory=Counter)  # per user: fails and cancels told 200
    video_told: Counter[tuple[str, str]] = field(default_factory=Counter)  # (video, event) told OK
    generations: list[tuple[str, str]] = field(default_factory=list)  # (user, generation id) made
    # With answers lost after the commit, a 503 may have changed something. What such 503s may
    # have done: events by kind (the job is not always known), counter increments and toggles
    # per id, and the Idempotency-Keys whose first 201 may have been lost.
    maybe_events: Counter[str] = field(default_factory=Counter)
    maybe_counter_writes: Counter[str] = field(default_factory=Counter)
    maybe_toggle_creates: Counter[str] = field(default_factory=Counter)
    maybe_toggle_deletes: Counter[str] = field(default_factory=Counter)
    maybe_keys: Counter[str] = field(default_factory=Counter)
    losing: bool = False  # the run loses answers after the commit (the video clients sit out)

    def add(self, **counters: Any) -> None:
        with self.lock:
            for name, item in counters.items():
                getattr(self, name)[item] += 1


class Api:
    """One client's connection, timing and classifying every answer."""

    def __init__(self, url: str, token: str, ledger: Ledger, faults: bool, losing: bool = False) -> None:
        self.http = httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=30)
        self.ledger = ledger
        self.faults = faults or losing
        self.losing = losing  # D1 may lose answers after the commit: a 503 may have changed things

    def maybe(self, response: httpx.Response, **counters: Any) -> bool:
        """A 503 that may have landed (answers are being lost): counted in `counters`."""
        if self.losing and response.status_code == 503:
            self.ledger.add(**counters)
            return True
        return False

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
