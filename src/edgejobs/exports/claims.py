"""`POST /api/export-jobs/claim`: a runner takes the next claimable jobs (one, or up to
`max_jobs` in one statement), each under its own lease."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..core import ids, states
from ..core.context import RequestContext
from ..core.db import Database, named
from ..core.http import HttpResponse, empty_response, json_response
from . import machine
from .bodies import CLAIM
from .machine import EXPORT_JOBS
from .model import check_type, job_response, render_job

CLAIM_ATTEMPTS = 3


def claim_order(row: Mapping[str, Any]) -> tuple[int, int, str]:
    """The order claims take jobs in: highest priority, then oldest available_at, then oldest id."""
    return (-row["priority"], row["available_at"], row["id"])


async def claim_export_job(ctx: RequestContext) -> HttpResponse:
    """Without `max_jobs`: 200 with the next claimable job, now processing under the caller's
    new lease, or 204 if none. With `max_jobs`: 200 `{"items": [...]}` (up to that many, each
    with its own lease; empty if none), in claim order."""
    body = await CLAIM.read(ctx)
    configured = ctx.config.export_job_types
    chosen = body["types"]  # a sorted JSON array, or None for any type
    types = [check_type(t, "types", configured) for t in json.loads(chosen)] if chosen else None
    if types is not None and set(types) == set(configured):
        types = None  # every type: the one range of any type (fewer rows read than a merge)
    values = {
        "runner_id": body["runner_id"],
        "lease_seconds": body["lease_seconds"],
        "max_jobs": body["max_jobs"] or 1,
        "now": ctx.now,
        "lease_token": ids.token(),
    }
    claimed = await claim_jobs(ctx.db, types, configured, values)
    if body["max_jobs"] is None:
        return job_response(claimed[0]) if claimed else empty_response(204)
    return json_response({"items": [render_job(row) for row in claimed]})


async def claim_jobs(
    db: Database, types: Sequence[str] | None, configured: Sequence[str], values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Claim up to `values["max_jobs"]` jobs of `types` (None: any type not paused)."""
    batch = values["max_jobs"] > 1
    shape = types
    checked_pauses = types is not None
    for _ in range(CLAIM_ATTEMPTS):
        rows = machine.next_claimable(shape, batch=batch)
        claimed = await states.apply(db, EXPORT_JOBS, machine.CLAIM, rows, values)
        if claimed:
            return sorted(claimed, key=claim_order)
        # Nothing claimed: none was claimable, or another runner took them between the
        # subquery and the compare-and-set, or (a claim of any type) some type is paused.
        if not checked_pauses:
            checked_pauses = True
            check = (await db.run(named(machine.UNTYPED_CHECK_SQL, values))).rows[0]
            paused = json.loads(check["paused"])
            if paused:
                shape = [t for t in configured if t not in paused]
                if not shape:
                    break
                continue  # claim again, by type, over the types not paused
            if not check["found"]:
                break
            continue
        if not (await db.run(named(machine.any_claimable_sql(shape), values))).rows:
            break
    return []
