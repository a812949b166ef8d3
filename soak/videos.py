"""Videos under load: users creating videos and generations against a monthly limit, a renderer
moving them through their states, and what D1 must hold afterwards.

  creator ×2    with a user token (users shared between the creators, so charges race):
                first a generation of 3 while the month is empty, then create a video or a
                generation of 3 (201, or 429 once the limit is reached; a 429's details name
                the limit), cancel one of the user's own videos, read one, list them, stats,
                quota
  renderer ×1   the service: takes each new video once, half a second after it was made (so
                that users' cancels race it), and PATCHes it queued → in_progress (with
                progress) → completed (with a file) or failed; 409 when the user cancelled it
                first. Every few seconds it raises every user's limit (a plan upgrade), so
                that creates keep racing a limit just reached

Afterwards (`verify_videos`): every user's videos in D1 are exactly the ones clients were told
were created (201, three per generation), never more charged than the limit; each video's events
are exactly the changes clients were told succeeded (no terminal state twice); the usage row's
charges are the creates minus the refunds told (fails and cancels); the user's stats and quota
say what D1 holds. The rest — counts by status, generations' counts — is consistency.check's.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from typing import Any

import httpx

from soak.ledger import Api, Ledger
from soak.workload import (
    GEN_CREATE,
    GEN_GET,
    QUOTA_ME,
    QUOTA_SET,
    VID_CANCEL,
    VID_CREATE,
    VID_GET,
    VID_LIST,
    VID_PATCH,
    VID_STATS,
    VIDEO_LIMIT,
    VIDEO_LIMIT_STEP,
    VIDEO_RAISE_SECONDS,
    Shared,
)
from tests.support.runtime import LocalRuntime


def setup_video_users(api: Api, run: str, count: int = 3) -> dict[str, str]:
    """`count` users, each with the run's limit: user id → bearer token (minted by the Worker)."""
    users = {}
    for k in range(count):
        user_id = f"{run}-vu-{k}"
        minted = api.http.post("/api/tokens", json={"sub": user_id, "ttl_seconds": 3600})
        limit = api.http.put(f"/api/quotas/{user_id}", json={"videos_limit": VIDEO_LIMIT})
        if minted.status_code != 201 or limit.status_code != 200:
            raise RuntimeError(f"video users: {minted.status_code} {limit.status_code} {minted.text[:200]}")
        users[user_id] = minted.json()["token"]
    return users


def _made(ledger: Ledger, shared: Shared, user: str, videos: list[str]) -> None:
    with ledger.lock:
        for video_id in videos:
            ledger.video_owner[video_id] = user
            ledger.video_told[video_id, "created"] += 1
        ledger.videos_made[user] += len(videos)
    with shared.lock:
        shared.to_render.extend((time.monotonic(), video_id) for video_id in videos)


def _refused(ledger: Ledger, shared: Shared, response: httpx.Response) -> None:
    """A 429 names a limit the run set and a usage within it (its details are read after the
    refused charge, so a refund or a raise in between may have made room again: not checked)."""
    details = response.json()["error"].get("details", {})
    limit = details.get("limit", -1)
    if not VIDEO_LIMIT <= limit <= shared.video_limit or not 0 <= details.get("used", -1) <= limit:
        with ledger.lock:
            ledger.unexpected.append(f"{VID_CREATE}: 429 with details {details}")


def _generation(api: Api, shared: Shared, user: str, auth: dict[str, str]) -> httpx.Response:
    """A generation of 3 for `user`, read back when it was made."""
    ledger = api.ledger
    generation_id = f"{shared.run}-gen-{uuid.uuid4().hex[:12]}"
    body = {"generation_id": generation_id, "model": "sora-2", "prompt": "soak", "video_count": 3}
    made = api.call(GEN_CREATE, "POST", "/api/generations", (201, 429), json=body, headers=auth)
    if made.status_code == 201:
        _made(ledger, shared, user, [v["id"] for v in made.json()["videos"]])
        with ledger.lock:
            ledger.generations.append((user, generation_id))
        api.call(GEN_GET, "GET", f"/api/generations/{generation_id}", (200,), headers=auth)
    elif made.status_code == 429:
        _refused(ledger, shared, made)
    return made


def creator(api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    ledger, users = api.ledger, sorted(shared.video_users)
    # First a generation for a user of its own, while the month is still empty (a 503 is retried).
    first = users[me % len(users)]
    for _ in range(5):
        auth = {"authorization": f"Bearer {shared.video_users[first]}"}
        if _generation(api, shared, first, auth).status_code != 503:
            break
    while shared.running():
        user = rng.choice(users)
        auth = {"authorization": f"Bearer {shared.video_users[user]}"}
        with ledger.lock:
            mine = [v for v, owner in ledger.video_owner.items() if owner == user]
        roll = rng.random()
        if roll < 0.35:
            body = {"model": "sora-2", "prompt": f"soak {me}", "seconds": rng.choice([2, 4, 5])}
            made = api.call(VID_CREATE, "POST", "/api/videos", (201, 429), json=body, headers=auth)
            if made.status_code == 201:
                _made(ledger, shared, user, [made.json()["id"]])
            elif made.status_code == 429:
                _refused(ledger, shared, made)
        elif roll < 0.45:
            _generation(api, shared, user, auth)
        elif roll < 0.6 and mine:
            video_id = rng.choice(mine)
            cancelled = api.call(
                VID_CANCEL, "POST", f"/api/videos/{video_id}/cancel", (200, 409), headers=auth
            )
            if cancelled.status_code == 200:
                ledger.add(video_told=(video_id, "cancelled"), video_refunds=user)
        elif roll < 0.72 and mine:
            api.call(VID_GET, "GET", f"/api/videos/{rng.choice(mine)}", (200,), headers=auth)
        elif roll < 0.8:
            params = rng.choice([{}, {"status": "queued,in_progress"}, {"status": "completed"}])
            api.call(VID_LIST, "GET", "/api/videos", (200,), params={**params, "limit": 20}, headers=auth)
        elif roll < 0.87:
            with ledger.lock:
                theirs = [g for owner, g in ledger.generations if owner == user]
            if theirs:
                api.call(GEN_GET, "GET", f"/api/generations/{rng.choice(theirs)}", (200,), headers=auth)
        elif roll < 0.94:
            api.call(VID_STATS, "GET", "/api/videos/stats", (200,), headers=auth)
        else:
            api.call(QUOTA_ME, "GET", "/api/quotas/me", (200,), headers=auth)
        time.sleep(rng.uniform(0, 0.02))


def renderer(api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    ledger = api.ledger

    def move(video_id: str, body: dict[str, Any]) -> bool:
        """PATCH; True when it was applied (200), counted as the change it made."""
        moved = api.call(VID_PATCH, "PATCH", f"/api/videos/{video_id}", (200, 409), json=body)
        if moved.status_code == 200 and "status" in body:
            ledger.add(video_told=(video_id, "status_changed"))
        return moved.status_code == 200

    raise_at = time.monotonic() + VIDEO_RAISE_SECONDS
    while shared.running():
        if time.monotonic() >= raise_at:
            _raise_limits(api, shared)
            raise_at = time.monotonic() + VIDEO_RAISE_SECONDS
        with shared.lock:
            due = bool(shared.to_render) and shared.to_render[0][0] < time.monotonic() - 0.5
            video_id = shared.to_render.pop(0)[1] if due else None
        if video_id is None:
            time.sleep(0.05)
            continue
        if not move(video_id, {"status": "in_progress", "progress": rng.randint(1, 40)}):
            continue
        if rng.random() < 0.5 and not move(video_id, {"progress": rng.randint(41, 90)}):
            continue
        if rng.random() < 0.5:
            move(video_id, {"status": "completed", "file_url": f"https://cdn.example.com/{video_id}.mp4"})
        elif move(video_id, {"status": "failed", "error": {"code": "provider", "message": "soak"}}):
            with ledger.lock:
                ledger.video_refunds[ledger.video_owner[video_id]] += 1


def _raise_limits(api: Api, shared: Shared) -> None:
    """Every user's limit up to the run's limit + VIDEO_LIMIT_STEP. The run's limit is raised
    first: it bounds every limit a 429 may name (a 503 leaves that user's lower until the next
    raise)."""
    shared.video_limit += VIDEO_LIMIT_STEP
    for user in sorted(shared.video_users):
        body = {"videos_limit": shared.video_limit}
        api.call(QUOTA_SET, "PUT", f"/api/quotas/{user}", (200,), json=body)


def verify_videos(
    api: Api, shared: Shared, ledger: Ledger, local: LocalRuntime | None
) -> tuple[list[str], str]:
    """What D1 holds against what the video clients were told: (problems, the check's summary)."""
    problems: list[str] = []
    for user, token in sorted(shared.video_users.items()):
        auth = {"authorization": f"Bearer {token}"}
        quota = api.call(QUOTA_ME, "GET", "/api/quotas/me", (200,), headers=auth).json()
        expected = ledger.videos_made[user] - ledger.video_refunds[user]
        if quota["videos_used"] != expected or quota["videos_used"] > quota["videos_limit"]:
            problems.append(
                f"{user}: quota says {quota['videos_used']} used (limit {quota['videos_limit']}), "
                f"clients were told {ledger.videos_made[user]} made and {ledger.video_refunds[user]} refunded"
            )
        if local is None:
            continue
        stored = local.sql("SELECT status FROM videos WHERE user_id = ? AND deleted_at IS NULL", user)
        if len(stored) != ledger.videos_made[user]:
            problems.append(f"{user}: {len(stored)} videos in D1, {ledger.videos_made[user]} told created")
        stats = api.call(VID_STATS, "GET", "/api/videos/stats", (200,), headers=auth).json()
        if stats["by_status"] != {
            **dict.fromkeys(stats["by_status"], 0),
            **Counter(r["status"] for r in stored),
        }:
            problems.append(
                f"{user}: stats {stats['by_status']} but D1 holds {Counter(r['status'] for r in stored)}"
            )
    if local is not None:
        recorded: Counter[tuple[str, str]] = Counter()
        for row in local.sql(
            "SELECT job_id, event, count(*) AS n FROM job_events WHERE job_kind = 'video' AND job_id IN"
            " (SELECT id FROM videos WHERE user_id LIKE ?) GROUP BY job_id, event",
            f"{shared.run}-vu-%",
        ):
            recorded[row["job_id"], row["event"]] = row["n"]
        wrong = [f"{video} {event}: {recorded[video, event]} recorded, {ledger.video_told[video, event]} told"
                 for video, event in set(recorded) | set(ledger.video_told)
                 if recorded[video, event] != ledger.video_told[video, event]]  # fmt: skip
        problems += wrong[:10]
    told = Counter(event for (_, event), n in ledger.video_told.items() for _ in range(n))
    made = sum(ledger.videos_made.values())
    refused = ledger.statuses[VID_CREATE][429] + ledger.statuses[GEN_CREATE][429]
    summary = (
        f"videos: {made} made by {len(shared.video_users)} users at a limit raised from {VIDEO_LIMIT} to "
        f"{shared.video_limit} "
        f"({refused} creates refused with 429), {sum(ledger.video_refunds.values())} refunded; "
        "event trails, quotas and stats match what clients were told"
        f" ({dict(sorted(told.items()))})"
    )
    return problems, summary
