"""Cron maintenance: bounded cleanup and repair tasks, each run recorded.

Every task works in chunks of `MAINTENANCE_CHUNK_ROWS` rows per statement and stops
when the run's statement or time budget is spent, reporting that work remains; the
next run continues. Every change a task makes is conditional (a DELETE or UPDATE whose
WHERE re-checks the state), so two overlapping runs cannot double-apply anything.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .clock import iso_ms, now_ms
from .config import Config
from .context import RequestContext
from .db import Database
from .http import HttpResponse, json_response
from .logs import emit
from .openapi import PAGE_PARAMETERS, json_content, page_schema
from .pagination import page_request, page_response
from .routing import Route


@dataclass
class Budget:
    """How much one run may do: statements and wall time; rows per statement."""

    chunk_rows: int
    max_statements: int
    deadline: float  # time.monotonic() value
    statements: int = 0

    @classmethod
    def from_config(cls, config: Config) -> Budget:
        return cls(
            chunk_rows=max(1, config.maintenance_chunk_rows),
            max_statements=max(1, config.maintenance_max_statements),
            deadline=time.monotonic() + config.maintenance_time_budget_ms / 1000,
        )

    def spend(self, statements: int = 1) -> bool:
        """Take `statements` (e.g. every statement of one batch) from the budget; False, taking
        nothing, when they do not fit or time is up: the run must stop."""
        if self.statements + statements > self.max_statements or time.monotonic() >= self.deadline:
            return False
        self.statements += statements
        return True


@dataclass
class TaskOutcome:
    count: int = 0
    more: bool = False


Task = Callable[[Database, Config, int, Budget], Awaitable[TaskOutcome]]
"""`task(db, config, now_ms, budget)`: do bounded work, say how much and whether more is due."""


async def repeat_in_chunks(
    budget: Budget, step: Callable[[int], Awaitable[int]], statements_per_step: int = 1
) -> TaskOutcome:
    """Call `step(chunk_rows)`, which handles up to that many rows with at most
    `statements_per_step` D1 statements and returns how many it handled, until a step
    handles less than a full chunk (nothing more is due) or the budget is spent."""
    outcome = TaskOutcome()
    while True:
        if not budget.spend(statements_per_step):
            outcome.more = True
            return outcome
        handled = await step(budget.chunk_rows)
        outcome.count += handled
        if handled < budget.chunk_rows:
            return outcome


async def delete_in_chunks(db: Database, budget: Budget, sql: str, *params: object) -> TaskOutcome:
    """Run a chunked `DELETE … LIMIT ?` (chunk size bound last) until nothing is due or the
    budget is spent. D1's `changes` also counts rows an `ON DELETE CASCADE` removed, so a
    DELETE that cascades should end in `RETURNING <a column>`: the rows it returns are counted."""

    async def delete_chunk(chunk_rows: int) -> int:
        result = await db.execute(sql, *params, chunk_rows)
        return len(result.rows) or result.changes

    return await repeat_in_chunks(budget, delete_chunk)


@dataclass
class RunRecord:
    trigger: str
    started_at: int
    counts: dict[str, int] = field(default_factory=dict)
    more: bool = False
    error: str | None = None


INSERT_RUN_SQL = "INSERT INTO maintenance_runs (trigger, started_at) VALUES (?, ?) RETURNING id"
FINISH_RUN_SQL = "UPDATE maintenance_runs SET finished_at = ?, counts = ?, more = ?, error = ? WHERE id = ?"


async def run_maintenance(
    db: Database, config: Config, trigger: str, now: int, tasks: list[tuple[str, Task]]
) -> RunRecord:
    """Run every task within one budget and record the run. A failing task is recorded
    and the remaining tasks still run."""
    record = RunRecord(trigger=trigger, started_at=now)
    row = await db.first(INSERT_RUN_SQL, trigger, now)
    run_id = row["id"] if row else None
    budget = Budget.from_config(config)
    errors: list[str] = []
    for name, task in tasks:
        try:
            outcome = await task(db, config, now, budget)
        except Exception as exc:  # noqa: BLE001 - one task's failure must not stop the others
            errors.append(f"{name}: {exc}")
            emit("error", "maintenance task failed", task=name, error=str(exc))
            record.more = True
            continue
        record.counts[name] = outcome.count
        record.more = record.more or outcome.more
    record.error = "; ".join(errors) or None
    await db.execute(
        FINISH_RUN_SQL, now_ms(), json.dumps(record.counts), int(record.more), record.error, run_id
    )
    emit(
        "info", "maintenance run", trigger=trigger, counts=record.counts, more=record.more, error=record.error
    )
    return record


LIST_RUNS_SQL = """
SELECT id, trigger, started_at, finished_at, counts, more, error
FROM maintenance_runs
WHERE (?1 IS NULL OR id < ?1)
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


async def list_runs(ctx: RequestContext) -> HttpResponse:
    scope = "maintenance_runs"
    page = page_request(ctx.request.query, scope, ctx.config.api_token, (int,))
    after = page.after[0] if page.after else None
    rows = await ctx.db.all(LIST_RUNS_SQL, after, page.limit + 1)
    return json_response(
        page_response(rows, page, scope, ctx.config.api_token, lambda r: [r["id"]], render_run)
    )


RUN_SCHEMA = {
    "type": "object",
    "required": ["id", "trigger", "started_at", "finished_at", "counts", "more", "error"],
    "properties": {
        "id": {"type": "integer"},
        "trigger": {"type": "string"},
        "started_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "more": {"type": "boolean"},
        "error": {"type": ["string", "null"]},
    },
}

ROUTES = [
    Route(
        "GET",
        "/api/maintenance/runs",
        list_runs,
        {
            "summary": "Maintenance runs, newest first",
            "tags": ["maintenance"],
            "parameters": PAGE_PARAMETERS,
            "responses": {
                "200": {
                    "description": "A page of runs",
                    "content": json_content(page_schema("MaintenanceRun")),
                }
            },
        },
    )
]
SCHEMAS = {"MaintenanceRun": RUN_SCHEMA}
