"""What the fault-injection tests share: injecting faults for a block, a proper 503, a
fingerprint of every table, and the `World` of one test (what it made, cleaned up after)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import consistency
from tests.support.factories import export_job_body, unique_project
from tests.support.runtime import LocalRuntime

UNFINISHED_RUNS: set[int] = set()  # maintenance runs the fault tests left unfinished on purpose


@contextmanager
def d1_faults(local: LocalRuntime, **setting: Any) -> Iterator[None]:
    """Injects faults (and restarts the call counter) for the block; always clears them."""
    local.set_d1_faults(**setting)
    try:
        yield
    finally:
        local.set_d1_faults()


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, f"{response.status_code}: {response.text}"
    assert response.json()["error"]["code"] == "database_unavailable", response.text
    assert int(response.headers["retry-after"]) > 0
    assert "Traceback" not in response.text and "overloaded" not in response.text


FINGERPRINT_SQL = """
SELECT
  (SELECT count(*) || ':' || coalesce(group_concat(v, ','), '') FROM
     (SELECT id || '/' || transition_id || '/' || updated_at AS v FROM export_jobs ORDER BY id))
    AS export_jobs,
  (SELECT count(*) || ':' || coalesce(max(id), 0) FROM job_events) AS job_events,
  (SELECT count(*) || ':' || coalesce(group_concat(v, ','), '') FROM
     (SELECT idempotency_key || '=' || job_id || '@' || expires_at AS v FROM idempotency_keys
      ORDER BY idempotency_key)) AS idempotency_keys,
  (SELECT count(*) || ':' || coalesce(group_concat(v, ','), '') FROM
     (SELECT job_id || '/' || etag || '/' || revision || '@' || updated_at AS v FROM veo_jobs
      ORDER BY job_id)) AS veo_jobs,
  (SELECT count(*) || ':' || coalesce(sum(length(data)), 0) FROM veo_job_data) AS veo_job_data,
  (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || count(finished_at) FROM maintenance_runs)
    AS maintenance_runs,
  (SELECT count(*) || ':' || coalesce(group_concat(v, ','), '') FROM
     (SELECT type || '@' || paused_at AS v FROM export_queue_pauses ORDER BY type)) AS export_queue_pauses,
  (SELECT count(*) || ':' || coalesce(group_concat(v, ','), '') FROM
     (SELECT id || '/' || transition_id || '/' || updated_at AS v FROM videos ORDER BY id)) AS videos,
  (SELECT count(*) || ':' || coalesce(group_concat(v, ','), '') FROM
     (SELECT owner || '/' || period || '/' || videos_used || '/' || cents_used || '/' || queued || '/'
        || in_progress || '/' || completed || '/' || failed || '/' || cancelled || '/' || archived AS v
      FROM video_usage ORDER BY owner)) AS video_usage,
  (SELECT count(*) || ':' || coalesce(group_concat(v, ','), '') FROM
     (SELECT generation_id || '/' || status || '/' || updated_at AS v FROM generations
      ORDER BY generation_id)) AS generations
"""


def fingerprint(local: LocalRuntime) -> dict[str, Any]:
    """Every row's identity and version in every table: equal fingerprints, nothing written."""
    return local.sql(FINGERPRINT_SQL)[0]


@dataclass
class World:
    """What one test made: VEO ids, export jobs (cancelled afterwards unless finished), and the
    owners of its videos (user ids; ` none` for the service's own)."""

    client: httpx.Client
    local: LocalRuntime
    veo_ids: set[str] = field(default_factory=set)
    export_ids: set[str] = field(default_factory=set)
    video_owners: set[str] = field(default_factory=set)
    paused: set[str] = field(default_factory=set)  # job types this world paused
    project: int = field(default_factory=unique_project)

    def veo_id(self) -> str:
        job_id = f"fault-{uuid.uuid4().hex[:16]}"
        self.veo_ids.add(job_id)
        return job_id

    def put_veo(self, job_id: str, body: dict[str, Any]) -> httpx.Response:
        response = self.client.put(f"/api/veo/jobs/{job_id}", json=body)
        assert response.status_code in (200, 201), response.text
        return response

    def create(self, key: str | None = None, **fields: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/export-jobs", json=self.body(**fields), headers={"idempotency-key": key} if key else None
        )
        assert response.status_code in (200, 201), response.text
        self.export_ids.add(response.json()["id"])
        return response.json()

    def body(self, **fields: Any) -> dict[str, Any]:
        return export_job_body(
            **{"project_id": self.project, "type": "overlay", "input_video_key": "in/f.mp4", **fields}
        )

    def claimed(self, runner_id: str, **fields: Any) -> dict[str, Any]:
        """A new job of this world, claimed by `runner_id` (the only claimable job)."""
        job = self.create(**fields)
        response = self.client.post("/api/export-jobs/claim", json={"runner_id": runner_id})
        assert response.status_code == 200 and response.json()["id"] == job["id"], response.text
        return response.json()

    def note(self, response: httpx.Response) -> httpx.Response:
        """Remember a job a request under test created."""
        if response.status_code in (200, 201) and response.content and "id" in response.json():
            self.export_ids.add(response.json()["id"])
        return response

    def settle(self) -> None:
        """Cancel this world's claimable jobs, so the next claim takes a job made for it."""
        for row in self.local.sql(
            "SELECT id FROM export_jobs WHERE project_id = ? AND status = 'pending'", self.project
        ):
            assert self.client.post(f"/api/export-jobs/{row['id']}/cancel").status_code == 200

    def pause(self, job_type: str) -> None:
        self.paused.add(job_type)
        assert self.client.post(f"/api/export-jobs/queues/{job_type}/pause").status_code == 200

    def cleanup(self) -> None:
        for job_type in sorted(self.paused):
            assert self.client.post(f"/api/export-jobs/queues/{job_type}/resume").status_code == 200
        for job_id in sorted(self.export_ids):
            self.client.post(f"/api/export-jobs/{job_id}/cancel")  # 409 for finished jobs: fine

    def assert_consistent(self) -> None:
        consistency.assert_consistent(
            self.local.sql,
            veo_ids=self.veo_ids,
            export_ids=self.export_ids,
            video_owners=self.video_owners,
            unfinished_runs_allowed=UNFINISHED_RUNS,
        )


def assert_no_claimable_jobs(local: LocalRuntime) -> None:
    """The claim scenarios need to know which job a claim takes: none but their own."""
    now = int(time.time() * 1000)
    rows = local.sql("SELECT id FROM export_jobs WHERE status = 'pending' AND available_at <= ?", now)
    assert not rows, f"another test left claimable jobs behind: {rows}"
