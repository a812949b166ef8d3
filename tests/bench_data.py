"""Realistic data for `make bench`, written straight into a local D1's SQLite file.

Seeding through HTTP or the runtime's SQL endpoint would take minutes at 100k rows; the
D1 database is an ordinary SQLite file under `<persist_to>/v3/d1/miniflare-D1DatabaseObject/`,
so the benchmark copies a freshly migrated persist directory and fills the copy with
CPython's sqlite3 *before* the runtime starts (nothing else has the file open then).

Every dataset is deterministic for a given size and seed. The rows follow the app's own
rules (TTL by status, UUIDv7 ids from `created_at`, one event per state change) so the
routes see what production would. The seeds' own schemas (`000_*`: the VEO cache,
`001_*`: the export queue) are created next to ours under a `seed000_` / `seed001_` prefix
and loaded with the same rows, for the side-by-side comparison.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgejobs.core import codec, ids
from edgejobs.core.config import Config

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


def d1_file(persist_to: Path) -> Path:
    """The SQLite file of the (only) D1 database under a persist directory."""
    found = [
        p
        for p in (persist_to / "v3" / "d1").glob("miniflare-D1DatabaseObject/*.sqlite")
        if p.name != "metadata.sqlite"
    ]
    if len(found) != 1:
        raise RuntimeError(f"expected one D1 database under {persist_to}, found {found}")
    return found[0]


def copy_persist(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ttl_ms(status: str, config: Config) -> int:
    seconds = {
        "completed": config.veo_ttl_completed_seconds,
        "failed": config.veo_ttl_failed_seconds,
        "partial": config.veo_ttl_partial_seconds,
    }.get(status, config.veo_ttl_default_seconds)
    return seconds * 1000


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

    def job_object(self) -> dict[str, Any]:
        return json.loads(self.payload.canonical)


def veo_rows(count: int, now: int, seed: int = 1, expired_share: float = EXPIRED_SHARE) -> Iterator[VeoRow]:
    """`count` VEO jobs: mixed statuses, ~20 jobs per video, `expired_share` of them expired."""
    rng = random.Random(seed)
    config = Config()
    videos = max(1, count // 20)
    for i in range(count):
        status = _weighted(rng, VEO_STATUSES)
        ttl = _ttl_ms(status, config)
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
        job = {
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
        payload = codec.encode_payload(job)
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
        )


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
) -> Iterator[ExportRow]:
    """`count` export jobs over the last 35 days (so some finished ones are past the 30-day
    retention), skewed over `count // 100` projects, with their events."""
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
        events = [("export", job_id, "created", None, "pending", None, created_at)]
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


# --- the seeds' schemas (verbatim but for the table/index prefix) -------------------------
SEED000_SCHEMA = """
CREATE TABLE seed000_veo_jobs (
  job_id TEXT PRIMARY KEY,
  video_id, video_url, scene_count, characters_found,
  mode, voice, status, has_script,
  created_at TEXT, updated_at INTEGER,
  expires_at INTEGER, error_json TEXT
);
CREATE TABLE seed000_veo_job_data (
  job_id TEXT PRIMARY KEY REFERENCES seed000_veo_jobs(job_id) ON DELETE CASCADE,
  data_compressed TEXT NOT NULL
);
CREATE INDEX seed000_idx_veo_jobs_updated ON seed000_veo_jobs(updated_at DESC);
CREATE INDEX seed000_idx_veo_jobs_video ON seed000_veo_jobs(video_id);
CREATE INDEX seed000_idx_veo_jobs_expires ON seed000_veo_jobs(expires_at);
"""
SEED001_SCHEMA = """
CREATE TABLE IF NOT EXISTS seed001_export_jobs (
    id TEXT PRIMARY KEY,
    project_id INTEGER NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('framing', 'overlay', 'annotate')),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'complete', 'error')),
    progress INTEGER NOT NULL DEFAULT 0,
    input_video_key TEXT NOT NULL,
    output_video_key TEXT,
    params TEXT NOT NULL,
    error TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0,
    runpod_job_id TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    started_at TEXT,
    completed_at TEXT
);
CREATE INDEX IF NOT EXISTS seed001_idx_export_jobs_project_status ON seed001_export_jobs(project_id, status);
CREATE INDEX IF NOT EXISTS seed001_idx_export_jobs_status_created ON seed001_export_jobs(status, created_at);
CREATE INDEX IF NOT EXISTS seed001_idx_export_jobs_runpod ON seed001_export_jobs(runpod_job_id);
"""


def _sql_datetime(epoch_ms: int | None) -> str | None:
    """SQLite's `datetime('now')` text, the seed's time format."""
    return None if epoch_ms is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_ms / 1000))


@dataclass
class Seeded:
    """What a dataset holds, for the probes (ids to address, counts to report)."""

    veo_jobs: int = 0
    veo_expired: int = 0
    export_jobs: int = 0
    export_pending: int = 0
    events: int = 0
    maintenance_runs: int = 0
    live_veo_ids: list[str] = field(default_factory=list)
    video_ids: list[str] = field(default_factory=list)
    export_ids_by_status: dict[str, list[str]] = field(default_factory=dict)
    biggest_project: int = 0
    seconds: float = 0.0


_VEO_COLUMNS = (
    "job_id, status, video_id, video_url, scene_count, characters_found, mode, voice, has_script, error, "
    "etag, size_bytes, stored_bytes, revision, created_at, updated_at, expires_at"
)
_SAMPLE = 400  # ids kept per kind for the probes


def seed(
    db_path: Path,
    *,
    veo: int,
    export: int,
    now: int,
    peers: bool = True,
    veo_expired_share: float = EXPIRED_SHARE,
    export_statuses: dict[str, int] | None = None,
    export_types: tuple[str, ...] = EXPORT_TYPES,
) -> Seeded:
    """Fill the D1 file at `db_path` (already migrated) and, with `peers`, the seeds' tables."""
    started = time.perf_counter()
    info = Seeded()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")  # rows are consistent by construction; faster
    if peers:
        conn.executescript(SEED000_SCHEMA + SEED001_SCHEMA)
    conn.execute("BEGIN")
    rng = random.Random(3)
    videos: dict[str, int] = {}
    for row in veo_rows(veo, now, expired_share=veo_expired_share):
        p = row.payload
        conn.execute(
            f"INSERT INTO veo_jobs ({_VEO_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?)",
            (row.job_id, row.status, row.video_id, row.video_url, row.scene_count, row.characters_found,
             row.mode, row.voice, row.has_script, row.error, p.etag, p.size_bytes, p.stored_bytes,
             row.created_at, row.updated_at, row.expires_at),
        )  # fmt: skip
        conn.execute("INSERT INTO veo_job_data (job_id, data) VALUES (?, ?)", (row.job_id, p.stored))
        if peers:
            conn.execute(
                "INSERT INTO seed000_veo_jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (row.job_id, row.video_id, row.video_url, row.scene_count, row.characters_found, row.mode,
                 row.voice, row.status, row.has_script, _sql_datetime(row.created_at), row.updated_at,
                 row.expires_at, json.dumps(row.error) if row.error else None),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO seed000_veo_job_data VALUES (?, ?)",
                (row.job_id, base64.b64encode(p.stored).decode()),  # the seed: base64(gzip(JSON))
            )
        info.veo_jobs += 1
        if row.expires_at <= now:
            info.veo_expired += 1
        else:
            if len(info.live_veo_ids) < _SAMPLE or rng.random() < 0.01:
                info.live_veo_ids.append(row.job_id)
            if row.video_id:
                videos[row.video_id] = videos.get(row.video_id, 0) + 1
    info.video_ids = sorted(videos, key=lambda v: -videos[v])[:_SAMPLE]
    projects: dict[int, int] = {}
    for job in export_rows(export, now, statuses=export_statuses, types=export_types):
        v = job.values
        conn.execute(
            f"INSERT INTO export_jobs ({', '.join(v)}) VALUES ({', '.join('?' * len(v))})", list(v.values())
        )
        conn.executemany(
            "INSERT INTO job_events (job_kind, job_id, event, from_status, to_status, data, at)"
            " VALUES (?,?,?,?,?,?,?)",
            job.events,
        )
        if peers:
            conn.execute(
                "INSERT INTO seed001_export_jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (v["id"], v["project_id"], v["type"], "error" if v["status"] == "cancelled" else v["status"],
                 v["progress"], v["input_video_key"], v["output_video_key"], v["params"], v["error"],
                 v["retry_count"], v["runpod_job_id"], _sql_datetime(v["created_at"]),
                 _sql_datetime(v["started_at"]), _sql_datetime(v["completed_at"])),
            )  # fmt: skip
        info.export_jobs += 1
        info.events += len(job.events)
        if v["status"] == "pending":
            info.export_pending += 1
        kept = info.export_ids_by_status.setdefault(v["status"], [])
        if len(kept) < _SAMPLE:
            kept.append(v["id"])
        projects[v["project_id"]] = projects.get(v["project_id"], 0) + 1
    info.biggest_project = max(projects, key=lambda p: projects[p]) if projects else 0
    # A week of cron history (every 5 minutes), for the maintenance run list's pages.
    conn.executemany(
        "INSERT INTO maintenance_runs (trigger, started_at, finished_at, counts) VALUES (?, ?, ?, ?)",
        [
            ("*/5 * * * *", t, t + 40, '{"veo_jobs_expired": 0}')
            for t in range(now - 7 * DAY, now, 5 * MINUTE)
        ],
    )
    info.maintenance_runs = 7 * DAY // (5 * MINUTE)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    info.seconds = round(time.perf_counter() - started, 2)
    return info
