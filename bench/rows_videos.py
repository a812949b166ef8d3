"""Realistic videos for `make bench`, as the app would have left them: mixed statuses over the
last 90 days (so three months of periods), UUIDv7 ids from `created_at`, one event per change,
refunds on failed and cancelled videos without a file, a few archived and soft-deleted, some
in generations of three; a quarter of them `BENCH_VIDEO_USER`'s, the rest spread over `USERS`
users. The usage rows and generations' counts follow from the videos (`USAGE_SQL`, and the
counts are computed here), so the consistency check holds on a seeded database.
`insert_videos` writes them (bench/seeding.py calls it in its transaction)."""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.rows import DAY, MINUTE, USERS, _weighted
from edgejobs.core import ids
from edgejobs.videos.usage import period_of

BENCH_VIDEO_USER = "vuser0007"  # the user whose videos `make bench` reads and changes
VIDEO_STATUSES = {"completed": 60, "failed": 10, "cancelled": 5, "in_progress": 10, "queued": 15}
MODELS = {"sora-2": 10, "sora-2-pro": 20, "veo-3": 40}  # cents per second (the default models)
GENERATION_START = 0.055  # chance that the next videos are a generation of three: ~15% of videos
SIZE = 3

VIDEO_COLUMNS = (
    "id", "user_id", "generation_id", "model", "status", "progress", "prompt", "seconds", "size",
    "quality", "input", "metadata", "provider_job_id", "file_url", "thumbnail_url", "error",
    "cost_cents", "period", "charged", "refunded", "archived", "created_at", "updated_at", "started_at",
    "completed_at", "expires_at", "archived_at", "deleted_at", "previous_status", "transition_id",
)  # fmt: skip
GENERATION_COLUMNS = (
    "generation_id", "user_id", "model", "prompt", "video_count", "queued", "in_progress", "completed",
    "failed", "cancelled", "created_at", "updated_at",
)  # fmt: skip
_STATUSES = ("queued", "in_progress", "completed", "failed", "cancelled")

# The usage rows, from the videos as seeded (:period is this month): per owner and for every video.
_COUNTS = ", ".join(f"sum(status = '{s}' AND deleted_at IS NULL)" for s in _STATUSES)
_USAGE_SELECT = f"""
SELECT {{owner}}, :period,
  sum(charged AND NOT refunded AND period = :period),
  sum(CASE WHEN charged AND NOT refunded AND period = :period THEN cost_cents ELSE 0 END),
  {_COUNTS}, sum(archived AND deleted_at IS NULL), :now
FROM videos"""
USAGE_SQL = f"""
INSERT INTO video_usage (owner, period, videos_used, cents_used, {", ".join(_STATUSES)}, archived, updated_at)
{_USAGE_SELECT.format(owner="coalesce(user_id, ' none')")} GROUP BY 1
UNION ALL
{_USAGE_SELECT.format(owner="' all'")}
"""
# The bench user is a large customer with a limit of their own (the bench creates for them).
LIMIT_SQL = "UPDATE video_usage SET videos_limit = 10000000 WHERE owner = ?"
INSERT_VIDEO_SQL = (
    f"INSERT INTO videos ({', '.join(VIDEO_COLUMNS)}) VALUES ({', '.join('?' * len(VIDEO_COLUMNS))})"
)
INSERT_GENERATION_SQL = (
    f"INSERT INTO generations ({', '.join(GENERATION_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(GENERATION_COLUMNS))})"
)
INSERT_EVENT_SQL = (
    "INSERT INTO job_events (job_kind, job_id, event, from_status, to_status, data, at)"
    " VALUES (?,?,?,?,?,?,?)"
)


@dataclass
class VideoRow:
    values: dict[str, Any]
    events: list[tuple[Any, ...]] = field(default_factory=list)


def _video(
    rng: random.Random, now: int, i: int, user: str, created_at: int, generation: str | None, model: str
) -> VideoRow:
    status = _weighted(rng, VIDEO_STATUSES)
    seconds = rng.choice((4, 5, 8))
    started = created_at + rng.randint(5_000, 2 * MINUTE) if status != "queued" else None
    finished = status in ("completed", "failed", "cancelled")
    completed_at = (started or created_at) + rng.randint(30_000, 10 * MINUTE) if finished else None
    file_url = f"https://cdn.example.com/v/{i}.mp4" if status == "completed" else None
    archived = int(finished and rng.random() < 0.05)
    deleted = finished and rng.random() < 0.02
    updated_at = min(completed_at or started or created_at, now)
    v: dict[str, Any] = {
        "id": ids.uuid7(created_at),
        "user_id": user,
        "generation_id": generation,
        "model": model,
        "status": status,
        "progress": 100 if status == "completed" else (rng.randint(1, 99) if status == "in_progress" else 0),
        "prompt": f"A short scene number {i}: a red kite over a grassy park at dusk",
        "seconds": seconds,
        "size": "1280x720",
        "quality": None,
        "input": "{}",
        "metadata": "{}",
        "provider_job_id": f"file-bench-{i:07d}" if status != "queued" else None,
        "file_url": file_url,
        "thumbnail_url": None,
        "error": json.dumps({"code": "failed", "message": "The provider failed."})
        if status == "failed"
        else None,
        "cost_cents": MODELS[model] * seconds,
        "period": period_of(created_at),
        "charged": 1,
        "refunded": int(status in ("failed", "cancelled")),
        "archived": archived,
        "created_at": created_at,
        "updated_at": updated_at,
        "started_at": started,
        "completed_at": completed_at,
        "expires_at": completed_at + 30 * DAY if file_url and completed_at else None,
        "archived_at": updated_at if archived else None,
        "deleted_at": updated_at if deleted else None,
        "previous_status": None,
        "transition_id": ids.token(),
    }
    events: list[tuple[Any, ...]] = [("video", v["id"], "created", None, "queued", None, created_at)]
    if started is not None:
        events.append(("video", v["id"], "status_changed", "queued", "in_progress", None, started))
    if status == "cancelled":
        events.append(("video", v["id"], "cancelled", "in_progress", "cancelled", None, completed_at))
    elif finished:
        events.append(("video", v["id"], "status_changed", "in_progress", status, v["error"], completed_at))
    if archived:
        events.append(("video", v["id"], "archived", status, status, None, updated_at))
    if deleted:
        events.append(("video", v["id"], "deleted", status, status, None, updated_at))
    if len(events) > 1:
        v["previous_status"] = events[-1][3]
    return VideoRow(v, events)


def video_rows(count: int, now: int, seed: int = 4) -> Iterator[tuple[VideoRow, dict[str, Any] | None]]:
    """`count` videos, oldest first; each generation's row comes with its last video."""
    rng = random.Random(seed)
    i = 0
    while i < count:
        user = BENCH_VIDEO_USER if rng.random() < 0.25 else f"vuser{rng.randrange(USERS):04d}"
        created_at = now - rng.randint(MINUTE, 90 * DAY)
        together = SIZE if rng.random() < GENERATION_START and i + SIZE <= count else 1
        generation = f"cs_bench_{i:07d}" if together > 1 else None
        model = rng.choice(list(MODELS))
        made = [_video(rng, now, i + k, user, created_at + k, generation, model) for k in range(together)]
        for k, row in enumerate(made):
            yield row, _generation(made, now) if generation and k == together - 1 else None
        i += together


def _generation(made: list[VideoRow], now: int) -> dict[str, Any]:
    first = made[0].values
    counted = Counter(row.values["status"] for row in made)
    return {
        "generation_id": first["generation_id"],
        "user_id": first["user_id"],
        "model": first["model"],
        "prompt": first["prompt"],
        "video_count": len(made),
        **{s: counted[s] for s in _STATUSES},
        "created_at": first["created_at"],
        "updated_at": max(row.values["updated_at"] for row in made),
    }


@dataclass
class SeededVideos:
    """What `insert_videos` wrote, and `BENCH_VIDEO_USER`'s ids for the probes."""

    videos: int = 0
    events: int = 0
    generations: int = 0
    user_video_ids: list[str] = field(default_factory=list)  # not deleted
    user_generation_ids: list[str] = field(default_factory=list)


def insert_videos(conn: sqlite3.Connection, count: int, now: int, sample: int, chunk: int) -> SeededVideos:
    """`count` videos with their events and generations, `chunk` at a time (inside the caller's
    transaction), then the usage rows they add up to; `sample` ids of each kind kept."""
    made = SeededVideos()
    rows: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    generations: list[tuple[Any, ...]] = []

    def flush() -> None:
        conn.executemany(INSERT_VIDEO_SQL, rows)
        conn.executemany(INSERT_EVENT_SQL, events)
        conn.executemany(INSERT_GENERATION_SQL, generations)
        made.events += len(events)
        made.generations += len(generations)
        rows.clear()
        events.clear()
        generations.clear()

    for video, generation in video_rows(count, now):
        v = video.values
        rows.append(tuple(v[c] for c in VIDEO_COLUMNS))
        events.extend(video.events)
        made.videos += 1
        if generation is not None:
            generations.append(tuple(generation[c] for c in GENERATION_COLUMNS))
            if generation["user_id"] == BENCH_VIDEO_USER and len(made.user_generation_ids) < sample:
                made.user_generation_ids.append(generation["generation_id"])
        if v["user_id"] == BENCH_VIDEO_USER and v["deleted_at"] is None and len(made.user_video_ids) < sample:
            made.user_video_ids.append(v["id"])
        if len(rows) == chunk:
            flush()
    flush()
    if count:
        conn.execute(USAGE_SQL, {"period": period_of(now), "now": now})
        conn.execute(LIMIT_SQL, (BENCH_VIDEO_USER,))
    return made
