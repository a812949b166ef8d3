"""Webhook deliveries over real sockets: the Worker (real Pyodide, real D1) sends to a loopback
receiver that verifies every signature with its own Standard Webhooks implementation.

The webhooks runtime retries after 1 s, 1 s, 1 s (WEBHOOK_RETRY_SCHEDULE=1,1,1) with a 2 s
timeout, so a whole schedule fits in a test; the production schedule is unit-tested.
"""

from __future__ import annotations

import time

import httpx

from tests.support.cron import run_cron
from tests.support.factories import create_export_job, unique_project
from tests.support.fake_http import Reply
from tests.support.runtime import LocalRuntime
from tests.support.webhooks import Subscriptions, wait_until


def _job(client: httpx.Client) -> dict:
    return create_export_job(client, project_id=unique_project(), type="overlay", input_video_key="in/a.mp4")


def test_a_created_job_is_delivered_signed_right_after_the_response(
    hooks: Subscriptions, hooks_client: httpx.Client
) -> None:
    sub = hooks.subscribe("/created", ["export_job.created"])
    job = _job(hooks_client)
    wait_until(lambda: hooks.receiver.ids("/created"), what="a delivery")  # no cron: waitUntil sent it
    headers, payload = hooks.receiver.verified["/created"][0]
    assert payload["type"] == "export_job.created"
    assert payload["data"] == hooks_client.get(f"/api/export-jobs/{job['id']}").json()
    assert payload["timestamp"] == job["created_at"]
    [delivery] = hooks.deliveries(sub["id"])
    assert headers["webhook-id"] == delivery["id"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert delivery["last_status_code"] == 204 and delivery["event_type"] == "export_job.created"


def test_receiver_down_then_delivered_by_the_cron_with_the_same_webhook_id(
    hooks: Subscriptions, hooks_client: httpx.Client, webhook_runtime: LocalRuntime
) -> None:
    sub = hooks.subscribe("/down", ["export_job.*"], Reply(status=503), Reply(status=500), Reply(status=200))
    _job(hooks_client)
    wait_until(lambda: hooks.receiver.served.get("/down"), what="a first attempt")
    [delivery] = wait_until(lambda: hooks.deliveries(sub["id"], status="pending"), what="pending")
    assert delivery["attempts"] == 1 and delivery["last_status_code"] == 503
    for _ in range(2):
        time.sleep(1.2)  # past the 1 s (+10%) retry step
        run_cron(webhook_runtime.url)
    [delivered] = hooks.deliveries(sub["id"])
    assert delivered["status"] == "delivered" and delivered["attempts"] == 3, delivered
    assert hooks.receiver.ids("/down") == [delivery["id"]] * 3


def test_410_disables_the_subscription_and_fails_the_delivery(
    hooks: Subscriptions, hooks_client: httpx.Client, webhook_runtime: LocalRuntime
) -> None:
    sub = hooks.subscribe("/gone", ["export_job.created", "export_job.cancelled"], Reply(status=410))
    job = _job(hooks_client)
    [failed] = wait_until(lambda: hooks.deliveries(sub["id"], status="failed"), what="a failed delivery")
    assert failed["last_status_code"] == 410 and failed["attempts"] == 1
    now = hooks_client.get(f"/api/webhooks/{sub['id']}").json()
    assert now["disabled"] is True and "410" in now["disabled_reason"]
    assert hooks_client.post(f"/api/export-jobs/{job['id']}/cancel").status_code == 200
    run_cron(webhook_runtime.url)
    assert hooks.receiver.served["/gone"] == 1  # nothing more is sent to it
    assert hooks.deliveries(sub["id"]) == [failed]
    retry = hooks_client.post(f"/api/webhooks/{sub['id']}/deliveries/{failed['id']}/retry")
    assert retry.status_code == 409 and retry.json()["error"]["code"] == "conflict"
    # Enabled again, it starts from the newest event: the cancel that happened meanwhile is not sent.
    assert (
        hooks_client.patch(f"/api/webhooks/{sub['id']}", json={"disabled": False}).json()["disabled"] is False
    )
    run_cron(webhook_runtime.url)
    assert hooks.deliveries(sub["id"]) == [failed]


def test_slow_receiver_times_out_and_is_retried(
    hooks: Subscriptions, hooks_client: httpx.Client, webhook_runtime: LocalRuntime
) -> None:
    sub = hooks.subscribe("/slow", ["export_job.created"], Reply(status=200, delay=3.5), Reply(status=200))
    _job(hooks_client)
    [pending] = wait_until(
        lambda: [d for d in hooks.deliveries(sub["id"]) if d["attempts"] == 1], what="a timed-out attempt"
    )
    assert pending["status"] == "pending" and pending["last_status_code"] is None
    assert "no answer in 2" in pending["last_error"]
    time.sleep(1.2)
    run_cron(webhook_runtime.url)
    [delivered] = hooks.deliveries(sub["id"])
    assert delivered["status"] == "delivered" and delivered["attempts"] == 2
    assert hooks.receiver.ids("/slow") == [pending["id"]] * 2  # the slow one was verified too


def test_failed_after_the_last_retry_then_retried_by_hand(
    hooks: Subscriptions, hooks_client: httpx.Client, webhook_runtime: LocalRuntime
) -> None:
    sub = hooks.subscribe("/broken", ["export_job.created"], Reply(status=500))
    _job(hooks_client)
    wait_until(lambda: hooks.receiver.served.get("/broken"), what="a first attempt")
    for _ in range(3):  # three retries (1 s each), then failed
        time.sleep(1.2)
        run_cron(webhook_runtime.url)
    [failed] = hooks.deliveries(sub["id"], status="failed")
    assert failed["attempts"] == 4 and failed["next_attempt_at"] is None
    assert hooks.deliveries(sub["id"], status="pending") == []
    hooks.receiver.answers["/broken"].append(Reply(status=202))
    hooks.receiver.served["/broken"] = 4  # the next answer is the 202
    retried = hooks_client.post(f"/api/webhooks/{sub['id']}/deliveries/{failed['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "delivered" and retried.json()["attempts"] == 5
    assert hooks.deliveries(sub["id"], status="delivered") == [retried.json()]
    assert set(hooks.receiver.ids("/broken")) == {failed["id"]}


def test_patterns_choose_the_events(hooks: Subscriptions, hooks_client: httpx.Client) -> None:
    everything = hooks.subscribe("/all", ["*"])
    cancels = hooks.subscribe("/cancels", ["export_job.cancelled"])
    job = _job(hooks_client)
    assert hooks_client.post(f"/api/export-jobs/{job['id']}/cancel").status_code == 200
    wait_until(lambda: len(hooks.receiver.ids("/all")) == 2 and hooks.receiver.ids("/cancels"), what="both")
    assert [d["event_type"] for d in hooks.deliveries(everything["id"])] == [
        "export_job.cancelled",
        "export_job.created",
    ]  # newest first
    [cancelled] = hooks.deliveries(cancels["id"])
    assert cancelled["event_type"] == "export_job.cancelled"
    assert hooks.receiver.verified["/cancels"][0][1]["data"]["status"] == "cancelled"
