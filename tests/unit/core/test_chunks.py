"""The bounded chunk budget of cron tasks: statements and time per run, rows per statement."""

from __future__ import annotations

import time

import pytest

from edgejobs.core.chunks import Budget, delete_due_in_chunks, delete_in_chunks, repeat_in_chunks
from edgejobs.core.db import Database
from edgejobs.core.outbound import Outbound
from tests.support.fake_d1 import FakeD1


def test_budget_stops_at_its_statement_cap_but_allows_one_first_step() -> None:
    budget = Budget(chunk_rows=10, max_statements=2, deadline=float("inf"))
    assert budget.spend(3)  # the first step always fits
    assert not budget.spend(1)
    empty = budget.share(5)
    assert empty.max_statements == 0 and not empty.spend(1)


def test_a_share_is_at_most_what_is_left_and_is_settled_back() -> None:
    budget = Budget(chunk_rows=10, max_statements=5, deadline=float("inf"))
    budget.spend(2)
    share = budget.share(10)
    assert (share.max_statements, share.chunk_rows, share.deadline) == (3, 10, float("inf"))
    share.spend(2)
    budget.settle(share)
    assert (budget.statements, budget.remaining) == (4, 1)


def test_a_budget_past_its_deadline_spends_nothing() -> None:
    assert not Budget(chunk_rows=10, max_statements=5, deadline=time.monotonic() - 1).spend()
    assert Budget.lasting(chunk_rows=0, max_statements=0, milliseconds=60_000).spend()  # at least 1 of each


@pytest.mark.parametrize(
    ("due", "max_statements", "count", "more", "steps"),
    [
        (0, 8, 0, False, 1),  # one step finds nothing
        (25, 8, 25, False, 3),  # 10 + 10 + 5: a short chunk means nothing more is due
        (30, 8, 30, False, 4),  # a full last chunk needs one more (empty) step to know
        (1000, 3, 30, True, 3),  # the budget ends it, with work left
    ],
)
async def test_repeat_in_chunks(due: int, max_statements: int, count: int, more: bool, steps: int) -> None:
    left, calls = [due], []

    async def step(chunk: int) -> int:
        calls.append(chunk)
        handled = min(chunk, left[0])
        left[0] -= handled
        return handled

    outcome = await repeat_in_chunks(Budget(10, max_statements, float("inf")), step)
    assert (outcome.count, outcome.more, len(calls)) == (count, more, steps)
    assert set(calls) <= {10}


@pytest.fixture
def db() -> Database:
    database = Database(FakeD1())
    database.binding.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, due INTEGER NOT NULL)")
    database.binding.conn.executemany("INSERT INTO t (due) VALUES (?)", [(n % 2,) for n in range(25)])
    return database


DELETE_DUE = "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE due = ?1 LIMIT ?2) RETURNING id"
PROBE_DUE = "SELECT 1 FROM t WHERE due = ?1 LIMIT 1"


async def test_delete_in_chunks_counts_the_rows_it_deleted(db: Database) -> None:
    outcome = await delete_in_chunks(db, Budget(5, 8, float("inf")), DELETE_DUE, 1)
    assert (outcome.count, outcome.more) == (12, False)
    assert db.binding.conn.execute("SELECT count(*) FROM t").fetchone()[0] == 13


async def test_delete_due_in_chunks_probes_first_when_there_is_room(db: Database) -> None:
    nothing = Budget(5, 8, float("inf"))
    assert (await delete_due_in_chunks(db, nothing, PROBE_DUE, DELETE_DUE, 7)).count == 0
    assert (db.stats.queries, nothing.statements) == (1, 1)  # the probe alone
    some = Budget(5, 8, float("inf"))
    assert (await delete_due_in_chunks(db, some, PROBE_DUE, DELETE_DUE, 0)).count == 13
    no_room = Budget(5, 1, float("inf"))
    await delete_due_in_chunks(db, no_room, PROBE_DUE, DELETE_DUE, 1)
    assert no_room.statements == 1  # straight to a chunk: no room for a probe besides


def test_a_run_hands_its_one_outbound_to_every_share() -> None:
    async def never(*args: object) -> tuple[int, dict[str, str], bytes]:  # pragma: no cover
        raise AssertionError("nothing is sent")

    outbound = Outbound(never, log=None)
    budget = Budget.lasting(chunk_rows=10, max_statements=5, milliseconds=60_000, outbound=outbound)
    assert budget.share(2).outbound is outbound and budget.share(2).share(1).outbound is outbound
    assert Budget(10, 5, float("inf")).outbound is None  # a run that calls no service
