"""Generations of provider-backed videos over HTTP: each video of the generation is submitted
to the loopback provider after the one batch that charges and creates them all, exactly as a
video created alone (a refusal fails and refunds that video; no usable answer leaves it queued
for the cron's one resubmission)."""

from __future__ import annotations

import time

from tests.support.fake_providers import refused, server_error
from tests.support.providers import REPLICATE_MODEL, RUNPOD_MODEL, ProvidersWorld, now_ms

TEN_MINUTES_MS = 600_000


def _generation(providers: ProvidersWorld, model: str, count: int, user: str) -> tuple[int, dict]:
    body = {"model": model, "prompt": "A kite", "video_count": count, "user_id": user}
    answer = providers.client.post("/api/generations", json=body)
    return answer.status_code, answer.json()


def test_a_generation_submits_each_of_its_videos(providers: ProvidersWorld) -> None:
    posted = len(providers.replicate.http.received("POST"))
    status, generation = _generation(providers, REPLICATE_MODEL, 3, f"pg-ok-{time.time_ns()}")
    assert status == 201, generation
    sent = providers.replicate.http.received("POST")[posted:]
    assert len(sent) == 3 and all(s.json()["input"]["prompt"] == "A kite" for s in sent)
    videos = generation["videos"]
    assert [v["status"] for v in videos] == ["in_progress"] * 3
    job_ids = {v["provider_job_id"] for v in videos}
    assert len(job_ids) == 3 and job_ids <= set(providers.replicate.jobs)
    checks = providers.video_checks()
    assert all(checks[v["id"]]["provider_job_id"] == v["provider_job_id"] for v in videos)
    for video in videos:
        assert providers.status_trail(video["id"]) == [
            ("created", None, "queued"),
            ("status_changed", "queued", "in_progress"),
        ]
    providers.assert_videos_consistent()


def test_a_generation_the_provider_refuses_answers_502_and_refunds_every_video(
    providers: ProvidersWorld,
) -> None:
    user = f"pg-refused-{time.time_ns()}"
    providers.runpod.fault(refused(), refused())
    status, answer = _generation(providers, RUNPOD_MODEL, 2, user)
    assert status == 502, answer
    error = answer["error"]
    assert error["code"] == "provider_error" and error["details"]["provider"] == "runpod"
    generation_id = error["details"]["generation_id"]
    generation = providers.client.get(f"/api/generations/{generation_id}").json()
    assert [v["status"] for v in generation["videos"]] == ["failed", "failed"]
    assert all(v["error"]["code"] == "provider_refused" for v in generation["videos"])
    usage = providers.usage(user)
    assert (usage["videos_used"], usage["cents_used"], usage["failed"]) == (0, 0, 2)
    assert not set(providers.video_checks()) & {v["id"] for v in generation["videos"]}
    providers.assert_videos_consistent()


def test_a_generation_with_one_video_refused_answers_201_with_that_video_failed(
    providers: ProvidersWorld,
) -> None:
    user = f"pg-partial-{time.time_ns()}"
    providers.replicate.fault(refused())
    status, generation = _generation(providers, REPLICATE_MODEL, 2, user)
    assert status == 201, generation
    assert sorted(v["status"] for v in generation["videos"]) == ["failed", "in_progress"]
    assert providers.usage(user)["videos_used"] == 1
    providers.assert_videos_consistent()


def test_unanswered_submissions_leave_the_videos_queued_for_the_cron(providers: ProvidersWorld) -> None:
    providers.replicate.fault(server_error(503), server_error(503))
    status, generation = _generation(providers, REPLICATE_MODEL, 2, f"pg-later-{time.time_ns()}")
    assert status == 201, generation
    videos = generation["videos"]
    assert [(v["status"], v["provider_job_id"]) for v in videos] == [("queued", None)] * 2
    checks = providers.video_checks()
    for video in videos:
        assert checks[video["id"]]["submits"] == 1
        assert checks[video["id"]]["next_check_at"] >= now_ms() + TEN_MINUTES_MS - 60_000
    providers.make_video_checks_due(*(v["id"] for v in videos))
    providers.cron()
    again = providers.client.get(f"/api/generations/{generation['generation_id']}").json()
    assert [v["status"] for v in again["videos"]] == ["in_progress"] * 2
    providers.assert_videos_consistent()
