"""D1 failing at each call of the providers' paths: a webhook answers a clean 503 and changes
nothing (the provider's retry then applies it); a cron run's resync that breaks midway leaves
every job either untouched or moved with its event, and the next run finishes the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.cron import trigger_cron
from tests.support.exports import events, get
from tests.support.fake_providers import signed_webhook
from tests.support.faults import assert_unavailable, d1_faults
from tests.support.providers import RUNPOD_WEBHOOK_TOKEN, ProvidersWorld


def snapshot(world: ProvidersWorld) -> Any:
    return (
        world.runtime.sql("SELECT id, status, transition_id FROM export_jobs ORDER BY id"),
        world.runtime.sql("SELECT count(*) AS n FROM job_events"),
        world.runtime.sql("SELECT webhook_id FROM provider_webhook_ids ORDER BY 1"),
    )


def runpod_delivery(world: ProvidersWorld) -> tuple[Callable[[], httpx.Response], dict[str, Any]]:
    job = world.running_export_job()
    body = {
        "id": job["runpod_job_id"],
        "status": "COMPLETED",
        "output": {"output_video_key": "exports/f.mp4"},
    }
    url = f"/api/providers/runpod/webhook/{RUNPOD_WEBHOOK_TOKEN}"
    return lambda: world.anon.post(url, json=body), job


def replicate_delivery(world: ProvidersWorld) -> tuple[Callable[[], httpx.Response], dict[str, Any]]:
    headers, raw = signed_webhook({"id": "p-faults", "status": "succeeded", "output": None})
    return lambda: world.anon.post("/api/providers/replicate/webhook", content=raw, headers=headers), {}


@pytest.mark.parametrize("delivery", [runpod_delivery, replicate_delivery], ids=["runpod", "replicate"])
def test_every_failing_d1_call_of_a_webhook_is_a_clean_503(providers: ProvidersWorld, delivery: Any) -> None:
    send, _job = delivery(providers)
    with d1_faults(providers.runtime):
        assert send().status_code == 200
        calls = providers.runtime.d1_faults()["calls"]
    # RunPod: the export job's look-up, then one batch; Replicate: the replay check, the look-up
    # of a video carrying the prediction (none), then the webhook id alone.
    assert calls == (2 if delivery is runpod_delivery else 3)
    for nth in range(1, calls + 1):
        send, job = delivery(providers)
        before = snapshot(providers)
        with d1_faults(providers.runtime, fail_nth=[nth]):
            assert_unavailable(send())
        assert snapshot(providers) == before, f"a 503 at D1 call {nth} wrote something"
        again = send()  # the provider retries
        assert again.status_code == 200 and again.json()["reason"] != "replayed", again.text
        if job:
            assert get(providers.client, job["id"])["status"] == "complete"
        providers.runtime.sql("DELETE FROM provider_webhook_ids")


def test_a_cron_run_failing_at_any_d1_call_loses_nothing(providers: ProvidersWorld) -> None:
    def plant() -> dict[str, Any]:
        job = providers.running_export_job()
        providers.runpod.put(job["runpod_job_id"], "COMPLETED", output={"output_video_key": "exports/c.mp4"})
        return job

    for nth, job in providers.cron_failing_at_each_d1_call(plant):
        providers.make_checks_due()
        assert trigger_cron(providers.runtime.url).status_code == 200
        history = [e["event"] for e in events(providers.client, job["id"])]
        assert history.count("completed") == 1, (nth, history)
        assert get(providers.client, job["id"])["status"] == "complete"
        assert job["id"] not in providers.checks()
