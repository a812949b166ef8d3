"""Cron maintenance: every capability's cron tasks within one bounded budget, each run
recorded in `maintenance_runs`.

Every task works in chunks of `MAINTENANCE_CHUNK_ROWS` rows per statement and stops when the
run's statement or time budget is spent (core/chunks.py), reporting that work remains; the
next run continues.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..core.chunks import Budget, CronTask, TaskOutcome, delete_in_chunks
from ..core.clock import iso_ms, now_ms
from ..core.config import Config
from ..core.db import Database
from ..core.logs import emit
from ..core.outbound import Outbound


class RunRecord:
    """One maintenance run as it goes."""

    __slots__ = ("counts", "error", "finished_at", "id", "more", "started_at", "trigger")

    def __init__(self, trigger: str, started_at: int) -> None:
        self.trigger = trigger
        self.started_at = started_at
        self.id: int | None = None
        self.finished_at: int | None = None
        self.counts: dict[str, int] = {}
        self.more = False
        self.error: str | None = None

    def as_row(self) -> dict[str, Any]:
        """The run as `maintenance_runs` stores it (what `render_run` takes)."""
        row = {name: getattr(self, name) for name in self.__slots__}
        return {**row, "counts": json.dumps(self.counts), "more": int(self.more)}


INSERT_RUN_SQL = "INSERT INTO maintenance_runs (trigger, started_at) VALUES (?, ?) RETURNING id"
FINISH_RUN_SQL = "UPDATE maintenance_runs SET finished_at = ?, counts = ?, more = ?, error = ? WHERE id = ?"


async def run_maintenance(
    db: Database,
    config: Config,
    trigger: str,
    now: int,
    tasks: Sequence[CronTask],
    outbound: Outbound | None = None,
) -> RunRecord:
    """Run every task within one budget and record the run.

    Two passes: first every task gets an equal share of the statement budget, so a large
    backlog in one task (100k expired VEO jobs) cannot starve the others (a stuck lease
    waiting for recovery); then what is left goes, in order, to tasks that still have work.
    A failing task is recorded and the others still run; the next run continues. `outbound`:
    the run's outbound HTTP (one per run), handed to the tasks in their budget."""
    record = RunRecord(trigger=trigger, started_at=now)
    row = await db.first(INSERT_RUN_SQL, trigger, now)
    record.id = row["id"] if row else None
    budget = Budget.lasting(
        config.maintenance_chunk_rows,
        config.maintenance_max_statements,
        config.maintenance_time_budget_ms,
        outbound,
    )
    errors: dict[str, str] = {}
    pending = list(tasks)
    for share in (max(1, budget.max_statements // max(1, len(tasks))), None):
        still_due: list[CronTask] = []
        for name, task, _repairs in pending:
            part = budget.share(budget.remaining if share is None else share)
            try:
                outcome = await task(db, config, now, part)
            except Exception as exc:  # noqa: BLE001 - one task's failure must not stop the others
                # Recorded, not retried in this run (the error makes the run report `more`).
                errors[name] = f"{name}: {exc}"
                emit("error", "maintenance task failed", task=name, error=str(exc))
                outcome = TaskOutcome()
            finally:
                budget.settle(part)
            record.counts[name] = record.counts.get(name, 0) + outcome.count
            if outcome.more:
                still_due.append(CronTask(name, task))
        pending = still_due
    record.more = bool(pending) or bool(errors)
    record.error = "; ".join(errors.values()) or None
    record.finished_at = now_ms()
    await db.execute(
        FINISH_RUN_SQL,
        record.finished_at,
        json.dumps(record.counts),
        int(record.more),
        record.error,
        record.id,
    )
    emit(
        "info", "maintenance run", trigger=trigger, counts=record.counts, more=record.more, error=record.error
    )
    return record


# `id < ?1` on every page (the first binds the largest id there can be): an optional bound
# written as `(?1 IS NULL OR id < ?1)` cannot be a rowid range, so page n would walk past
# every newer run (tests/unit/test_query_plans.py, `make bench`).
# Oldest first through maintenance_runs_by_start: reads only the rows it deletes.
PRUNE_RUNS_SQL = """
DELETE FROM maintenance_runs
WHERE id IN (SELECT id FROM maintenance_runs WHERE started_at < ?1 ORDER BY started_at LIMIT ?2)
RETURNING id
"""


async def prune_maintenance_runs(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """The run log keeps MAINTENANCE_RUN_RETENTION_SECONDS of history."""
    cutoff = now - config.maintenance_run_retention_seconds * 1000
    return await delete_in_chunks(db, budget, PRUNE_RUNS_SQL, cutoff)


LIST_RUNS_SQL = """
SELECT id, trigger, started_at, finished_at, counts, more, error
FROM maintenance_runs
WHERE id < ?1
ORDER BY id DESC
LIMIT ?2
"""
LAST_RUN_SQL = (
    "SELECT id, trigger, started_at, finished_at, counts, more, error"
    " FROM maintenance_runs ORDER BY id DESC LIMIT 1"
)


def render_run(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "trigger": row["trigger"],
        "started_at": iso_ms(row["started_at"]),
        "finished_at": iso_ms(row["finished_at"]),
        "counts": json.loads(row["counts"] or "{}"),
        "more": bool(row["more"]),
        "error": row["error"],
    }


TASKS = (CronTask("maintenance_runs_pruned", prune_maintenance_runs),)
