"""The cron task that resyncs export jobs with RunPod: processing export jobs that carry a
`runpod_job_id` are checked at RunPod (`RUNPOD_EXPORT_ENDPOINT`), at most
`PROVIDER_SYNC_MAX_PER_RUN` per run and 6 requests at a time, and each answer drives the job
through the export state machine (export_sync.py).

A job is checked again after a wait (checks.py): 10 s, doubling while RunPod's status stays the
same, up to 10 minutes, and never more than half the job's lease (an `IN_PROGRESS` answer extends the
lease, so a job RunPod is still running never lapses between checks). A timeout, a 429 or a
5xx only reschedules the check (after `Retry-After` when RunPod sent one).
"""

from __future__ import annotations

import json
from typing import Any

from ..core import states
from ..core.chunks import Budget, TaskOutcome
from ..core.config import Config
from ..core.db import Database, named
from ..core.logs import emit
from ..core.outbound import Outbound
from ..exports.machine import EXPORT_JOBS, PROCESSING
from . import checks, export_sync
from .checks import MIN_WAIT_MS
from .results import FINISHED, Outcome, ProviderJob, Refused
from .runpod import RunPod
from .sql import (
    DELETE_CHECK_SQL,
    DELETE_CHECKS_SQL,
    DUE_CHECKS_SQL,
    ENROL_CHECKS_SQL,
    RESCHEDULE_CHECK_SQL,
)

OVERHEAD_STATEMENTS = 3  # enrol, due, stale delete
STATEMENTS_PER_JOB = 3  # the transition, its event, the check row


def runpod_client(outbound: Outbound, config: Config) -> RunPod:
    return RunPod(outbound, config.runpod_api_base, config.runpod_api_key, config.provider_timeout_seconds)


def next_wait(check: dict[str, Any], answer: Outcome) -> int:
    """The wait before the next check of an export job: at most half its lease (an
    `IN_PROGRESS` answer extends the lease, so a job RunPod still runs never lapses between
    checks)."""
    lease_ms = (check["lease_seconds"] or 300) * 1000
    return checks.next_wait(check["wait_ms"], check["last_status"], answer, lease_ms // 2)


async def resync_export_jobs(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """One bounded pass of the resync (see the module docstring)."""
    outbound = budget.outbound
    if not config.runpod_export_endpoint or outbound is None:
        return TaskOutcome()
    jobs = min(
        checks.requests_allowed(config, outbound),
        (budget.remaining - OVERHEAD_STATEMENTS) // STATEMENTS_PER_JOB,
    )
    if jobs <= 0 or not budget.spend(2):
        return TaskOutcome(more=True)
    enrol = {"now": now, "wait_ms": MIN_WAIT_MS, "limit": budget.chunk_rows}  # one chunk per run
    await db.run(named(ENROL_CHECKS_SQL, enrol))
    due = await db.all(DUE_CHECKS_SQL, now, jobs + 1)
    more = len(due) > jobs
    due = due[:jobs]
    stale = [
        c["id"] for c in due if c["job_status"] != PROCESSING or c["job_runpod_job_id"] != c["runpod_job_id"]
    ]
    if stale and budget.spend():
        await db.execute(DELETE_CHECKS_SQL, json.dumps(stale))
    live = [c for c in due if c["id"] not in stale]
    client = runpod_client(outbound, config)
    endpoint = config.runpod_export_endpoint

    async def ask(check: dict[str, Any]) -> Outcome:
        return await client.status(endpoint, check["runpod_job_id"])

    async def record(check: dict[str, Any], answer: Outcome) -> None:
        await record_answer(db, config, now, check, answer)

    checked, unfinished = await checks.ask_and_record(outbound, budget, live, ask, record, STATEMENTS_PER_JOB)
    return TaskOutcome(checked, more or unfinished)


async def record_answer(
    db: Database, config: Config, now: int, check: dict[str, Any], answer: Outcome
) -> None:
    """One batch: the job's transition and its event (when RunPod answered about it), and the
    check row (deleted when the job is finished, else rescheduled)."""
    statements = []
    finished = False
    if isinstance(answer, ProviderJob):
        action, values, _ = export_sync.decide(answer)
        bound = export_sync.bound_values(config, now, check, answer, values)
        statements += states.transition_statements(EXPORT_JOBS, action, states.BY_ID, bound)
        finished = answer.status in FINISHED or answer.expired
    else:
        level = "warning" if isinstance(answer, Refused) else "info"
        emit(level, "runpod check without an answer", job_id=check["id"], outcome=repr(answer))
    if finished:
        statements.append(named(DELETE_CHECK_SQL, {"id": check["id"]}))
    else:
        wait = next_wait(check, answer)
        last = answer.raw_status if isinstance(answer, ProviderJob) else None
        values = {
            "id": check["id"],
            "runpod_job_id": check["runpod_job_id"],
            "now": now,
            "wait_ms": wait,
            "next_check_at": checks.next_check_at(now, wait, answer),
            "last_status": last,
        }
        statements.append(named(RESCHEDULE_CHECK_SQL, values))
    await db.batch(statements)
