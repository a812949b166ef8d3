"""Faults beyond one failing call: 30% of D1 calls failing while clients retry, every call of
a maintenance run failing in turn, reads while D1 fails; the consistency checker itself;
and, last, the whole session's database (everything earlier tests wrote) checked.

The injector is process-wide: faults are always cleared in a `finally`, and every test
leaves no pending job behind (other tests' claims take any pending job)."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support import consistency
from tests.support.cron import trigger_cron
from tests.support.faults import (
    UNFINISHED_RUNS,
    World,
    assert_unavailable,
    d1_faults,
)
from tests.support.runtime import LocalRuntime


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
            claimed = c.send(200, "POST", "/api/export-jobs/claim", json=runner).json()
            assert claimed["id"] == job["id"]
            runner["lease_id"] = claimed["lease_id"]
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
            consistency.check(
                world.local.sql,
                veo_ids=world.veo_ids,
                export_ids=world.export_ids,
                video_owners=world.video_owners,
            )
        )
        assert f"veo '{orphan_meta}': metadata without payload" in findings
        assert f"veo '{wrong_etag}': payload hashes to" in findings
        assert f"veo '{wrong_etag}': metadata" in findings
        assert f"export {status_without_event}: is complete but its last event" in findings
        assert f"export {lease_missing}: is processing without lease_expires_at" in findings
        assert f"export {broken_chain}: event" in findings and "previous one" in findings
        assert f"idempotency key '{orphan_key}': names missing export job or video {ghost_job}" in findings
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
