"""Fault injection on the paths that make deliveries: the sender after a write (in
`waitUntil`) and the cron's outbox pass. Each D1 call position fails in turn (with D1's own
"overloaded" error, before it reaches D1); afterwards one clean cron run must leave every
event with exactly one delivery (consistency_webhooks.py), each delivered or pending, and the
receiver must have seen every delivery's `webhook-id`, once per recorded attempt or once more
(an attempt whose outcome could not be recorded is sent again: at least once).

Writes of export jobs are not changed by webhooks, so their own sweep (test_faults.py) covers
them; an event exists exactly when its change committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tests.support.consistency_webhooks import check_webhooks
from tests.support.cron import run_cron, trigger_cron
from tests.support.factories import create_export_job, unique_project
from tests.support.faults import d1_faults
from tests.support.runtime import LocalRuntime
from tests.support.webhooks import Subscriptions


def _quiet(local: LocalRuntime, settle: float = 0.6, timeout: float = 20) -> int:
    """Wait until the app has made no D1 call for `settle` s (background work done); the
    count of calls since the fault setting."""
    deadline = time.monotonic() + timeout
    calls = local.d1_faults()["calls"]
    while time.monotonic() < deadline:
        time.sleep(settle)
        now = local.d1_faults()["calls"]
        if now == calls:
            return int(calls)
        calls = now
    raise AssertionError("the app kept calling D1")


def _settle_and_check(hooks: Subscriptions, local: LocalRuntime, since: dict[str, int]) -> None:
    time.sleep(1.2)  # past the retry step of a failed attempt
    run_cron(local.url)
    assert check_webhooks(local.sql, since=since, settled=True) == []
    for sub_id in since:
        for row in local.sql(
            "SELECT id, status, attempts FROM webhook_deliveries WHERE subscription_id = ?", sub_id
        ):
            assert row["status"] in ("delivered", "pending"), row
            seen = hooks.receiver.ids("/f-" + sub_id[-6:]).count(row["id"])
            assert row["attempts"] <= seen <= row["attempts"] + 1 or row["status"] == "pending", (row, seen)


def _sweep(hooks: Subscriptions, local: LocalRuntime, act: Callable[[], None]) -> int:
    """Count the D1 calls of `act` (and its background work), then fail each in turn."""
    with d1_faults(local):
        act()
        total = _quiet(local)
    for position in range(1, total + 1):
        with d1_faults(local, fail_nth=[position]):
            act()
            _quiet(local)
    return total


def _subscribe(hooks: Subscriptions, local: LocalRuntime) -> dict[str, int]:
    sub = hooks.subscribe("/f-pending", ["*"])
    path = "/f-" + sub["id"][-6:]
    hooks.receiver.secrets[path] = sub["secret"]
    assert hooks.client.patch(
        f"/api/webhooks/{sub['id']}", json={"url": hooks.receiver.endpoint(path)}
    ).is_success
    newest = local.sql("SELECT coalesce(max(id), 0) AS id FROM job_events")[0]["id"]
    return {sub["id"]: newest}


def test_each_d1_call_after_a_write_failing_loses_no_event(
    hooks: Subscriptions, hooks_client: httpx.Client, webhook_runtime: LocalRuntime
) -> None:
    since = _subscribe(hooks, webhook_runtime)
    project = unique_project()

    def write() -> None:
        answer = hooks_client.post(
            "/api/export-jobs", json={"project_id": project, "type": "overlay", "input_video_key": "in/f.mp4"}
        )
        assert answer.status_code in (201, 503), answer.text

    total = _sweep(hooks, webhook_runtime, write)
    assert (
        total >= 7
    )  # the write's batch, then the sender: subscriptions, events, jobs, batch, due, claim, record
    _settle_and_check(hooks, webhook_runtime, since)


def test_each_d1_call_of_the_crons_outbox_pass_failing_loses_no_event(
    hooks: Subscriptions, webhook_runtime: LocalRuntime
) -> None:
    since = _subscribe(hooks, webhook_runtime)
    job = create_export_job(
        hooks.client, project_id=unique_project(), type="overlay", input_video_key="in/c.mp4"
    )
    time.sleep(0.5)
    _quiet(webhook_runtime)

    def plant_then_cron() -> None:
        # An event no sender has seen yet (written straight to D1: no waitUntil follows it), of a
        # job kind without a resource: the cron's pass alone must make its delivery.
        webhook_runtime.sql(
            "INSERT INTO job_events (job_kind, job_id, event, from_status, to_status, data, at)"
            " VALUES ('probe', ?, 'touched', 'a', 'b', NULL, ?)",
            job["id"],
            int(time.time() * 1000),
        )
        answer = trigger_cron(webhook_runtime.url)
        assert answer.status_code in (200, 500), answer.text

    _sweep(hooks, webhook_runtime, plant_then_cron)
    _settle_and_check(hooks, webhook_runtime, since)
    probes = webhook_runtime.sql(
        "SELECT count(*) AS n FROM webhook_deliveries"
        " WHERE subscription_id = ? AND event_type = 'probe.touched'",
        next(iter(since)),
    )
    assert probes[0]["n"] >= 2


def test_the_check_finds_an_event_a_cursor_passed_without_a_delivery(
    hooks: Subscriptions, webhook_runtime: LocalRuntime
) -> None:
    since = _subscribe(hooks, webhook_runtime)
    [sub_id] = since
    webhook_runtime.sql(
        "INSERT INTO job_events (job_kind, job_id, event, from_status, to_status, data, at)"
        " VALUES ('probe', 'lost', 'touched', 'a', 'b', NULL, 1)"
    )
    assert any("behind" in f for f in check_webhooks(webhook_runtime.sql, since=since, settled=True))
    webhook_runtime.sql(  # the cursor moved past it without its delivery: a lost event
        "UPDATE webhook_subscriptions SET event_cursor = (SELECT max(id) FROM job_events) WHERE id = ?",
        sub_id,
    )
    findings = check_webhooks(webhook_runtime.sql, since=since, settled=True)
    assert len(findings) == 1 and "(probe.touched) has no delivery" in findings[0], findings
