"""Provider-backed videos under CPython: the app in process with a scripted transport in place
of the network (what each provider answer does at create, in the cron and to the counts), and
the decisions on their own."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import pytest

from edgejobs.core.app import Env
from edgejobs.core.chunks import Budget
from edgejobs.core.config import Config
from edgejobs.core.db import Database
from edgejobs.core.outbound import Outbound, OutboundTimeout
from edgejobs.providers.clients import VideoProvider, webhook_url
from edgejobs.providers.replicate import map_prediction
from edgejobs.providers.results import Refused, Transient
from edgejobs.providers.runpod import RunPod, map_job
from edgejobs.videos import provider_sync
from edgejobs.videos.submit import outcome_statements
from edgejobs.videos.sync_task import sync_videos
from tests.support.client import InProcessClient, body_of
from tests.support.fake_d1 import FakeD1

MODELS = {
    "rep": {"cents_per_second": 10, "max_seconds": 20, "provider": "replicate", "provider_model": "acme/vid"},
    "bad": {"cents_per_second": 10, "max_seconds": 20, "provider": "replicate", "provider_model": "no-slash"},
    "plain": {"cents_per_second": 10, "max_seconds": 20, "provider": "none"},
}
VARS = {"API_TOKEN": "t", "VIDEO_MODELS": json.dumps(MODELS), "REPLICATE_API_TOKEN": "r8_x"}
Answer = tuple[int, Mapping[str, str], bytes] | Exception


def prediction(prediction_id: str, status: str, **fields: Any) -> Answer:
    return (
        200,
        {"content-type": "application/json"},
        json.dumps({"id": prediction_id, "status": status, **fields}).encode(),
    )


class Script:
    """A transport answering from a script, recording what was sent."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, str, Any]] = []

    async def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        self.sent.append((method, url, json.loads(body) if body else None))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class Client(InProcessClient):
    def __init__(self, fake: FakeD1, script: Script) -> None:
        super().__init__(fake, VARS)
        self.script = script

    def env(self) -> Env:
        return Env(self.fake, lambda: Config.from_env(self.vars.get), transport=self.script)


@pytest.fixture
def fake() -> FakeD1:
    return FakeD1.migrated()


def rows(fake: FakeD1, sql: str, *params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in fake.conn.execute(sql, params).fetchall()]


async def create(fake: FakeD1, script: Script, model: str = "rep", user: str = "u1") -> Any:
    return await Client(fake, script).request(
        "POST", "/api/videos", {"model": model, "prompt": "p", "user_id": user}
    )


async def test_a_taken_submission_stores_the_job_and_starts_the_video(fake: FakeD1) -> None:
    script = Script(prediction("p1", "starting"))
    response = await create(fake, script)
    video = body_of(response)
    assert response.status == 201 and (video["status"], video["provider_job_id"]) == ("in_progress", "p1")
    assert script.sent == [
        (
            "POST",
            "https://api.replicate.com/v1/models/acme/vid/predictions",
            {"input": {"prompt": "p", "duration": 5}},
        )
    ]
    [check] = rows(fake, "SELECT * FROM video_provider_checks")
    assert (check["provider_job_id"], check["last_status"], check["submits"]) == ("p1", "starting", 1)


async def test_a_refusal_is_a_502_and_a_refunded_failure(fake: FakeD1) -> None:
    refusal = (422, {"content-type": "application/json"}, b'{"detail": "bad duration"}')
    response = await create(fake, Script(refusal))
    assert response.status == 502
    error = body_of(response)["error"]
    assert (error["code"], error["details"]["status"], error["details"]["message"]) == (
        "provider_error",
        422,
        "bad duration",
    )
    [video] = rows(fake, "SELECT status, refunded, error FROM videos")
    assert (video["status"], video["refunded"], json.loads(video["error"])["code"]) == (
        "failed",
        1,
        "provider_refused",
    )
    [usage] = rows(fake, "SELECT videos_used, cents_used, failed FROM video_usage WHERE owner = 'u1'")
    assert usage == {"videos_used": 0, "cents_used": 0, "failed": 1}
    assert rows(fake, "SELECT * FROM video_provider_checks") == []


async def test_a_misconfigured_model_is_refused_without_a_request(fake: FakeD1) -> None:
    script = Script()
    response = await create(fake, script, "bad")
    assert response.status == 502 and body_of(response)["error"]["details"]["status"] is None
    assert script.sent == []


async def test_a_model_without_a_provider_has_no_sync_row_and_sends_nothing(fake: FakeD1) -> None:
    script = Script()
    assert (await create(fake, script, "plain")).status == 201
    assert script.sent == [] and rows(fake, "SELECT * FROM video_provider_checks") == []


async def test_a_lost_answer_leaves_it_queued_and_the_cron_submits_it_once_more(fake: FakeD1) -> None:
    script = Script(OutboundTimeout("no answer"))
    response = await create(fake, script)
    video = body_of(response)
    assert response.status == 201 and (video["status"], video["provider_job_id"]) == ("queued", None)
    [check] = rows(fake, "SELECT * FROM video_provider_checks")
    now = int(time.time() * 1000)
    assert check["submits"] == 1 and check["next_check_at"] > now + 9 * 60_000
    config = Config.from_env(VARS.get)

    async def run(at: int) -> int:
        budget = Budget.lasting(100, 100, 10_000, Outbound(script, log=None))
        return (await sync_videos(Database(fake), config, at, budget)).count

    assert await run(now) == 0 and len(script.sent) == 1  # not due yet
    script.answers.append(prediction("p2", "processing"))
    assert await run(now + 11 * 60_000) == 1
    [stored] = rows(fake, "SELECT status, provider_job_id FROM videos")
    assert stored == {"status": "in_progress", "provider_job_id": "p2"}
    [check] = rows(fake, "SELECT * FROM video_provider_checks")
    assert (check["submits"], check["provider_job_id"]) == (2, "p2")


async def test_the_same_failure_applied_twice_refunds_once(fake: FakeD1) -> None:
    await create(fake, Script(prediction("p3", "starting")))
    [video] = rows(fake, "SELECT id FROM videos")
    db = Database(fake)
    answer = map_prediction({"id": "p3", "status": "failed", "error": "NSFW"})
    assert not isinstance(answer, Transient)
    outcomes = []
    for _ in range(2):
        statements, outcome, _ = provider_sync.answer_statements(video["id"], 0, answer, None)
        results = await db.batch(statements)
        outcomes.append(outcome if results[0].rows else "unchanged")
    assert outcomes == ["failed", "unchanged"]
    events = rows(fake, "SELECT event, to_status FROM job_events WHERE job_id = ? ORDER BY id", video["id"])
    assert [e["to_status"] for e in events] == ["queued", "in_progress", "failed"]
    [usage] = rows(fake, "SELECT videos_used, failed, in_progress FROM video_usage WHERE owner = 'u1'")
    assert usage == {"videos_used": 0, "failed": 1, "in_progress": 0}


async def test_an_answer_about_another_job_changes_nothing(fake: FakeD1) -> None:
    await create(fake, Script(prediction("p4", "starting")))
    [video] = rows(fake, "SELECT id, transition_id FROM videos")
    answer = map_prediction({"id": "other", "status": "succeeded", "output": "https://x/y.mp4"})
    assert not isinstance(answer, Transient)
    statements, _, _ = provider_sync.answer_statements(video["id"], 0, answer, None)
    assert (await Database(fake).batch(statements))[0].rows == []
    assert rows(fake, "SELECT id, transition_id FROM videos") == [video]


@pytest.mark.parametrize(
    ("answer", "action", "outcome"),
    [
        (map_job({"id": "j", "status": "IN_QUEUE"}), "provider_update", "queued"),
        (map_job({"id": "j", "status": "IN_PROGRESS"}), "provider_start", "started"),
        (
            map_job({"id": "j", "status": "COMPLETED", "output": {"video_url": "https://v"}}),
            "provider_complete",
            "completed",
        ),
        (map_job({"id": "j", "status": "COMPLETED", "output": {"key": "k"}}), "provider_fail", "failed"),
        (map_job({"id": "j", "status": "FAILED"}), "provider_fail", "failed"),
        (map_job({"id": "j", "status": "TIMED_OUT"}), "provider_fail", "failed"),
        (map_job({"id": "j", "status": "CANCELLED"}), "provider_cancel", "cancelled"),
        (RunPod.expire("j"), "provider_fail", "failed"),
    ],
)
def test_each_answer_decides_one_action(answer: Any, action: str, outcome: str) -> None:
    chosen, values, named = provider_sync.decide(answer)
    assert (chosen.name, named) == (action, outcome)
    assert "provider_job_id" in chosen.guard
    if action == "provider_fail":
        assert json.loads(values["error"])["code"].startswith("provider_")


def test_nothing_new_is_the_same_status_without_more_progress() -> None:
    running = map_prediction({"id": "p", "status": "processing", "logs": " 40%|"})
    assert not isinstance(running, Transient)
    check = {"last_status": "processing", "progress": 40}
    assert provider_sync.says_nothing_new(running, check)
    assert not provider_sync.says_nothing_new(running, {**check, "progress": 30})
    assert not provider_sync.says_nothing_new(running, {**check, "last_status": "starting"})
    done = map_prediction({"id": "p", "status": "succeeded", "output": "https://v"})
    assert not isinstance(done, Transient)
    assert not provider_sync.says_nothing_new(done, {**check, "last_status": "succeeded"})


def test_a_submission_outcome_writes_by_its_kind() -> None:
    video = {"id": "v", "progress": 0}
    transient = Transient("timeout", "no answer")
    assert outcome_statements(video, "replicate", 0, transient, last=False) == []
    last = outcome_statements(video, "replicate", 0, transient, last=True)
    assert "provider_job_id IS NULL" in last[0].sql and "provider_unavailable" in json.dumps(last[0].params)
    refused = outcome_statements(video, "replicate", 0, Refused(401, "bad key"), last=False)
    assert "provider_refused" in json.dumps(refused[0].params)


def test_webhook_urls_follow_public_base_url() -> None:
    assert webhook_url(Config.from_env({}.get), "replicate") is None
    config = Config.from_env({"PUBLIC_BASE_URL": "https://w.example/", "RUNPOD_WEBHOOK_TOKEN": "tok"}.get)
    assert webhook_url(config, "replicate") == "https://w.example/api/providers/replicate/webhook"
    assert webhook_url(config, "runpod") == "https://w.example/api/providers/runpod/webhook/tok"
    assert webhook_url(Config.from_env({"PUBLIC_BASE_URL": "https://w.example"}.get), "runpod") is None
    with pytest.raises(ValueError):
        VideoProvider("other", Outbound(Script()), config)


async def test_a_run_without_room_reports_work_left_only_when_something_is_due(fake: FakeD1) -> None:
    config = Config.from_env(VARS.get)
    now = int(time.time() * 1000)

    async def tiny_run(at: int) -> Any:
        budget = Budget.lasting(100, 2, 10_000, Outbound(Script(), log=None))  # no room for a video
        return await sync_videos(Database(fake), config, at, budget)

    assert (await tiny_run(now)).more is False  # nothing tracked: a quiet run
    await create(fake, Script(OutboundTimeout("no answer")))
    assert (await tiny_run(now)).more is False  # tracked, not due yet
    assert (await tiny_run(now + 11 * 60_000)).more is True


async def test_a_submission_carries_the_webhook_url_when_public_base_url_is_set(fake: FakeD1) -> None:
    script = Script(prediction("p9", "starting"))
    client = Client(fake, script)
    client.vars = {**VARS, "PUBLIC_BASE_URL": "https://jobs.example.com"}
    response = await client.request("POST", "/api/videos", {"model": "rep", "prompt": "p", "user_id": "u9"})
    assert response.status == 201
    [(_, _, sent)] = script.sent
    assert sent["webhook"] == "https://jobs.example.com/api/providers/replicate/webhook"
    assert sent["webhook_events_filter"] == ["start", "completed"]
