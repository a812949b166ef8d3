"""Cron maintenance over HTTP: bounded runs that continue where they stopped, runs that
overlap safely, the run log, and `/health` showing the last run."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.cron import run_cron
from tests.support.factories import create_export_job
from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime
from tests.support.settings import TOKEN

DAY_MS = 86_400_000
CHUNK_ROWS = 125
# Room for every task's first step in a quiet run: each of the eight tasks takes at least one
# step, charged all the statements of its batch (an export purge step is four). With ten, the
# last tasks in a run found the budget spent every time and each run reported more work.
MAX_STATEMENTS = 20

PLANT_VEO_JOBS = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
INSERT INTO veo_jobs (job_id, status, has_script, etag, size_bytes, stored_bytes,
                      created_at, updated_at, expires_at)
SELECT ?2 || i, 'completed', 0, '"planted"', 2, 20, ?3, ?3, ?3 + ?4 FROM n
"""
PLANT_VEO_PAYLOADS = """
INSERT INTO veo_job_data (job_id, data)
SELECT job_id, x'1f8b0800000000000003abae050043bfa6a302000000' FROM veo_jobs WHERE job_id LIKE ?1 || '%'
"""


def plant_veo_jobs(rt: LocalRuntime, prefix: str, count: int, *, expired: bool) -> None:
    """`count` VEO jobs with payloads, written a week ago, expired or not."""
    week_ago = rt_now(rt) - 7 * DAY_MS
    ttl = 1 if expired else 30 * DAY_MS
    rt.sql(PLANT_VEO_JOBS, count, prefix, week_ago, ttl)
    rt.sql(PLANT_VEO_PAYLOADS, prefix)


def rt_now(rt: LocalRuntime) -> int:
    return int(rt.sql("SELECT CAST(unixepoch('subsec') * 1000 AS INTEGER) AS now")[0]["now"])


def count(rt: LocalRuntime, table: str, prefix: str) -> int:
    return int(rt.sql(f"SELECT COUNT(*) AS n FROM {table} WHERE job_id LIKE ?1 || '%'", prefix)[0]["n"])


def runs(url: str, limit: int = 200) -> list[dict]:
    with httpx.Client(base_url=url, headers={"authorization": f"Bearer {TEST_TOKEN}"}, timeout=60) as c:
        return c.get("/api/maintenance/runs", params={"limit": limit}).json()["items"]


@pytest.fixture(scope="module")
def small_budget(runtime: LocalRuntime | None) -> Iterator[LocalRuntime]:
    """A runtime whose maintenance runs may delete at most CHUNK_ROWS × MAX_STATEMENTS rows."""
    if runtime is None:
        pytest.skip("starts its own local runtime with a small maintenance budget")
    settings = {
        "API_TOKEN": TEST_TOKEN,
        "MAINTENANCE_CHUNK_ROWS": str(CHUNK_ROWS),
        "MAINTENANCE_MAX_STATEMENTS": str(MAX_STATEMENTS),
    }
    with local_runtime(vars=settings) as rt:
        yield rt


def drain(rt: LocalRuntime, max_runs: int) -> list[dict]:
    """Run the cron until a run reports no remaining work; the runs made, oldest first."""
    made: list[dict] = []
    for _ in range(max_runs):
        run_cron(rt.url)
        made.append(runs(rt.url, 1)[0])
        if not made[-1]["more"]:
            return made
    raise AssertionError(f"still more work after {max_runs} runs: {made[-1]}")


def test_backlog_clears_over_several_bounded_runs(small_budget: LocalRuntime) -> None:
    prefix = f"backlog-{uuid.uuid4().hex[:8]}-"
    plant_veo_jobs(small_budget, prefix, 5000, expired=True)
    keep = f"keep-{uuid.uuid4().hex[:8]}-"
    plant_veo_jobs(small_budget, keep, 50, expired=False)

    made = drain(small_budget, max_runs=25)

    per_run = [r["counts"].get("veo_jobs_expired", 0) for r in made]
    assert len(made) >= 5000 // (CHUNK_ROWS * MAX_STATEMENTS)  # it did take several runs
    assert all(n <= CHUNK_ROWS * MAX_STATEMENTS for n in per_run), per_run
    assert all(r["more"] for r in made[:-1]) and not made[-1]["more"]
    assert all(r["error"] is None and r["finished_at"] for r in made)
    assert sum(per_run) == 5000
    assert count(small_budget, "veo_jobs", prefix) == 0
    assert count(small_budget, "veo_job_data", prefix) == 0  # payloads went with their jobs
    assert count(small_budget, "veo_jobs", keep) == 50  # unexpired jobs untouched
    assert count(small_budget, "veo_job_data", keep) == 50


def test_nothing_due_is_a_quiet_run(small_budget: LocalRuntime) -> None:
    drain(small_budget, max_runs=25)
    run_cron(small_budget.url)
    last = runs(small_budget.url, 1)[0]
    assert last["more"] is False
    assert set(last["counts"].values()) == {0}


def test_overlapping_runs_end_as_one_run_would(small_budget: LocalRuntime) -> None:
    drain(small_budget, max_runs=25)
    prefix = f"overlap-{uuid.uuid4().hex[:8]}-"
    plant_veo_jobs(small_budget, prefix, 4000, expired=True)  # more than one run can clear
    # A processing export job whose lease expired: it must be recovered exactly once.
    headers = {"authorization": f"Bearer {TEST_TOKEN}"}
    with httpx.Client(base_url=small_budget.url, headers=headers, timeout=60) as c:
        job = create_export_job(c, project_id=7, input_video_key="in/overlap.mp4")
        runner = f"runner-{uuid.uuid4().hex[:6]}"
        claimed = c.post("/api/export-jobs/claim", json={"runner_id": runner, "lease_seconds": 10})
        assert claimed.status_code == 200 and claimed.json()["id"] == job["id"]
        small_budget.sql(
            "UPDATE export_jobs SET lease_expires_at = ?1 WHERE id = ?2",
            rt_now(small_budget) - 1000,
            job["id"],
        )
        before = {r["id"] for r in runs(small_budget.url)}

        threads = [threading.Thread(target=run_cron, args=(small_budget.url,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        overlapping = [r for r in runs(small_budget.url) if r["id"] not in before]
        assert len(overlapping) == 2
        drained = drain(small_budget, max_runs=25)

        deleted = sum(r["counts"].get("veo_jobs_expired", 0) for r in [*overlapping, *drained])
        assert deleted == 4000  # no row counted twice
        assert count(small_budget, "veo_jobs", prefix) == 0
        # Recovered once, and at once: the VEO backlog does not starve lease recovery.
        assert sum(r["counts"].get("export_leases_recovered", 0) for r in overlapping) == 1
        assert sum(r["counts"].get("export_leases_recovered", 0) for r in drained) == 0
        after = c.get(f"/api/export-jobs/{job['id']}").json()
        assert after["status"] == "pending" and after["retry_count"] == 1
        events = c.get(f"/api/export-jobs/{job['id']}/events").json()["items"]
        assert [e["event"] for e in events].count("lease_expired") == 1
        assert c.post(f"/api/export-jobs/{job['id']}/cancel").status_code == 200  # leave nothing pending


def test_manual_run_is_recorded_and_shown_by_health(client: httpx.Client, anon: httpx.Client) -> None:
    response = client.post("/api/maintenance/runs")
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["trigger"] == "manual" and run["finished_at"] and run["error"] is None
    assert client.get("/api/maintenance/runs", params={"limit": 1}).json()["items"][0]["id"] == run["id"]
    health = anon.get("/health").json()
    assert health["last_maintenance_run"]["id"] == run["id"]


PLANT_LIVE_KEYS = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
INSERT INTO idempotency_keys (idempotency_key, request_hash, job_id, created_at, expires_at)
SELECT ?2 || i, 'planted', 'no-such-job', ?3, ?3 + 86400000 FROM n
"""


def test_live_idempotency_keys_cost_an_idle_run_nothing(client: httpx.Client, local: LocalRuntime) -> None:
    """With nothing due, a run's rows read do not grow with the live keys: finding that no key
    is due reads one row (it read the oldest chunk, two rows per live key, up to 1,000 a run)."""

    def idle_run_rows_read() -> int:
        for _ in range(10):  # until nothing is left over from earlier tests
            response = client.post("/api/maintenance/runs")
            assert response.status_code == 201, response.text
            if not response.json()["more"] and not any(response.json()["counts"].values()):
                stats = dict(p.split("=") for p in response.headers["x-d1-stats"].split("; "))
                return int(stats["rows_read"])
        raise AssertionError("maintenance never went idle")

    before = idle_run_rows_read()
    prefix = f"live-{uuid.uuid4().hex[:8]}-"
    local.sql(PLANT_LIVE_KEYS, 200, prefix, rt_now(local))
    try:
        after = idle_run_rows_read()
    finally:  # keys naming no job would fail the session-wide consistency check
        local.sql("DELETE FROM idempotency_keys WHERE idempotency_key LIKE ?1 || '%'", prefix)
    assert after - before <= 5, (before, after)  # (other tests' jobs may fall due meanwhile)


def test_manual_run_takes_no_parameters(client: httpx.Client) -> None:
    response = client.post("/api/maintenance/runs", json={"chunk_rows": 1_000_000})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_runs_list_pages_newest_first(client: httpx.Client) -> None:
    for _ in range(3):
        assert client.post("/api/maintenance/runs").status_code == 201
    first = client.get("/api/maintenance/runs", params={"limit": 2}).json()
    second = client.get("/api/maintenance/runs", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    ids = [r["id"] for r in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    assert TOKEN not in str(first)


def test_old_runs_are_pruned_after_their_retention(client: httpx.Client, local: LocalRuntime) -> None:
    now = rt_now(local)
    plant = "INSERT INTO maintenance_runs (trigger, started_at, finished_at) VALUES (?1, ?2, ?2) RETURNING id"
    old = local.sql(plant, "old", now - 31 * DAY_MS)[0]["id"]
    recent = local.sql(plant, "recent", now - 29 * DAY_MS)[0]["id"]
    run = client.post("/api/maintenance/runs").json()
    assert run["counts"]["maintenance_runs_pruned"] >= 1
    remaining = {
        r["id"] for r in local.sql("SELECT id FROM maintenance_runs WHERE id IN (?1, ?2)", old, recent)
    }
    assert remaining == {recent}
