"""What the videos' HTTP tests share: a user of their own (a token and a quota), valid bodies,
and concurrent requests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.runtime import LocalRuntime


def video_body(**fields: Any) -> dict[str, Any]:
    """A valid `POST /api/videos` body (sora-2 at 10 cents a second, 5 s: 50 cents)."""
    return {"model": "sora-2", "prompt": "A red kite over a grassy park", **fields}


def period_of(epoch_ms: int) -> str:
    return time.strftime("%Y-%m", time.gmtime(epoch_ms // 1000))


def previous_period(period: str) -> str:
    year, month = map(int, period.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


@dataclass
class User:
    """A user of one test: their own id, bearer headers and client."""

    client: httpx.Client  # the service's
    anon: httpx.Client
    token: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return self.anon.request(method, path, headers={**self.headers, **(headers or {})}, **kwargs)

    def create(self, **fields: Any) -> httpx.Response:
        return self.request("POST", "/api/videos", json=video_body(**fields))

    def created(self, **fields: Any) -> dict[str, Any]:
        response = self.create(**fields)
        assert response.status_code == 201, response.text
        video: dict[str, Any] = response.json()
        return video

    def set_limit(self, videos: int, cents: int | None = None) -> None:
        body: dict[str, Any] = {"videos_limit": videos, "cents_limit": cents}
        response = self.client.put(f"/api/quotas/{self.user_id}", json=body)
        assert response.status_code == 200, response.text

    def quota(self) -> dict[str, Any]:
        response = self.request("GET", "/api/quotas/me")
        assert response.status_code == 200, response.text
        quota: dict[str, Any] = response.json()
        return quota

    def stats(self) -> dict[str, Any]:
        response = self.request("GET", "/api/videos/stats")
        assert response.status_code == 200, response.text
        stats: dict[str, Any] = response.json()
        return stats


def new_user(client: httpx.Client, anon: httpx.Client, token_for: Callable[[str], str]) -> User:
    user_id = f"vu-{uuid.uuid4().hex[:12]}"
    return User(client, anon, token_for(user_id), user_id)


def patch(client: httpx.Client, video_id: str, **fields: Any) -> httpx.Response:
    return client.patch(f"/api/videos/{video_id}", json=fields)


def at_once(calls: Sequence[Callable[[], httpx.Response]], workers: int = 50) -> list[httpx.Response]:
    """Run the calls concurrently; their responses in order."""
    with ThreadPoolExecutor(max_workers=min(workers, len(calls))) as pool:
        return list(pool.map(lambda call: call(), calls))


def events_of(client: httpx.Client, video_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/videos/{video_id}/events", params={"limit": 200})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def usage_row(local: LocalRuntime, owner: str) -> dict[str, Any] | None:
    rows = local.sql("SELECT * FROM video_usage WHERE owner = ?", owner)
    return rows[0] if rows else None
