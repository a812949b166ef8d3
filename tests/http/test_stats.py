"""`GET /api/stats` over HTTP: the counters (kept by the triggers of migration 0013) agree with
the tables after every kind of change (create, claim, complete, fail with and without retry,
cancel, retry, purge; VEO upserts, deletes, a user's delete-all, expiry; rows changed straight
in SQL, several at once), per export job type too; completions land in their hour; counting
costs the writes no row read; the stats' rows read do not grow with the tables.

A runtime of its own, so that the counts compared are this module's alone."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime


@pytest.fixture(scope="module")
def rt() -> Iterator[LocalRuntime]:
    with local_runtime(vars={"API_TOKEN": TEST_TOKEN, "EXPORT_RETRY_BASE_SECONDS": "0"}) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def api(rt: LocalRuntime) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=rt.url, headers={"authorization": f"Bearer {TEST_TOKEN}"}, timeout=60) as c:
        yield c


def create_job(api: httpx.Client, **extra: Any) -> dict[str, Any]:
    body = {"project_id": 1, "type": "framing", "input_video_key": "in.mp4", **extra}
    answer = api.post("/api/export-jobs", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def claim(api: httpx.Client, runner: str) -> dict[str, Any]:
    answer = api.post("/api/export-jobs/claim", json={"runner_id": runner})
    assert answer.status_code == 200, answer.text
    return answer.json()


STATUSES = ("pending", "processing", "complete", "error", "cancelled")


def truth(rt: LocalRuntime) -> dict[str, Any]:
    """What the tables say, counted the slow way."""
    by_status = {
        r["status"]: r["n"] for r in rt.sql("SELECT status, count(*) AS n FROM export_jobs GROUP BY status")
    }
    by_type: dict[str, dict[str, int]] = {}
    for r in rt.sql("SELECT type, status, count(*) AS n FROM export_jobs GROUP BY type, status"):
        by_type.setdefault(r["type"], dict.fromkeys(STATUSES, 0))[r["status"]] = r["n"]
    veo = rt.sql("SELECT count(*) AS n FROM veo_jobs")[0]["n"]
    return {"by_status": by_status, "by_type": by_type, "veo": veo}


def counted_by_type(rt: LocalRuntime) -> dict[str, dict[str, int]]:
    """The per-type counter rows, without the types that count nothing now."""
    rows = rt.sql(f"SELECT job_type, {', '.join(STATUSES)} FROM export_job_counts")
    return {r["job_type"]: {s: r[s] for s in STATUSES} for r in rows if any(r[s] for s in STATUSES)}


def assert_counters_match(api: httpx.Client, rt: LocalRuntime) -> dict[str, Any]:
    stats = api.get("/api/stats").json()
    expected = truth(rt)
    assert {k: v for k, v in stats["export_jobs"]["by_status"].items() if v} == expected["by_status"]
    assert counted_by_type(rt) == expected["by_type"]
    assert stats["veo_jobs"]["stored"] == expected["veo"]
    return stats


def test_empty_stats_have_the_documented_shape(api: httpx.Client) -> None:
    stats = api.get("/api/stats").json()
    assert stats["export_jobs"]["by_status"] == dict.fromkeys(
        ["pending", "processing", "complete", "error", "cancelled"], 0
    )
    assert stats["export_jobs"]["oldest_claimable_age_seconds"] is None
    hours = stats["export_jobs"]["completed_per_hour"]
    assert len(hours) == 24 and all(h["count"] == 0 for h in hours)
    assert [h["hour"] for h in hours] == sorted(h["hour"] for h in hours)
    assert all(h["hour"].endswith(":00:00.000Z") for h in hours)
    assert stats["veo_jobs"] == {"stored": 0} and stats["job_runs"] == {
        "last_24h": {"succeeded": 0, "failed": 0}
    }
    assert stats["videos"] == {"by_status": {}} and stats["generations"] == {"by_status": {}}


def test_export_job_counters_follow_every_transition(api: httpx.Client, rt: LocalRuntime) -> None:
    runner = f"r-{uuid.uuid4().hex[:6]}"
    jobs = [create_job(api) for _ in range(6)]
    assert_counters_match(api, rt)
    assert api.get("/api/stats").json()["export_jobs"]["oldest_claimable_age_seconds"] >= 0
    first = claim(api, runner)
    done = {"runner_id": runner, "lease_id": first["lease_id"], "output_video_key": "o"}
    assert api.post(f"/api/export-jobs/{first['id']}/complete", json=done).status_code == 200
    second = claim(api, runner)
    fail = api.post(
        f"/api/export-jobs/{second['id']}/fail",
        json={"runner_id": runner, "lease_id": second["lease_id"], "error": "x", "retryable": False},
    )
    assert fail.status_code == 200 and fail.json()["status"] == "error"
    third = claim(api, runner)
    held = {"runner_id": runner, "lease_id": third["lease_id"]}
    again = api.post(f"/api/export-jobs/{third['id']}/fail", json={**held, "error": "retry me"})
    assert again.status_code == 200 and again.json()["status"] == "pending"
    assert api.post(f"/api/export-jobs/{jobs[5]['id']}/cancel", json={}).status_code == 200
    assert api.post(f"/api/export-jobs/{second['id']}/retry", json={}).status_code == 200
    claim(api, runner)  # left processing
    stats = assert_counters_match(api, rt)
    assert stats["export_jobs"]["completed_per_hour"][-1]["count"] == 1


def test_replayed_create_and_lost_races_count_nothing(api: httpx.Client, rt: LocalRuntime) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"project_id": 2, "type": "overlay", "input_video_key": "in.mp4"}
    assert api.post("/api/export-jobs", json=body, headers=key).status_code == 201
    assert api.post("/api/export-jobs", json=body, headers=key).status_code == 200
    job = create_job(api)
    assert api.post(f"/api/export-jobs/{job['id']}/cancel", json={}).status_code == 200
    assert api.post(f"/api/export-jobs/{job['id']}/cancel", json={}).status_code == 409
    assert_counters_match(api, rt)


def test_purge_takes_finished_jobs_off_their_counters(api: httpx.Client, rt: LocalRuntime) -> None:
    done = create_job(api)
    assert api.post(f"/api/export-jobs/{done['id']}/cancel", json={}).status_code == 200
    rt.sql("UPDATE export_jobs SET completed_at = 1 WHERE id = ?1", done["id"])  # long past retention
    run = api.post("/api/maintenance/runs", json={}).json()
    assert run["counts"]["export_jobs_purged"] == 1  # the job, not also its counter's row
    assert_counters_match(api, rt)


def test_rows_changed_in_sql_several_at_once_are_counted(api: httpx.Client, rt: LocalRuntime) -> None:
    """The triggers count every statement, not only the API's: a multi-row UPDATE, a type
    change, a multi-row DELETE."""
    jobs = [create_job(api, type=kind) for kind in ("framing", "overlay", "annotate", "overlay")]
    ids = [job["id"] for job in jobs]
    marks = ", ".join(f"'{i}'" for i in ids)  # UUIDs the API made
    rt.sql(f"UPDATE export_jobs SET status = 'cancelled', completed_at = 1 WHERE id IN ({marks})")
    assert_counters_match(api, rt)
    rt.sql("UPDATE export_jobs SET type = 'framing' WHERE id = ?1", ids[1])
    assert_counters_match(api, rt)
    rt.sql(f"DELETE FROM export_jobs WHERE id IN ({marks})")
    assert_counters_match(api, rt)


def test_counting_costs_the_writes_no_row_read(api: httpx.Client, rt: LocalRuntime) -> None:
    """A counted change reads what it read before counters existed (the counter upserts read
    nothing): create 3, claim 4, complete 3, fail 3 (`make bench`: the same at 100k rows)."""
    runner = f"r-{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        create_job(api)
    created = api.post("/api/export-jobs", json={"project_id": 1, "type": "annotate", "input_video_key": "i"})
    claims = [api.post("/api/export-jobs/claim", json={"runner_id": runner}) for _ in range(2)]
    first, second = (c.json() for c in claims)
    done = {"runner_id": runner, "lease_id": first["lease_id"], "output_video_key": "o"}
    complete = api.post(f"/api/export-jobs/{first['id']}/complete", json=done)
    failed = {"runner_id": runner, "lease_id": second["lease_id"], "error": "x"}
    fail = api.post(f"/api/export-jobs/{second['id']}/fail", json=failed)
    assert [rows_read(r) for r in (created, *claims, complete, fail)] == [3, 4, 4, 3, 3]
    assert_counters_match(api, rt)


def test_veo_stored_counts_rows(api: httpx.Client, rt: LocalRuntime) -> None:
    ids = [f"veo-{uuid.uuid4().hex[:8]}" for _ in range(4)]
    for job_id in ids:
        assert api.put(f"/api/veo/jobs/{job_id}", json={"status": "pending"}).status_code == 201
    assert api.put(f"/api/veo/jobs/{ids[0]}", json={"status": "completed"}).status_code == 200
    assert (
        api.put(f"/api/veo/jobs/{ids[1]}", json={"status": "x"}, headers={"If-None-Match": "*"}).status_code
        == 412
    )
    assert api.delete(f"/api/veo/jobs/{ids[2]}").status_code == 204
    assert api.delete(f"/api/veo/jobs/{ids[2]}").status_code == 404
    assert_counters_match(api, rt)
    rt.sql("UPDATE veo_jobs SET expires_at = 1 WHERE job_id = ?1", ids[3])
    revived = api.put(f"/api/veo/jobs/{ids[3]}", json={"status": "pending"})  # an expired row, written again
    assert revived.status_code == 201
    assert_counters_match(api, rt)
    rt.sql("UPDATE veo_jobs SET expires_at = 1 WHERE job_id = ?1", ids[3])
    assert api.post("/api/maintenance/runs", json={}).json()["counts"]["veo_jobs_expired"] == 1
    assert_counters_match(api, rt)
    for job_id in ("owned-1", "owned-2"):
        put = api.put(f"/api/veo/jobs/{job_id}", params={"user_id": "stats-user"}, json={"status": "x"})
        assert put.status_code == 201
    assert_counters_match(api, rt)
    mine = api.delete("/api/veo/jobs", params={"confirm": "all", "user_id": "stats-user"})
    assert mine.status_code == 200 and mine.json() == {"deleted": 2, "more": False}
    assert_counters_match(api, rt)
    assert api.delete("/api/veo/jobs", params={"confirm": "all"}).status_code == 200
    assert api.get("/api/stats").json()["veo_jobs"]["stored"] == 0 == truth(rt)["veo"]


def test_job_runs_count_in_the_last_24_hours(api: httpx.Client) -> None:
    before = api.get("/api/stats").json()["job_runs"]["last_24h"]
    kind = f"stats-{uuid.uuid4().hex[:6]}"
    run = api.post("/api/job-runs", json={"job_type": kind}).json()
    assert api.patch(f"/api/job-runs/{run['id']}", json={"status": "failed"}).status_code == 200
    assert api.post("/api/job-runs", json={"job_type": kind, "status": "succeeded"}).status_code == 201
    old = {"job_type": kind, "status": "succeeded", "finished_at": "2020-01-01T00:00:00Z"}
    assert api.post("/api/job-runs", json=old).status_code == 201  # finished long ago: not counted
    after = api.get("/api/stats").json()["job_runs"]["last_24h"]
    assert after == {"succeeded": before["succeeded"] + 1, "failed": before["failed"] + 1}


def rows_read(response: httpx.Response) -> int:
    return int(re.search(r"rows_read=(\d+)", response.headers["x-d1-stats"]).group(1))  # type: ignore[union-attr]


def test_rows_read_do_not_grow_with_the_tables(api: httpx.Client, rt: LocalRuntime) -> None:
    api.get("/api/stats")
    before = rows_read(api.get("/api/stats"))
    for _ in range(40):
        create_job(api)
    for i in range(20):
        api.put(f"/api/veo/jobs/grow-{i}", json={"status": "pending"})
    assert rows_read(api.get("/api/stats")) == before <= 100


def test_old_hourly_counters_are_pruned(api: httpx.Client, rt: LocalRuntime) -> None:
    now = int(rt.sql("SELECT CAST(unixepoch('subsec') * 1000 AS INTEGER) AS now")[0]["now"])
    old, recent = (now // 3_600_000 - 72) * 3_600_000, (now // 3_600_000 - 3) * 3_600_000
    for hour in (old, recent):
        rt.sql("INSERT INTO stat_hourly (name, hour, value) VALUES ('test.pruned', ?1, 1)", hour)
    run = api.post("/api/maintenance/runs", json={}).json()
    assert run["counts"]["stat_hours_pruned"] >= 1
    assert rt.sql("SELECT hour FROM stat_hourly WHERE name = 'test.pruned'") == [{"hour": recent}]
