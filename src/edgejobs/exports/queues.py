"""The export queue per job type: pause and resume claims of a type, and each type's state
(`/api/export-jobs/queues`)."""

from __future__ import annotations

import json
from typing import Any

from ..core.clock import iso_ms
from ..core.context import RequestContext
from ..core.db import Statement
from ..core.errors import NotFound
from ..core.http import HttpResponse, json_response
from ..core.validation import path_param
from .bodies import NO_FIELDS
from .machine import STATUSES
from .model import TYPE_NAME

# Pausing a paused type keeps its first pause (and its time). The row '*' stands for "some type
# is paused" (what a claim of any type checks, by key: machine.py); each pause and resume keeps
# it in the same batch.
PAUSE_SQL = """
INSERT INTO export_queue_pauses (type, paused_at) VALUES (?1, ?2)
ON CONFLICT (type) DO UPDATE SET paused_at = paused_at
RETURNING paused_at
"""
MARK_PAUSED_SQL = (
    "INSERT INTO export_queue_pauses (type, paused_at) VALUES ('*', ?1) ON CONFLICT (type) DO NOTHING"
)
RESUME_SQL = "DELETE FROM export_queue_pauses WHERE type = ?1"
UNMARK_PAUSED_SQL = """
DELETE FROM export_queue_pauses
WHERE type = '*' AND NOT EXISTS (SELECT 1 FROM export_queue_pauses WHERE type > '*' LIMIT 1)
"""
# Each configured type (a JSON array) with its pause and its counters: the wide
# row per type that triggers keep in export_job_counts (never a COUNT(*) over export_jobs). A
# type with no job yet has no row: zeros.
QUEUES_SQL = """
SELECT t.value AS type, p.paused_at,
  coalesce(c.pending, 0) AS pending, coalesce(c.processing, 0) AS processing,
  coalesce(c.complete, 0) AS complete, coalesce(c.error, 0) AS error,
  coalesce(c.cancelled, 0) AS cancelled
FROM json_each(?1) AS t
LEFT JOIN export_job_counts AS c ON c.job_type = t.value
LEFT JOIN export_queue_pauses AS p ON p.type = t.value
LIMIT 100
"""


def queue_type(ctx: RequestContext, raw: str) -> str:
    """The path's job type: one of EXPORT_JOB_TYPES, else 404."""
    name = path_param(raw, "type")
    types = ctx.config.export_job_types
    if name not in types:
        listed = ", ".join(types)
        raise NotFound(f"No export queue {name[:40]!r}: the job types are {listed} (EXPORT_JOB_TYPES).")
    return name


def queue_state(name: str, paused_at: int | None) -> dict[str, Any]:
    return {"type": name, "paused": paused_at is not None, "paused_at": iso_ms(paused_at)}


async def pause_export_queue(ctx: RequestContext, type: str) -> HttpResponse:
    """Claims stop taking jobs of this type (running jobs go on); 200 with the queue's state."""
    await NO_FIELDS.read(ctx)
    name = queue_type(ctx, type)
    paused, _ = await ctx.db.batch(
        [Statement(PAUSE_SQL, (name, ctx.now)), Statement(MARK_PAUSED_SQL, (ctx.now,))]
    )
    row = paused.first()
    return json_response(queue_state(name, row["paused_at"] if row else ctx.now))


async def resume_export_queue(ctx: RequestContext, type: str) -> HttpResponse:
    """Claims take jobs of this type again; 200 with the queue's state. A type no longer in
    EXPORT_JOB_TYPES can still be resumed (its pause would otherwise stay for good)."""
    await NO_FIELDS.read(ctx)
    name = path_param(type, "type")
    if not TYPE_NAME.fullmatch(name):
        queue_type(ctx, name)  # 404
    await ctx.db.batch([Statement(RESUME_SQL, (name,)), Statement(UNMARK_PAUSED_SQL)])
    return json_response(queue_state(name, None))


async def list_export_queues(ctx: RequestContext) -> HttpResponse:
    """Every configured job type: paused or not, and how many jobs it has in each status."""
    types = list(ctx.config.export_job_types)
    rows = sorted(await ctx.db.all(QUEUES_SQL, json.dumps(types)), key=lambda row: types.index(row["type"]))
    items = [
        {**queue_state(row["type"], row["paused_at"]), "counts": {status: row[status] for status in STATUSES}}
        for row in rows
    ]
    return json_response({"items": items})
