"""The export job state machine against SQLite (the real migration and the real SQL): every
(status, action) pair, the retry rule and backoff, lost races, and the cron tasks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from edgejobs.core import states
from edgejobs.core.config import Config
from edgejobs.core.db import Database
from edgejobs.core.errors import Conflict, LeaseLost, NotFound
from edgejobs.core.ids import uuid7
from edgejobs.exports import machine
from edgejobs.exports import tasks as export_tasks
from edgejobs.exports.machine import ACTIONS, CANCELLED, COMPLETE, ERROR, PENDING, PROCESSING, STATUSES
from edgejobs.maintenance.runs import Budget
from tests.support.export_machine import CONFIG, NOW, SECOND, act, events, job, plant
from tests.support.fake_d1 import FakeD1

# What the README promises of the state machine, written out independently of the code.
EXPECTED = {
    # action: (from statuses, to statuses, event, runner-scoped)
    "claim": ({PENDING}, {PROCESSING}, "claimed", False),
    "heartbeat": ({PROCESSING}, {PROCESSING}, None, True),
    "complete": ({PROCESSING}, {COMPLETE}, "completed", True),
    "fail": ({PROCESSING}, {PENDING, ERROR}, "failed", True),
    "expire_lease": ({PROCESSING}, {PENDING, ERROR}, "lease_expired", False),
    "retry": ({ERROR, CANCELLED}, {PENDING}, "retried", False),
    "cancel": ({PENDING, PROCESSING}, {CANCELLED}, "cancelled", False),
    "expire": ({PENDING}, {ERROR}, "expired", False),
}


@pytest.fixture
def db() -> Database:
    return Database(FakeD1.migrated())


def test_the_table_is_the_specified_state_machine() -> None:
    actual = {name: (set(a.sources), set(a.targets), a.event, a.runner_scoped) for name, a in ACTIONS.items()}
    assert actual == EXPECTED


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("name", sorted(ACTIONS))
async def test_every_status_action_pair(db: Database, status: str, name: str) -> None:
    sources, targets, event, _ = EXPECTED[name]
    job_id = plant(db, status)
    before = job(db, job_id)

    changed = await act(db, name, job_id)

    if status in sources:
        assert [row["id"] for row in changed] == [job_id]
        after = job(db, job_id)
        assert after["status"] in targets
        assert after["updated_at"] == NOW
        expected_events = [] if event is None else [(event, status, after["status"])]
        assert [(e["event"], e["from_status"], e["to_status"]) for e in events(db, job_id)] == expected_events
    else:
        assert changed == []
        assert job(db, job_id) == before
        assert events(db, job_id) == []


async def test_a_lost_race_writes_nothing(db: Database) -> None:
    job_id = plant(db, PENDING)
    assert await act(db, "cancel", job_id)
    after_first = job(db, job_id)
    # The second cancel's UPDATE matches nothing; its event INSERT runs anyway (D1 does not stop
    # a batch) but finds no row carrying its own token.
    assert await act(db, "cancel", job_id) == []
    assert job(db, job_id) == after_first
    assert [e["event"] for e in events(db, job_id)] == ["cancelled"]


@pytest.mark.parametrize("name", ["heartbeat", "complete", "fail"])
async def test_runner_actions_need_the_runner_holding_the_job(db: Database, name: str) -> None:
    job_id = plant(db, PROCESSING)
    before = job(db, job_id)
    assert await act(db, name, job_id, runner_id="runner-2") == []
    assert job(db, job_id) == before
    assert events(db, job_id) == []


@pytest.mark.parametrize(
    ("retry_count", "delay_seconds"),
    [(0, 30), (1, 60), (2, 120), (3, 240), (5, 960), (6, 1920), (7, 3600), (9, 3600)],
)
async def test_fail_backs_off_exponentially_up_to_the_cap(
    db: Database, retry_count: int, delay_seconds: int
) -> None:
    job_id = plant(db, PROCESSING, retry_count=retry_count, max_retries=10)
    [row] = await act(db, "fail", job_id)
    assert row["status"] == PENDING
    assert row["retry_count"] == retry_count + 1
    assert row["available_at"] == NOW + delay_seconds * SECOND
    # Back in the queue: no runner, no lease, progress starts over.
    assert (row["runner_id"], row["lease_expires_at"], row["lease_seconds"], row["progress"]) == (
        None,
        None,
        None,
        0,
    )
    assert row["error"] == "boom"


async def test_backoff_vars_are_honoured(db: Database) -> None:
    settings = machine.retry_settings(Config(export_retry_base_seconds=5, export_retry_cap_seconds=12))
    job_id = plant(db, PROCESSING, retry_count=2)
    [row] = await act(db, "fail", job_id, **settings)
    assert row["available_at"] == NOW + 12 * SECOND  # 5 · 2² = 20, capped at 12


async def test_fail_at_the_retry_limit_or_not_retryable_is_error(db: Database) -> None:
    at_limit = plant(db, PROCESSING, retry_count=3, max_retries=3)
    [row] = await act(db, "fail", at_limit)
    assert (row["status"], row["retry_count"], row["completed_at"]) == (ERROR, 3, NOW)
    assert row["runner_id"] == "runner-1"  # a finished job keeps who ran it last

    not_retryable = plant(db, PROCESSING)
    [row] = await act(db, "fail", not_retryable, retryable=0)
    assert (row["status"], row["retry_count"]) == (ERROR, 0)
    [event] = events(db, not_retryable)
    assert json.loads(event["data"]) == {
        "error": "boom",
        "retry_count": 0,
        "retry_at": None,
        "runner_id": "runner-1",
        "lease_id": None,
        "retryable": False,
    }


async def test_heartbeat_extends_the_lease_and_never_lowers_progress(db: Database) -> None:
    job_id = plant(db, PROCESSING, progress=50)
    [row] = await act(db, "heartbeat", job_id, progress=30, runpod_job_id=None)
    assert row["progress"] == 50
    assert row["runpod_job_id"] is None
    assert row["lease_expires_at"] == NOW + 60 * SECOND
    [row] = await act(db, "heartbeat", job_id, progress=70)
    assert (row["progress"], row["runpod_job_id"]) == (70, "rp-1")


async def test_claim_takes_the_oldest_due_job_of_the_requested_types(db: Database) -> None:
    later = plant(db, PENDING, available_at=NOW - SECOND)
    oldest = plant(db, PENDING, available_at=NOW - 30 * SECOND, type="overlay")
    plant(db, PENDING, available_at=NOW + SECOND)  # not due yet
    [row] = await act(db, "claim", "", types=json.dumps(["framing"]))
    assert row["id"] == later
    [row] = await act(db, "claim", "", runner_id="runner-2")
    assert row["id"] == oldest
    assert (row["runner_id"], row["lease_expires_at"], row["started_at"]) == ("runner-2", NOW + 60_000, NOW)
    assert await act(db, "claim", "") == []
    assert [e["event"] for e in events(db, oldest)] == ["claimed"]


async def test_manual_retry_starts_over(db: Database) -> None:
    job_id = plant(db, ERROR, retry_count=3, error="boom", runner_id="r", output_video_key="x")
    [row] = await act(db, "retry", job_id)
    assert row["status"] == PENDING
    assert (row["retry_count"], row["error"], row["runner_id"], row["available_at"]) == (0, None, None, NOW)
    assert (row["output_video_key"], row["completed_at"], row["started_at"]) == (None, None, None)


@pytest.mark.parametrize(
    ("job_row", "runner_id", "error", "code"),
    [
        (None, "r", NotFound, "not_found"),
        ({"status": PENDING, "runner_id": None}, "r", LeaseLost, "lease_lost"),
        ({"status": PROCESSING, "runner_id": "other"}, "r", LeaseLost, "lease_lost"),
        ({"status": CANCELLED, "runner_id": "r"}, "r", LeaseLost, "lease_lost"),
    ],
)
def test_refusal_of_runner_actions(
    job_row: dict[str, Any] | None, runner_id: str, error: type, code: str
) -> None:
    refused = states.refusal(machine.EXPORT_JOBS, machine.COMPLETE_ACTION, job_row, "j", runner_id)
    assert isinstance(refused, error)
    assert refused.code == code


def test_refusal_of_illegal_transitions_names_the_status() -> None:
    refused = states.refusal(
        machine.EXPORT_JOBS, machine.CANCEL, {"status": COMPLETE, "runner_id": None}, "j", None
    )
    assert isinstance(refused, Conflict) and refused.code == "conflict"
    assert "complete" in refused.message
    assert refused.details == {"status": COMPLETE, "allowed_from": [PENDING, PROCESSING]}


# --- cron tasks -------------------------------------------------------------------------------------
def budget(statements: int = 40, chunk_rows: int = 500) -> Budget:
    return Budget(chunk_rows=chunk_rows, max_statements=statements, deadline=float("inf"))


async def test_lease_recovery_fails_expired_jobs_by_the_retry_rule(db: Database) -> None:
    expired = plant(db, PROCESSING, lease_expires_at=NOW - 1)
    at_limit = plant(db, PROCESSING, lease_expires_at=NOW - 1, retry_count=3)
    alive = plant(db, PROCESSING, lease_expires_at=NOW + 1)
    outcome = await export_tasks.recover_expired_leases(db, CONFIG, NOW, budget())
    assert (outcome.count, outcome.more) == (2, False)
    assert (job(db, expired)["status"], job(db, expired)["available_at"]) == (PENDING, NOW + 30 * SECOND)
    assert (job(db, at_limit)["status"], job(db, at_limit)["error"]) == (ERROR, "lease_expired")
    assert job(db, alive)["status"] == PROCESSING
    assert [(e["event"], e["to_status"]) for e in events(db, at_limit)] == [("lease_expired", ERROR)]
    # An overlapping (or the next) run finds nothing more to do.
    assert (await export_tasks.recover_expired_leases(db, CONFIG, NOW, budget())).count == 0
    assert len(events(db, expired)) == 1


async def test_tasks_stop_at_the_budget_and_say_more_is_due(db: Database) -> None:
    for _ in range(3):
        plant(db, PROCESSING, lease_expires_at=NOW - 1)
    outcome = await export_tasks.recover_expired_leases(db, CONFIG, NOW, budget(statements=3, chunk_rows=2))
    assert (outcome.count, outcome.more) == (2, True)
    outcome = await export_tasks.recover_expired_leases(db, CONFIG, NOW, budget(chunk_rows=2))
    assert (outcome.count, outcome.more) == (1, False)


async def test_purge_deletes_old_finished_jobs_with_their_events(db: Database) -> None:
    retention = CONFIG.export_retention_seconds * SECOND
    old = plant(db, CANCELLED, completed_at=NOW - retention - 1)
    recent = plant(db, COMPLETE, completed_at=NOW - retention + 1)
    waiting = plant(db, PENDING, created_at=NOW - retention - 1)
    for job_id in (old, recent, waiting):
        db.binding.conn.execute(
            "INSERT INTO job_events (job_kind, job_id, event, to_status, at)"
            " VALUES ('export', ?, 'created', 'pending', 0)",
            [job_id],
        )
    outcome = await export_tasks.purge_finished_export_jobs(db, CONFIG, NOW, budget())
    assert outcome.count == 1
    remaining = {r[0] for r in db.binding.conn.execute("SELECT id FROM export_jobs")}
    assert remaining == {recent, waiting}
    assert events(db, old) == [] and len(events(db, recent)) == 1 and len(events(db, waiting)) == 1


async def test_queue_ttl_expiry_is_off_by_default_and_expires_stale_pending_jobs(db: Database) -> None:
    # A job is claimable only once created (available_at ≥ its id's instant): the cron looks
    # among the pending jobs created by the cutoff.
    hour_ago = NOW - 3600 * SECOND
    stale = plant(db, PENDING, id=uuid7(hour_ago), available_at=hour_ago, created_at=hour_ago)
    fresh = plant(db, PENDING, available_at=NOW - 10 * SECOND)
    assert (await export_tasks.expire_stale_pending(db, CONFIG, NOW, budget())).count == 0
    with_ttl = Config(export_queue_ttl_seconds=600)
    assert (await export_tasks.expire_stale_pending(db, with_ttl, NOW, budget())).count == 1
    assert (job(db, stale)["status"], job(db, stale)["error"]) == (ERROR, "queue_expired")
    assert job(db, fresh)["status"] == PENDING
    assert [e["event"] for e in events(db, stale)] == ["expired"]


async def test_expired_idempotency_keys_are_deleted_oldest_first(db: Database) -> None:
    conn = db.binding.conn
    for i, expires_at in enumerate([NOW - 2, NOW - 1, NOW + 1]):
        conn.execute(
            "INSERT INTO idempotency_keys VALUES (?, 'h', 'j', 0, ?)",
            [f"k{i}", expires_at],
        )
    outcome = await export_tasks.delete_expired_idempotency_keys(db, CONFIG, NOW, budget())
    assert outcome.count == 2
    assert [r[0] for r in conn.execute("SELECT idempotency_key FROM idempotency_keys")] == ["k2"]
