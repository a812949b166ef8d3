"""Queue features of the export state machine against SQLite (the real migrations and SQL):
fencing per claim, claim order (priority, available_at, id) for every claim shape, batch claims,
paused types, per-job retry policy, results and cancel reasons."""

from __future__ import annotations

import itertools
import json

import pytest

from edgejobs.core import states
from edgejobs.core.db import Database
from edgejobs.core.errors import LeaseLost
from edgejobs.core.ids import uuid7
from edgejobs.exports import machine
from edgejobs.exports.claims import claim_jobs
from edgejobs.exports.machine import ACTIONS, PENDING, PROCESSING
from tests.support.export_machine import NOW, SECOND, act, events, job, plant
from tests.support.fake_d1 import FakeD1


@pytest.fixture
def db() -> Database:
    return Database(FakeD1.migrated())


@pytest.mark.parametrize("name", ["heartbeat", "complete", "fail"])
async def test_runner_actions_need_the_lease_of_the_claim(db: Database, name: str) -> None:
    """Fencing: the same runner id with another lease (an earlier claim), or with none, is refused
    and changes nothing; a job without a lease (claimed before leases existed) takes a call
    without one."""
    leased = plant(db, PROCESSING, lease_id="lease-2")
    before = job(db, leased)
    for lease_id in ("lease-1", None):
        assert await act(db, name, leased, lease_id=lease_id) == []
        refused = states.refusal(
            machine.EXPORT_JOBS, ACTIONS[name], job(db, leased), leased, "runner-1", lease_id
        )
        assert isinstance(refused, LeaseLost) and "lease" in refused.message
    assert job(db, leased) == before and events(db, leased) == []
    assert len(await act(db, name, leased, lease_id="lease-2")) == 1

    unleased = plant(db, PROCESSING)
    assert await act(db, name, unleased, lease_id="lease-2") == []
    assert len(await act(db, name, unleased, lease_id=None)) == 1


async def test_each_claim_is_a_fresh_lease_and_a_retry_clears_it(db: Database) -> None:
    job_id = plant(db, PENDING)
    [first] = await act(db, "claim", job_id, lease_token="a" * 32)
    assert first["lease_id"] == "a" * 32 + job_id.replace("-", "")
    [event] = events(db, job_id)
    assert json.loads(event["data"])["lease_id"] == first["lease_id"]
    await act(db, "cancel", job_id)
    [retried] = await act(db, "retry", job_id)
    assert retried["lease_id"] is None
    [second] = await act(db, "claim", job_id, lease_token="b" * 32)
    assert second["lease_id"] != first["lease_id"]


_ARRIVALS = itertools.count(1)


def pending(db: Database, type: str = "framing", priority: int = 0, at: int = NOW - 60 * SECOND) -> str:
    """A pending job claimable from `at`, with an id newer than every earlier one (arrival)."""
    job_id = uuid7(NOW - 3600 * SECOND + next(_ARRIVALS))
    return plant(db, PENDING, id=job_id, type=type, priority=priority, available_at=at)


TYPES = ("annotate", "framing", "overlay")


async def claim(db: Database, types: tuple[str, ...] | None = None, max_jobs: int = 1) -> list[str]:
    values = {"runner_id": "runner-1", "lease_seconds": 60, "max_jobs": max_jobs, "now": NOW,
              "lease_token": "f" * 32}  # fmt: skip
    return [row["id"] for row in await claim_jobs(db, types, TYPES, values)]


@pytest.mark.parametrize("types", [None, ("overlay",), ("annotate", "overlay"), TYPES])
async def test_ties_on_available_at_go_by_arrival_for_every_claim_shape(
    db: Database, types: tuple[str, ...] | None
) -> None:
    """Equal available_at: the oldest id first, whatever its type (a claim of several types took
    jobs by type name)."""
    kinds = ["overlay", "annotate", "overlay", "annotate", "overlay"]
    made = [pending(db, kind) for kind in kinds]
    expected = [job_id for job_id, kind in zip(made, kinds, strict=True) if types is None or kind in types]
    taken = [job_id for _ in made for job_id in await claim(db, types)]
    assert taken == expected


@pytest.mark.parametrize("types", [None, ("annotate", "framing", "overlay")])
async def test_claims_take_the_highest_priority_then_the_oldest_due(
    db: Database, types: tuple[str, ...] | None
) -> None:
    low_old = pending(db, "framing", priority=0, at=NOW - 600 * SECOND)
    high_new = pending(db, "overlay", priority=5, at=NOW - 10 * SECOND)
    high_old = pending(db, "annotate", priority=5, at=NOW - 20 * SECOND)
    negative = pending(db, "overlay", priority=-3, at=NOW - 900 * SECOND)
    not_due = pending(db, "framing", priority=9, at=NOW + 60 * SECOND)
    assert await claim(db, types, max_jobs=10) == [high_old, high_new, low_old, negative]
    assert job(db, not_due)["status"] == PENDING


async def test_a_batch_claim_is_one_statement_and_each_job_has_its_own_lease(db: Database) -> None:
    made = [pending(db) for _ in range(4)]
    taken = await claim(db, max_jobs=3)
    assert taken == made[:3]
    leases = {job(db, job_id)["lease_id"] for job_id in taken}
    assert len(leases) == 3 and None not in leases
    for job_id in taken:
        [event] = events(db, job_id)
        assert json.loads(event["data"])["lease_id"] == job(db, job_id)["lease_id"]
    assert await claim(db, max_jobs=10) == made[3:]
    assert await claim(db, max_jobs=10) == []


def pause(db: Database, job_type: str) -> None:
    for row in (job_type, "*"):  # the type, and the mark that some type is paused (queues.py)
        db.binding.conn.execute(
            "INSERT OR IGNORE INTO export_queue_pauses (type, paused_at) VALUES (?, ?)", [row, NOW]
        )


@pytest.mark.parametrize("types", [None, ("framing",), ("framing", "overlay")])
async def test_a_paused_type_is_never_claimed(db: Database, types: tuple[str, ...] | None) -> None:
    paused = [pending(db, "framing", priority=9) for _ in range(3)]
    others = [pending(db, "overlay") for _ in range(2)]
    pause(db, "framing")
    taken = await claim(db, types, max_jobs=10)
    assert taken == ([] if types == ("framing",) else others)
    assert {job(db, job_id)["status"] for job_id in paused} == {PENDING}
    db.binding.conn.execute("DELETE FROM export_queue_pauses")
    assert await claim(db, types, max_jobs=10) == paused


async def test_a_job_retry_policy_overrides_the_vars(db: Database) -> None:
    own = plant(db, PROCESSING, retry_base_seconds=2, retry_cap_seconds=5, retry_count=2)
    default = plant(db, PROCESSING, retry_count=2)
    [row] = await act(db, "fail", own)
    assert row["available_at"] == NOW + 5 * SECOND  # 2 · 2² = 8, capped at 5
    [row] = await act(db, "fail", default)
    assert row["available_at"] == NOW + 120 * SECOND  # the vars: 30 · 2²


async def test_complete_keeps_the_result_and_cancel_its_reason(db: Database) -> None:
    done = plant(db, PROCESSING)
    [row] = await act(db, "complete", done, result='{"frames":3}')
    assert row["result"] == '{"frames":3}'
    assert json.loads(events(db, done)[-1]["data"])["result"] == {"frames": 3}

    cancelled = plant(db, PROCESSING)
    [row] = await act(db, "cancel", cancelled, reason="duplicate upload")
    assert row["cancel_reason"] == "duplicate upload"
    assert json.loads(events(db, cancelled)[-1]["data"]) == {"reason": "duplicate upload"}
    refused = states.refusal(machine.EXPORT_JOBS, ACTIONS["heartbeat"], row, cancelled, "runner-1", None)
    assert isinstance(refused, LeaseLost) and "cancelled" in refused.message
    [row] = await act(db, "retry", cancelled)
    assert (row["cancel_reason"], row["result"]) == (None, None)
    without = plant(db, PENDING)
    await act(db, "cancel", without)
    assert events(db, without)[-1]["data"] is None
