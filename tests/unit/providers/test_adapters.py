"""The adapters over real sockets (CPython's urllib as the transport) against the loopback
fakes: request shapes, and every failure as its typed outcome. The same adapters run in the
Worker's Pyodide in tests/integration/test_providers_pyodide.py and tests/http/."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from edgejobs.core.outbound import Outbound
from edgejobs.providers.replicate import Replicate
from edgejobs.providers.results import ProviderJob, Refused, Transient
from edgejobs.providers.runpod import RunPod
from tests.support.fake_http import Reply, refused_url
from tests.support.fake_providers import (
    REPLICATE_TOKEN,
    RUNPOD_KEY,
    FakeReplicate,
    FakeRunPod,
    malformed,
    server_error,
    slow,
    throttled,
)
from tests.support.urllib_transport import urllib_transport


@pytest.fixture(scope="module")
def runpod_fake() -> Iterator[FakeRunPod]:
    with FakeRunPod() as fake:
        yield fake


@pytest.fixture(scope="module")
def replicate_fake() -> Iterator[FakeReplicate]:
    with FakeReplicate() as fake:
        yield fake


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def runpod(fake: FakeRunPod, key: str = RUNPOD_KEY, timeout: float = 2.0) -> RunPod:
    return RunPod(Outbound(urllib_transport, log=None), fake.url, key, timeout)


def replicate(fake: FakeReplicate, token: str = REPLICATE_TOKEN, timeout: float = 2.0) -> Replicate:
    return Replicate(Outbound(urllib_transport, log=None), fake.url + "/", token, timeout)


def test_runpod_run_status_cancel(runpod_fake: FakeRunPod) -> None:
    client = runpod(runpod_fake)
    queued = run(client.run("ep", {"prompt": "a fox", "duration": 5}, webhook="https://w.example/hook"))
    assert isinstance(queued, ProviderJob) and queued.status == "queued" and queued.raw_status == "IN_QUEUE"
    sent = runpod_fake.http.received("POST", "/v2/ep/run")[-1]
    assert sent.headers["authorization"] == f"Bearer {RUNPOD_KEY}"
    assert sent.json() == {"input": {"prompt": "a fox", "duration": 5}, "webhook": "https://w.example/hook"}
    runpod_fake.put(queued.job_id, "COMPLETED", output={"video_url": "https://cdn/v.mp4"})
    done = run(client.status("ep", queued.job_id))
    assert isinstance(done, ProviderJob) and (done.status, done.file_url) == (
        "completed",
        "https://cdn/v.mp4",
    )
    runpod_fake.put("r-2", "IN_PROGRESS")
    cancelled = run(client.cancel("ep", "r-2"))
    assert isinstance(cancelled, ProviderJob) and cancelled.status == "cancelled"


def test_runpod_404_after_retention_is_final(runpod_fake: FakeRunPod) -> None:
    runpod_fake.put("old", "COMPLETED", output="https://cdn/x.mp4")
    runpod_fake.forget("old")
    gone = run(runpod(runpod_fake).status("ep", "old"))
    assert isinstance(gone, ProviderJob) and gone.expired and gone.status == "failed"
    assert gone.error is not None and gone.error["code"] == "provider_expired"


@pytest.mark.parametrize(
    ("reply", "reason", "status", "retry_after"),
    [
        (throttled(retry_after=7), "rate_limited", 429, 7.0),
        (server_error(500), "server_error", 500, None),
        (server_error(503), "server_error", 503, None),
        (malformed(), "invalid_answer", 200, None),
        (Reply(json={"id": "someone-else", "status": "COMPLETED"}), "invalid_answer", None, None),
        (slow(3), "timeout", None, None),
        (Reply(drop=True), "connection", None, None),
    ],
)
def test_runpod_transient_failures(
    runpod_fake: FakeRunPod, reply: Reply, reason: str, status: int | None, retry_after: float | None
) -> None:
    runpod_fake.put("j-t", "IN_PROGRESS")
    runpod_fake.fault(reply)
    outcome = run(runpod(runpod_fake, timeout=0.5).status("ep", "j-t"))
    assert isinstance(outcome, Transient), outcome
    assert (outcome.reason, outcome.status, outcome.retry_after) == (reason, status, retry_after)
    assert isinstance(run(runpod(runpod_fake).status("ep", "j-t")), ProviderJob)  # fault served once


def test_refusals_and_unreachable(runpod_fake: FakeRunPod, replicate_fake: FakeReplicate) -> None:
    refused = run(runpod(runpod_fake, key="wrong").status("ep", "j-t"))
    assert refused == Refused(401, "Unauthorized")
    bad_token = run(replicate(replicate_fake, token="wrong").get("p-x"))
    assert (
        isinstance(bad_token, Refused) and bad_token.status == 401 and "authentication" in bad_token.message
    )
    replicate_fake.fault(
        Reply(status=422, json={"title": "Input validation failed", "detail": "prompt: required"})
    )
    invalid = run(replicate(replicate_fake).create("acme/video-model", {}))
    assert invalid == Refused(422, "prompt: required")
    nowhere = RunPod(Outbound(urllib_transport, log=None), refused_url(), RUNPOD_KEY, 1.0)
    outcome = run(nowhere.status("ep", "j"))
    assert isinstance(outcome, Transient) and outcome.reason == "connection"


def test_replicate_create_get_cancel(replicate_fake: FakeReplicate) -> None:
    client = replicate(replicate_fake)
    started = run(client.create("acme/video-model", {"prompt": "a fox"}, webhook="https://w.example/r"))
    assert (
        isinstance(started, ProviderJob)
        and started.status == "in_progress"
        and started.raw_status == "starting"
    )
    sent = replicate_fake.http.received("POST", "/v1/models/acme/video-model/predictions")[-1]
    assert sent.headers["authorization"] == f"Bearer {REPLICATE_TOKEN}"
    assert sent.json() == {
        "input": {"prompt": "a fox"},
        "webhook": "https://w.example/r",
        "webhook_events_filter": ["start", "completed"],
    }
    replicate_fake.put(started.job_id, "succeeded", output=["https://replicate.delivery/o.mp4"])
    done = run(client.get(started.job_id))
    assert isinstance(done, ProviderJob) and done.file_url == "https://replicate.delivery/o.mp4"
    replicate_fake.put("p-run", "processing")
    cancelled = run(client.cancel("p-run"))
    assert isinstance(cancelled, ProviderJob) and cancelled.status == "cancelled"
    missing = run(client.get("p-unknown"))
    assert isinstance(missing, ProviderJob) and missing.expired and missing.status == "failed"


@pytest.mark.parametrize("reply", [throttled(retry_after=2), server_error(502), malformed(), slow(3)])
def test_replicate_transient_failures(replicate_fake: FakeReplicate, reply: Reply) -> None:
    replicate_fake.put("p-t", "processing")
    replicate_fake.fault(reply)
    assert isinstance(run(replicate(replicate_fake, timeout=0.5).get("p-t")), Transient)


def test_bad_model_and_endpoint_names_never_reach_the_network(
    runpod_fake: FakeRunPod, replicate_fake: FakeReplicate
) -> None:
    before = len(runpod_fake.http.received()) + len(replicate_fake.http.received())
    with pytest.raises(ValueError, match="owner/name"):
        run(replicate(replicate_fake).create("../admin", {}))
    with pytest.raises(ValueError, match="endpoint"):
        run(runpod(runpod_fake).status("ep/../x", "j"))
    assert len(runpod_fake.http.received()) + len(replicate_fake.http.received()) == before
