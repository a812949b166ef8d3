"""Fault injection over the videos', quotas' and generations' write routes: each D1 call of a
clean request fails in turn (tools/runtime/faults.mjs), and the answer is a proper 503, nothing
in D1 changed (a fingerprint of every table, usage rows included: a unit is never charged
without its video nor refunded twice), the client's retry does what was meant, and the
consistency check (tests/support/consistency.py, videos in consistency_videos.py) finds
nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support import consistency
from tests.support.consistency_videos import check_videos
from tests.support.faults import UNFINISHED_RUNS, assert_unavailable, d1_faults, fingerprint
from tests.support.runtime import LocalRuntime

Act = Callable[[], httpx.Response]


def assert_videos_consistent(sql: consistency.Sql, owners: list[str]) -> None:
    """The whole consistency check, scoped to these owners' videos (and no VEO or export job)."""
    consistency.assert_consistent(
        sql, veo_ids=(), export_ids=(), video_owners=owners, unfinished_runs_allowed=UNFINISHED_RUNS
    )


@dataclass
class Shop:
    """One scenario's user (its own id, so its usage row is its own) and the service client."""

    client: httpx.Client
    user_id: str = field(default_factory=lambda: f"fv-{uuid.uuid4().hex[:12]}")

    def create(self, **fields: Any) -> dict[str, Any]:
        body = {"model": "sora-2", "prompt": "p", "user_id": self.user_id, **fields}
        response = self.client.post("/api/videos", json=body)
        assert response.status_code == 201, response.text
        video: dict[str, Any] = response.json()
        return video

    def patch(self, video_id: str, **fields: Any) -> httpx.Response:
        return self.client.patch(f"/api/videos/{video_id}", json=fields)


def _create(s: Shop) -> Act:
    return lambda: s.client.post("/api/videos", json={"model": "sora-2", "prompt": "p", "user_id": s.user_id})


def _create_refused(s: Shop) -> Act:
    assert s.client.put(f"/api/quotas/{s.user_id}", json={"videos_limit": 1}).status_code == 200
    s.create()
    return _create(s)


def _create_with_key(s: Shop) -> Act:
    key = {"idempotency-key": uuid.uuid4().hex}
    body = {"model": "sora-2", "prompt": "p", "user_id": s.user_id}
    return lambda: s.client.post("/api/videos", json=body, headers=key)


def _on_video(
    action: Callable[[Shop, str], httpx.Response], *, completed: bool = False
) -> Callable[[Shop], Act]:
    def setup(s: Shop) -> Act:
        video_id = s.create()["id"]
        if completed:
            assert s.patch(video_id, status="completed", file_url="https://cdn/f.mp4").status_code == 200
        return lambda: action(s, video_id)

    return setup


def _generation(s: Shop, **fields: Any) -> Act:
    body = {"model": "veo-3", "prompt": "p", "video_count": 3, "user_id": s.user_id,
            "generation_id": f"cs_{uuid.uuid4().hex}", **fields}  # fmt: skip
    return lambda: s.client.post("/api/generations", json=body)


def _import(s: Shop) -> Act:
    item = {"generationId": f"cs_{uuid.uuid4().hex}", "prompt": "p", "videoCount": 1,
            "createdAt": "2026-10-01T00:00:00Z", "fileIds": ["file-a"], "status": "completed",
            "progress": 100, "videos": [{"fileId": "file-a", "status": "completed"}]}  # fmt: skip
    return lambda: s.client.post(f"/api/generations/import?user_id={s.user_id}", json={"items": [item]})


SCENARIOS: dict[str, tuple[Callable[[Shop], Act], int]] = {
    "video-create": (_create, 201),
    "video-create-refused": (_create_refused, 429),
    "video-create-idempotency-key": (_create_with_key, 201),
    "video-start": (_on_video(lambda s, v: s.patch(v, status="in_progress", progress=5)), 200),
    "video-progress": (_on_video(lambda s, v: s.patch(v, progress=5)), 200),
    "video-fail-refund": (_on_video(lambda s, v: s.patch(v, status="failed")), 200),
    "video-complete": (_on_video(lambda s, v: s.patch(v, status="completed", file_url="https://c/x")), 200),
    "video-cancel": (_on_video(lambda s, v: s.client.post(f"/api/videos/{v}/cancel")), 200),
    "video-archive": (_on_video(lambda s, v: s.client.post(f"/api/videos/{v}/archive")), 200),
    "video-delete": (_on_video(lambda s, v: s.client.delete(f"/api/videos/{v}")), 204),
    "video-remix": (
        _on_video(lambda s, v: s.client.post(f"/api/videos/{v}/remix", json={"prompt": "q"}), completed=True),
        201,
    ),
    "video-download": (
        _on_video(lambda s, v: s.client.get(f"/api/videos/{v}/download"), completed=True),
        302,
    ),
    "generation-create": (_generation, 201),
    "generation-refused": (
        lambda s: (
            _generation(s, video_count=10, seconds=1)
            if s.client.put(f"/api/quotas/{s.user_id}", json={"videos_limit": 2}).status_code == 200
            else _generation(s)
        ),
        429,
    ),
    "generation-import": (_import, 200),
    "quota-set": (lambda s: lambda: s.client.put(f"/api/quotas/{s.user_id}", json={"videos_limit": 7}), 200),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_failing_d1_call_of_a_video_write_is_a_clean_503(
    name: str, client: httpx.Client, local: LocalRuntime
) -> None:
    setup, ok = SCENARIOS[name]
    client.follow_redirects = False
    shop = Shop(client)
    act = setup(shop)
    with d1_faults(local):
        response = act()
        calls = local.d1_faults()["calls"]
    assert response.status_code == ok, response.text
    owners = [shop.user_id]
    assert_videos_consistent(local.sql, owners)
    for nth in range(1, calls + 1):
        shop = Shop(client)
        owners.append(shop.user_id)
        act = setup(shop)
        before = fingerprint(local)
        with d1_faults(local, fail_nth=[nth]):
            response = act()
            status = local.d1_faults()
        assert status["failed"] == 1, status
        assert_unavailable(response)
        assert fingerprint(local) == before, f"a 503 at D1 call {nth} of {calls} wrote something"
        again = act()
        assert again.status_code == ok, again.text
        assert_videos_consistent(local.sql, owners)


def test_the_consistency_check_finds_half_written_videos(client: httpx.Client, local: LocalRuntime) -> None:
    """What the checks above rely on: damage planted by hand is found, scoped and unscoped."""
    shop = Shop(client)
    video_id = shop.create()["id"]
    ghost, lonely = f"ghost-{uuid.uuid4().hex}", f"cs_{uuid.uuid4().hex}"
    event = (
        "INSERT INTO job_events (job_kind, job_id, event, from_status, to_status, at)"
        " VALUES ('video', ?, ?, ?, ?, 1)"
    )
    local.sql(event, video_id, "status_changed", "queued", "completed")
    local.sql(event, ghost, "created", None, "queued")
    local.sql(
        "UPDATE video_usage SET queued = queued + 1, videos_used = videos_used - 1 WHERE owner = ?",
        shop.user_id,
    )
    local.sql(
        "INSERT INTO generations (generation_id, user_id, model, prompt, video_count, created_at, updated_at)"
        " VALUES (?, ?, 'sora-2', 'p', 2, 1, 1)",
        lonely,
        shop.user_id,
    )
    try:
        scoped = "\n".join(
            consistency.check(local.sql, veo_ids=(), export_ids=(), video_owners=[shop.user_id])
        )
        assert f"video {video_id}: events end in completed, the video is queued" in scoped
        assert f"usage '{shop.user_id}': queued 2 but 1 videos" in scoped
        assert f"usage '{shop.user_id}': used 0/50 in" in scoped
        assert f"generation {lonely}: 2 videos counted" in scoped
        assert f"video {ghost}: 1 event(s) of a missing video" in "\n".join(check_videos(local.sql))
    finally:  # repaired, so that the whole-database check at the end of the session holds
        local.sql(
            "DELETE FROM job_events WHERE job_kind = 'video' AND job_id IN (?, ?) AND at = 1", video_id, ghost
        )
        local.sql(
            "UPDATE video_usage SET queued = queued - 1, videos_used = videos_used + 1 WHERE owner = ?",
            shop.user_id,
        )
        local.sql("DELETE FROM generations WHERE generation_id = ?", lonely)
    assert_videos_consistent(local.sql, [shop.user_id])
