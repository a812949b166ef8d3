"""Rows read by the changes of one video (x-d1-stats): the compare-and-set UPDATE, its event,
and the counts that follow it (the owner's and every video's usage rows, the generation's)
kept by triggers on the change itself, so that no statement reads the video a second time.
Exact figures: a change that reads more is a regression to look at (docs/videos.md)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.consistency_videos import assert_videos_consistent
from tests.support.factories import d1_stats
from tests.support.runtime import LocalRuntime
from tests.support.videos import User, new_user, patch, usage_row


@pytest.fixture
def user(client: httpx.Client, anon: httpx.Client, user_tokens: Callable[[str], str]) -> User:
    return new_user(client, anon, user_tokens)


def rows_read(response: httpx.Response) -> int:
    assert response.status_code in (200, 204), response.text
    return d1_stats(response)["rows_read"]


def test_a_change_of_status_reads_five_rows(user: User, client: httpx.Client, local: LocalRuntime) -> None:
    started, failed, cancelled = (user.created()["id"] for _ in range(3))
    assert rows_read(patch(client, started, status="in_progress", progress=10)) == 5
    assert rows_read(patch(client, started, status="completed", file_url="https://cdn/a.mp4")) == 5
    assert rows_read(patch(client, failed, status="failed")) == 5  # with its refund
    assert rows_read(user.request("POST", f"/api/videos/{cancelled}/cancel")) == 5  # with its refund
    usage = usage_row(local, user.user_id)
    assert usage is not None
    assert (usage["videos_used"], usage["completed"], usage["failed"], usage["cancelled"]) == (1, 1, 1, 1)
    assert_videos_consistent(local.sql, [user.user_id])


def test_a_change_without_a_new_status_counts_nothing(user: User, client: httpx.Client) -> None:
    video_id = user.created()["id"]
    assert rows_read(patch(client, video_id, progress=20)) == 2
    patch(client, video_id, status="in_progress")
    # Already in progress: the event INSERT looks at the video and finds no change; no count.
    assert rows_read(patch(client, video_id, status="in_progress", progress=30)) == 3


def test_a_generations_video_reads_one_row_more(
    user: User, local: LocalRuntime, client: httpx.Client
) -> None:
    body = {"generation_id": f"rows-{user.user_id}", "model": "sora-2", "prompt": "x", "video_count": 2}
    response = user.request("POST", "/api/generations", json=body)
    assert response.status_code == 201, response.text
    first, second = (video["id"] for video in response.json()["videos"])
    assert rows_read(patch(client, first, status="in_progress")) == 6
    assert rows_read(patch(client, second, status="failed")) == 6
    generation = user.request("GET", f"/api/generations/{body['generation_id']}").json()
    assert (generation["status"], generation["progress"]) == ("processing", 0)
    assert_videos_consistent(local.sql, [user.user_id])


def test_archive_and_delete_read_five_rows(user: User, local: LocalRuntime) -> None:
    archived, deleted = (user.created()["id"] for _ in range(2))
    assert rows_read(user.request("POST", f"/api/videos/{archived}/archive")) == 5
    assert rows_read(user.request("DELETE", f"/api/videos/{archived}")) == 5
    assert rows_read(user.request("DELETE", f"/api/videos/{deleted}")) == 5
    usage = usage_row(local, user.user_id)
    assert usage is not None and (usage["queued"], usage["archived"]) == (0, 0)
    assert_videos_consistent(local.sql, [user.user_id])
