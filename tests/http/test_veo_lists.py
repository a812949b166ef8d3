"""VEO job lists over HTTP: order, filters, pages and cursors, and deleting every job.

Every test uses its own job ids (and, for lists, its own `video_id` or `status`), so tests
never depend on each other's data; `local.sql` plants or inspects rows directly."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.support.assertions import assert_error
from tests.support.factories import d1_stats, put_veo_job, unique_id
from tests.support.runtime import LocalRuntime
from tests.support.veo import expire, list_all


# --- list --------------------------------------------------------------------------------
def test_list_newest_first_with_filters(client: httpx.Client) -> None:
    video, other = unique_id("vid"), unique_id("vid")
    jobs = [
        (unique_id(), {"videoId": video, "status": "completed"}),
        (unique_id(), {"video_id": video, "status": "failed"}),
        (unique_id(), {"videoId": other, "status": "failed"}),
        (unique_id(), {"videoId": video, "status": "failed"}),
    ]
    for job_id, body in jobs:
        assert put_veo_job(client, job_id, body).status_code == 201
    listed = list_all(client, video_id=video)
    assert [j["job_id"] for j in listed] == [jobs[3][0], jobs[1][0], jobs[0][0]]
    assert [j["job_id"] for j in list_all(client, video_id=video, status="failed")] == [
        jobs[3][0],
        jobs[1][0],
    ]
    everything = [j["job_id"] for j in list_all(client, limit=200)]
    assert everything.index(jobs[3][0]) < everything.index(jobs[2][0]) < everything.index(jobs[0][0])
    assert set(listed[0]) == set(put_veo_job(client, unique_id(), {}).json())  # list items = PUT metadata


def test_list_items_are_the_metadata_put_renders(client: httpx.Client) -> None:
    """List pages are rendered by SQLite on D1, a PUT's answer in Python: the same JSON values."""
    video = unique_id("vid")
    bodies = [
        {"videoId": video, "status": "failed", "error": {"message": 'bad "input" \\ 💥\n\u0001'}},
        {"video_id": video, "status": "completed", "videoUrl": "https://cdn.example/名前.mp4",
         "scenes": [1, 2, 3], "characters": ["a"], "mode": "ü", "voice": None, "script": "hello"},
    ]  # fmt: skip
    answers = []
    for body in bodies:
        response = put_veo_job(client, unique_id(), body)
        assert response.status_code == 201, response.text
        answers.append(response.json())
    listed = list_all(client, video_id=video)
    assert listed == answers[::-1]
    assert [list(item) for item in listed] == [list(answer) for answer in answers[::-1]]  # key order
    assert listed[0]["has_script"] is True and listed[1]["has_script"] is False


def test_list_page_reads_about_what_it_returns(client: httpx.Client, local: LocalRuntime) -> None:
    status = unique_id("st")  # a status of its own, so the status index holds only this test's jobs
    video = unique_id("vid")
    ids = [unique_id() for _ in range(60)]
    for job_id in ids:
        put_veo_job(client, job_id, {"status": status, "videoId": video})
    expire(local, *ids[10:15])  # five expired rows interleaved among the newest
    for params in ({"status": status}, {"video_id": video}, {"status": status, "video_id": video}):
        page = client.get("/api/veo/jobs", params={**params, "limit": 50})
        assert len(page.json()["items"]) == 50
        assert d1_stats(page)["rows_read"] <= 51 + 5, page.headers["x-d1-stats"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "x"},
        {"cursor": "garbage"},
        {"status": ""},
        {"video_id": "v" * 300},
    ],
)
def test_list_rejects_bad_parameters(client: httpx.Client, params: dict[str, Any]) -> None:
    assert_error(client.get("/api/veo/jobs", params=params), 400, "validation_error")


def test_pagination_is_stable_under_inserts(client: httpx.Client) -> None:
    video = unique_id("pages")
    initial = [unique_id("p") for _ in range(120)]
    for job_id in initial:
        assert put_veo_job(client, job_id, {"videoId": video}).status_code == 201
    seen: list[str] = []
    times: list[str] = []
    cursor = None
    while True:
        params = {"video_id": video, "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/veo/jobs", params=params).json()
        assert len(page["items"]) <= 7
        seen += [item["job_id"] for item in page["items"]]
        times += [item["updated_at"] for item in page["items"]]
        for _ in range(2):  # other writers keep adding jobs between pages
            put_veo_job(client, unique_id("late"), {"videoId": video})
        cursor = page["next_cursor"]
        if not cursor:
            break
    counts = Counter(seen)
    assert all(counts[job_id] == 1 for job_id in initial), [j for j in initial if counts[j] != 1]
    assert times == sorted(times, reverse=True)


def test_pagination_breaks_ties_by_job_id(client: httpx.Client, local: LocalRuntime) -> None:
    video = unique_id("ties")
    ids = [f"{unique_id('tie')}-{n:02d}" for n in range(15)]
    for job_id in ids:
        put_veo_job(client, job_id, {"videoId": video})
    local.sql("UPDATE veo_jobs SET updated_at = 1700000000000 + 10 * 86400000 WHERE video_id = ?", video)
    walked = [item["job_id"] for item in list_all(client, video_id=video, limit=4)]
    assert walked == sorted(ids, reverse=True)


# --- delete all ----------------------------------------------------------------------------------
def test_delete_all_needs_confirm(client: httpx.Client) -> None:
    job_id = unique_id()
    put_veo_job(client, job_id, {"v": 1})
    assert assert_error(client.delete("/api/veo/jobs"), 400, "validation_error")["field"] == "confirm"
    assert_error(client.delete("/api/veo/jobs", params={"confirm": "yes"}), 400, "validation_error")
    assert client.get(f"/api/veo/jobs/{job_id}").status_code == 200


def test_delete_all_with_confirm_deletes_everything(client: httpx.Client, local: LocalRuntime) -> None:
    put_veo_job(client, unique_id(), {"v": 1})
    live = len(list_all(client, limit=200))
    expired = unique_id()
    put_veo_job(client, expired, {"v": 2})
    expire(local, expired)
    response = client.delete("/api/veo/jobs", params={"confirm": "all"})
    assert response.status_code == 200
    assert response.json() == {"deleted": live, "more": False}  # the jobs a client could see
    assert list_all(client) == []
    assert local.sql("SELECT count(*) AS n FROM veo_job_data")[0]["n"] == 0
    assert local.sql("SELECT count(*) AS n FROM veo_jobs")[0]["n"] == 0


def test_delete_all_goes_in_bounded_chunks_on_d1(client: httpx.Client, local: LocalRuntime) -> None:
    """One user's jobs, 2 a call: each call reads a few rows per job it deletes, however many
    jobs the database holds (other tests' jobs stay), and says whether any is left."""
    user = unique_id("chunked")
    mine = [unique_id() for _ in range(5)]
    for job_id in mine:
        assert (
            client.put(f"/api/veo/jobs/{job_id}", params={"user_id": user}, json={"v": 1}).status_code == 201
        )
    expire(local, mine[0])
    others = local.sql("SELECT count(*) AS n FROM veo_jobs WHERE user_id IS NOT ?", user)[0]["n"]
    answers, rows_read = [], []
    while not answers or answers[-1]["more"]:
        response = client.delete("/api/veo/jobs", params={"confirm": "all", "limit": 2, "user_id": user})
        assert response.status_code == 200 and len(answers) < 3
        answers.append(response.json())
        rows_read.append(d1_stats(response)["rows_read"])
    assert answers == [
        {"deleted": 2, "more": True},
        {"deleted": 2, "more": True},
        {"deleted": 0, "more": False},
    ]
    # ~9 a job: its index entry once per statement, its row, its payload, the payload's key
    # probed by the foreign key; and the probe for a row left
    assert max(rows_read) <= 10 * 2 + 1, rows_read
    assert local.sql("SELECT count(*) AS n FROM veo_jobs WHERE user_id = ?", user)[0]["n"] == 0
    assert local.sql("SELECT count(*) AS n FROM veo_jobs WHERE user_id IS NOT ?", user)[0]["n"] == others
