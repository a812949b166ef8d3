"""Monthly quotas over HTTP, through the real runtime (Pyodide + Miniflare's D1): the charge
is one conditional UPDATE in the create's batch, so concurrent creates never overshoot the
limit; a new month starts at zero without any job; refunds happen once, whoever races.

Each test has a user of its own; `local.sql` plants a usage row of another month (the month
is stored on the row, so an older month on it is the clock having crossed the boundary)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from tests.support.assertions import assert_error
from tests.support.consistency_videos import PLANTED
from tests.support.runtime import LocalRuntime
from tests.support.videos import (
    User,
    at_once,
    events_of,
    new_user,
    patch,
    period_of,
    previous_period,
    usage_row,
    video_body,
)

TokenFor = Callable[[str], str]


@pytest.fixture
def user(client: httpx.Client, anon: httpx.Client, user_tokens: TokenFor) -> User:
    return new_user(client, anon, user_tokens)


def _month_end_ms() -> int:
    now = datetime.now(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp() * 1000)


def _assert_quota_429(response: httpx.Response, used: int, limit: int) -> None:
    error = assert_error(response, 429, "quota_exceeded")
    details = error["details"]
    assert (details["used"], details["limit"], details["remaining"]) == (used, limit, max(limit - used, 0))
    resets_at = datetime.fromisoformat(details["resets_at"].replace("Z", "+00:00"))
    assert int(resets_at.timestamp() * 1000) == _month_end_ms()
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= (_month_end_ms() - time.time() * 1000) / 1000 + 60


def test_fifty_concurrent_creates_against_a_limit_of_ten(user: User, local: LocalRuntime) -> None:
    user.set_limit(10)
    responses = at_once([user.create for _ in range(50)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 10 + [429] * 40, statuses
    for refused in (r for r in responses if r.status_code == 429):
        _assert_quota_429(refused, 10, 10)
    assert user.quota()["videos_used"] == 10
    assert user.quota()["cents_used"] == 500
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    stored = local.sql("SELECT id FROM videos WHERE user_id = ?", user.user_id)
    assert {row["id"] for row in stored} == created  # nothing inserted for a refusal
    assert user.stats()["by_status"]["queued"] == 10


def test_a_new_month_starts_at_zero_under_concurrency(user: User, local: LocalRuntime) -> None:
    user.set_limit(10)
    old = previous_period(period_of(int(time.time() * 1000)))
    local.sql(
        "UPDATE video_usage SET period = ?, videos_used = 10, cents_used = 500 WHERE owner = ?",
        old,
        user.user_id,
    )
    assert user.quota()["videos_used"] == 0  # read as this month, before any charge
    responses = at_once([user.create for _ in range(50)])
    assert sorted(r.status_code for r in responses) == [201] * 10 + [429] * 40
    row = usage_row(local, user.user_id)
    assert row is not None and (row["period"], row["videos_used"]) == (period_of(int(time.time() * 1000)), 10)


def test_a_request_from_before_the_turn_counts_in_the_new_month(user: User, local: LocalRuntime) -> None:
    """A create that read the clock before midnight and charges after the row moved on counts in
    the row's month: months on the row never go back (planted: a row one month ahead)."""
    user.set_limit(2)
    ahead = "2999-01"
    PLANTED.add(user.user_id)  # its usage row's month no longer follows from its videos
    local.sql("UPDATE video_usage SET period = ?, videos_used = 2 WHERE owner = ?", ahead, user.user_id)
    assert_error(user.create(), 429, "quota_exceeded")
    row = usage_row(local, user.user_id)
    assert row is not None and (row["period"], row["videos_used"]) == (ahead, 2)


def test_spend_limit_refuses_what_would_pass_it(user: User) -> None:
    user.set_limit(100, cents=120)  # sora-2, 5 s: 50 cents each
    assert [user.create().status_code for _ in range(3)] == [201, 201, 429]
    fits = user.create(seconds=2)  # 20 cents fit
    assert fits.status_code == 201, fits.text
    error = assert_error(user.create(seconds=1), 429, "quota_exceeded")
    assert "spend limit" in error["message"]
    assert (error["details"]["cents_used"], error["details"]["cents_limit"]) == (120, 120)


def test_quota_routes(user: User, client: httpx.Client) -> None:
    quota = user.quota()
    assert quota["user_id"] == user.user_id and quota["period"] == period_of(int(time.time() * 1000))
    assert (quota["videos_used"], quota["videos_limit"], quota["remaining"]) == (0, 100, 100)
    user.created()
    assert client.get(f"/api/quotas/{user.user_id}").json()["videos_used"] == 1
    answer = client.put(f"/api/quotas/{user.user_id}", json={"videos_limit": 3})
    assert answer.status_code == 200 and answer.json()["remaining"] == 2, answer.text
    assert_error(user.request("GET", f"/api/quotas/{user.user_id}"), 403, "forbidden")
    assert_error(
        user.request("PUT", f"/api/quotas/{user.user_id}", json={"videos_limit": 9}), 403, "forbidden"
    )
    assert_error(
        client.put(f"/api/quotas/{user.user_id}", json={"videos_limit": -1}), 400, "validation_error"
    )
    assert_error(client.get("/api/quotas/me"), 400, "validation_error")


def test_refunds_never_double_under_concurrent_fail_and_cancel(
    user: User, client: httpx.Client, local: LocalRuntime
) -> None:
    user.set_limit(20)
    videos = [user.created()["id"] for _ in range(8)]
    before = user.quota()
    calls = []
    for video_id in videos:
        calls += [
            lambda v=video_id: patch(client, v, status="failed"),
            lambda v=video_id: user.request("POST", f"/api/videos/{v}/cancel"),
            lambda v=video_id: client.post(f"/api/videos/{v}/cancel"),
            lambda v=video_id: patch(client, v, status="failed", error={"code": "x", "message": "y"}),
        ]
    responses = at_once(calls, workers=32)
    for i in range(len(videos)):
        group = sorted(r.status_code for r in responses[4 * i : 4 * i + 4])
        assert group == [200, 409, 409, 409], group
    after = user.quota()
    assert (after["videos_used"], after["cents_used"]) == (
        before["videos_used"] - 8,
        before["cents_used"] - 400,
    )
    for video_id in videos:
        finishing = [e for e in events_of(client, video_id) if e["to_status"] in ("failed", "cancelled")]
        assert len(finishing) == 1, finishing
    refunded = local.sql("SELECT count(*) AS n FROM videos WHERE user_id = ? AND refunded = 1", user.user_id)
    assert refunded[0]["n"] == 8


def test_a_result_is_not_refunded_and_a_completed_video_never(user: User, client: httpx.Client) -> None:
    kept = user.created()["id"]
    failed_with_file = user.created()["id"]
    done = user.created()["id"]
    assert (
        patch(
            client, failed_with_file, status="failed", file_url="https://cdn.example/partial.mp4"
        ).status_code
        == 200
    )
    assert patch(client, done, status="completed", file_url="https://cdn.example/done.mp4").status_code == 200
    assert user.quota()["videos_used"] == 3
    assert client.post(f"/api/videos/{kept}/cancel").status_code == 200
    assert user.quota()["videos_used"] == 2
    assert_error(client.post(f"/api/videos/{done}/cancel"), 409, "conflict")


def test_a_refund_of_last_month_does_not_touch_this_month(
    user: User, client: httpx.Client, local: LocalRuntime
) -> None:
    video_id = user.created()["id"]
    old = previous_period(period_of(int(time.time() * 1000)))
    PLANTED.add(user.user_id)  # its usage row's month no longer follows from its videos
    local.sql("UPDATE videos SET period = ? WHERE id = ?", old, video_id)  # made last month
    used = user.quota()["videos_used"]
    assert patch(client, video_id, status="failed").status_code == 200
    assert user.quota()["videos_used"] == used


def test_service_videos_without_owner_are_not_limited(client: httpx.Client) -> None:
    responses = at_once([lambda: client.post("/api/videos", json=video_body()) for _ in range(5)])
    assert [r.status_code for r in responses] == [201] * 5
    assert all(r.json()["user_id"] is None for r in responses)
