"""The export state machine against the fake D1 (the real migrations and SQL), for the unit
tests of exports: rows planted as the routes would leave them, actions applied as the routes
apply them."""

from __future__ import annotations

import json
from typing import Any

from edgejobs.core import states
from edgejobs.core.config import Config
from edgejobs.core.db import Database
from edgejobs.core.ids import uuid7
from edgejobs.exports import machine
from edgejobs.exports.machine import ACTIONS, CANCELLED, COMPLETE, ERROR, PROCESSING

NOW = 1_800_000_000_000
SECOND = 1000
CONFIG = Config()  # retry base 30 s, cap 3600 s

# Values any action may need; each action's SQL uses a subset.
VALUES = {
    "now": NOW,
    "runner_id": "runner-1",
    "lease_token": "0123456789abcdef0123456789abcdef",
    "lease_id": None,  # planted rows have no lease (as jobs claimed before leases existed)
    "lease_seconds": 60,
    "max_jobs": 1,
    "reason": None,
    "result": None,
    "types": None,
    "progress": 40,
    "runpod_job_id": "rp-1",
    "output_video_key": "out.mp4",
    "error": "boom",
    "retryable": 1,
    "cutoff": NOW,
    **machine.retry_settings(CONFIG),
}


def plant(db: Database, status: str, **columns: Any) -> str:
    """A job row in `status`, as the routes would leave it (processing: held by runner-1)."""
    job_id = uuid7(NOW - 60 * SECOND)
    row: dict[str, Any] = {
        "id": job_id,
        "project_id": 1,
        "type": "framing",
        "status": status,
        "input_video_key": "in.mp4",
        "available_at": NOW - 60 * SECOND,
        "created_at": NOW - 60 * SECOND,
        "updated_at": NOW - 60 * SECOND,
        "transition_id": "planted",
    }
    if status == PROCESSING:
        row.update(runner_id="runner-1", lease_seconds=60, lease_expires_at=NOW - SECOND, progress=50)
    if status in (COMPLETE, ERROR, CANCELLED):
        row["completed_at"] = NOW - 60 * SECOND
    row.update(columns)
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.binding.conn.execute(f"INSERT INTO export_jobs ({names}) VALUES ({marks})", list(row.values()))
    return str(row["id"])


def job(db: Database, job_id: str) -> dict[str, Any]:
    return dict(db.binding.conn.execute("SELECT * FROM export_jobs WHERE id = ?", [job_id]).fetchone())


def events(db: Database, job_id: str) -> list[dict[str, Any]]:
    rows = db.binding.conn.execute(
        "SELECT event, from_status, to_status, data, at FROM job_events WHERE job_id = ? ORDER BY id",
        [job_id],
    )
    return [dict(r) for r in rows]


async def act(db: Database, name: str, job_id: str, **overrides: Any) -> list[dict[str, Any]]:
    action = ACTIONS[name]
    types = overrides.get("types")  # as the claim route gets them: a JSON array, or None for any
    rows = machine.next_claimable(json.loads(types) if types else None)
    rows = rows if action is machine.CLAIM else states.BY_ID
    return await states.apply(db, machine.EXPORT_JOBS, action, rows, {**VALUES, "id": job_id, **overrides})
