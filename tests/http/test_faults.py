"""Fault injection: D1 calls fail the way an overloaded D1 does, and the API
answers 503 `database_unavailable` with `Retry-After`, never a 500, and never leaves
anything half-written.

The runtime's injector (tools/runtime/faults.mjs) counts the app's D1 calls — one per
statement run, one per `batch()` — from the moment a setting is posted, and fails the
chosen ones *before* they reach D1, with D1's own "overloaded" error. So for every write
route the sweep below first counts the calls of a clean request, then fails each position
in turn on a fresh setup and checks that (1) the answer is a proper 503, (2) nothing in D1
changed at all (a fingerprint of every table), (3) the same request succeeds once D1 is
back, and (4) the consistency check (tests/consistency.py) finds nothing.

The injector is process-wide: faults are always cleared in a `finally`, and every test
leaves no pending job behind (other tests' claims take any pending job).
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support import consistency
from tests.support.cron import trigger_cron
from tests.support.factories import export_job_body, unique_project
from tests.support.runtime import LocalRuntime

UNFINISHED_RUNS: set[int] = set()  # maintenance runs this module left unfinished on purpose


# --- helpers -----------------------------------------------------------------------------------
@contextmanager
def d1_faults(local: LocalRuntime, **setting: Any) -> Iterator[None]:
    """Injects faults (and restarts the call counter) for the block; always clears them."""
    local.set_d1_faults(**setting)
    try:
        yield
    finally:
        local.set_d1_faults()


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, f"{response.status_code}: {response.text}"
    assert response.json()["error"]["code"] == "database_unavailable", response.text
    assert int(response.headers["retry-after"]) > 0
    assert "Traceback" not in response.text and "overloaded" not in response.text


FINGERPRINT_SQL = """
SELECT
  (SELECT count(*) || ':' || coalesce(group_concat(v, ','), '') FROM
     (SELECT id || '/' || transition_id || '/' || updated_at AS v FROM export_jobs ORDER BY id))
    AS export_jobs,
  (SELECT count(*) || ':' || coalesce(max(id), 0) FROM job_events) AS job_events,
  (SELECT count(*) || ':' || coalesce(group_concat(v, ','), '') FROM
     (SELECT idempotency_key || '=' || job_id || '@' || expires_at AS v FROM idempotency_keys
      ORDER BY idempotency_key)) AS idempotency_keys,
  (SELECT count(*) || ':' || coalesce(group_concat(v, ','), '') FROM
     (SELECT job_id || '/' || etag || '/' || revision || '@' || updated_at AS v FROM veo_jobs
      ORDER BY job_id)) AS veo_jobs,
  (SELECT count(*) || ':' || coalesce(sum(length(data)), 0) FROM veo_job_data) AS veo_job_data,
  (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || count(finished_at) FROM maintenance_runs)
    AS maintenance_runs
"""


def fingerprint(local: LocalRuntime) -> dict[str, Any]:
    """Every row's identity and version in every table: equal fingerprints, nothing written."""
    return local.sql(FINGERPRINT_SQL)[0]


@dataclass
class World:
    """What one test made: VEO ids and export jobs (cancelled afterwards unless finished)."""

    client: httpx.Client
    local: LocalRuntime
    veo_ids: set[str] = field(default_factory=set)
    export_ids: set[str] = field(default_factory=set)
    project: int = field(default_factory=unique_project)

    def veo_id(self) -> str:
        job_id = f"fault-{uuid.uuid4().hex[:16]}"
        self.veo_ids.add(job_id)
        return job_id

    def put_veo(self, job_id: str, body: dict[str, Any]) -> httpx.Response:
        response = self.client.put(f"/api/veo/jobs/{job_id}", json=body)
        assert response.status_code in (200, 201), response.text
        return response

    def create(self, key: str | None = None, **fields: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/export-jobs", json=self.body(**fields), headers={"idempotency-key": key} if key else None
        )
        assert response.status_code in (200, 201), response.text
        self.export_ids.add(response.json()["id"])
        return response.json()

    def body(self, **fields: Any) -> dict[str, Any]:
        return export_job_body(
            **{"project_id": self.project, "type": "overlay", "input_video_key": "in/f.mp4", **fields}
        )

    def claimed(self, runner_id: str, **fields: Any) -> dict[str, Any]:
        """A new job of this world, claimed by `runner_id` (the only claimable job)."""
        job = self.create(**fields)
        response = self.client.post("/api/export-jobs/claim", json={"runner_id": runner_id})
        assert response.status_code == 200 and response.json()["id"] == job["id"], response.text
        return response.json()

    def note(self, response: httpx.Response) -> httpx.Response:
        """Remember a job a request under test created."""
        if response.status_code in (200, 201) and response.content and "id" in response.json():
            self.export_ids.add(response.json()["id"])
        return response

    def settle(self) -> None:
        """Cancel this world's claimable jobs, so the next claim takes a job made for it."""
        for row in self.local.sql(
            "SELECT id FROM export_jobs WHERE project_id = ? AND status = 'pending'", self.project
        ):
            assert self.client.post(f"/api/export-jobs/{row['id']}/cancel").status_code == 200

    def cleanup(self) -> None:
        for job_id in sorted(self.export_ids):
            self.client.post(f"/api/export-jobs/{job_id}/cancel")  # 409 for finished jobs: fine

    def assert_consistent(self) -> None:
        consistency.assert_consistent(
            self.local.sql,
            veo_ids=self.veo_ids,
            export_ids=self.export_ids,
            unfinished_runs_allowed=UNFINISHED_RUNS,
        )


@pytest.fixture
def world(client: httpx.Client, local: LocalRuntime) -> Iterator[World]:
    made = World(client, local)
    assert_no_claimable_jobs(local)
    try:
        yield made
    finally:
        local.set_d1_faults()
        made.cleanup()


def assert_no_claimable_jobs(local: LocalRuntime) -> None:
    """The claim scenarios need to know which job a claim takes: none but their own."""
    now = int(time.time() * 1000)
    rows = local.sql("SELECT id FROM export_jobs WHERE status = 'pending' AND available_at <= ?", now)
    assert not rows, f"another test left claimable jobs behind: {rows}"


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
        return lambda w: w.client.request(method, url, json={"runner_id": sender, **body})

    return setup


def _retry(w: World) -> Act:
    runner_id = f"fault-runner-{secrets.token_hex(4)}"
    job = w.claimed(runner_id)
    failed = w.client.post(f"/api/export-jobs/{job['id']}/fail", json={"runner_id": runner_id, "error": "x",
                                                                        "retryable": False})  # fmt: skip
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


SCENARIOS = {
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


# --- a share of every call fails ----------------------------------------------------------------
@dataclass
class Patient:
    """A client that repeats a request while it answers a (proper) 503, as clients should."""

    client: httpx.Client
    unavailable: int = 0

    def send(self, expected: int | tuple[int, ...], method: str, url: str, **kwargs: Any) -> httpx.Response:
        for _ in range(40):
            response = self.client.request(method, url, **kwargs)
            if response.status_code != 503:
                wanted = expected if isinstance(expected, tuple) else (expected,)
                assert response.status_code in wanted, (
                    f"{method} {url}: {response.status_code} {response.text}"
                )
                return response
            self.unavailable += 1
            if url == "/health":
                assert response.json()["database"] == "unavailable" and response.headers["retry-after"]
            else:
                assert_unavailable(response)
        raise AssertionError(f"{method} {url}: still 503 after 40 attempts")


def test_with_30_percent_of_d1_calls_failing_retries_converge_and_nothing_is_half_written(
    world: World, anon: httpx.Client
) -> None:
    c, public = Patient(world.client), Patient(anon)
    objects: dict[str, dict[str, Any]] = {}
    finals: dict[str, list[str]] = {}  # job id → the events it must have, in order
    with d1_faults(world.local, rate=0.3):
        for round_ in range(6):
            # VEO: create-only, read, conditional update, list, delete every other one.
            job_url = f"/api/veo/jobs/{world.veo_id()}"
            body = {"status": "processing", "round": round_, "scenes": list(range(round_))}
            put = c.send(201, "PUT", job_url, json=body, headers={"if-none-match": "*"})
            got = c.send(200, "GET", job_url)
            assert got.json() == body and got.headers["etag"] == put.headers["etag"]
            update = {**body, "status": "completed"}
            c.send(200, "PUT", job_url, json=update, headers={"if-match": got.headers["etag"]})
            objects[job_url] = update
            c.send(200, "GET", "/api/veo/jobs", params={"status": "completed", "limit": 5})
            if round_ % 2:
                c.send(204, "DELETE", job_url)
                del objects[job_url]

            # Export: create (with a key, so a retry cannot duplicate it), claim, heartbeat, end it.
            key = {"idempotency-key": f"fault-rate-{secrets.token_hex(8)}"}
            job = world.note(
                c.send((201, 200), "POST", "/api/export-jobs", json=world.body(), headers=key)
            ).json()
            runner = {"runner_id": f"fault-rate-{round_}"}
            assert c.send(200, "POST", "/api/export-jobs/claim", json=runner).json()["id"] == job["id"]
            url = f"/api/export-jobs/{job['id']}"
            c.send(200, "PATCH", url, json={**runner, "progress": 50})
            if round_ % 3 == 0:
                c.send(200, "POST", f"{url}/complete", json={**runner, "output_video_key": "o"})
                finals[job["id"]] = ["created", "claimed", "completed"]
            elif round_ % 3 == 1:
                c.send(200, "POST", f"{url}/fail", json={**runner, "error": "e", "retryable": False})
                c.send(200, "POST", f"{url}/retry")
                c.send(200, "POST", f"{url}/cancel")
                finals[job["id"]] = ["created", "claimed", "failed", "retried", "cancelled"]
            else:
                c.send(200, "POST", f"{url}/cancel")
                finals[job["id"]] = ["created", "claimed", "cancelled"]
            c.send(200, "GET", f"{url}/events")
            c.send(200, "GET", "/api/export-jobs", params={"project_id": world.project})
            c.send(200, "GET", "/api/maintenance/runs", params={"limit": 3})
            public.send(200, "GET", "/health")

    assert c.unavailable + public.unavailable > 0, "no fault was injected"
    for job_url, obj in objects.items():  # what the last successful write stored, nothing else
        assert world.client.get(job_url).json() == obj
    gone = {f"/api/veo/jobs/{job_id}" for job_id in world.veo_ids} - objects.keys()
    assert gone and all(world.client.get(job_url).status_code == 404 for job_url in gone)
    listed = world.client.get("/api/export-jobs", params={"project_id": world.project, "limit": 200})
    assert {j["id"] for j in listed.json()["items"]} == finals.keys()  # one job per create
    for job_id, expected in finals.items():  # each transition recorded once, none lost
        trail = world.client.get(f"/api/export-jobs/{job_id}/events").json()["items"]
        assert [e["event"] for e in trail] == expected
    world.assert_consistent()


# --- maintenance -------------------------------------------------------------------------------------
@dataclass
class Planted:
    """One of each kind of work the cron does, due now."""

    veo_id: str
    lease_job: str
    finished_job: str
    key: str


def plant_due_work(w: World) -> Planted:
    now = int(time.time() * 1000)
    veo_id = w.veo_id()
    w.put_veo(veo_id, {"status": "completed"})
    w.local.sql("UPDATE veo_jobs SET expires_at = 1 WHERE job_id = ?", veo_id)
    lease_job = w.claimed(f"fault-cron-{secrets.token_hex(4)}")["id"]
    w.local.sql("UPDATE export_jobs SET lease_expires_at = ? WHERE id = ?", now - 1000, lease_job)
    key = f"fault-cron-{secrets.token_hex(8)}"
    finished_job = w.create(key)["id"]
    assert w.client.post(f"/api/export-jobs/{finished_job}/cancel").status_code == 200
    w.local.sql("UPDATE export_jobs SET completed_at = 1 WHERE id = ?", finished_job)
    # Expired, and first in rowid order (the key cleanup looks at the oldest rowids only).
    w.local.sql(
        "UPDATE idempotency_keys SET expires_at = 1,"
        " rowid = (SELECT min(rowid) FROM idempotency_keys) - 1 WHERE idempotency_key = ?",
        key,
    )
    return Planted(veo_id, lease_job, finished_job, key)


def work_state(w: World, p: Planted) -> dict[str, bool]:
    """Which planted work has been done (each item is done wholly or not at all)."""
    lease = w.local.sql("SELECT status FROM export_jobs WHERE id = ?", p.lease_job)[0]["status"]
    return {
        "veo_expired": not w.local.sql("SELECT 1 FROM veo_jobs WHERE job_id = ?", p.veo_id),
        "lease_recovered": lease == "pending",
        "job_purged": not w.local.sql("SELECT 1 FROM export_jobs WHERE id = ?", p.finished_job),
        "key_deleted": not w.local.sql("SELECT 1 FROM idempotency_keys WHERE idempotency_key = ?", p.key),
    }


def test_every_failing_d1_call_of_a_maintenance_run_is_survived(world: World, base_url: str) -> None:
    assert trigger_cron(base_url).status_code == 200  # the backlog of earlier tests, if any
    planted = plant_due_work(world)
    with d1_faults(world.local):
        assert trigger_cron(base_url).status_code == 200
        calls = world.local.d1_faults()["calls"]
    assert all(work_state(world, planted).values())
    assert calls >= 8  # start, 4 tasks with work (5 calls), key cleanup, finish

    for nth in range(1, calls + 1):
        planted = plant_due_work(world)
        last_run = world.local.sql("SELECT coalesce(max(id), 0) AS id FROM maintenance_runs")[0]["id"]
        with d1_faults(world.local, fail_nth=[nth]):
            response = trigger_cron(base_url)
        runs = world.local.sql("SELECT * FROM maintenance_runs WHERE id > ?", last_run)
        if nth == 1:  # the run could not even be recorded: it did nothing
            assert response.status_code == 500 and runs == []
            assert not any(work_state(world, planted).values())
        elif nth == calls:  # every task ran; recording the end failed
            assert response.status_code == 500 and len(runs) == 1 and runs[0]["finished_at"] is None
            UNFINISHED_RUNS.add(runs[0]["id"])
            assert all(work_state(world, planted).values())
        else:  # one task failed and said so; the others did their work
            assert response.status_code == 200, response.text
            assert len(runs) == 1 and runs[0]["finished_at"] is not None and runs[0]["more"] == 1
            assert "database is unavailable" in runs[0]["error"], runs[0]
            assert list(work_state(world, planted).values()).count(False) <= 1
        world.assert_consistent()
        assert trigger_cron(base_url).status_code == 200  # the next run finishes the work
        assert all(work_state(world, planted).values())
        world.assert_consistent()
        # The recovered job waits out its backoff; cancel it before it becomes claimable.
        assert world.client.post(f"/api/export-jobs/{planted.lease_job}/cancel").status_code == 200


def test_health_and_reads_answer_503_while_d1_fails(world: World, anon: httpx.Client) -> None:
    job = world.create()
    with d1_faults(world.local, rate=1.0):
        health = anon.get("/health")
        reads = [
            world.client.get("/api/veo/jobs"),
            world.client.get("/api/veo/jobs/anything"),
            world.client.get("/api/export-jobs"),
            world.client.get(f"/api/export-jobs/{job['id']}"),
            world.client.get(f"/api/export-jobs/{job['id']}/events"),
            world.client.get("/api/maintenance/runs"),
        ]
    assert health.status_code == 503 and health.headers["retry-after"]
    assert health.json()["database"] == "unavailable"
    for response in reads:
        assert_unavailable(response)
    assert anon.get("/health").status_code == 200


# --- the checker itself --------------------------------------------------------------------------------
def test_the_consistency_check_reports_planted_damage(world: World) -> None:
    sql, now = world.local.sql, int(time.time() * 1000)
    orphan_meta = world.veo_id()
    sql(
        "INSERT INTO veo_jobs (job_id, status, has_script, etag, size_bytes, stored_bytes, created_at,"
        " updated_at, expires_at) VALUES (?, 'pending', 0, '\"x\"', 2, 20, ?, ?, ?)",
        orphan_meta, now, now, now + 86_400_000,
    )  # fmt: skip
    wrong_etag = world.veo_id()
    world.put_veo(wrong_etag, {"status": "completed"})
    sql("UPDATE veo_jobs SET etag = '\"0000\"', status = 'failed' WHERE job_id = ?", wrong_etag)
    status_without_event = world.create()["id"]
    sql("UPDATE export_jobs SET status = 'complete', progress = 100, output_video_key = 'o',"
        " completed_at = ? WHERE id = ?", now, status_without_event)  # fmt: skip
    lease_missing = world.claimed("fault-damage")["id"]
    sql("UPDATE export_jobs SET lease_expires_at = NULL WHERE id = ?", lease_missing)
    broken_chain = world.create()["id"]
    sql(
        "INSERT INTO job_events (job_kind, job_id, event, from_status, to_status, at)"
        " VALUES ('export', ?, 'cancelled', 'processing', 'cancelled', ?)",
        broken_chain, now,
    )  # fmt: skip
    sql("UPDATE export_jobs SET status = 'cancelled', completed_at = ?, updated_at = ? WHERE id = ?",
        now, now, broken_chain)  # fmt: skip
    orphan_key = f"fault-orphan-{secrets.token_hex(6)}"
    ghost_job = str(uuid.uuid4())
    world.export_ids.add(ghost_job)
    sql("INSERT INTO idempotency_keys VALUES (?, 'h', ?, ?, ?)", orphan_key, ghost_job, now, now + 86_400_000)
    run = sql("INSERT INTO maintenance_runs (trigger, started_at) VALUES ('damage', ?) RETURNING id", now)[0][
        "id"
    ]
    try:
        findings = "\n".join(
            consistency.check(world.local.sql, veo_ids=world.veo_ids, export_ids=world.export_ids)
        )
        assert f"veo '{orphan_meta}': metadata without payload" in findings
        assert f"veo '{wrong_etag}': payload hashes to" in findings
        assert f"veo '{wrong_etag}': metadata" in findings
        assert f"export {status_without_event}: is complete but its last event" in findings
        assert f"export {lease_missing}: is processing without lease_expires_at" in findings
        assert f"export {broken_chain}: event" in findings and "previous one" in findings
        assert f"idempotency key '{orphan_key}': names missing export job {ghost_job}" in findings
        assert f"maintenance run {run}: never finished" in findings
    finally:  # repair, so that the whole-database check below stays meaningful
        sql("DELETE FROM veo_jobs WHERE job_id IN (?, ?)", orphan_meta, wrong_etag)
        sql(
            "DELETE FROM job_events WHERE job_id IN (?, ?, ?)",
            status_without_event,
            lease_missing,
            broken_chain,
        )
        sql(
            "DELETE FROM export_jobs WHERE id IN (?, ?, ?)", status_without_event, lease_missing, broken_chain
        )
        sql("DELETE FROM idempotency_keys WHERE idempotency_key = ?", orphan_key)
        sql("DELETE FROM maintenance_runs WHERE id = ?", run)
        world.export_ids -= {status_without_event, lease_missing, broken_chain}
    world.assert_consistent()


def test_the_whole_session_database_is_consistent(local: LocalRuntime) -> None:
    """Everything every earlier test wrote through the API (faults included) holds together."""
    consistency.assert_consistent(local.sql, unfinished_runs_allowed=UNFINISHED_RUNS)
