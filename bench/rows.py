"""Realistic rows, deterministic for a given count and seed: VEO jobs and export jobs (with
their events) as the app would have left them (TTL by status, UUIDv7 ids from `created_at`,
one event per state change). `make bench` seeds its datasets with them; the migration tests
fill a database with them before migrating it."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import edgejobs.main  # noqa: F401 - builds the registry, which declares every capability's settings
from edgejobs.core import codec, ids
from edgejobs.core.config import Config
from edgejobs.veo import model as veo_model

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

VEO_STATUSES = {"completed": 60, "failed": 15, "partial": 5, "processing": 10, "pending": 10}
EXPORT_STATUSES = {"complete": 55, "error": 7, "cancelled": 5, "pending": 25, "processing": 8}
EXPORT_TYPES = ("framing", "overlay", "annotate")
EXPIRED_SHARE = 0.10  # VEO jobs past expires_at that the cron has not deleted yet
MODES = ("hybrid", "ai", "manual", None)
VOICES = ("en-US-Neural2-F", "en-US-Neural2-D", "en-GB-News-K", None)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class VeoRow:
    job_id: str
    status: str
    video_id: str | None
    video_url: str | None
    scene_count: int
    characters_found: int
    mode: str | None
    voice: str | None
    has_script: int
    error: str | None
    created_at: int
    updated_at: int
    expires_at: int
    payload: codec.EncodedPayload = field(repr=False)
    user_id: str | None = None  # half the jobs: one of USERS users' (user tokens), half the service's

    def job_object(self) -> dict[str, Any]:
        return json.loads(self.payload.canonical)


USERS = 250
BENCH_USER = "user0007"  # the user whose list `make bench` reads


def veo_rows(count: int, now: int, seed: int = 1, expired_share: float = EXPIRED_SHARE) -> Iterator[VeoRow]:
    """`count` VEO jobs: mixed statuses, ~20 jobs per video, `expired_share` of them expired."""
    rng = random.Random(seed)
    config = Config()
    videos = max(1, count // 20)
    for i in range(count):
        status = _weighted(rng, VEO_STATUSES)
        ttl = veo_model.ttl_seconds(status, config) * 1000
        if rng.random() < expired_share:
            expires_at = now - rng.randint(MINUTE, 3 * DAY)
        else:
            expires_at = now + rng.randint(MINUTE, ttl - MINUTE)
        updated_at = expires_at - ttl
        created_at = updated_at - rng.randint(0, 6 * HOUR)
        video_id = f"vid{rng.randrange(videos):07d}" if rng.random() < 0.9 else None
        scenes = [
            {"sceneNumber": n, "prompt": f"scene {n} of job {i}", "status": "completed"}
            for n in range(1, rng.randint(2, 6))
        ]
        job: dict[str, Any] = {
            "jobId": f"veo_{created_at}_{i:06x}",
            "status": status,
            "videoId": video_id,
            "videoUrl": f"https://www.youtube.com/watch?v={video_id}" if video_id else None,
            "mode": rng.choice(MODES),
            "voice": rng.choice(VOICES),
            "scenes": scenes,
            "characters": [{"id": f"char_{k}"} for k in range(rng.randint(0, 4))],
            "script": "A short script." if rng.random() < 0.7 else "",
            "error": "Quota exceeded for veo-3.0-generate; retry later." if status == "failed" else None,
            "createdAt": created_at,
        }
        payload = codec.encode_payload_sync(job)
        yield VeoRow(
            job_id=job["jobId"],
            status=status,
            video_id=video_id,
            video_url=job["videoUrl"],
            scene_count=len(scenes),
            characters_found=len(job["characters"]),
            mode=job["mode"],
            voice=job["voice"],
            has_script=int(bool(job["script"])),
            error=job["error"],
            created_at=created_at,
            updated_at=updated_at,
            expires_at=expires_at,
            payload=payload,
            user_id=f"user{(i // 2) % USERS:04d}" if i % 2 == 0 else None,
        )


# export_jobs' columns in the order of `ExportRow.values`.
EXPORT_COLUMNS = (
    "id", "project_id", "type", "status", "progress", "input_video_key", "output_video_key", "params",
    "error", "retry_count", "max_retries", "runner_id", "runpod_job_id", "lease_seconds",
    "lease_expires_at", "available_at", "created_at", "started_at", "completed_at", "updated_at",
    "previous_status", "transition_id",
)  # fmt: skip


@dataclass
class ExportRow:
    values: dict[str, Any]
    events: list[tuple[Any, ...]]


def export_rows(
    count: int,
    now: int,
    seed: int = 2,
    statuses: dict[str, int] | None = None,
    types: tuple[str, ...] = EXPORT_TYPES,
    priorities: tuple[int, ...] = (),
) -> Iterator[ExportRow]:
    """`count` export jobs over the last 35 days (so some finished ones are past the 30-day
    retention), skewed over `count // 100` projects, with their events; with `priorities`, each
    job gets one of them at random (without, the column is left to its default)."""
    rng = random.Random(seed)
    projects = max(3, count // 100)
    weights = statuses or EXPORT_STATUSES
    for _ in range(count):
        status = _weighted(rng, weights)
        created_at = now - rng.randint(MINUTE, 35 * DAY)
        job_id = ids.uuid7(created_at)
        project_id = 1 + int(projects * rng.random() ** 2)  # a few big projects, a long tail
        row: dict[str, Any] = {
            "id": job_id,
            "project_id": project_id,
            "type": rng.choice(types),
            "status": status,
            "progress": 0,
            "input_video_key": f"raw/{project_id}/{job_id[:8]}.mp4",
            "output_video_key": None,
            "params": json.dumps({"crop_keyframes": [[0, 0, 1920, 1080]], "fps": 30}),
            "error": None,
            "retry_count": 0,
            "max_retries": 3,
            "runner_id": None,
            "runpod_job_id": None,
            "lease_seconds": None,
            "lease_expires_at": None,
            "available_at": created_at,
            "created_at": created_at,
            "started_at": None,
            "completed_at": None,
            "updated_at": created_at,
            "previous_status": None,
            "transition_id": ids.token(),
        }
        if priorities:
            row["priority"] = rng.choice(priorities)
        events: list[tuple[Any, ...]] = [("export", job_id, "created", None, "pending", None, created_at)]
        started = created_at + rng.randint(SECOND, 10 * MINUTE)
        if status == "pending" and rng.random() < 0.1:  # failed once, waiting out its backoff
            row.update(retry_count=1, error="CUDA out of memory", available_at=now + rng.randint(0, HOUR))
            events += [
                ("export", job_id, "claimed", "pending", "processing", None, started),
                ("export", job_id, "failed", "processing", "pending", None, started + MINUTE),
            ]
        if status in ("processing", "complete", "error") or (status == "cancelled" and rng.random() < 0.5):
            runner = f"gpu-{rng.randrange(64)}"
            row.update(
                runner_id=runner, runpod_job_id=f"rp-{job_id[-8:]}", lease_seconds=300, started_at=started
            )
            events.append(("export", job_id, "claimed", "pending", "processing", None, started))
        if status == "processing":
            # Live leases, except a few whose runner died (the cron recovers them).
            lease = now + rng.randint(10 * SECOND, 300 * SECOND) if rng.random() > 0.02 else now - MINUTE
            started = min(started, now - MINUTE)
            row.update(
                started_at=started, lease_expires_at=lease, progress=rng.randint(0, 99), updated_at=started
            )
        elif status in ("complete", "error", "cancelled"):
            finished = started + rng.randint(MINUTE, 30 * MINUTE)
            row.update(completed_at=finished, updated_at=finished, previous_status="processing")
            if status == "complete":
                row.update(progress=100, output_video_key=f"exports/{project_id}/{job_id[:8]}.mp4")
                events.append(("export", job_id, "completed", "processing", "complete", None, finished))
            elif status == "error":
                row.update(error="ffmpeg exited with 1", retry_count=3)
                events.append(("export", job_id, "failed", "processing", "error", None, finished))
            else:
                events.append(("export", job_id, "cancelled", "processing", "cancelled", None, finished))
        yield ExportRow(row, events)
