"""The consistency check of videos, their usage rows and generations (read straight from D1):

- every video's events start with `created`, each starts where the one before ended, the last
  ends in the video's status (events without a change of status — archived, deleted, remixed,
  downloaded — stay in it); finished videos have `completed_at`; `refunded` only on a charged
  video that ended failed or cancelled;
- an owner's usage row counts, by status, exactly their videos not deleted, and `archived` those
  archived; in the row's month, `videos_used` / `cents_used` are their charged videos of that
  month not refunded (so a unit is never charged without its video, nor refunded twice);
- a generation's counts are its videos' statuses.

Scope it to some owners (user ids; None: the videos without an owner)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from typing import Any

Sql = Callable[..., list[dict[str, Any]]]
GENERATIONS_OF_SQL = "SELECT generation_id FROM videos WHERE user_id = ? AND generation_id IS NOT NULL"
STATUSES = ("queued", "in_progress", "completed", "failed", "cancelled")
MOVES = {("queued", "in_progress"), ("queued", "completed"), ("queued", "failed"), ("queued", "cancelled"),
         ("in_progress", "completed"), ("in_progress", "failed"), ("in_progress", "cancelled")}  # fmt: skip


def check_videos(sql: Sql, owners: Collection[str]) -> list[str]:
    problems: list[str] = []
    for owner in owners:
        videos = sql("SELECT * FROM videos WHERE user_id = ? ORDER BY id", owner)
        for video in videos:
            problems += _trail(sql, video)
        problems += _usage(sql, owner, videos)
    generations = {v["generation_id"] for o in owners for v in sql(GENERATIONS_OF_SQL, o)}
    for generation_id in generations:
        row = sql("SELECT * FROM generations WHERE generation_id = ?", generation_id)[0]
        counted = Counter(
            v["status"] for v in sql("SELECT status FROM videos WHERE generation_id = ?", generation_id)
        )
        if any(row[s] != counted[s] for s in STATUSES) or row["video_count"] != sum(counted.values()):
            problems.append(f"generation {generation_id}: counts {row} but videos {dict(counted)}")
    return problems


def _trail(sql: Sql, video: dict[str, Any]) -> list[str]:
    name = f"video {video['id']}"
    events = sql("SELECT * FROM job_events WHERE job_kind = 'video' AND job_id = ? ORDER BY id", video["id"])
    if not events or events[0]["event"] != "created":
        return [f"{name}: no created event first"]
    problems = []
    status = events[0]["to_status"]
    for event in events[1:]:
        if event["from_status"] != status:
            problems.append(f"{name}: event {event['event']} starts at {event['from_status']}, not {status}")
        if (
            event["from_status"] != event["to_status"]
            and (event["from_status"], event["to_status"]) not in MOVES
        ):
            problems.append(f"{name}: illegal move {event['from_status']} → {event['to_status']}")
        status = event["to_status"]
    if status != video["status"]:
        problems.append(f"{name}: events end in {status}, the video is {video['status']}")
    if video["status"] in ("completed", "failed", "cancelled") and video["completed_at"] is None:
        problems.append(f"{name}: finished without completed_at")
    if video["refunded"] and not (video["charged"] and video["status"] in ("failed", "cancelled")):
        problems.append(f"{name}: refunded while {video['status']}")
    return problems


def _usage(sql: Sql, owner: str, videos: list[dict[str, Any]]) -> list[str]:
    rows = sql("SELECT * FROM video_usage WHERE owner = ?", owner)
    live = [v for v in videos if v["deleted_at"] is None]
    if not rows:
        return [f"usage {owner}: no row for {len(videos)} videos"] if live else []
    row = rows[0]
    counted = Counter(v["status"] for v in live)
    problems = [
        f"usage {owner}: {s} {row[s]} but {counted[s]} videos" for s in STATUSES if row[s] != counted[s]
    ]
    archived = sum(v["archived"] for v in live)
    if row["archived"] != archived:
        problems.append(f"usage {owner}: archived {row['archived']} but {archived} videos")
    paid = [v for v in videos if v["charged"] and not v["refunded"] and v["period"] == row["period"]]
    if (row["videos_used"], row["cents_used"]) != (len(paid), sum(v["cost_cents"] for v in paid)):
        problems.append(
            f"usage {owner}: used {row['videos_used']}/{row['cents_used']} but {len(paid)} charged"
        )
    return problems


def assert_videos_consistent(sql: Sql, owners: Collection[str]) -> None:
    problems = check_videos(sql, owners)
    assert not problems, "\n".join(problems)
