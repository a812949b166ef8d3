"""Videos over HTTP, through the real runtime: create, get (ETag, Cache-Control, 304) and the
state machine — every allowed and refused transition, progress never decreasing, finished
final, exactly one event per change of status. (Lists, ownership, archive, delete, remix and
download: test_videos_routes.py; quotas and refunds: test_videos_quota.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.assertions import assert_error
from tests.support.videos import User, events_of, new_user, patch, video_body

TokenFor = Callable[[str], str]
STATUSES = ("queued", "in_progress", "completed", "failed", "cancelled")
# (from, to) → allowed, as the README's state machine says (written out, not taken from the code).
ALLOWED = {
    ("queued", "queued"), ("queued", "in_progress"), ("queued", "completed"), ("queued", "failed"),
    ("queued", "cancelled"), ("in_progress", "in_progress"), ("in_progress", "completed"),
    ("in_progress", "failed"), ("in_progress", "cancelled"),
}  # fmt: skip
EVENT = {"cancelled": "cancelled"}  # the event of a move to a status (else status_changed)


@pytest.fixture
def user(client: httpx.Client, anon: httpx.Client, user_tokens: TokenFor) -> User:
    return new_user(client, anon, user_tokens)


def _video_in(client: httpx.Client, status: str) -> dict[str, Any]:
    created = client.post("/api/videos", json=video_body())
    assert created.status_code == 201, created.text
    video: dict[str, Any] = created.json()
    if status == "queued":
        return video
    if status != "in_progress":
        assert patch(client, video["id"], status="in_progress", progress=10).status_code == 200
    moved = patch(client, video["id"], status=status)
    assert moved.status_code == 200, moved.text
    result: dict[str, Any] = moved.json()
    return result


def test_create_answers_the_contract(client: httpx.Client, user: User) -> None:
    response = user.create(seconds=4, size="1280x720", quality="high", input={"seed": 7}, metadata={"k": "v"})
    assert response.status_code == 201, response.text
    video = response.json()
    assert response.headers["location"] == f"/api/videos/{video['id']}"
    assert video["user_id"] == user.user_id and video["status"] == "queued" and video["progress"] == 0
    assert (video["seconds"], video["cost_cents"], video["size"], video["quality"]) == (
        4,
        40,
        "1280x720",
        "high",
    )
    assert (video["input"], video["metadata"], video["provider"]) == ({"seed": 7}, {"k": "v"}, None)
    assert video["created_at"].endswith("Z") and video["archived_at"] is None
    assert client.post("/api/videos", json=video_body(model="sora-2-pro")).json()["seconds"] == 5
    assert [e["event"] for e in events_of(client, video["id"])] == ["created"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (video_body(model="nope"), "model"),
        (video_body(seconds=21), "seconds"),
        (video_body(seconds=0), "seconds"),
        (video_body(seconds=True), "seconds"),
        (video_body(prompt=""), "prompt"),
        (video_body(prompt="x" * 32_001), "prompt"),
        (video_body(size="big"), "size"),
        (video_body(input=[1]), "input"),
        (video_body(metadata="x"), "metadata"),
        (video_body(extra=1), "extra"),
    ],
)
def test_create_refuses_bad_bodies(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    error = assert_error(client.post("/api/videos", json=body), 400, "validation_error")
    assert error.get("field") == field, error
    if field == "model":
        assert "sora-2" in error["message"]  # names the known models


def test_a_user_may_not_name_the_owner(user: User) -> None:
    assert_error(user.create(user_id="someone-else"), 400, "validation_error")


def test_get_has_etag_cache_control_and_304(client: httpx.Client) -> None:
    video = _video_in(client, "queued")
    first = client.get(f"/api/videos/{video['id']}")
    assert first.status_code == 200 and first.json() == video
    assert first.headers["cache-control"] == "private, max-age=5"
    etag = first.headers["etag"]
    again = client.get(f"/api/videos/{video['id']}", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert patch(client, video["id"], progress=50).status_code == 200
    changed = client.get(f"/api/videos/{video['id']}", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    for status, seconds in (("completed", 3600), ("failed", 300), ("cancelled", 300), ("in_progress", 5)):
        other = _video_in(client, status)
        assert (
            client.get(f"/api/videos/{other['id']}").headers["cache-control"] == f"private, max-age={seconds}"
        )
    assert_error(client.get("/api/videos/not-a-uuid"), 404, "not_found")
    assert_error(client.get("/api/videos/01900000-0000-7000-8000-000000000000"), 404, "not_found")


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_every_transition(client: httpx.Client, start: str, target: str) -> None:
    video = _video_in(client, start)
    before = events_of(client, video["id"])
    response = patch(client, video["id"], status=target)
    after = events_of(client, video["id"])
    if (start, target) not in ALLOWED:
        error = assert_error(response, 409, "conflict")
        assert error["details"]["status"] == start
        assert after == before
        return
    assert response.status_code == 200, response.text
    assert response.json()["status"] == target
    if start == target:
        assert after == before  # no change of status, no event
    else:
        assert len(after) == len(before) + 1
        assert (after[-1]["event"], after[-1]["from_status"], after[-1]["to_status"]) == (
            EVENT.get(target, "status_changed"), start, target,
        )  # fmt: skip


def test_progress_never_decreases_and_finished_is_final(client: httpx.Client) -> None:
    video_id = _video_in(client, "queued")["id"]
    assert patch(client, video_id, status="in_progress", progress=40).json()["progress"] == 40
    assert patch(client, video_id, progress=10).json()["progress"] == 40
    answer = patch(client, video_id, progress=70, provider_job_id="rp-123", thumbnail_url="https://t/1.jpg")
    assert (answer.json()["progress"], answer.json()["provider_job_id"]) == (70, "rp-123")
    done = patch(
        client, video_id, status="completed", file_url="https://cdn/x.mp4", expires_at="2099-01-01T00:00:00Z"
    )
    assert done.json()["progress"] == 100 and done.json()["completed_at"] is not None
    assert done.json()["expires_at"] == "2099-01-01T00:00:00.000Z"
    for body in ({"progress": 100}, {"file_url": "https://cdn/y.mp4"}, {"status": "completed"}):
        assert_error(patch(client, video_id, **body), 409, "conflict")
    assert client.get(f"/api/videos/{video_id}").json()["file_url"] == "https://cdn/x.mp4"
    events = [(e["event"], e["from_status"], e["to_status"]) for e in events_of(client, video_id)]
    assert events == [
        ("created", None, "queued"),
        ("status_changed", "queued", "in_progress"),
        ("status_changed", "in_progress", "completed"),
    ]


def test_failure_keeps_its_error_and_patch_is_validated(client: httpx.Client, user: User) -> None:
    video_id = _video_in(client, "queued")["id"]
    assert_error(patch(client, video_id), 400, "validation_error")
    assert_error(patch(client, video_id, error={"code": "x", "message": "y"}), 400, "validation_error")
    assert_error(patch(client, video_id, status="done"), 400, "validation_error")
    assert_error(patch(client, video_id, progress=101), 400, "validation_error")
    assert_error(patch(client, video_id, expires_at="tomorrow"), 400, "validation_error")
    failed = patch(client, video_id, status="failed", error={"code": "moderation", "message": "Refused."})
    assert failed.json()["error"] == {"code": "moderation", "message": "Refused."}
    assert events_of(client, video_id)[-1]["data"] == {"code": "moderation", "message": "Refused."}
    mine = user.created()["id"]
    assert_error(user.request("PATCH", f"/api/videos/{mine}", json={"progress": 5}), 403, "forbidden")


def test_cancel_by_owner_and_service(client: httpx.Client, user: User) -> None:
    mine = user.created()["id"]
    cancelled = user.request("POST", f"/api/videos/{mine}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    assert_error(user.request("POST", f"/api/videos/{mine}/cancel"), 409, "conflict")
    theirs = client.post("/api/videos", json=video_body(user_id="another-user"))
    assert_error(user.request("POST", f"/api/videos/{theirs.json()['id']}/cancel"), 404, "not_found")
    assert client.post(f"/api/videos/{theirs.json()['id']}/cancel").status_code == 200
