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
import multiprocessing
import random
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.rows import DAY, EXPIRED_SHARE, EXPORT_COLUMNS, EXPORT_TYPES, MINUTE, export_rows, veo_rows
from bench.rows_videos import insert_videos


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
    videos: int = 0
    video_events: int = 0
    generations: int = 0
    user_video_ids: list[str] = field(default_factory=list)  # BENCH_VIDEO_USER's, not deleted
    user_generation_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0


_VEO_COLUMNS = (
    "job_id, status, video_id, video_url, scene_count, characters_found, mode, voice, has_script, error, "
    "etag, size_bytes, stored_bytes, revision, created_at, updated_at, expires_at, user_id"
)
_INSERT_VEO = f"INSERT INTO veo_jobs ({_VEO_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?,?)"
_INSERT_VEO_DATA = "INSERT INTO veo_job_data (job_id, data) VALUES (?, ?)"
_INSERT_SEED000 = "INSERT INTO seed000_veo_jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
_INSERT_SEED000_DATA = "INSERT INTO seed000_veo_job_data VALUES (?, ?)"
_INSERT_EVENT = (
    "INSERT INTO job_events (job_kind, job_id, event, from_status, to_status, data, at)"
    " VALUES (?,?,?,?,?,?,?)"
)
_SEEDED_EXPORT_COLUMNS = (*EXPORT_COLUMNS, "priority")
_INSERT_EXPORT = (
    f"INSERT INTO export_jobs ({', '.join(_SEEDED_EXPORT_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_SEEDED_EXPORT_COLUMNS))})"
)
_INSERT_SEED001 = "INSERT INTO seed001_export_jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_SAMPLE = 400  # ids kept per kind for the probes
_CHUNK = 2_000  # rows generated, sent and inserted together
Chunk = dict[str, list[tuple[Any, ...]]]


def _veo_chunks(count: int, now: int, expired_share: float, peers: bool) -> Iterator[Chunk]:
    """VEO rows as the tuples each table takes, `_CHUNK` jobs at a time; "marks" holds
    (job_id, expires_at, video_id) for the bookkeeping."""
    chunk: Chunk = {"veo": [], "data": [], "s0": [], "s0data": [], "marks": []}
    for row in veo_rows(count, now, expired_share=expired_share):
        p = row.payload
        chunk["veo"].append(
            (row.job_id, row.status, row.video_id, row.video_url, row.scene_count, row.characters_found,
             row.mode, row.voice, row.has_script, row.error, p.etag, p.size_bytes, p.stored_bytes,
             row.created_at, row.updated_at, row.expires_at, row.user_id)
        )  # fmt: skip
        chunk["data"].append((row.job_id, p.stored))
        if peers:
            chunk["s0"].append(
                (row.job_id, row.video_id, row.video_url, row.scene_count, row.characters_found, row.mode,
                 row.voice, row.status, row.has_script, _sql_datetime(row.created_at), row.updated_at,
                 row.expires_at, json.dumps(row.error) if row.error else None)
            )  # fmt: skip
            chunk["s0data"].append((row.job_id, base64.b64encode(p.stored).decode()))  # base64(gzip(JSON))
        chunk["marks"].append((row.job_id, row.expires_at, row.video_id))
        if len(chunk["marks"]) == _CHUNK:
            yield chunk
            chunk = {name: [] for name in chunk}
    if chunk["marks"]:
        yield chunk


def _export_chunks(
    count: int,
    now: int,
    statuses: dict[str, int] | None,
    types: tuple[str, ...],
    priorities: tuple[int, ...],
    peers: bool,
) -> Iterator[Chunk]:
    """Export jobs and their events as table tuples; "marks" holds (id, status, project_id)."""
    chunk: Chunk = {"export": [], "events": [], "s1": [], "marks": []}
    for job in export_rows(count, now, statuses=statuses, types=types, priorities=priorities):
        v = job.values
        chunk["export"].append((*(v[column] for column in EXPORT_COLUMNS), v.get("priority", 0)))
        chunk["events"].extend(job.events)
        if peers:
            chunk["s1"].append(
                (v["id"], v["project_id"], v["type"], "error" if v["status"] == "cancelled" else v["status"],
                 v["progress"], v["input_video_key"], v["output_video_key"], v["params"], v["error"],
                 v["retry_count"], v["runpod_job_id"], _sql_datetime(v["created_at"]),
                 _sql_datetime(v["started_at"]), _sql_datetime(v["completed_at"]))
            )  # fmt: skip
        chunk["marks"].append((v["id"], v["status"], v["project_id"]))
        if len(chunk["marks"]) == _CHUNK:
            yield chunk
            chunk = {name: [] for name in chunk}
    if chunk["marks"]:
        yield chunk


def _produce(queue: Any, make: Callable[..., Iterator[Chunk]], args: tuple[Any, ...]) -> None:
    for chunk in make(*args):
        queue.put(chunk)
    queue.put(None)


def _in_background(make: Callable[..., Iterator[Chunk]], *args: Any) -> Iterator[Chunk]:
    """`make(*args)`'s chunks, generated in a forked process while this one inserts the previous
    ones (generating a row, its canonical JSON, gzip and hash, costs about what inserting it does)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=4)
    worker = context.Process(target=_produce, args=(queue, make, args), daemon=True)
    worker.start()
    try:
        while (chunk := queue.get()) is not None:
            yield chunk
    finally:
        worker.join(timeout=5)
        if worker.is_alive():
            worker.terminate()


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
    videos: int = 0,
) -> Seeded:
    """Fill the D1 file at `db_path` (already migrated) and, with `peers`, the seeds' tables:
    one transaction, rows generated in a second process, inserted `_CHUNK` at a time."""
    started = time.perf_counter()
    info = Seeded()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")  # rows are consistent by construction; faster
    # One bulk transaction: a rollback journal (only the few pre-existing pages) instead of a
    # WAL as large as the database, no fsync, and a page cache that holds the indexes' hot pages.
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")  # ~1 GB
    if peers:
        conn.executescript(SEED000_SCHEMA + SEED001_SCHEMA)
    conn.execute("BEGIN")
    rng = random.Random(3)
    veo_videos: dict[str, int] = {}
    for chunk in _in_background(_veo_chunks, veo, now, veo_expired_share, peers):
        conn.executemany(_INSERT_VEO, chunk["veo"])
        conn.executemany(_INSERT_VEO_DATA, chunk["data"])
        if peers:
            conn.executemany(_INSERT_SEED000, chunk["s0"])
            conn.executemany(_INSERT_SEED000_DATA, chunk["s0data"])
        for job_id, expires_at, video_id in chunk["marks"]:
            info.veo_jobs += 1
            if expires_at <= now:
                info.veo_expired += 1
                continue
            if len(info.live_veo_ids) < _SAMPLE or rng.random() < 0.01:
                info.live_veo_ids.append(job_id)
            if video_id:
                veo_videos[video_id] = veo_videos.get(video_id, 0) + 1
    info.video_ids = sorted(veo_videos, key=lambda v: -veo_videos[v])[:_SAMPLE]
    projects: dict[int, int] = {}
    for chunk in _in_background(
        _export_chunks, export, now, export_statuses, export_types, export_priorities, peers
    ):
        conn.executemany(_INSERT_EXPORT, chunk["export"])
        conn.executemany(_INSERT_EVENT, chunk["events"])
        if peers:
            conn.executemany(_INSERT_SEED001, chunk["s1"])
        info.events += len(chunk["events"])
        for job_id, status, project_id in chunk["marks"]:
            info.export_jobs += 1
            if status == "pending":
                info.export_pending += 1
            kept = info.export_ids_by_status.setdefault(status, [])
            if len(kept) < _SAMPLE:
                kept.append(job_id)
            projects[project_id] = projects.get(project_id, 0) + 1
    info.biggest_project = max(projects, key=lambda p: projects[p]) if projects else 0
    made = insert_videos(conn, videos, now, sample=_SAMPLE, chunk=_CHUNK)
    info.videos, info.video_events, info.generations = made.videos, made.events, made.generations
    info.user_video_ids, info.user_generation_ids = made.user_video_ids, made.user_generation_ids
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
    conn.execute("PRAGMA journal_mode = WAL")  # as the runtime's D1 keeps it
    conn.close()
    info.seconds = round(time.perf_counter() - started, 2)
    return info
