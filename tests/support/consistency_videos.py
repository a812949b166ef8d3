"""The consistency check of videos, their usage rows and generations (read straight from D1;
part of `consistency.check`):

- every video's events start with `created`, each starts where the one before ended, the last
  ends in the video's status (events without a change of status — archived, deleted, remixed,
  downloaded — stay in it); no event names a missing video; finished videos have
  `completed_at`; `refunded` only on a charged video that ended failed or cancelled;
- an owner's usage row counts, by status, exactly their videos not deleted, and `archived` those
  archived; in the row's month, `videos_used` / `cents_used` are their charged videos of that
  month not refunded (so a unit is never charged without its video, nor refunded twice); the
  ` none` row does the same for the service's videos without an owner, and the ` all` row for
  every video (checked when the whole table is);
- a generation's counts are its videos' statuses, and it has `video_count` videos (a
  generation row without its videos is half-written).

Scope it to some owners (user ids, or ` none` for the videos without an owner), or None for
every video. Tests that change a usage row's or a video's month by hand (to stand in for a
month passing) name the owner in `PLANTED`: its money columns no longer follow from its videos
by design, and neither do the ` all` row's; the counts by status still must.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from typing import Any

Sql = Callable[..., list[dict[str, Any]]]
STATUSES = ("queued", "in_progress", "completed", "failed", "cancelled")
MOVES = {("queued", "in_progress"), ("queued", "completed"), ("queued", "failed"), ("queued", "cancelled"),
         ("in_progress", "completed"), ("in_progress", "failed"), ("in_progress", "cancelled")}  # fmt: skip
NO_OWNER, ALL = " none", " all"
IN_CHUNK = 90  # D1 binds at most 100 parameters per statement
PLANTED: set[str] = set()  # owners whose usage month a test changed by hand (see above)


def _in_chunks(sql: Sql, query: str, values: Iterable[str]) -> list[dict[str, Any]]:
    """`query` with `{marks}` for each chunk of `values`; the rows of every chunk."""
    ordered, rows = sorted(set(values)), []
    for start in range(0, len(ordered), IN_CHUNK):
        chunk = ordered[start : start + IN_CHUNK]
        rows += sql(query.format(marks=", ".join("?" for _ in chunk)), *chunk)
    return rows


def _owner(video: dict[str, Any]) -> str:
    return NO_OWNER if video["user_id"] is None else str(video["user_id"])


def check_videos(sql: Sql, owners: Collection[str] | None = None) -> list[str]:
    """Every finding about the owners' videos (None: every video), one string each."""
    if owners is None:
        videos = sql("SELECT * FROM videos ORDER BY id")
        events = sql("SELECT * FROM job_events WHERE job_kind = 'video' ORDER BY id")
        usage = sql("SELECT * FROM video_usage")
        generations = sql("SELECT * FROM generations")
    else:
        users = [o for o in owners if o != NO_OWNER]
        videos = _in_chunks(sql, "SELECT * FROM videos WHERE user_id IN ({marks})", users)
        if NO_OWNER in owners:
            videos += sql("SELECT * FROM videos WHERE user_id IS NULL")
        events = _in_chunks(
            sql,
            "SELECT * FROM job_events WHERE job_kind = 'video' AND job_id IN ({marks}) ORDER BY id",
            [v["id"] for v in videos],
        )
        usage = _in_chunks(sql, "SELECT * FROM video_usage WHERE owner IN ({marks})", owners)
        generations = _in_chunks(sql, "SELECT * FROM generations WHERE user_id IN ({marks})", users)
        if NO_OWNER in owners:
            generations += sql("SELECT * FROM generations WHERE user_id IS NULL")
    trails: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e["id"]):
        trails[event["job_id"]].append(event)
    known = {v["id"] for v in videos}
    problems = [f"video {job_id}: {len(t)} event(s) of a missing video" for job_id, t in trails.items()
                if job_id not in known]  # fmt: skip
    by_owner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for video in videos:
        problems += _trail(video, trails.get(video["id"], []))
        by_owner[_owner(video)].append(video)
    rows = {row["owner"]: row for row in usage}
    for owner in sorted(set(by_owner) | (set(rows) - {ALL})):
        problems += _usage(owner, rows.get(owner), by_owner.get(owner, []), owner in PLANTED)
    if owners is None:
        planted = any(by_owner.get(owner) for owner in PLANTED)
        problems += _usage(ALL, rows.get(ALL), videos, planted)
    return problems + _generations(sql, generations, videos if owners is None else None)


def _trail(video: dict[str, Any], events: list[dict[str, Any]]) -> list[str]:
    name = f"video {video['id']}"
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


def _usage(owner: str, row: dict[str, Any] | None, videos: list[dict[str, Any]], planted: bool) -> list[str]:
    live = [v for v in videos if v["deleted_at"] is None]
    if row is None:
        return [f"usage {owner!r}: no row for {len(videos)} videos"] if live else []
    counted = Counter(v["status"] for v in live)
    problems = [
        f"usage {owner!r}: {s} {row[s]} but {counted[s]} videos" for s in STATUSES if row[s] != counted[s]
    ]
    archived = sum(v["archived"] for v in live)
    if row["archived"] != archived:
        problems.append(f"usage {owner!r}: archived {row['archived']} but {archived} videos")
    paid = [v for v in videos if v["charged"] and not v["refunded"] and v["period"] == row["period"]]
    if not planted and (row["videos_used"], row["cents_used"]) != (
        len(paid),
        sum(v["cost_cents"] for v in paid),
    ):
        problems.append(
            f"usage {owner!r}: used {row['videos_used']}/{row['cents_used']} in {row['period']} but "
            f"{len(paid)} charged videos / {sum(v['cost_cents'] for v in paid)} cents"
        )
    return problems


def _generations(
    sql: Sql, generations: list[dict[str, Any]], videos: list[dict[str, Any]] | None
) -> list[str]:
    """Each generation's counts against its videos (`videos`: every video; None: read them)."""
    whole = videos is not None
    if videos is None:
        videos = _in_chunks(
            sql,
            "SELECT generation_id, status FROM videos WHERE generation_id IN ({marks})",
            [g["generation_id"] for g in generations],
        )
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    for video in videos:
        if video["generation_id"] is not None:
            statuses[video["generation_id"]][video["status"]] += 1
    problems = []
    for generation in generations:
        counted = statuses.get(generation["generation_id"], Counter())
        held = {s: generation[s] for s in STATUSES}
        if held != {s: counted[s] for s in STATUSES} or generation["video_count"] != sum(counted.values()):
            problems.append(
                f"generation {generation['generation_id']}: {generation['video_count']} videos counted "
                f"{held}, but its videos are {dict(counted)}"
            )
    if whole:  # every generation read: no video may name a missing one
        known = {g["generation_id"] for g in generations}
        problems += [f"videos of missing generation {g}" for g in statuses if g not in known]
    return problems


def assert_videos_consistent(sql: Sql, owners: Collection[str] | None = None) -> None:
    problems = check_videos(sql, owners)
    assert not problems, "\n".join(problems)
