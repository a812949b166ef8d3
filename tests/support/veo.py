"""Helpers of the VEO job cache's HTTP tests: listing every page, reading and expiring
rows straight in D1."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests.support.runtime import LocalRuntime

DAY_MS = 86_400_000


METADATA_KEYS = {
    "job_id", "jobId", "status", "video_id", "videoId", "video_url", "videoUrl", "scene_count",
    "sceneCount", "scenes", "characters_found", "charactersFound", "characters", "mode", "voice",
    "has_script", "hasScript", "script", "error",
}  # fmt: skip


def list_all(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.get("/api/veo/jobs", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items


def stored_rows(local: LocalRuntime, job_id: str) -> tuple[int, int]:
    """(veo_jobs rows, veo_job_data rows) for one job id, read straight from D1."""
    jobs = local.sql("SELECT count(*) AS n FROM veo_jobs WHERE job_id = ?", job_id)[0]["n"]
    payloads = local.sql("SELECT count(*) AS n FROM veo_job_data WHERE job_id = ?", job_id)[0]["n"]
    return jobs, payloads


def expire(local: LocalRuntime, *job_ids: str) -> None:
    for job_id in job_ids:
        local.sql("UPDATE veo_jobs SET expires_at = 1 WHERE job_id = ?", job_id)


def iso_to_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
