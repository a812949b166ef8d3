"""The export queue's cron tasks: repair lapsed leases, expire stale queued jobs, purge
finished ones and forget old idempotency keys, each in bounded chunks."""

from __future__ import annotations

from collections.abc import Mapping

from ..core import states
from ..core.chunks import Budget, CronTask, TaskOutcome, delete_due_in_chunks, repeat_in_chunks
from ..core.config import Config
from ..core.counters import DELETED_SQL, deleted_count
from ..core.db import Database, Statement, named
from ..core.events import delete_events_of
from . import machine
from .machine import EXPORT_JOBS
from .sql import (
    DELETE_EXPIRED_KEYS_SQL,
    DELETE_FINISHED_SQL,
    EXPIRED_LEASES_SQL,
    FINISHED_DUE_SQL,
    OLDEST_KEY_DUE_SQL,
    STALE_PENDING_SQL,
    STILL_FINISHED_SQL,
)

LEASE_EXPIRED = "lease_expired"  # the `error` of a job whose runner stopped heartbeating
QUEUE_EXPIRED = "queue_expired"  # the `error` of a job no runner claimed within the queue TTL

# Each selects a chunk of due ids, then changes them with statements that re-check the
# condition, so two overlapping runs (or a runner acting meanwhile) never double-apply.


async def transition_due(
    db: Database,
    budget: Budget,
    due_sql: str,
    due_param: object,
    action: states.Action,
    values: Mapping[str, object],
) -> TaskOutcome:
    """Chunk by chunk: select the ids `due_sql` finds due (`due_param`, then the chunk size),
    and apply `action` to them through the state machine (which re-checks each job's state)."""

    async def step(chunk: int) -> int:
        due = [row["id"] for row in await db.all(due_sql, due_param, chunk)]
        if not due:
            return 0
        bound = {**values, **states.id_list(due)}
        return len(await states.apply(db, EXPORT_JOBS, action, states.BY_IDS, bound))

    return await repeat_in_chunks(budget, step, statements_per_step=3)


async def recover_expired_leases(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """Processing jobs whose lease passed fail as `lease_expired`, by the /fail retry rule."""
    values = {"now": now, "error": LEASE_EXPIRED, "retryable": 1, **machine.retry_settings(config)}
    return await transition_due(db, budget, EXPIRED_LEASES_SQL, now, machine.EXPIRE_LEASE, values)


async def expire_stale_pending(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """With EXPORT_QUEUE_TTL_SECONDS > 0: pending jobs claimable for longer than that (no
    runner took them) move to `error`."""
    if config.export_queue_ttl_seconds <= 0:
        return TaskOutcome()
    cutoff = now - config.export_queue_ttl_seconds * 1000
    values = {"now": now, "cutoff": cutoff, "error": QUEUE_EXPIRED}
    return await transition_due(db, budget, STALE_PENDING_SQL, cutoff, machine.EXPIRE_QUEUED, values)


async def purge_finished_export_jobs(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """Finished jobs (complete, error, cancelled) past EXPORT_RETENTION_SECONDS, with their
    events, in one batch per chunk."""
    cutoff = now - config.export_retention_seconds * 1000

    async def step(chunk: int) -> int:
        due = await db.run(named(FINISHED_DUE_SQL, {"cutoff": cutoff, "limit": chunk}))
        if not due.rows:
            return 0
        values = {
            "cutoff": cutoff,
            "job_kind": EXPORT_JOBS.kind,
            **states.id_list([r["id"] for r in due.rows]),
        }
        # Events first: their DELETE selects the jobs that are still due, and the job DELETE
        # re-checks the same condition, so a job retried meanwhile keeps both.
        results = await db.batch(
            [
                delete_events_of(EXPORT_JOBS.table, STILL_FINISHED_SQL, values),
                named(DELETE_FINISHED_SQL, values),
                Statement(DELETED_SQL),
            ]
        )
        return deleted_count(results[2].first())

    # The SELECT, then the batch: events, jobs, the count.
    return await repeat_in_chunks(budget, step, statements_per_step=4)


async def delete_expired_idempotency_keys(
    db: Database, config: Config, now: int, budget: Budget
) -> TaskOutcome:
    return await delete_due_in_chunks(db, budget, OLDEST_KEY_DUE_SQL, DELETE_EXPIRED_KEYS_SQL, now)


TASKS = (
    CronTask("export_leases_recovered", recover_expired_leases, repairs=True),
    CronTask("export_jobs_queue_expired", expire_stale_pending),
    CronTask("export_jobs_purged", purge_finished_export_jobs),
    CronTask("idempotency_keys_deleted", delete_expired_idempotency_keys),
)
