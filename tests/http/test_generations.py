"""Generations and files over HTTP, through the real runtime: a generation's videos created and
charged in one batch (all or nothing), its status and progress kept on the row as its videos
change, the same generation_id again, lists, and the file lookups. (Import:
test_generations_import.py.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.assertions import assert_error
from tests.support.factories import d1_stats
from tests.support.runtime import LocalRuntime
from tests.support.videos import User, new_user, patch

TokenFor = Callable[[str], str]


@pytest.fixture
def user(client: httpx.Client, anon: httpx.Client, user_tokens: TokenFor) -> User:
    return new_user(client, anon, user_tokens)


def generation_body(**fields: Any) -> dict[str, Any]:
    return {"model": "veo-3", "prompt": "Three takes of a lighthouse at dawn", "video_count": 3, **fields}


def create(user: User, **fields: Any) -> httpx.Response:
    return user.request("POST", "/api/generations", json=generation_body(**fields))


def test_create_three_videos_at_once(user: User, client: httpx.Client) -> None:
    gid = f"cs_test_{uuid.uuid4().hex}"
    response = create(user, generation_id=gid, seconds=4)
    assert response.status_code == 201, response.text
    generation = response.json()
    assert response.headers["location"] == f"/api/generations/{gid}"
    assert (generation["generation_id"], generation["user_id"], generation["video_count"]) == (
        gid,
        user.user_id,
        3,
    )
    assert (generation["status"], generation["progress"]) == ("pending", 0)
    assert [v["status"] for v in generation["videos"]] == ["queued"] * 3
    assert user.quota()["videos_used"] == 3 and user.quota()["cents_used"] == 3 * 4 * 40
    video = client.get(f"/api/videos/{generation['videos'][0]['id']}").json()
    assert (video["generation_id"], video["seconds"], video["cost_cents"]) == (gid, 4, 160)
    assert user.stats()["by_status"]["queued"] == 3
    listed = user.request("GET", "/api/videos", params={"generation_id": gid}).json()["items"]
    assert sorted(v["id"] for v in listed) == sorted(v["id"] for v in generation["videos"])


def test_the_same_generation_id_again(user: User, other_user: User) -> None:
    gid = f"cs_again_{uuid.uuid4().hex}"
    first = create(user, generation_id=gid)
    again = create(user, generation_id=gid)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["videos"] == first.json()["videos"]
    assert user.quota()["videos_used"] == 3
    assert_error(create(user, generation_id=gid, prompt="another"), 409, "conflict")
    assert_error(create(other_user, generation_id=gid), 409, "conflict")
    assert other_user.quota()["videos_used"] == 0
    assert_error(other_user.request("GET", f"/api/generations/{gid}"), 404, "not_found")


@pytest.fixture
def other_user(client: httpx.Client, anon: httpx.Client, user_tokens: TokenFor) -> User:
    return new_user(client, anon, user_tokens)


def test_three_with_two_left_is_refused_and_inserts_nothing(user: User, local: LocalRuntime) -> None:
    user.set_limit(5)
    for _ in range(3):
        user.created()
    gid = f"cs_full_{uuid.uuid4().hex}"
    error = assert_error(create(user, generation_id=gid), 429, "quota_exceeded")
    assert (error["details"]["used"], error["details"]["remaining"]) == (3, 2)
    assert local.sql("SELECT count(*) AS n FROM generations WHERE generation_id = ?", gid)[0]["n"] == 0
    assert local.sql("SELECT count(*) AS n FROM videos WHERE generation_id = ?", gid)[0]["n"] == 0
    assert user.quota()["videos_used"] == 3
    assert create(user, video_count=2).status_code == 201


@pytest.mark.parametrize(
    ("finals", "status", "progress"),
    [
        (("completed", "completed", "completed"), "completed", 100),
        (("completed", "failed", "cancelled"), "partial", 33),
        (("failed", "failed", "cancelled"), "failed", 0),
        (("completed", "completed", None), "processing", 66),
    ],
)
def test_status_and_progress_follow_the_videos(
    user: User, client: httpx.Client, finals: tuple[str | None, ...], status: str, progress: int
) -> None:
    generation = create(user).json()
    gid = generation["generation_id"]
    videos = [v["id"] for v in generation["videos"]]
    assert patch(client, videos[0], status="in_progress", progress=20).status_code == 200
    assert client.get(f"/api/generations/{gid}").json()["status"] == "processing"
    for video_id, final in zip(videos, finals, strict=True):
        if final == "completed":
            assert (
                patch(client, video_id, status=final, file_url=f"https://cdn/{video_id}.mp4").status_code
                == 200
            )
        elif final is not None:
            assert patch(client, video_id, status=final).status_code == 200
    got = user.request("GET", f"/api/generations/{gid}")
    assert (got.json()["status"], got.json()["progress"]) == (status, progress)
    assert d1_stats(got)["queries"] == 1
    listed = user.request("GET", "/api/generations", params={"status": status}).json()["items"]
    assert [g["generation_id"] for g in listed] == [gid]
    assert "videos" not in listed[0]


def test_list_newest_first_and_pages(user: User) -> None:
    made = [create(user, video_count=1).json()["generation_id"] for _ in range(3)]
    first = user.request("GET", "/api/generations", params={"limit": 2}).json()
    rest = user.request("GET", "/api/generations", params={"cursor": first["next_cursor"]}).json()
    assert [g["generation_id"] for g in first["items"] + rest["items"]] == made[::-1]
    assert_error(user.request("GET", "/api/generations", params={"status": "done"}), 400, "validation_error")


def test_files_by_provider_id(user: User, other_user: User, client: httpx.Client) -> None:
    generation = create(user, video_count=2).json()
    ids = [v["id"] for v in generation["videos"]]
    file_ids = [f"cm5{uuid.uuid4().hex[:20]}" for _ in ids]
    for video_id, file_id in zip(ids, file_ids, strict=True):
        assert patch(client, video_id, provider_job_id=file_id).status_code == 200
    one = user.request("GET", f"/api/files/{file_ids[1]}")
    assert one.status_code == 200 and one.json()["id"] == ids[1], one.text
    assert one.json()["generation_id"] == generation["generation_id"]
    assert_error(other_user.request("GET", f"/api/files/{file_ids[1]}"), 404, "not_found")
    unknown = "cm5-unknown-file"
    many = user.request("GET", "/api/files", params={"ids": f"{file_ids[1]},{unknown},{file_ids[0]}"}).json()
    assert [v["id"] for v in many["items"]] == [ids[1], ids[0]] and many["missing"] == [unknown]
    too_many = ",".join(f"f{i:04d}" for i in range(51))
    assert_error(user.request("GET", "/api/files", params={"ids": too_many}), 400, "validation_error")
    assert_error(user.request("GET", "/api/files"), 400, "validation_error")
