"""The export job queue over HTTP, through the real runtime: creating, reading, listing,
idempotency and validation (the runner lifecycle: test_exports_lifecycle.py).

The session shares one D1 and `claim` takes any claimable job, so every test leaves no
pending job behind (the `jobs` fixture cancels what a test created) and asserts only on
jobs it created itself."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.exports import (
    Jobs,
    claim_job,
    error_code,
    fail,
    get,
)
from tests.support.factories import d1_stats, unique_project
from tests.support.settings import TOKEN


def test_idempotency_key(client: httpx.Client, jobs: Jobs) -> None:
    project = unique_project()
    key = {"idempotency-key": f"create-{secrets.token_hex(8)}"}
    body = {
        "project_id": project,
        "type": "annotate",
        "input_video_key": "in/b.mp4",
        "params": {"a": 1, "b": 2},
    }

    first = client.post("/api/export-jobs", json=body, headers=key)
    assert first.status_code == 201
    jobs.ids.append(first.json()["id"])
    again = client.post("/api/export-jobs", json={**body, "params": {"b": 2, "a": 1}}, headers=key)
    assert again.status_code == 200
    assert again.json() == first.json()

    other = client.post("/api/export-jobs", json={**body, "input_video_key": "in/c.mp4"}, headers=key)
    assert other.status_code == 409 and error_code(other) == "conflict"

    def concurrent_create(_: int) -> httpx.Response:
        return client.post(
            "/api/export-jobs", json=body, headers={"idempotency-key": f"{key['idempotency-key']}-2"}
        )

    with ThreadPoolExecutor(8) as pool:
        racing = list(pool.map(concurrent_create, range(8)))
    assert sorted(r.status_code for r in racing) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in racing}) == 1
    jobs.ids.append(racing[0].json()["id"])

    listed = client.get("/api/export-jobs", params={"project_id": project}).json()["items"]
    assert len(listed) == 2  # one row per key
    bad = client.post("/api/export-jobs", json=body, headers={"idempotency-key": "has space"})
    assert bad.status_code == 400


def test_list_items_are_the_jobs_as_get_renders_them(
    client: httpx.Client, jobs: Jobs, runner: Callable[[], str]
) -> None:
    """List pages are rendered by SQLite on D1, single jobs in Python: the same JSON values."""
    project = unique_project()
    params = {
        "ünïcode": '名前 "quoted" \\ \u0001\n',
        "big": 2**53 - 1,
        "neg": -7,
        "nested": [{"a": None}, [], {}],
    }
    failed = jobs.create(project_id=project, params=params)
    runner_id = runner()
    lease = claim_job(client, failed["id"], runner_id, lease_seconds=90)["lease_id"]
    error = 'Traceback:\n  "CUDA" \t out \u2028 of memory 💥'
    assert fail(client, failed["id"], runner_id, lease, retryable=False, error=error).status_code == 200
    pending = jobs.create(project_id=project, type="overlay", max_retries=0)
    listed = client.get("/api/export-jobs", params={"project_id": project}).json()["items"]
    singles = [client.get(f"/api/export-jobs/{job['id']}").json() for job in (pending, failed)]
    assert listed == singles
    assert [list(item) for item in listed] == [list(single) for single in singles]  # same key order
    assert listed[1]["params"] == params and listed[1]["error"] == error
    assert all(listed[1][name] for name in ("started_at", "completed_at", "created_at", "updated_at"))


def test_list_filters_newest_first_with_cursor(client: httpx.Client, jobs: Jobs) -> None:
    project = unique_project()
    made = [
        jobs.create(project_id=project, type=kind)["id"]
        for kind in ("framing", "overlay", "overlay", "annotate", "framing")
    ]
    client.post(f"/api/export-jobs/{made[1]}/cancel")

    def ids(**params: Any) -> list[str]:
        return [
            j["id"]
            for j in client.get("/api/export-jobs", params={"project_id": project, **params}).json()["items"]
        ]

    newest_first = made[::-1]
    pages, cursor = [], None
    while True:
        params = {"project_id": project, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/export-jobs", params=params).json()
        pages.append([j["id"] for j in page["items"]])
        if not (cursor := page["next_cursor"]):
            break
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert ids(status="cancelled") == [made[1]]
    assert ids(status="active") == [i for i in newest_first if i != made[1]]
    assert ids(status="cancelled,pending", type="overlay") == [made[2], made[1]]
    assert ids(type="overlay") == [made[2], made[1]]  # export_jobs_by_project_type_status
    first = client.get(
        "/api/export-jobs", params={"project_id": project, "type": "framing", "limit": 1}
    ).json()
    rest = {"project_id": project, "type": "framing", "cursor": first["next_cursor"]}
    assert [j["id"] for j in first["items"]] == [made[4]]
    assert [j["id"] for j in client.get("/api/export-jobs", params=rest).json()["items"]] == [made[0]]
    assert ids(status="complete") == []
    by_status = client.get("/api/export-jobs", params={"status": "cancelled", "limit": 200}).json()["items"]
    assert made[1] in {j["id"] for j in by_status}

    for params in (
        {"cursor": "forged"},
        {"status": "done"},
        {"project_id": "0"},
        {"type": "x"},
        {"limit": "0"},
    ):
        response = client.get("/api/export-jobs", params=params)
        assert response.status_code == 400 and error_code(response) == "validation_error", params


def test_a_list_by_project_status_and_type_reads_only_its_page(client: httpx.Client, jobs: Jobs) -> None:
    """Newer jobs of other types in the same project and statuses are not walked over: each
    (project, type, status) has its own index range (they were read and skipped, one row each)."""
    project = unique_project()
    wanted = [jobs.create(project_id=project, type="overlay")["id"] for _ in range(4)]
    for kind in ("framing", "annotate") * 12:
        jobs.create(project_id=project, type=kind)
    params = {"project_id": project, "status": "active", "type": "overlay", "limit": 3}
    page = client.get("/api/export-jobs", params=params)
    assert [j["id"] for j in page.json()["items"]] == wanted[::-1][:3]
    # the page and the next-page probe, plus the second status's empty range
    assert d1_stats(page)["rows_read"] <= 3 + 1 + 2, page.headers["x-d1-stats"]
    rest = client.get("/api/export-jobs", params={**params, "cursor": page.json()["next_cursor"]})
    assert [j["id"] for j in rest.json()["items"]] == wanted[:1]


def test_events_are_paginated_oldest_first(client: httpx.Client, jobs: Jobs) -> None:
    job = jobs.create()
    client.post(f"/api/export-jobs/{job['id']}/cancel")
    client.post(f"/api/export-jobs/{job['id']}/retry")
    client.post(f"/api/export-jobs/{job['id']}/cancel")
    first = client.get(f"/api/export-jobs/{job['id']}/events", params={"limit": 3}).json()
    second = client.get(
        f"/api/export-jobs/{job['id']}/events", params={"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [e["event"] for e in first["items"] + second["items"]] == [
        "created",
        "cancelled",
        "retried",
        "cancelled",
    ]
    assert second["next_cursor"] is None
    ats = [e["at"] for e in first["items"] + second["items"]]
    assert ats == sorted(ats)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "framing", "input_video_key": "k"}, "project_id"),
        ({"project_id": True, "type": "framing", "input_video_key": "k"}, "project_id"),
        ({"project_id": 1, "type": "render", "input_video_key": "k"}, "type"),
        ({"project_id": 1, "type": "framing", "input_video_key": ""}, "input_video_key"),
        ({"project_id": 1, "type": "framing", "input_video_key": "k", "params": []}, "params"),
        (
            {"project_id": 1, "type": "framing", "input_video_key": "k", "params": {"x": "y" * 70_000}},
            "params",
        ),
        ({"project_id": 1, "type": "framing", "input_video_key": "k", "max_retries": 11}, "max_retries"),
        ({"project_id": 1, "type": "framing", "input_video_key": "k", "status": "complete"}, "status"),
    ],
)
def test_create_validation(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = client.post("/api/export-jobs", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        **response.json()["error"],
        "code": "validation_error",
        "field": field,
    }


def test_runner_body_validation_and_unknown_ids(client: httpx.Client, jobs: Jobs) -> None:
    job = jobs.create()
    bad_bodies = [
        ("POST", "/api/export-jobs/claim", {"runner_id": "r", "lease_seconds": 5}),
        ("POST", "/api/export-jobs/claim", {"runner_id": "r", "types": ["x"]}),
        ("POST", "/api/export-jobs/claim", {"runner": "r"}),
        ("PATCH", f"/api/export-jobs/{job['id']}", {"runner_id": "r", "progress": 101}),
        ("PATCH", f"/api/export-jobs/{job['id']}", {"runner_id": "r", "progress": "5"}),
        ("POST", f"/api/export-jobs/{job['id']}/fail", {"runner_id": "r", "error": "e", "retryable": "no"}),
        ("POST", f"/api/export-jobs/{job['id']}/complete", {"runner_id": "r"}),
        ("POST", f"/api/export-jobs/{job['id']}/cancel", {"reason": 7}),
        ("POST", f"/api/export-jobs/{job['id']}/cancel", {"why": "x"}),
    ]
    for method, path, body in bad_bodies:
        response = client.request(method, path, json=body)
        assert response.status_code == 400 and error_code(response) == "validation_error", (path, body)
    assert get(client, job["id"]) == job

    unknown = "0190a0a0-0000-7000-8000-000000000000"
    for method, path in [
        ("GET", f"/api/export-jobs/{unknown}"),
        ("GET", f"/api/export-jobs/{unknown}/events"),
        ("POST", f"/api/export-jobs/{unknown}/cancel"),
        ("GET", "/api/export-jobs/not-a-uuid"),
    ]:
        response = client.request(method, path)
        assert response.status_code == 404 and error_code(response) == "not_found", path
    response = client.post(
        f"/api/export-jobs/{unknown}/complete", json={"runner_id": "r", "output_video_key": "o"}
    )
    assert response.status_code == 404


def test_openapi_describes_the_export_routes(anon: httpx.Client) -> None:
    paths = anon.get("/openapi.json").json()["paths"]
    assert set(paths["/api/export-jobs"]) == {"get", "post"}
    assert set(paths["/api/export-jobs/{id}"]) == {"get", "patch"}
    assert {"200", "204"} <= set(paths["/api/export-jobs/claim"]["post"]["responses"])
    for action in ("complete", "fail", "retry", "cancel"):
        assert "409" in paths[f"/api/export-jobs/{{id}}/{action}"]["post"]["responses"]
    assert "/api/export-jobs/{id}/events" in paths
    assert TOKEN not in str(paths)
