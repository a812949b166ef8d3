"""Probes of the videos', quotas' and generations' routes, on `BENCH_VIDEO_USER`'s seeded
videos (a quarter of every scale's videos) and on every video. Creates charge that user (a limit
of their own, so none is refused); PATCHes move the videos the create probe made through their
states; the user-token routes (`/api/quotas/me`) use a token for that user."""

from __future__ import annotations

import time
from typing import Any

import httpx

from bench.measure import Probe
from bench.probes import State, get, keep_cursor, rotate
from bench.rows_videos import BENCH_VIDEO_USER
from edgejobs.core.jwt import mint_hs256
from tests.support.runtime import TEST_JWT_SECRET

USER = BENCH_VIDEO_USER


def user_headers() -> dict[str, str]:
    """Bearer headers of a user token for `USER` (HS256 with the bench runtime's JWT_SECRET)."""
    now = int(time.time())
    token = mint_hs256({"sub": USER, "iat": now, "exp": now + 3600}, TEST_JWT_SECRET.encode())
    return {"authorization": f"Bearer {token}"}


def video_probes(state: State) -> list[Probe]:
    s = state.seeded
    videos, generations = s.user_video_ids or ["none"], s.user_generation_ids or ["none"]
    created = state.created_videos
    as_user = user_headers()

    def create(i: int) -> tuple[str, str, dict[str, Any]]:
        body = {"model": "sora-2", "prompt": f"bench video {i}", "seconds": 5, "user_id": USER}
        return "POST", "/api/videos", {"json": body}

    def keep_created(i: int, r: httpx.Response) -> None:
        if r.status_code == 201:
            created.append(r.json()["id"])

    def patch(body: dict[str, Any]) -> Any:
        return lambda i: ("PATCH", f"/api/videos/{created[i % len(created)]}", {"json": body})

    def generation(i: int) -> tuple[str, str, dict[str, Any]]:
        body = {"generation_id": f"cs_{state.tag}_{i}", "model": "sora-2", "prompt": "bench generation",
                "video_count": 3, "seconds": 4, "user_id": USER}  # fmt: skip
        return "POST", "/api/generations", {"json": body}

    def keep_generation(i: int, r: httpx.Response) -> None:
        if r.status_code == 201:
            state.generations_created.append(r.json()["generation_id"])

    return [
        Probe("POST /api/videos (charges the owner's quota)", create, keep_created),
        Probe("GET /api/videos/{id}", rotate(videos, "/api/videos/{}")),
        Probe("PATCH /api/videos/{id} progress (no new status)", patch({"progress": 5})),
        Probe(
            "PATCH /api/videos/{id} queued → in_progress", patch({"status": "in_progress", "progress": 10})
        ),
        Probe(
            "PATCH /api/videos/{id} in_progress → completed",
            patch({"status": "completed", "file_url": "https://cdn.example.com/bench.mp4"}),
        ),
        Probe(
            "GET /api/videos (every video, page 1)", get("/api/videos"), keep_cursor(state, "cursor_videos")
        ),
        Probe(
            "GET /api/videos (every video, page 2, cursor)",
            lambda i: ("GET", "/api/videos", {"params": {"cursor": state.cursor_videos}}),
        ),
        Probe("GET /api/videos?user_id=… (one user's list)", get(f"/api/videos?user_id={USER}")),
        Probe(
            "GET /api/videos?user_id=…&status=completed", get(f"/api/videos?user_id={USER}&status=completed")
        ),
        Probe(
            "GET /api/videos?user_id=…&status=failed,cancelled",
            get(f"/api/videos?user_id={USER}&status=failed,cancelled"),
        ),
        Probe("GET /api/videos?status=in_progress (every video)", get("/api/videos?status=in_progress")),
        Probe("POST /api/generations (3 videos)", generation, keep_generation),
        Probe("GET /api/generations/{id} (3 videos)", rotate(generations, "/api/generations/{}")),
        Probe(
            "GET /api/generations/{id} (3 videos, just made)",
            lambda i: (
                "GET",
                f"/api/generations/{state.generations_created[i % len(state.generations_created)]}",
                {},
            ),
        ),
        Probe("GET /api/generations?user_id=… (one user's list)", get(f"/api/generations?user_id={USER}")),
        Probe("GET /api/videos/stats (every video)", get("/api/videos/stats")),
        Probe("GET /api/videos/stats?user_id=… (one user)", get(f"/api/videos/stats?user_id={USER}")),
        Probe("GET /api/quotas/me (user token)", get("/api/quotas/me", headers=as_user)),
        Probe("GET /api/quotas/{user_id}", get(f"/api/quotas/{USER}")),
    ]
