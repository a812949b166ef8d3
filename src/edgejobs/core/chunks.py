"""The bounded chunk budget of cron tasks.

A task works in chunks of `chunk_rows` rows per statement and stops when the run's statement
or time budget is spent, reporting that work remains; the next run continues. Every change a
task makes is conditional (a DELETE or UPDATE whose WHERE re-checks the state), so two
overlapping runs cannot double-apply anything.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from .config import Config
from .db import Database
from .outbound import Outbound


class Budget:
    """How much one run may do: statements and wall time; rows per statement; and, when the
    run may call other services, its one `Outbound` (its request budget, shared by every task)."""

    __slots__ = ("chunk_rows", "deadline", "max_statements", "outbound", "statements")

    def __init__(
        self, chunk_rows: int, max_statements: int, deadline: float, outbound: Outbound | None = None
    ) -> None:
        self.chunk_rows = chunk_rows
        self.max_statements = max_statements
        self.deadline = deadline  # time.monotonic() value
        self.statements = 0  # spent so far
        self.outbound = outbound  # None: this run makes no outbound requests

    @classmethod
    def lasting(
        cls, chunk_rows: int, max_statements: int, milliseconds: int, outbound: Outbound | None = None
    ) -> Budget:
        """A budget of `max_statements` (at least 1) over the next `milliseconds`."""
        deadline = time.monotonic() + milliseconds / 1000
        return cls(max(1, chunk_rows), max(1, max_statements), deadline, outbound)

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
        return Budget(self.chunk_rows, min(statements, self.remaining), self.deadline, self.outbound)

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


class CronTask(NamedTuple):
    """A task a capability runs on every cron tick: its name in the run's counts, the task, and
    whether it repairs live work (repairs run before cleanup)."""

    name: str
    run: Task
    repairs: bool = False


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
