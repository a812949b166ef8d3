"""Videos over HTTP: lists and their filters, who sees what, archive, soft delete, remix,
download, events, stats and Idempotency-Key. Each test has users of its own, so their lists
hold only what the test made."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.assertions import assert_error
from tests.support.factories import d1_stats
from tests.support.runtime import LocalRuntime
from tests.support.videos import User, events_of, new_user, patch, video_body

TokenFor = Callable[[str], str]


@pytest.fixture
def user(client: httpx.Client, anon: httpx.Client, user_tokens: TokenFor) -> User:
    return new_user(client, anon, user_tokens)


@pytest.fixture
def other(client: httpx.Client, anon: httpx.Client, user_tokens: TokenFor) -> User:
    return new_user(client, anon, user_tokens)


def ids_listed(user: User, limit: int = 2, **params: Any) -> list[str]:
    """Every page of the user's list, following cursors."""
    found: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = user.request("GET", "/api/videos", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        found += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def test_lists_newest_first_with_filters(user: User, client: httpx.Client) -> None:
    made = [user.created(model="sora-2" if i % 2 else "sora-2-pro")["id"] for i in range(5)]
    assert ids_listed(user) == made[::-1]
    patch(client, made[0], status="in_progress")
    patch(client, made[1], status="completed", file_url="https://cdn/1.mp4")
    assert ids_listed(user, status="in_progress,completed") == [made[1], made[0]]
    assert ids_listed(user, status="queued") == [made[4], made[3], made[2]]
    assert ids_listed(user, model="sora-2") == [made[3], made[1]]
    middle = client.get(f"/api/videos/{made[2]}").json()["created_at"]
    assert ids_listed(user, created_after=middle) == [made[4], made[3], made[2]]
    assert ids_listed(user, created_before=middle) == [made[1], made[0]]
    service = client.get("/api/videos", params={"user_id": user.user_id, "limit": 200}).json()["items"]
    assert [v["id"] for v in service] == made[::-1]
    assert_error(user.request("GET", "/api/videos", params={"status": "done"}), 400, "validation_error")
    assert_error(user.request("GET", "/api/videos", params={"archived": "yes"}), 400, "validation_error")
    assert_error(user.request("GET", "/api/videos", params={"created_after": "x"}), 400, "validation_error")


def test_a_page_reads_about_the_rows_it_returns(user: User) -> None:
    for _ in range(6):
        user.created()
    response = user.request("GET", "/api/videos", params={"limit": 5})
    assert len(response.json()["items"]) == 5
    assert d1_stats(response)["rows_read"] <= 6


def test_users_see_only_their_own(user: User, other: User, client: httpx.Client) -> None:
    mine = user.created()["id"]
    theirs = other.created()["id"]
    assert ids_listed(user) == [mine]
    for method, path in (
        ("GET", f"/api/videos/{theirs}"),
        ("GET", f"/api/videos/{theirs}/events"),
        ("GET", f"/api/videos/{theirs}/download"),
        ("POST", f"/api/videos/{theirs}/archive"),
        ("POST", f"/api/videos/{theirs}/remix"),
        ("DELETE", f"/api/videos/{theirs}"),
    ):
        body = {"prompt": "again"} if path.endswith("remix") else None
        assert_error(user.request(method, path, json=body), 404, "not_found")
    assert_error(
        user.request("GET", "/api/videos", params={"user_id": other.user_id}), 400, "validation_error"
    )
    assert client.get(f"/api/videos/{theirs}").status_code == 200
    assert other.stats()["total"] == 1


def test_archive_and_soft_delete(user: User, client: httpx.Client, local: LocalRuntime) -> None:
    kept, archived, deleted = (user.created()["id"] for _ in range(3))
    answer = user.request("POST", f"/api/videos/{archived}/archive")
    assert answer.status_code == 200 and answer.json()["archived_at"] is not None, answer.text
    assert user.request("POST", f"/api/videos/{archived}/archive").status_code == 200  # again: as it is
    assert user.request("DELETE", f"/api/videos/{deleted}").status_code == 204
    assert ids_listed(user) == [kept]
    assert ids_listed(user, archived="true") == [archived]
    assert_error(user.request("GET", f"/api/videos/{deleted}"), 404, "not_found")
    assert_error(user.request("DELETE", f"/api/videos/{deleted}"), 404, "not_found")
    assert_error(patch(client, deleted, progress=5), 404, "not_found")
    stats = user.stats()
    assert (stats["total"], stats["archived"], stats["by_status"]["queued"]) == (2, 1, 2)
    assert [e["event"] for e in events_of(client, archived)] == ["created", "archived"]
    assert client.get(f"/api/videos/{deleted}/events").status_code == 404
    history = local.sql(
        "SELECT event FROM job_events WHERE job_kind = 'video' AND job_id = ? ORDER BY id", deleted
    )
    assert [row["event"] for row in history] == ["created", "deleted"]


def test_download_redirects_and_records_who(user: User, client: httpx.Client) -> None:
    video_id = user.created()["id"]
    assert_error(user.request("GET", f"/api/videos/{video_id}/download"), 409, "conflict")
    patch(client, video_id, status="completed", file_url="https://cdn.example/v.mp4")
    headers = {**user.headers, "cf-connecting-ip": "203.0.113.9", "user-agent": "kite/1.0"}
    answer = user.anon.get(f"/api/videos/{video_id}/download", headers=headers, follow_redirects=False)
    assert answer.status_code == 302 and answer.headers["location"] == "https://cdn.example/v.mp4"
    last = events_of(client, video_id)[-1]
    assert (last["event"], last["data"]) == ("downloaded", {"ip": "203.0.113.9", "user_agent": "kite/1.0"})
    gone = user.created()["id"]
    patch(client, gone, status="completed", file_url="https://cdn/x.mp4", expires_at="2020-01-01T00:00:00Z")
    assert_error(user.request("GET", f"/api/videos/{gone}/download"), 410, "gone")


def test_remix_charges_and_marks_the_source(user: User, client: httpx.Client) -> None:
    source = user.created(seconds=3)["id"]
    assert_error(user.request("POST", f"/api/videos/{source}/remix", json={"prompt": "b"}), 409, "conflict")
    patch(client, source, status="completed", file_url="https://cdn/s.mp4")
    used = user.quota()["videos_used"]
    answer = user.request("POST", f"/api/videos/{source}/remix", json={"prompt": "the same, at dusk"})
    assert answer.status_code == 201, answer.text
    remix = answer.json()
    assert (remix["remixed_from"], remix["prompt"], remix["seconds"]) == (source, "the same, at dusk", 3)
    assert remix["user_id"] == user.user_id and user.quota()["videos_used"] == used + 1
    last = events_of(client, source)[-1]
    assert (last["event"], last["data"]) == ("remixed", {"video_id": remix["id"]})
    user.set_limit(user.quota()["videos_used"])
    assert_error(
        user.request("POST", f"/api/videos/{source}/remix", json={"prompt": "c"}), 429, "quota_exceeded"
    )
    assert [e["event"] for e in events_of(client, source)].count("remixed") == 1


def test_idempotency_key(user: User, other: User) -> None:
    key = {"idempotency-key": f"k-{time.time_ns()}"}
    first = user.request("POST", "/api/videos", json=video_body(), headers=key)
    again = user.request("POST", "/api/videos", json=video_body(), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert user.quota()["videos_used"] == 1
    assert_error(
        user.request("POST", "/api/videos", json=video_body(prompt="x"), headers=key), 409, "conflict"
    )
    assert other.request("POST", "/api/videos", json=video_body(), headers=key).status_code == 201  # own keys


def test_stats_follow_every_change(user: User, client: httpx.Client) -> None:
    ids = [user.created()["id"] for _ in range(4)]
    patch(client, ids[0], status="completed", file_url="https://cdn/a.mp4")
    patch(client, ids[1], status="failed")
    patch(client, ids[2], status="in_progress")
    stats = user.stats()
    assert stats == {
        "total": 4,
        "by_status": {"queued": 1, "in_progress": 1, "completed": 1, "failed": 1, "cancelled": 0},
        "archived": 0,
        "cost_cents_this_month": 150,
    }
    response = user.request("GET", "/api/videos/stats")
    assert d1_stats(response)["rows_read"] <= 3


def test_events_page(user: User, client: httpx.Client) -> None:
    video_id = user.created()["id"]
    for progress in (10, 20):
        patch(client, video_id, status="in_progress", progress=progress)
    patch(client, video_id, status="completed", file_url="https://cdn/a.mp4")
    first = user.request("GET", f"/api/videos/{video_id}/events", params={"limit": 2}).json()
    assert [e["event"] for e in first["items"]] == ["created", "status_changed"]
    rest = user.request(
        "GET", f"/api/videos/{video_id}/events", params={"cursor": first["next_cursor"]}
    ).json()
    assert [e["to_status"] for e in rest["items"]] == ["completed"] and rest["next_cursor"] is None
