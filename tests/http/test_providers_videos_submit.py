"""Provider-backed videos submitted over HTTP: the Worker's real adapters (Pyodide's fetch)
start each video at the loopback Replicate and RunPod fakes on create (and on remix); a
refusal, no usable answer and the cron's one resubmission; a cancel sent on to the provider.
One charge per video, a refund at most once."""

from __future__ import annotations

import time

import pytest

from tests.support.fake_http import Reply
from tests.support.fake_providers import malformed, refused, server_error, slow, throttled
from tests.support.providers import (
    REPLICATE_MODEL,
    RUNPOD_MODEL,
    ProvidersWorld,
    now_ms,
)

TEN_MINUTES_MS = 600_000


def test_create_submits_to_replicate_and_stores_the_prediction(providers: ProvidersWorld) -> None:
    asked = len(providers.replicate.http.received("POST"))
    video = providers.running_video(REPLICATE_MODEL, seconds=6, input={"aspect_ratio": "16:9"})
    assert (video["status"], video["provider"], video["progress"]) == ("in_progress", "replicate", 0)
    sent = providers.replicate.http.received("POST")[asked:]
    assert len(sent) == 1 and sent[0].path == "/v1/models/acme/video-model/predictions"
    assert sent[0].json()["input"] == {"prompt": "A kite", "duration": 6, "aspect_ratio": "16:9"}
    assert "webhook" not in sent[0].json()  # PUBLIC_BASE_URL is not set here
    prediction = providers.replicate.jobs[video["provider_job_id"]]
    assert prediction["status"] == "starting"
    assert providers.status_trail(video["id"]) == [
        ("created", None, "queued"),
        ("status_changed", "queued", "in_progress"),
    ]
    check = providers.video_checks()[video["id"]]
    assert (check["provider_job_id"], check["last_status"]) == (video["provider_job_id"], "starting")
    assert check["next_check_at"] > now_ms() and check["wait_ms"] == 10_000


def test_create_submits_to_runpod_and_the_video_waits_queued(providers: ProvidersWorld) -> None:
    video = providers.running_video(RUNPOD_MODEL)
    assert (video["status"], video["provider"]) == ("queued", "runpod")
    assert providers.runpod.jobs[video["provider_job_id"]]["status"] == "IN_QUEUE"
    assert providers.status_trail(video["id"]) == [("created", None, "queued")]


def test_a_refusal_fails_the_video_refunds_it_and_answers_502(providers: ProvidersWorld) -> None:
    user = f"pv-refused-{time.time_ns()}"
    providers.client.put(f"/api/quotas/{user}", json={"videos_limit": 1})
    providers.replicate.fault(refused())
    key = {"idempotency-key": f"k-{time.time_ns()}"}
    body = {"model": REPLICATE_MODEL, "prompt": "A kite", "user_id": user}
    answer = providers.client.post("/api/videos", json=body, headers=key)
    assert answer.status_code == 502, answer.text
    error = answer.json()["error"]
    assert error["code"] == "provider_error"
    assert error["details"]["status"] == 422 and "duration must be at most 10" in error["details"]["message"]
    video = providers.get_video(error["details"]["video_id"])
    assert video["status"] == "failed" and video["provider_job_id"] is None
    assert video["error"]["code"] == "provider_refused" and "HTTP 422" in video["error"]["message"]
    assert providers.status_trail(video["id"]) == [
        ("created", None, "queued"),
        ("status_changed", "queued", "failed"),
    ]
    usage = providers.usage(user)
    assert (usage["videos_used"], usage["cents_used"], usage["failed"]) == (0, 0, 1)
    assert video["id"] not in providers.video_checks()
    # The client's retry with the same key: the same (failed) video, no second charge.
    again = providers.client.post("/api/videos", json=body, headers=key)
    assert again.status_code == 200 and again.json()["id"] == video["id"]
    assert providers.usage(user)["videos_used"] == 0
    # The refund gave the unit back: the limit of 1 still allows a video.
    assert providers.video(REPLICATE_MODEL, user_id=user).status_code == 201


@pytest.mark.parametrize(
    "fault",
    [throttled(retry_after=30), server_error(503), slow(3), malformed(), Reply(drop=True)],
    ids=["429", "503", "timeout", "malformed", "dropped"],
)
def test_a_transient_failure_keeps_the_video_queued_for_one_resubmission(
    providers: ProvidersWorld, fault: Reply
) -> None:
    providers.replicate.fault(fault)
    answer = providers.video(REPLICATE_MODEL)
    assert answer.status_code == 201, answer.text
    video = answer.json()
    assert (video["status"], video["provider_job_id"]) == ("queued", None)
    check = providers.video_checks()[video["id"]]
    assert check["provider_job_id"] is None and check["submits"] == 1
    assert check["next_check_at"] >= now_ms() + TEN_MINUTES_MS - 60_000
    providers.cron()  # not due yet: nothing is sent
    assert providers.get_video(video["id"])["provider_job_id"] is None
    providers.make_video_checks_due(video["id"])
    providers.cron()
    now = providers.get_video(video["id"])
    assert now["status"] == "in_progress" and now["provider_job_id"] in providers.replicate.jobs
    assert providers.video_checks()[video["id"]]["submits"] == 2


def test_a_failed_resubmission_fails_the_video_and_refunds_it_once(providers: ProvidersWorld) -> None:
    user = f"pv-resubmit-{time.time_ns()}"
    providers.runpod.fault(server_error(500))
    video = providers.video(RUNPOD_MODEL, user_id=user).json()
    assert video["provider_job_id"] is None and providers.usage(user)["videos_used"] >= 1
    used = providers.usage(user)["videos_used"]
    providers.runpod.fault(throttled(retry_after=5))
    providers.make_video_checks_due(video["id"])
    providers.cron()
    now = providers.get_video(video["id"])
    assert (now["status"], now["error"]["code"]) == ("failed", "provider_unavailable")
    assert providers.usage(user)["videos_used"] == used - 1
    assert video["id"] not in providers.video_checks()
    providers.cron()
    assert providers.usage(user)["videos_used"] == used - 1
    assert [e[0] for e in providers.status_trail(video["id"])] == ["created", "status_changed"]


def test_a_video_whose_submissions_both_went_unrecorded_fails_without_a_third(
    providers: ProvidersWorld,
) -> None:
    providers.replicate.fault(slow(3))
    video = providers.video(REPLICATE_MODEL).json()
    # The cron counted its attempt and died before recording the answer.
    providers.runtime.sql("UPDATE video_provider_checks SET submits = 2 WHERE video_id = ?", video["id"])
    providers.make_video_checks_due(video["id"])
    posted = len(providers.replicate.http.received("POST"))
    providers.cron()
    assert len(providers.replicate.http.received("POST")) == posted
    assert providers.get_video(video["id"])["error"]["code"] == "provider_unavailable"


def test_a_job_id_the_app_reports_is_polled_not_submitted(providers: ProvidersWorld) -> None:
    providers.runpod.put("app-made-1", "IN_PROGRESS")
    posted = len(providers.runpod.http.received("POST"))
    video = providers.running_video(RUNPOD_MODEL, provider_job_id="app-made-1")
    assert video["status"] == "queued" and len(providers.runpod.http.received("POST")) == posted
    providers.make_video_checks_due(video["id"])
    providers.cron()
    assert providers.get_video(video["id"])["status"] == "in_progress"


def test_a_remix_of_a_provider_backed_video_is_submitted_too(providers: ProvidersWorld) -> None:
    video = providers.running_video(REPLICATE_MODEL)
    providers.replicate.put(video["provider_job_id"], "succeeded", output="https://cdn.example/src.mp4")
    providers.make_video_checks_due(video["id"])
    assert providers.get_video(video["id"])["status"] == "completed"
    remix = providers.client.post(f"/api/videos/{video['id']}/remix", json={"prompt": "Same, at dusk"})
    assert remix.status_code == 201, remix.text
    made = remix.json()
    assert made["status"] == "in_progress" and made["provider_job_id"] in providers.replicate.jobs
    assert made["provider_job_id"] != video["provider_job_id"]


@pytest.mark.parametrize("down", [False, True], ids=["provider-up", "provider-down"])
def test_a_cancel_cancels_at_the_provider_too(providers: ProvidersWorld, down: bool) -> None:
    user = f"pv-cancel-{time.time_ns()}"
    video = providers.running_video(REPLICATE_MODEL, user_id=user)
    if down:
        providers.replicate.fault(server_error(503))
    answer = providers.client.post(f"/api/videos/{video['id']}/cancel")
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled", answer.text
    cancels = [r for r in providers.replicate.http.received("POST") if r.path.endswith("/cancel")]
    assert cancels and cancels[-1].path == f"/v1/predictions/{video['provider_job_id']}/cancel"
    expected = "starting" if down else "canceled"
    assert providers.replicate.jobs[video["provider_job_id"]]["status"] == expected
    assert providers.usage(user)["videos_used"] == 0
    providers.make_video_checks_due(video["id"])
    providers.cron()  # its sync row is let go; the video stays cancelled
    assert video["id"] not in providers.video_checks()
    assert providers.get_video(video["id"])["status"] == "cancelled"
