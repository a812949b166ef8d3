"""Ten seconds of concurrent load, the short version of `make soak`.

A runtime of its own (a fresh D1, failed export jobs retried after 1–2 s), 19 clients mixing
every route with the cron firing and 2% of D1 calls failing; then the same (without the video
clients) with 2% of D1 calls losing their answer after the commit. Asserts correctness only — what
the soak (soak/) checks afterwards — never timings; the report is printed (`pytest -s`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from soak.run import run_load
from soak.workload import ALL_ROUTES, RUNTIME_VARS
from tests.support.runtime import LocalRuntime, local_runtime

SECONDS = 10


@pytest.fixture(scope="module")
def load_runtime(runtime: LocalRuntime | None) -> Iterator[LocalRuntime]:
    if runtime is None:
        pytest.skip("needs the local runtime (plants lapsed leases, injects faults, reads D1)")
    with local_runtime(vars=RUNTIME_VARS) as rt:
        yield rt


@pytest.mark.slow
def test_ten_seconds_of_concurrent_load_lose_nothing(load_runtime: LocalRuntime) -> None:
    report = run_load(load_runtime.url, seconds=SECONDS, local=load_runtime, fault_rate=0.02, seed=6)
    print(report.render())
    assert not report.problems, report.render()
    # The mix really ran: every route was called, and every kind of transition happened.
    routes = {route for route, samples in report.ledger.latencies.items() if samples}
    assert routes >= set(ALL_ROUTES), sorted(set(ALL_ROUTES) - routes)
    told = {event for (_, event) in report.ledger.transitions}
    assert told >= {"created", "claimed", "completed", "failed", "cancelled", "retried"}, told
    assert sum(report.ledger.counter_writes.values()) > 0
    # Videos: made, refused at the limit, moved through their states, cancelled and refunded.
    assert sum(report.ledger.videos_made.values()) > 0
    statuses = report.ledger.statuses
    assert statuses["POST /api/videos"][429] + statuses["POST /api/generations"][429] > 0
    assert {event for (_, event) in report.ledger.video_told} >= {"created", "status_changed", "cancelled"}
    assert sum(report.ledger.video_refunds.values()) > 0


@pytest.mark.slow
def test_ten_seconds_of_load_while_answers_are_lost_after_the_commit(runtime: LocalRuntime | None) -> None:
    """2% of D1 calls commit and then fail: a 503 may have landed. Runners resend the same
    complete/fail and are answered once; the checks allow what a lost answer may have done,
    and no more (a runtime of its own: the cron runs that fail here stay unfinished)."""
    if runtime is None:
        pytest.skip("needs the local runtime (injects faults, reads D1)")
    with local_runtime(vars=RUNTIME_VARS) as rt:
        report = run_load(rt.url, seconds=SECONDS, local=rt, lose_rate=0.02, seed=7)
    print(report.render())
    assert not report.problems, report.render()
    assert report.injected["lost"] > 0  # answers were lost
    told = {event for (_, event) in report.ledger.transitions}
    assert told >= {"created", "claimed", "completed", "failed"}, told
