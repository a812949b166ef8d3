"""Job runs over HTTP through the local runtime: recording, finishing once, history filters,
latest, and the run's report."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.assertions import assert_error


def new_type() -> str:
    return f"job-{uuid.uuid4().hex[:10]}"


def start(client: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = client.post("/api/job-runs", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_start_then_finish_once(client: httpx.Client) -> None:
    kind = new_type()
    run = start(client, job_type=kind, trigger_source="cron", metadata={"host": "a"})
    assert run["status"] == "running" and run["finished_at"] is None and run["duration_ms"] is None
    assert run["scheduled_date"] == run["started_at"][:10]
    done = client.patch(f"/api/job-runs/{run['id']}", json={"status": "succeeded", "items_processed": 7})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "succeeded" and body["items_processed"] == 7 and body["duration_ms"] >= 0
    assert body["metadata"] == {"host": "a"} and body["finished_at"] is not None
    again = client.patch(f"/api/job-runs/{run['id']}", json={"status": "failed", "error": "late"})
    assert assert_error(again, 409, "conflict")["details"] == {"status": "succeeded"}
    assert client.get(f"/api/job-runs/{run['id']}").json()["status"] == "succeeded"


def test_concurrent_finishes_have_one_winner(client: httpx.Client) -> None:
    run = start(client, job_type=new_type())
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(
                lambda i: client.patch(
                    f"/api/job-runs/{run['id']}", json={"status": "failed", "error": str(i)}
                ),
                range(6),
            )
        )
    assert sorted(a.status_code for a in answers) == [200] + [409] * 5


def test_record_a_finished_run_with_its_times(client: httpx.Client) -> None:
    run = start(
        client,
        job_type=new_type(),
        status="failed",
        scheduled_date="2026-11-20",
        started_at="2026-11-20T06:00:00.000Z",
        finished_at="2026-11-20T06:01:30.250+00:00",
        error="upstream timed out",
    )
    assert run["duration_ms"] == 90_250 and run["finished_at"] == "2026-11-20T06:01:30.250Z"
    assert run["status"] == "failed" and run["error"] == "upstream timed out"
    by_duration = start(
        client, job_type=new_type(), status="succeeded", finished_at="2026-11-20T07:00:00Z", duration_ms=1500
    )
    assert by_duration["started_at"] == "2026-11-20T06:59:58.500Z"
    from_start = start(
        client, job_type=new_type(), status="succeeded", started_at="2026-11-20T08:00:00Z", duration_ms=2000
    )
    assert from_start["finished_at"] == "2026-11-20T08:00:02.000Z" and from_start["duration_ms"] == 2000


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"job_type": "Upper"},
        {"job_type": "x" * 65},
        {"job_type": "a", "status": "done"},
        {"job_type": "a", "finished_at": "2026-11-20T06:00:00Z"},
        {
            "job_type": "a",
            "status": "succeeded",
            "started_at": "2026-11-20T07:00:00Z",
            "finished_at": "2026-11-20T06:00:00Z",
        },
        {"job_type": "a", "started_at": "2026-11-20 06:00"},
        {"job_type": "a", "scheduled_date": "2026-02-30"},
        {"job_type": "a", "items_processed": -1},
        {"job_type": "a", "items_processed": True},
        {"job_type": "a", "metadata": "text"},
        {"job_type": "a", "unknown": 1},
    ],
)
def test_bad_bodies_are_400(client: httpx.Client, body: dict[str, Any]) -> None:
    assert_error(client.post("/api/job-runs", json=body), 400, "validation_error")


def test_unknown_runs_are_404(client: httpx.Client) -> None:
    missing = "0193a1b2-7c3d-7e4f-8a9b-000000000000"
    assert_error(client.get(f"/api/job-runs/{missing}"), 404, "not_found")
    assert_error(client.get("/api/job-runs/not-a-uuid"), 404, "not_found")
    assert_error(client.patch(f"/api/job-runs/{missing}", json={"status": "failed"}), 404, "not_found")


def test_history_filters_newest_date_first(client: httpx.Client) -> None:
    kind, other = new_type(), new_type()
    for day, status in [("2026-10-01", "succeeded"), ("2026-10-03", "failed"), ("2026-10-02", "succeeded")]:
        start(client, job_type=kind, scheduled_date=day, status=status)
    start(client, job_type=kind, scheduled_date="2026-10-04")
    start(client, job_type=other, scheduled_date="2026-10-02", status="failed")
    dates = lambda **q: [r["scheduled_date"] for r in list_all(client, **q)]  # noqa: E731
    assert dates(type=kind, limit=2) == ["2026-10-04", "2026-10-03", "2026-10-02", "2026-10-01"]
    assert dates(type=kind, status="succeeded") == ["2026-10-02", "2026-10-01"]
    assert dates(type=kind, since="2026-10-02", until="2026-10-03") == ["2026-10-03", "2026-10-02"]
    both = list_all(client, status="failed", since="2026-10-02", until="2026-10-03")
    assert {(r["job_type"], r["scheduled_date"]) for r in both} >= {
        (kind, "2026-10-03"),
        (other, "2026-10-02"),
    }
    assert_error(client.get("/api/job-runs", params={"status": "done"}), 400, "validation_error")
    assert_error(
        client.get("/api/job-runs", params={"until": "2026-10-01", "since": "2026-10-02"}),
        400,
        "validation_error",
    )


def list_all(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = client.get("/api/job-runs", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def test_latest_and_the_runs_report(client: httpx.Client) -> None:
    kind = new_type()
    assert_error(client.get("/api/job-runs/latest", params={"type": kind}), 404, "not_found")
    assert_error(client.get("/api/job-runs/latest"), 400, "validation_error")
    for day in ["2026-08-03", "2026-08-09", "2026-08-01"]:
        start(client, job_type=kind, scheduled_date=day, status="succeeded")
    latest = client.get("/api/job-runs/latest", params={"type": kind})
    assert latest.status_code == 200 and latest.json()["scheduled_date"] == "2026-08-09"
    assert latest.json()["report"] is None
    report = client.put(
        f"/api/reports/{kind}/2026-08-09", json={"content": {"rows": 3}, "trigger_source": "cron"}
    )
    assert report.status_code == 201
    run = client.get(f"/api/job-runs/{latest.json()['id']}").json()
    assert run["report"]["content"] == {"rows": 3} and run["report"]["revision"] == 1
    assert run["report"]["scheduled_date"] == "2026-08-09" and run["report"]["report_type"] == kind
