"""D1 failing at each call of the provider-backed videos' write paths: the create that submits,
the cron's sync, a GET's refresh and a webhook. Each answers a clean 503 having written nothing
(or, past the create batch, the video it made, left for the cron to submit), and the retry or
the next run finishes the work with one event per change and a refund at most once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cron import trigger_cron
from tests.support.fake_http import Reply
from tests.support.fake_providers import signed_webhook
from tests.support.faults import assert_unavailable, d1_faults, fingerprint
from tests.support.providers import REPLICATE_MODEL, RUNPOD_MODEL, RUNPOD_WEBHOOK_TOKEN, ProvidersWorld


def snapshot(world: ProvidersWorld) -> Any:
    return (
        fingerprint(world.runtime),
        world.runtime.sql("SELECT * FROM video_provider_checks ORDER BY video_id"),
        world.runtime.sql("SELECT webhook_id FROM provider_webhook_ids ORDER BY 1"),
    )


def d1_calls(world: ProvidersWorld, act: Any) -> int:
    with d1_faults(world.runtime):
        act()
        calls: int = world.runtime.d1_faults()["calls"]
    return calls


def user_of(world: ProvidersWorld, video_id: str) -> str:
    return str(world.runtime.sql("SELECT user_id FROM videos WHERE id = ?", video_id)[0]["user_id"])


def terminal_trail(world: ProvidersWorld, video_id: str) -> list[str]:
    return [e["event"] for e in world.video_events(video_id)]


def test_a_create_failing_at_each_d1_call(providers: ProvidersWorld) -> None:
    assert d1_calls(providers, lambda: providers.running_video(REPLICATE_MODEL)) == 2  # create, submission
    # The create batch fails: nothing is written and nothing is submitted.
    before = snapshot(providers)
    posted = len(providers.replicate.http.received("POST"))
    with d1_faults(providers.runtime, fail_nth=[1]):
        assert_unavailable(providers.video(REPLICATE_MODEL))
    assert snapshot(providers) == before
    assert len(providers.replicate.http.received("POST")) == posted
    # The submission's batch fails: the client gets its video (charged once), queued without a
    # job id, and the cron submits it again when its sync row comes due.
    with d1_faults(providers.runtime, fail_nth=[2]):
        answer = providers.video(REPLICATE_MODEL)
    assert answer.status_code == 201, answer.text
    video = answer.json()
    assert (video["status"], video["provider_job_id"]) == ("queued", None)
    assert providers.usage(user_of(providers, video["id"]))["videos_used"] == 1
    providers.make_video_checks_due(video["id"])
    providers.cron()
    now = providers.get_video(video["id"])
    assert now["status"] == "in_progress" and now["provider_job_id"] in providers.replicate.jobs
    assert providers.usage(user_of(providers, video["id"]))["videos_used"] == 1


def test_a_refused_create_whose_failure_is_not_recorded_fails_at_the_resubmission(
    providers: ProvidersWorld,
) -> None:
    providers.replicate.fault(Reply(status=422, json={"detail": "bad input"}))
    with d1_faults(providers.runtime, fail_nth=[2]):
        answer = providers.video(REPLICATE_MODEL)
    assert answer.status_code == 502 and answer.json()["error"]["code"] == "provider_error"
    video_id = answer.json()["error"]["details"]["video_id"]
    assert providers.get_video(video_id)["status"] == "queued"
    providers.replicate.fault(Reply(status=422, json={"detail": "bad input"}))
    providers.make_video_checks_due(video_id)
    providers.cron()
    now = providers.get_video(video_id)
    assert (now["status"], now["error"]["code"]) == ("failed", "provider_refused")
    assert providers.usage(user_of(providers, video_id))["videos_used"] == 0
    providers.assert_videos_consistent()


def test_a_cron_run_failing_at_any_d1_call_loses_nothing(providers: ProvidersWorld) -> None:
    def plant() -> dict[str, Any]:
        video = providers.running_video(RUNPOD_MODEL)
        providers.runpod.put(video["provider_job_id"], "FAILED", error="worker died")
        providers.make_video_checks_due(video["id"])
        return video

    for nth, video in providers.cron_failing_at_each_d1_call(plant):
        providers.make_video_checks_due(video["id"])
        assert trigger_cron(providers.runtime.url).status_code == 200
        assert terminal_trail(providers, video["id"]) == ["created", "status_changed"], nth
        assert providers.get_video(video["id"])["status"] == "failed"
        usage = providers.usage(user_of(providers, video["id"]))
        assert (usage["videos_used"], usage["failed"]) == (0, 1), nth
        assert video["id"] not in providers.video_checks()
    providers.assert_videos_consistent()


def test_a_refreshing_get_failing_at_each_d1_call(providers: ProvidersWorld) -> None:
    def plant() -> dict[str, Any]:
        video = providers.running_video(REPLICATE_MODEL)
        providers.replicate.put(video["provider_job_id"], "succeeded", output="https://cdn.example/f.mp4")
        providers.make_video_checks_due(video["id"])
        return video

    video = plant()
    assert d1_calls(providers, lambda: providers.get_video(video["id"])) == 3  # video, sync row, batch
    for nth in (1, 2, 3):
        video = plant()
        before = snapshot(providers)
        with d1_faults(providers.runtime, fail_nth=[nth]):
            answer = providers.client.get(f"/api/videos/{video['id']}")
        if nth < 3:
            assert_unavailable(answer)
        else:  # the provider answered, the write failed: the stored video, never a 503
            assert answer.status_code == 200 and answer.json()["status"] == "in_progress", answer.text
        assert snapshot(providers) == before, f"a failure at D1 call {nth} wrote something"
        assert providers.get_video(video["id"])["status"] == "completed"
        assert terminal_trail(providers, video["id"]) == ["created", "status_changed", "status_changed"]
    providers.assert_videos_consistent()


@pytest.mark.parametrize("provider", ["replicate", "runpod"])
def test_a_video_webhook_failing_at_each_d1_call_is_a_clean_503(
    providers: ProvidersWorld, provider: str
) -> None:
    def delivery() -> tuple[Any, dict[str, Any]]:
        if provider == "replicate":
            video = providers.running_video(REPLICATE_MODEL)
            body = providers.replicate.prediction(video["provider_job_id"], "failed", error="NSFW")
            headers, raw = signed_webhook(body)
            return lambda: providers.anon.post(
                "/api/providers/replicate/webhook", content=raw, headers=headers
            ), video
        video = providers.running_video(RUNPOD_MODEL)
        body = {"id": video["provider_job_id"], "status": "FAILED", "error": "oom"}
        url = f"/api/providers/runpod/webhook/{RUNPOD_WEBHOOK_TOKEN}"
        return lambda: providers.anon.post(url, json=body), video

    send, _ = delivery()
    # Replicate: the replay check, the video's look-up, the batch; RunPod: the export job's
    # look-up, the video's, the batch.
    assert d1_calls(providers, send) == 3
    for nth in (1, 2, 3):
        send, video = delivery()
        before = snapshot(providers)
        with d1_faults(providers.runtime, fail_nth=[nth]):
            assert_unavailable(send())
        assert snapshot(providers) == before, f"a 503 at D1 call {nth} wrote something"
        again = send()  # the provider retries
        assert again.status_code == 200 and again.json()["outcome"] == "failed", again.text
        assert providers.usage(user_of(providers, video["id"]))["videos_used"] == 0
        assert (
            terminal_trail(providers, video["id"])
            == ["created", "status_changed", "status_changed"][: 3 if provider == "replicate" else 2]
        )
