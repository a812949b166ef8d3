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
from dataclasses import dataclass, field
from pathlib import Path

from bench.rows import DAY, EXPIRED_SHARE, EXPORT_TYPES, MINUTE, export_rows, veo_rows


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
    "etag, size_bytes, stored_bytes, revision, created_at, updated_at, expires_at, user_id"
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
    export_priorities: tuple[int, ...] = (),
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
            f"INSERT INTO veo_jobs ({_VEO_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?,?)",
            (row.job_id, row.status, row.video_id, row.video_url, row.scene_count, row.characters_found,
             row.mode, row.voice, row.has_script, row.error, p.etag, p.size_bytes, p.stored_bytes,
             row.created_at, row.updated_at, row.expires_at, row.user_id),
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
    for job in export_rows(
        export, now, statuses=export_statuses, types=export_types, priorities=export_priorities
    ):
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
