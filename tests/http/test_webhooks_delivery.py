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
