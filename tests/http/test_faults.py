"""Fault injection: D1 calls fail the way an overloaded D1 does, and the API
answers 503 `database_unavailable` with `Retry-After`, never a 500, and never leaves
anything half-written.

The runtime's injector (tools/runtime/faults.mjs) counts the app's D1 calls — one per
statement run, one per `batch()` — from the moment a setting is posted, and fails the
chosen ones *before* they reach D1, with D1's own "overloaded" error. So for every write
route the sweep below first counts the calls of a clean request, then fails each position
in turn on a fresh setup and checks that (1) the answer is a proper 503, (2) nothing in D1
changed at all (a fingerprint of every table), (3) the same request succeeds once D1 is
back, and (4) the consistency check (tests/support/consistency.py) finds nothing.

The injector is process-wide: faults are always cleared in a `finally`, and every test
leaves no pending job behind (other tests' claims take any pending job).

This file: every write route with each of its D1 calls failing in turn. Sustained failure
rates, maintenance runs and reads under faults: test_faults_sustained.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.faults import (
    World,
    assert_unavailable,
    d1_faults,
    fingerprint,
)

# --- the write routes, each as a scenario -----------------------------------------------------------
Act = Callable[[World], httpx.Response]


@dataclass(frozen=True)
class Scenario:
    """`setup(world)` prepares a fresh state (faults off) and returns the request to make;
    a clean run of that request answers `ok`."""

    setup: Callable[[World], Act]
    ok: int


def _veo_create(w: World) -> Act:
    job_id = w.veo_id()
    return lambda w: w.client.put(f"/api/veo/jobs/{job_id}", json={"status": "processing", "scenes": [1]})


def _veo_create_only(w: World) -> Act:
    job_id = w.veo_id()
    return lambda w: w.client.put(f"/api/veo/jobs/{job_id}", json={"v": 1}, headers={"if-none-match": "*"})


def _veo_update(w: World) -> Act:
    job_id = w.veo_id()
    w.put_veo(job_id, {"status": "processing", "v": 1})
    return lambda w: w.client.put(f"/api/veo/jobs/{job_id}", json={"status": "completed", "v": 2})


def _veo_update_if_match(w: World) -> Act:
    job_id = w.veo_id()
    etag = w.put_veo(job_id, {"status": "processing", "v": 1}).headers["etag"]
    return lambda w: w.client.put(
        f"/api/veo/jobs/{job_id}", json={"status": "failed", "v": 2}, headers={"if-match": etag}
    )


def _veo_update_stale_if_match(w: World) -> Act:
    job_id = w.veo_id()
    w.put_veo(job_id, {"v": 1})
    return lambda w: w.client.put(f"/api/veo/jobs/{job_id}", json={"v": 2}, headers={"if-match": '"stale"'})


def _veo_delete(w: World) -> Act:
    job_id = w.veo_id()
    w.put_veo(job_id, {"v": 1})
    return lambda w: w.client.delete(f"/api/veo/jobs/{job_id}")


def _veo_delete_if_match(w: World) -> Act:
    job_id = w.veo_id()
    etag = w.put_veo(job_id, {"v": 1}).headers["etag"]
    return lambda w: w.client.delete(f"/api/veo/jobs/{job_id}", headers={"if-match": etag})


def _veo_delete_all(w: World) -> Act:
    for _ in range(2):
        w.put_veo(w.veo_id(), {"status": "completed"})
    return lambda w: w.client.delete("/api/veo/jobs", params={"confirm": "all"})


def _create(w: World) -> Act:
    return lambda w: w.note(w.client.post("/api/export-jobs", json=w.body()))


def _create_with_key(w: World) -> Act:
    key = f"fault-{secrets.token_hex(8)}"
    return lambda w: w.note(
        w.client.post("/api/export-jobs", json=w.body(), headers={"idempotency-key": key})
    )


def _create_replay(w: World) -> Act:
    key = f"fault-{secrets.token_hex(8)}"
    w.create(key)
    return lambda w: w.client.post("/api/export-jobs", json=w.body(), headers={"idempotency-key": key})


def _create_key_conflict(w: World) -> Act:
    key = f"fault-{secrets.token_hex(8)}"
    w.create(key)
    body = w.body(input_video_key="in/other.mp4")
    return lambda w: w.client.post("/api/export-jobs", json=body, headers={"idempotency-key": key})


def _claim(w: World) -> Act:
    w.create()
    runner_id = f"fault-runner-{secrets.token_hex(4)}"
    return lambda w: w.client.post(
        "/api/export-jobs/claim", json={"runner_id": runner_id, "lease_seconds": 60}
    )


def _claim_none(w: World) -> Act:
    return lambda w: w.client.post("/api/export-jobs/claim", json={"runner_id": "fault-idle"})


def _runner_action(
    path: str, body: dict[str, Any], method: str = "POST", *, as_other: bool = False
) -> Callable[[World], Act]:
    def setup(w: World) -> Act:
        runner_id = f"fault-runner-{secrets.token_hex(4)}"
        job = w.claimed(runner_id)
        sender = "someone-else" if as_other else runner_id
        url = f"/api/export-jobs/{job['id']}{path}"
        lease = {"runner_id": sender, "lease_id": job["lease_id"]}
        return lambda w: w.client.request(method, url, json={**lease, **body})

    return setup


def _retry(w: World) -> Act:
    runner_id = f"fault-runner-{secrets.token_hex(4)}"
    job = w.claimed(runner_id)
    failed = w.client.post(f"/api/export-jobs/{job['id']}/fail", json={"runner_id": runner_id, "error": "x",
        "lease_id": job["lease_id"], "retryable": False})  # fmt: skip
    assert failed.json()["status"] == "error", failed.text
    return lambda w: w.client.post(f"/api/export-jobs/{job['id']}/retry")


def _cancel(w: World) -> Act:
    job = w.create()
    return lambda w: w.client.post(f"/api/export-jobs/{job['id']}/cancel")


def _cancel_processing(w: World) -> Act:
    job = w.claimed("fault-runner-cancelled")
    return lambda w: w.client.post(f"/api/export-jobs/{job['id']}/cancel")


def _cancel_finished(w: World) -> Act:
    job = w.create()
    assert w.client.post(f"/api/export-jobs/{job['id']}/cancel").status_code == 200
    return lambda w: w.client.post(f"/api/export-jobs/{job['id']}/cancel")


def _claim_batch(w: World) -> Act:
    for priority in (0, 3, 1):
        w.create(priority=priority)
    body = {"runner_id": f"fault-runner-{secrets.token_hex(4)}", "max_jobs": 3}
    return lambda w: w.client.post("/api/export-jobs/claim", json=body)


def _claim_around_a_paused_type(w: World) -> Act:
    """A claim of any type while one is paused: the claim, the check, the claim by type."""
    w.pause("annotate")
    w.create(type="overlay")
    return lambda w: w.client.post("/api/export-jobs/claim", json={"runner_id": "fault-runner-paused"})


def _complete_with_result(w: World) -> Act:
    job = w.claimed(f"fault-runner-{secrets.token_hex(4)}")
    body = {"runner_id": job["runner_id"], "lease_id": job["lease_id"], "output_video_key": "o",
            "result": {"frames": 240, "labels": ["名前"]}}  # fmt: skip
    return lambda w: w.client.post(f"/api/export-jobs/{job['id']}/complete", json=body)


def _cancel_with_reason(w: World) -> Act:
    job = w.claimed("fault-runner-cancelled")
    return lambda w: w.client.post(f"/api/export-jobs/{job['id']}/cancel", json={"reason": "duplicate"})


def _create_scheduled(w: World) -> Act:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    body = w.body(priority=7, start_after=tomorrow, retry_base_seconds=5, retry_cap_seconds=60)
    return lambda w: w.note(w.client.post("/api/export-jobs", json=body))


def _pause(w: World) -> Act:
    w.paused.add("framing")
    return lambda w: w.client.post("/api/export-jobs/queues/framing/pause")


def _resume(w: World) -> Act:
    w.pause("framing")
    return lambda w: w.client.post("/api/export-jobs/queues/framing/resume")


SCENARIOS = {
    "export-claim-batch": Scenario(_claim_batch, 200),
    "export-claim-around-a-paused-type": Scenario(_claim_around_a_paused_type, 200),
    "export-complete-with-result": Scenario(_complete_with_result, 200),
    "export-cancel-with-reason": Scenario(_cancel_with_reason, 200),
    "export-create-scheduled": Scenario(_create_scheduled, 201),
    "export-queue-pause": Scenario(_pause, 200),
    "export-queue-resume": Scenario(_resume, 200),
    "veo-put-create": Scenario(_veo_create, 201),
    "veo-put-create-only": Scenario(_veo_create_only, 201),
    "veo-put-update": Scenario(_veo_update, 200),
    "veo-put-if-match": Scenario(_veo_update_if_match, 200),
    "veo-put-stale-if-match": Scenario(_veo_update_stale_if_match, 412),
    "veo-delete": Scenario(_veo_delete, 204),
    "veo-delete-if-match": Scenario(_veo_delete_if_match, 204),
    "veo-delete-all": Scenario(_veo_delete_all, 200),
    "export-create": Scenario(_create, 201),
    "export-create-idempotency-key": Scenario(_create_with_key, 201),
    "export-create-idempotent-replay": Scenario(_create_replay, 200),
    "export-create-key-reused": Scenario(_create_key_conflict, 409),
    "export-claim": Scenario(_claim, 200),
    "export-claim-none": Scenario(_claim_none, 204),
    "export-heartbeat": Scenario(_runner_action("", {"progress": 40, "runpod_job_id": "rp-1"}, "PATCH"), 200),
    "export-heartbeat-lease-lost": Scenario(
        _runner_action("", {"progress": 40}, "PATCH", as_other=True), 409
    ),
    "export-complete": Scenario(_runner_action("/complete", {"output_video_key": "out/f.mp4"}), 200),
    "export-fail-retry": Scenario(_runner_action("/fail", {"error": "oom"}), 200),
    "export-fail-final": Scenario(_runner_action("/fail", {"error": "bad", "retryable": False}), 200),
    "export-complete-lease-lost": Scenario(
        _runner_action("/complete", {"output_video_key": "o"}, as_other=True), 409
    ),
    "export-retry": Scenario(_retry, 200),
    "export-cancel-pending": Scenario(_cancel, 200),
    "export-cancel-processing": Scenario(_cancel_processing, 200),
    "export-cancel-finished": Scenario(_cancel_finished, 409),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_failing_d1_call_of_a_write_is_a_clean_503(name: str, world: World) -> None:
    scenario = SCENARIOS[name]
    # A clean run: how many D1 calls the request makes, and that it succeeds.
    act = scenario.setup(world)
    with d1_faults(world.local):
        response = act(world)
        calls = world.local.d1_faults()["calls"]
    assert response.status_code == scenario.ok, response.text
    assert calls >= 1
    world.assert_consistent()

    for nth in range(1, calls + 2):
        world.settle()
        act = scenario.setup(world)
        before = fingerprint(world.local)
        with d1_faults(world.local, fail_nth=[nth]):
            response = act(world)
            status = world.local.d1_faults()
        if nth > calls:  # past the last call: nothing fails, and the count was exact
            assert (response.status_code, status["calls"], status["failed"]) == (scenario.ok, calls, 0)
            continue
        assert status["failed"] == 1, status
        assert_unavailable(response)
        assert fingerprint(world.local) == before, f"a 503 at D1 call {nth} of {calls} wrote something"
        again = act(world)  # D1 is back: the client's retry does what the first attempt meant to
        assert again.status_code == scenario.ok, again.text
        world.assert_consistent()
