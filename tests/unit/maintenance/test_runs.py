from typing import Any

import pytest

from edgejobs.core.chunks import Budget, CronTask, TaskOutcome, repeat_in_chunks
from edgejobs.core.config import Config
from edgejobs.core.db import Database
from edgejobs.core.outbound import Outbound
from edgejobs.maintenance.runs import run_maintenance
from tests.support.fake_d1 import FakeD1


@pytest.fixture
def db() -> Database:
    return Database(FakeD1.migrated())


def backlog_task(rows: int, per_step: int = 1) -> Any:
    """A task with `rows` rows due, handled in chunks."""
    state = {"left": rows}

    async def task(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
        async def step(chunk: int) -> int:
            handled = min(chunk, state["left"])
            state["left"] -= handled
            return handled

        return await repeat_in_chunks(budget, step, statements_per_step=per_step)

    task.state = state  # type: ignore[attr-defined]
    return task


def config(**overrides: int) -> Config:
    return Config(maintenance_chunk_rows=10, maintenance_max_statements=8, **overrides)


async def test_a_backlog_does_not_starve_the_other_tasks(db: Database) -> None:
    big, small = backlog_task(10_000), backlog_task(5, per_step=3)
    record = await run_maintenance(db, config(), "cron", 0, [CronTask("big", big), CronTask("small", small)])
    assert record.counts["small"] == 5 and small.state["left"] == 0
    assert 0 < record.counts["big"] <= 10 * 8
    assert record.more is True


async def test_leftover_budget_goes_to_tasks_with_work(db: Database) -> None:
    big, idle = backlog_task(10_000), backlog_task(0)
    record = await run_maintenance(db, config(), "cron", 0, [CronTask("idle", idle), CronTask("big", big)])
    # idle took one statement to find nothing; big got all the rest, 10 rows each.
    assert record.counts == {"idle": 0, "big": 70}


async def test_a_run_reports_no_more_work_when_done_and_is_recorded(db: Database) -> None:
    task = backlog_task(25)
    record = await run_maintenance(db, config(), "*/5 * * * *", 123, [CronTask("t", task)])
    assert record.counts == {"t": 25} and record.more is False
    row = await db.first("SELECT trigger, started_at, finished_at, more, error FROM maintenance_runs")
    assert row is not None
    assert row["trigger"] == "*/5 * * * *" and row["started_at"] == 123 and row["finished_at"]
    assert row["more"] == 0 and row["error"] is None


async def test_a_failing_task_is_recorded_and_the_others_run(db: Database) -> None:
    async def broken(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
        raise RuntimeError("boom")

    task = backlog_task(3)
    record = await run_maintenance(db, config(), "cron", 0, [CronTask("broken", broken), CronTask("t", task)])
    assert record.counts["t"] == 3
    assert record.error == "broken: boom" and record.more is True


async def test_the_runs_outbound_reaches_every_task(db: Database) -> None:
    async def never(*args: object) -> tuple[int, dict[str, str], bytes]:  # pragma: no cover
        raise AssertionError("nothing is sent")

    seen: list[object] = []

    async def task(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
        seen.append(budget.outbound)
        return TaskOutcome()

    outbound = Outbound(never, log=None)
    await run_maintenance(db, config(), "test", 0, [CronTask("a", task), CronTask("b", task)], outbound)
    await run_maintenance(db, config(), "test", 0, [CronTask("c", task)])
    assert seen == [outbound, outbound, None]
