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
from typing import Any

from .clock import iso_ms, now_ms
from .config import Config
from .context import RequestContext
from .db import MAX_SAFE_INTEGER, Database
from .http import HttpResponse, json_response
from .logs import emit
from .openapi import PAGE_PARAMETERS, json_content, page_schema, ref
from .pagination import page_request, page_response, page_rows
from .routing import Route


class Budget:
    """How much one run may do: statements and wall time; rows per statement."""

    __slots__ = ("chunk_rows", "deadline", "max_statements", "statements")

    def __init__(self, chunk_rows: int, max_statements: int, deadline: float) -> None:
        self.chunk_rows = chunk_rows
        self.max_statements = max_statements
        self.deadline = deadline  # time.monotonic() value
        self.statements = 0  # spent so far

    @classmethod
    def from_config(cls, config: Config) -> Budget:
        return cls(
            chunk_rows=max(1, config.maintenance_chunk_rows),
            max_statements=max(1, config.maintenance_max_statements),
            deadline=time.monotonic() + config.maintenance_time_budget_ms / 1000,
        )

    def spend(self, statements: int = 1) -> bool:
        """Take `statements` (e.g. every statement of one batch) from the budget; False, taking
        nothing, when they do not fit or time is up: the run must stop. A budget that has
        statements at all always allows its first step, so a step larger than a small share
        still makes progress (overshooting by less than one step)."""
        if self.max_statements <= 0 or time.monotonic() >= self.deadline:
            return False
        if self.statements and self.statements + statements > self.max_statements:
            return False
        self.statements += statements
        return True

    @property
    def remaining(self) -> int:
        return max(0, self.max_statements - self.statements)

    def share(self, statements: int) -> Budget:
        """A sub-budget of at most `statements` of what is left (same chunk size and deadline);
        hand it back with `settle`."""
        return Budget(self.chunk_rows, min(statements, self.remaining), self.deadline)

    def settle(self, share: Budget) -> None:
        self.statements += share.statements


class TaskOutcome:
    """What one task did in a run: rows affected, and whether work is left."""

    __slots__ = ("count", "more")

    def __init__(self, count: int = 0, more: bool = False) -> None:
        self.count = count
        self.more = more


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


async def delete_due_in_chunks(
    db: Database, budget: Budget, probe_sql: str, sql: str, *params: object
) -> TaskOutcome:
    """`delete_in_chunks`, after a probe (`probe_sql` with `params`: a row if anything is due)
    when the share has room for a chunk besides. Most runs find nothing due, and a chunked
    DELETE reads more rows to find that out than a probe of the first due row does."""
    if budget.remaining >= 2:
        budget.spend()
        if await db.first(probe_sql, *params) is None:
            return TaskOutcome()
    return await delete_in_chunks(db, budget, sql, *params)


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
    db: Database, config: Config, trigger: str, now: int, tasks: list[tuple[str, Task]]
) -> RunRecord:
    """Run every task within one budget and record the run.

    Two passes: first every task gets an equal share of the statement budget, so a large
    backlog in one task (100k expired VEO jobs) cannot starve the others (a stuck lease
    waiting for recovery); then what is left goes, in order, to tasks that still have work.
    A failing task is recorded and the others still run; the next run continues."""
    record = RunRecord(trigger=trigger, started_at=now)
    row = await db.first(INSERT_RUN_SQL, trigger, now)
    record.id = row["id"] if row else None
    budget = Budget.from_config(config)
    errors: dict[str, str] = {}
    pending = list(tasks)
    for share in (max(1, budget.max_statements // max(1, len(tasks))), None):
        still_due: list[tuple[str, Task]] = []
        for name, task in pending:
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
                still_due.append((name, task))
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


async def list_runs(ctx: RequestContext) -> HttpResponse:
    scope = "maintenance_runs"
    page = page_request(ctx.request.query, scope, ctx.config.api_token, (int,))
    after = page.after[0] if page.after else MAX_SAFE_INTEGER
    rows = await ctx.db.all(LIST_RUNS_SQL, after, page.limit + 1)
    items, next_cursor = page_rows(rows, page, scope, ctx.config.api_token, lambda r: [r["id"]])
    return json_response(page_response(items, next_cursor, render_run))


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


def run_now_route(tasks: list[tuple[str, Task]]) -> Route:
    """`POST /api/maintenance/runs`: one bounded run now, recorded with trigger `manual`."""

    async def run_maintenance_now(ctx: RequestContext) -> HttpResponse:
        await ctx.json_object(allowed=(), required=False)  # no parameters; `{}` or no body
        record = await run_maintenance(ctx.db, ctx.config, "manual", ctx.now, tasks)
        return json_response(render_run(record.as_row()), 201)

    return Route(
        "POST",
        "/api/maintenance/runs",
        run_maintenance_now,
        {
            "summary": "Run maintenance now (bounded like a cron run)",
            "tags": ["maintenance"],
            "requestBody": {
                "required": False,
                "content": json_content({"type": "object", "additionalProperties": False}),
            },
            "responses": {
                "201": {"description": "The finished run", "content": json_content(ref("MaintenanceRun"))}
            },
        },
    )


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
