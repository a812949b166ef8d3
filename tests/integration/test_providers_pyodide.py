"""The provider adapters in the Worker's own interpreter: real Pyodide, its `js.fetch` (Node's),
`platform.fetch.js_transport` and `Outbound`, against the loopback fakes of Replicate and
RunPod. One Pyodide run does every scenario (it takes seconds to load); each test checks some."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

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
from tests.support.pyodide import run_in_pyodide

SNIPPET = """
import json
from edgejobs.core.outbound import Outbound
from edgejobs.platform.fetch import js_transport
from edgejobs.providers.replicate import Replicate
from edgejobs.providers.runpod import RunPod

def show(outcome):
    return {{"type": type(outcome).__name__, **outcome._asdict()}}

results = {{}}
rp = RunPod(Outbound(js_transport, log=None), {runpod!r}, {runpod_key!r}, 0.5)
for name in ("throttled", "server_error", "malformed", "slow", "in_progress"):
    results[name] = show(await rp.status("ep", "j1"))
results["expired"] = show(await rp.status("ep", "gone"))
results["run"] = show(await rp.run("ep", {{"prompt": "a fox", "duration": 5}}, webhook="https://w.example/h"))
results["cancel"] = show(await rp.cancel("ep", "j1"))
wrong = RunPod(Outbound(js_transport, log=None), {runpod!r}, "nope", 2)
results["wrong_key"] = show(await wrong.status("ep", "j1"))

rep = Replicate(Outbound(js_transport, log=None), {replicate!r}, {replicate_token!r}, 0.5)
results["r_throttled"] = show(await rep.get("p1"))
results["r_succeeded"] = show(await rep.get("p1"))
results["r_create"] = show(await rep.create("acme/video-model", {{"prompt": "a fox"}}))
results["r_missing"] = show(await rep.get("p-none"))
json.dumps(results)
"""


@dataclass
class Run:
    runpod: FakeRunPod
    replicate: FakeReplicate
    results: dict[str, Any]


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with FakeRunPod() as runpod, FakeReplicate() as replicate:
        runpod.put("j1", "IN_PROGRESS")
        runpod.put("gone", "COMPLETED")
        runpod.forget("gone")
        runpod.fault(throttled(retry_after=9), server_error(502), malformed(), slow(3))
        replicate.put("p1", "succeeded", output="https://replicate.delivery/p1.mp4")
        replicate.fault(throttled(retry_after=4))
        code = SNIPPET.format(
            runpod=runpod.url, runpod_key=RUNPOD_KEY, replicate=replicate.url, replicate_token=REPLICATE_TOKEN
        )
        yield Run(runpod, replicate, run_in_pyodide(code))


def test_runpod_failures_are_typed_outcomes_in_pyodide(run: Run) -> None:
    r = run.results
    assert (r["throttled"]["type"], r["throttled"]["reason"], r["throttled"]["retry_after"]) == (
        "Transient", "rate_limited", 9.0,
    )  # fmt: skip
    assert (r["server_error"]["reason"], r["server_error"]["status"]) == ("server_error", 502)
    assert r["malformed"]["reason"] == "invalid_answer"
    assert r["slow"]["reason"] == "timeout"
    assert r["wrong_key"] == {"type": "Refused", "status": 401, "message": "Unauthorized"}


def test_runpod_answers_are_mapped_in_pyodide(run: Run) -> None:
    r = run.results
    assert (r["in_progress"]["type"], r["in_progress"]["status"]) == ("ProviderJob", "in_progress")
    assert r["expired"]["expired"] is True and r["expired"]["error"]["code"] == "provider_expired"
    assert (r["run"]["status"], r["run"]["raw_status"]) == ("queued", "IN_QUEUE")
    assert r["cancel"]["status"] == "cancelled"
    sent = run.runpod.http.received("POST", "/v2/ep/run")[0]
    assert sent.json() == {"input": {"prompt": "a fox", "duration": 5}, "webhook": "https://w.example/h"}
    assert sent.headers["authorization"] == f"Bearer {RUNPOD_KEY}"


def test_replicate_in_pyodide(run: Run) -> None:
    r = run.results
    assert (r["r_throttled"]["reason"], r["r_throttled"]["retry_after"]) == ("rate_limited", 4.0)
    assert (r["r_succeeded"]["status"], r["r_succeeded"]["file_url"]) == (
        "completed", "https://replicate.delivery/p1.mp4",
    )  # fmt: skip
    assert (r["r_create"]["status"], r["r_create"]["raw_status"]) == ("in_progress", "starting")
    assert r["r_missing"]["expired"] is True
