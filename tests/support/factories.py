"""Records made through the API for the HTTP tests: valid bodies, unique ids, made by the
routes themselves, so a test spells out only what it is about.

    job = create_export_job(client, max_retries=0)    # a pending export job (201)
    put_veo_job(client, unique_id("veo"), {"status": "completed"})
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

import httpx


def unique_id(prefix: str = "t") -> str:
    """An id no other test (or earlier session) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def unique_project() -> int:
    """A project id of this test alone (lists filtered by it see only its jobs)."""
    return secrets.randbelow(10**12) + 1


def export_job_body(**fields: Any) -> dict[str, Any]:
    """A valid `POST /api/export-jobs` body; `fields` replace or add fields."""
    return {"project_id": 1, "type": "framing", "input_video_key": "in/clip.mp4", **fields}


def create_export_job(
    client: httpx.Client, *, headers: dict[str, str] | None = None, **fields: Any
) -> dict[str, Any]:
    """A new export job (or, with a replayed Idempotency-Key, the first one): the answer's body."""
    response = client.post("/api/export-jobs", json=export_job_body(**fields), headers=headers)
    assert response.status_code in (200, 201), response.text
    job: dict[str, Any] = response.json()
    return job


def claim(client: httpx.Client, runner_id: str, **extra: Any) -> dict[str, Any] | None:
    """`POST /api/export-jobs/claim`: the claimed job, or None when none was claimable (204)."""
    response = client.post("/api/export-jobs/claim", json={"runner_id": runner_id, **extra})
    assert response.status_code in (200, 204), response.text
    return response.json() if response.status_code == 200 else None


def put_veo_job(client: httpx.Client, job_id: str, body: Any, **headers: str) -> httpx.Response:
    """`PUT /api/veo/jobs/{job_id}` as sent (no check); header names may use `_` for `-`."""
    return client.put(
        f"/api/veo/jobs/{job_id}", json=body, headers={n.replace("_", "-"): v for n, v in headers.items()}
    )


def d1_stats(response: httpx.Response) -> dict[str, int]:
    """The response's `x-d1-stats` header: queries, rows_read, rows_written."""
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", response.headers["x-d1-stats"])}
