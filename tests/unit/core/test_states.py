"""The generic state machine on a table of its own (not export jobs): one compare-and-set
UPDATE and its event in one batch, nothing written when the status or holder is wrong, and
refusals that say why."""

from __future__ import annotations

from typing import Any

import pytest

from edgejobs.core import states
from edgejobs.core.db import Database
from edgejobs.core.errors import Conflict, LeaseLost, NotFound
from edgejobs.core.states import BY_ID, BY_IDS, Action, Machine, id_list
from tests.support.fake_d1 import FakeD1

WIDGETS = Machine("widgets", "widget", "widget", ("idle", "running", "broken"), held_in="running")
START = Action(
    "start", ("idle",), ("running",), "started", "status = 'running', runner_id = :runner_id",
    event_data="json_object('runner_id', runner_id)",
)  # fmt: skip
TOUCH = Action("touch", ("running",), ("running",), None, "note = :note", runner_scoped=True)
STOP = Action(
    "stop", ("running",), ("idle",), "stopped", "status = 'idle', runner_id = NULL", runner_scoped=True
)
BREAK = Action(
    "break", ("idle", "running"), ("broken",), "broke", "status = 'broken'", guard="AND note IS NULL"
)
TABLE = """CREATE TABLE widgets (id TEXT PRIMARY KEY, status TEXT NOT NULL, runner_id TEXT, note TEXT,
  updated_at INTEGER NOT NULL, previous_status TEXT, transition_id TEXT)"""


class CountingD1(FakeD1):
    """Counts the calls D1 gets (a batch is one)."""

    calls = 0

    async def batch(self, statements: list[Any]) -> list[dict[str, Any]]:
        self.calls += 1
        return await super().batch(statements)


@pytest.fixture
def db() -> Database:
    fake = CountingD1()
    FakeD1.migrated().conn.backup(fake.conn)  # job_events, as migrated
    fake.conn.execute(TABLE)
    for widget_id in ("w1", "w2", "w3"):
        fake.conn.execute("INSERT INTO widgets (id, status, updated_at) VALUES (?, 'idle', 0)", (widget_id,))
    return Database(fake)


def rows(db: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in db.binding.conn.execute(sql, params).fetchall()]


def events(db: Database) -> list[tuple[Any, ...]]:
    return rows(
        db, "SELECT job_id, event, from_status, to_status, data, at FROM job_events WHERE job_kind = 'widget'"
    )


async def test_an_action_is_one_batch_writing_the_change_and_its_event(db: Database) -> None:
    changed = await states.apply(db, WIDGETS, START, BY_ID, {"id": "w1", "runner_id": "r1", "now": 5})
    assert [(r["id"], r["status"], r["previous_status"], r["runner_id"]) for r in changed] == [
        ("w1", "running", "idle", "r1")
    ]
    assert db.binding.calls == 1
    assert events(db) == [("w1", "started", "idle", "running", '{"runner_id":"r1"}', 5)]


async def test_from_a_status_the_action_does_not_apply_to_nothing_is_written(db: Database) -> None:
    before = rows(db, "SELECT * FROM widgets ORDER BY id")
    assert await states.apply(db, WIDGETS, STOP, BY_ID, {"id": "w1", "runner_id": "r1", "now": 5}) == []
    assert await states.apply(db, WIDGETS, START, BY_ID, {"id": "nope", "runner_id": "r1", "now": 5}) == []
    assert rows(db, "SELECT * FROM widgets ORDER BY id") == before and events(db) == []


async def test_of_two_racing_starts_one_wins(db: Database) -> None:
    first = await states.apply(db, WIDGETS, START, BY_ID, {"id": "w1", "runner_id": "r1", "now": 5})
    second = await states.apply(db, WIDGETS, START, BY_ID, {"id": "w1", "runner_id": "r2", "now": 6})
    assert len(first) == 1 and second == []
    assert rows(db, "SELECT runner_id FROM widgets WHERE id = 'w1'") == [("r1",)]
    assert len(events(db)) == 1


async def test_a_runner_scoped_action_needs_the_holder(db: Database) -> None:
    await states.apply(db, WIDGETS, START, BY_ID, {"id": "w1", "runner_id": "r1", "now": 5})
    assert await states.apply(db, WIDGETS, STOP, BY_ID, {"id": "w1", "runner_id": "r2", "now": 6}) == []
    touched = await states.apply(
        db, WIDGETS, TOUCH, BY_ID, {"id": "w1", "runner_id": "r1", "note": "x", "now": 7}
    )
    assert [(r["status"], r["note"]) for r in touched] == [("running", "x")]
    assert [e[1] for e in events(db)] == ["started"]  # an action without an event records none
    stopped = await states.apply(db, WIDGETS, STOP, BY_ID, {"id": "w1", "runner_id": "r1", "now": 8})
    assert [r["status"] for r in stopped] == ["idle"]
    assert [e[1:4] for e in events(db)] == [("started", "idle", "running"), ("stopped", "running", "idle")]


async def test_an_action_on_several_rows_records_one_event_each(db: Database) -> None:
    await states.apply(db, WIDGETS, START, BY_ID, {"id": "w2", "runner_id": "r1", "now": 5})
    await states.apply(db, WIDGETS, TOUCH, BY_ID, {"id": "w2", "runner_id": "r1", "note": "x", "now": 6})
    changed = await states.apply(
        db, WIDGETS, BREAK, BY_IDS, {**id_list(["w1", "w2", "w3", "nope"]), "now": 9}
    )
    assert sorted(r["id"] for r in changed) == ["w1", "w3"]  # w2's guard (a note) keeps it
    assert sorted(e[0] for e in events(db) if e[1] == "broke") == ["w1", "w3"]


def test_an_action_without_an_event_is_one_statement() -> None:
    values = {"id": "w1", "runner_id": "r1", "note": "x", "now": 1}
    assert len(states.transition_statements(WIDGETS, TOUCH, BY_ID, values)) == 1
    assert len(states.transition_statements(WIDGETS, START, BY_ID, values)) == 2


def test_refusals_say_why() -> None:
    assert isinstance(states.refusal(WIDGETS, START, None, "w9", None), NotFound)
    raced = states.refusal(WIDGETS, START, {"status": "idle", "runner_id": None}, "w1", None)
    assert isinstance(raced, Conflict) and "changed while this request ran" in raced.message
    lost = states.refusal(WIDGETS, STOP, {"status": "running", "runner_id": "r2"}, "w1", "r1")
    assert (
        isinstance(lost, LeaseLost)
        and "by runner 'r2'" in lost.message
        and lost.details == {"status": "running"}
    )
    wrong = states.refusal(WIDGETS, START, {"status": "broken", "runner_id": None}, "w1", None)
    assert type(wrong) is Conflict and wrong.details == {"status": "broken", "allowed_from": ["idle"]}
    assert "Cannot start widget w1: it is broken" in wrong.message
