"""The localStorage import over HTTP: the browser's own `GenerationData` objects (as its payment
button and status page write them), malformed items reported by index without blocking the
others, and a second import skipping what exists."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.assertions import assert_error
from tests.support.videos import User, new_user

TokenFor = Callable[[str], str]


@pytest.fixture
def user(client: httpx.Client, anon: httpx.Client, user_tokens: TokenFor) -> User:
    return new_user(client, anon, user_tokens)


def session_id() -> str:
    return f"cs_test_{uuid.uuid4().hex}"


def file_id() -> str:
    return f"cm5{uuid.uuid4().hex[:22]}"


def just_paid(generation_id: str, count: int = 3) -> dict[str, Any]:
    """What the payment button stores before the redirect to Stripe."""
    return {
        "generationId": generation_id,
        "sessionId": generation_id,
        "prompt": "A cat playing piano in a jazz bar",
        "videoCount": count,
        "createdAt": "2026-10-03T14:22:05.123Z",
        "fileIds": [],
        "status": "pending",
        "progress": 0,
        "videos": [],
    }


def in_progress(generation_id: str, files: list[str]) -> dict[str, Any]:
    """What the status page stores after checking the files: one done, one running, one failed."""
    return {
        **just_paid(generation_id),
        "fileIds": files,
        "status": "processing",
        "progress": 33.33333333333333,
        "videos": [
            {"fileId": files[0], "url": f"https://superduperai.co/file/{files[0]}.mp4",
             "thumbnailUrl": f"https://superduperai.co/file/{files[0]}.jpg", "status": "completed"},
            {"fileId": files[1], "status": "processing"},
            {"fileId": files[2], "status": "error"},
        ],
    }  # fmt: skip


def import_items(user: User, items: list[Any]) -> dict[str, Any]:
    response = user.request("POST", "/api/generations/import", json={"items": items})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_the_browsers_own_objects(user: User, client: httpx.Client) -> None:
    paid, running = session_id(), session_id()
    files = [file_id() for _ in range(3)]
    result = import_items(user, [just_paid(paid), in_progress(running, files)])
    assert result == {"imported": 2, "skipped": [], "errors": []}
    pending = user.request("GET", f"/api/generations/{paid}").json()
    assert (pending["status"], pending["video_count"], pending["created_at"]) == (
        "pending", 3, "2026-10-03T14:22:05.123Z",
    )  # fmt: skip
    assert [v["provider_job_id"] for v in pending["videos"]] == [None] * 3
    mixed = user.request("GET", f"/api/generations/{running}").json()
    assert (mixed["status"], mixed["progress"], mixed["user_id"]) == ("processing", 33, user.user_id)
    by_file = {v["provider_job_id"]: v for v in mixed["videos"]}
    assert by_file[files[0]]["status"] == "completed"
    assert by_file[files[0]]["file_url"] == f"https://superduperai.co/file/{files[0]}.mp4"
    assert (by_file[files[1]]["status"], by_file[files[2]]["status"]) == ("in_progress", "failed")
    found = user.request("GET", f"/api/files/{files[0]}").json()
    assert (found["generation_id"], found["created_at"]) == (running, "2026-10-03T14:22:05.123Z")
    assert user.quota()["videos_used"] == 0  # paid for already
    stats = user.stats()
    assert (stats["total"], stats["by_status"]["queued"], stats["by_status"]["completed"]) == (6, 3, 1)
    events = client.get(f"/api/videos/{by_file[files[0]]['id']}/events").json()["items"]
    assert [(e["event"], e["to_status"], e["data"]) for e in events] == [
        ("created", "completed", {"imported": True})
    ]


def test_bad_items_are_reported_by_index_and_never_block_the_others(user: User) -> None:
    good = session_id()
    items: list[Any] = [
        {"generationId": "only this"},
        {**just_paid(session_id()), "videoCount": 11},
        {**just_paid(session_id()), "createdAt": "yesterday"},
        {**just_paid(session_id()), "status": "done"},
        just_paid(good, count=1),
        {**just_paid(session_id()), "extra": 1},
        {**just_paid(session_id()), "fileIds": ["a b"]},
        {k: v for k, v in just_paid(session_id()).items() if k != "prompt"},
    ]
    result = import_items(user, items)
    assert result["imported"] == 1 and result["skipped"] == []
    assert [e["index"] for e in result["errors"]] == [0, 1, 2, 3, 5, 6, 7]
    assert all(e["message"].startswith(f"Item {e['index']}:") for e in result["errors"])
    assert user.request("GET", f"/api/generations/{good}").status_code == 200


def test_a_second_import_skips_what_exists(user: User, client: httpx.Client) -> None:
    first, second = session_id(), session_id()
    assert import_items(user, [just_paid(first)])["imported"] == 1
    result = import_items(user, [just_paid(first), just_paid(second, 1), just_paid(second, 1)])
    assert result == {"imported": 1, "skipped": [second, first], "errors": []}  # repeats first
    assert len(user.request("GET", f"/api/generations/{first}").json()["videos"]) == 3
    assert user.stats()["total"] == 4
    theirs = client.post("/api/generations", json={"model": "veo-3", "prompt": "p", "video_count": 1})
    assert import_items(user, [just_paid(theirs.json()["generation_id"])])["skipped"] == [
        theirs.json()["generation_id"]
    ]


def test_the_body_is_checked(user: User) -> None:
    for body in ({"items": []}, {"items": {}}, {}, {"items": [{}] * 101}, {"items": [], "x": 1}):
        assert_error(user.request("POST", "/api/generations/import", json=body), 400, "validation_error")
