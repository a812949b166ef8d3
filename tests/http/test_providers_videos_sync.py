"""Provider-backed videos kept in sync over HTTP: the cron polls the loopback Replicate and
RunPod fakes, a GET refreshes a stale video, webhooks move them, all racing; every change
through the videos' state machine, one event per change, a refund at most once, the cron
within its bound and 6 requests at a time."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.fake_http import Reply
from tests.support.fake_providers import refused, server_error, signed_webhook, slow, throttled
from tests.support.providers import (
    MAX_PER_RUN,
    REPLICATE_MODEL,
    RUNPOD_MODEL,
    RUNPOD_WEBHOOK_TOKEN,
    ProvidersWorld,
    now_ms,
)


def test_polls_alone_move_a_video_queued_in_progress_completed(providers: ProvidersWorld) -> None:
    video = providers.running_video(RUNPOD_MODEL)
    job_id = video["provider_job_id"]
    providers.make_video_checks_due(video["id"])
    providers.cron()  # IN_QUEUE again: nothing new
    assert providers.get_video(video["id"])["status"] == "queued"
    assert providers.video_checks()[video["id"]]["wait_ms"] == 20_000  # unchanged: doubled
    providers.runpod.put(job_id, "IN_PROGRESS")
    providers.make_video_checks_due(video["id"])
    providers.cron()
    assert providers.get_video(video["id"])["status"] == "in_progress"
    assert providers.video_checks()[video["id"]]["wait_ms"] == 10_000  # changed: starts over
    providers.runpod.put(job_id, "COMPLETED", output={"video_url": "https://cdn.example/v.mp4"})
    providers.make_video_checks_due(video["id"])
    run = providers.cron()
    assert run["counts"]["videos_synced"] >= 1 and run["error"] is None
    done = providers.get_video(video["id"])
    assert (done["status"], done["progress"], done["file_url"]) == (
        "completed",
        100,
        "https://cdn.example/v.mp4",
    )
    assert providers.status_trail(video["id"]) == [
        ("created", None, "queued"),
        ("status_changed", "queued", "in_progress"),
        ("status_changed", "in_progress", "completed"),
    ]
    last = providers.video_events(video["id"])[-1]["data"]
    assert (last["source"], last["provider"], last["provider_status"]) == ("provider", "runpod", "COMPLETED")
    assert video["id"] not in providers.video_checks()


@pytest.mark.parametrize(
    ("status", "code"),
    [("FAILED", "provider_failed"), ("TIMED_OUT", "provider_timed_out"), ("404", "provider_expired")],
)
def test_a_provider_failure_fails_the_video_and_refunds_it_once(
    providers: ProvidersWorld, status: str, code: str
) -> None:
    user = f"pv-fail-{status.lower()}-{time.time_ns()}"
    video = providers.running_video(RUNPOD_MODEL, user_id=user)
    assert providers.usage(user)["videos_used"] == 1
    if status == "404":
        providers.runpod.forget(video["provider_job_id"])
    else:
        providers.runpod.put(video["provider_job_id"], status, error="CUDA out of memory")
    for _ in range(2):  # a second run finds nothing to do
        providers.make_video_checks_due()
        providers.cron()
    now = providers.get_video(video["id"])
    assert (now["status"], now["error"]["code"]) == ("failed", code)
    usage = providers.usage(user)
    assert (usage["videos_used"], usage["cents_used"], usage["failed"]) == (0, 0, 1)
    assert [e[0] for e in providers.status_trail(video["id"])] == ["created", "status_changed"]


def test_completed_without_a_file_url_fails_refunded(providers: ProvidersWorld) -> None:
    video = providers.running_video(REPLICATE_MODEL)
    providers.replicate.put(video["provider_job_id"], "succeeded", output={"note": "no url here"})
    providers.make_video_checks_due(video["id"])
    providers.cron()
    assert providers.get_video(video["id"])["error"]["code"] == "provider_no_output"


@pytest.mark.parametrize(
    ("fault", "least_wait_ms"),
    [(throttled(retry_after=120), 120_000), (server_error(502), 20_000), (slow(3), 20_000)],
    ids=["429", "502", "timeout"],
)
def test_no_answer_to_a_poll_only_reschedules(
    providers: ProvidersWorld, fault: Reply, least_wait_ms: int
) -> None:
    video = providers.running_video(REPLICATE_MODEL)
    providers.replicate.put(video["provider_job_id"], "succeeded", output="https://cdn.example/r.mp4")
    before = (providers.get_video(video["id"]), providers.video_events(video["id"]))
    providers.make_video_checks_due(video["id"])
    providers.replicate.fault(fault)
    started = now_ms()
    providers.cron()
    providers.runtime.sql(  # keep the GET below from refreshing it
        "UPDATE video_provider_checks SET checked_at = ? WHERE video_id = ?", now_ms(), video["id"]
    )
    assert (providers.get_video(video["id"]), providers.video_events(video["id"])) == before
    assert providers.video_checks()[video["id"]]["next_check_at"] >= started + least_wait_ms
    providers.make_video_checks_due(video["id"])
    providers.cron()
    assert providers.get_video(video["id"])["status"] == "completed"


def test_a_get_refreshes_a_stale_running_video(providers: ProvidersWorld) -> None:
    video = providers.running_video(REPLICATE_MODEL)
    logs = "Generating\n 45%|████▌     | 45/100\n"
    providers.replicate.put(video["provider_job_id"], "processing", logs=logs)
    got = providers.get_video(video["id"])  # asked a moment ago (the submission): no refresh
    assert got["progress"] == 0
    providers.make_video_checks_due(video["id"])
    asked = len(providers.replicate.http.received("GET"))
    assert providers.get_video(video["id"])["progress"] == 45
    assert len(providers.replicate.http.received("GET")) == asked + 1
    assert providers.get_video(video["id"])["progress"] == 45  # just asked: no second request
    assert len(providers.replicate.http.received("GET")) == asked + 1
    providers.replicate.put(video["provider_job_id"], "succeeded", output=["https://cdn.example/a.mp4"])
    providers.make_video_checks_due(video["id"])
    done = providers.get_video(video["id"])
    assert (done["status"], done["file_url"]) == ("completed", "https://cdn.example/a.mp4")
    assert video["id"] not in providers.video_checks()


@pytest.mark.parametrize("fault", [server_error(500), slow(3), refused(401)], ids=["500", "timeout", "401"])
def test_a_get_answers_the_stored_video_when_the_provider_is_down(
    providers: ProvidersWorld, fault: Reply
) -> None:
    video = providers.running_video(REPLICATE_MODEL)
    providers.replicate.put(video["provider_job_id"], "succeeded", output="https://cdn.example/x.mp4")
    providers.make_video_checks_due(video["id"])
    providers.replicate.fault(fault)
    answer = providers.client.get(f"/api/videos/{video['id']}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "in_progress"
    assert providers.video_checks()[video["id"]]["checked_at"] >= now_ms() - 30_000


def test_webhooks_alone_move_a_video(providers: ProvidersWorld) -> None:
    video = providers.running_video(REPLICATE_MODEL)
    prediction = providers.replicate.prediction(
        video["provider_job_id"], "succeeded", output=["https://cdn.example/w.mp4"]
    )
    headers, raw = signed_webhook(prediction)
    answer = providers.anon.post("/api/providers/replicate/webhook", content=raw, headers=headers)
    assert answer.json() == {"status": "applied", "target": "video", "outcome": "completed", "reason": None}
    assert providers.get_video(video["id"])["file_url"] == "https://cdn.example/w.mp4"
    again = providers.anon.post("/api/providers/replicate/webhook", content=raw, headers=headers)
    assert again.json()["reason"] == "replayed"
    runpod_video = providers.running_video(RUNPOD_MODEL)
    url = f"/api/providers/runpod/webhook/{RUNPOD_WEBHOOK_TOKEN}"
    body = {"id": runpod_video["provider_job_id"], "status": "IN_PROGRESS"}
    assert providers.anon.post(url, json=body).json()["outcome"] == "started"
    body = {"id": runpod_video["provider_job_id"], "status": "CANCELLED"}
    assert providers.anon.post(url, json=body).json()["outcome"] == "cancelled"
    assert providers.anon.post(url, json=body).json()["outcome"] == "unchanged"
    assert [e[0] for e in providers.status_trail(runpod_video["id"])] == [
        "created",
        "status_changed",
        "cancelled",
    ]


@pytest.mark.parametrize("final", ["COMPLETED", "FAILED"])
def test_webhook_poll_and_refresh_racing_make_one_terminal_event(
    providers: ProvidersWorld, final: str
) -> None:
    users = [f"pv-race-{final.lower()}-{i}-{time.time_ns()}" for i in range(5)]
    videos = [providers.running_video(RUNPOD_MODEL, user_id=user) for user in users]
    for video in videos:
        output = {"video_url": f"https://cdn.example/{video['id']}.mp4"} if final == "COMPLETED" else None
        providers.runpod.put(video["provider_job_id"], final, output=output, error="boom")
    providers.make_video_checks_due()
    url = f"/api/providers/runpod/webhook/{RUNPOD_WEBHOOK_TOKEN}"

    def hook(video: dict[str, Any]) -> int:
        body = providers.runpod.jobs[video["provider_job_id"]]
        return providers.anon.post(url, json=body).status_code

    def read(video: dict[str, Any]) -> int:
        return providers.client.get(f"/api/videos/{video['id']}").status_code

    with ThreadPoolExecutor(12) as pool:
        cron = pool.submit(providers.cron)
        codes = list(pool.map(hook, videos)) + list(pool.map(read, videos))
        cron.result()
    assert set(codes) == {200}
    for user, video in zip(users, videos, strict=True):
        trail = providers.status_trail(video["id"])
        assert trail == [("created", None, "queued"), ("status_changed", "queued", final.lower())], trail
        usage = providers.usage(user)
        assert usage["videos_used"] == (1 if final == "COMPLETED" else 0)
        assert usage[final.lower()] == 1
    providers.assert_videos_consistent()


def test_many_running_videos_drain_within_the_bound_six_at_a_time(providers: ProvidersWorld) -> None:
    videos = [providers.running_video(RUNPOD_MODEL) for _ in range(MAX_PER_RUN * 2 + 3)]
    for video in videos:
        providers.runpod.put(
            video["provider_job_id"], "COMPLETED", output={"url": "https://cdn.example/d.mp4"}
        )
    providers.make_video_checks_due()
    runs, served, most_in_flight = providers.cron_runs_overlapping(3)
    assert [run["counts"]["videos_synced"] for run in runs] == [MAX_PER_RUN, MAX_PER_RUN, 3]
    assert [run["more"] for run in runs] == [True, True, False]
    assert served == len(videos) and most_in_flight == 6
    assert {providers.get_video(v["id"])["status"] for v in videos} == {"completed"}


def test_a_video_cancelled_meanwhile_is_let_go(providers: ProvidersWorld) -> None:
    video = providers.running_video(REPLICATE_MODEL)
    assert providers.client.post(f"/api/videos/{video['id']}/cancel").status_code == 200
    providers.replicate.put(video["provider_job_id"], "succeeded", output="https://cdn.example/late.mp4")
    providers.make_video_checks_due(video["id"])
    providers.cron()
    now = providers.get_video(video["id"])
    assert (now["status"], now["file_url"]) == ("cancelled", None)
    assert video["id"] not in providers.video_checks()


def test_health_counts_the_videos_sync_lag(providers: ProvidersWorld) -> None:
    assert providers.anon.get("/health").json()["provider_sync_lag_seconds"] is None
    video = providers.running_video(RUNPOD_MODEL)
    assert providers.anon.get("/health").json()["provider_sync_lag_seconds"] == 0
    providers.runtime.sql(
        "UPDATE video_provider_checks SET next_check_at = ? WHERE video_id = ?",
        now_ms() - 90_000,
        video["id"],
    )
    assert providers.anon.get("/health").json()["provider_sync_lag_seconds"] >= 90
    providers.assert_videos_consistent()
