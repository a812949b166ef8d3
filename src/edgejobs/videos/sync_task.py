"""The cron task `videos_synced`: provider-backed videos whose sync row has come due are asked
about at their provider, oldest first, within the run's budgets (the provider requests every
provider sync of a run shares, PROVIDER_SYNC_MAX_PER_RUN; the statements of its chunk budget),
6 requests at a time, and each answer moves the video through its state machine as the
system (provider_sync.py): one batch per video, with its sync row.

A video still without a job id when its row comes due (its submission's answer was lost, or
was a transient failure) is submitted once more; a video that has had both its submissions
fails (`provider_unavailable`) and is refunded. Rows of videos that are finished, deleted or
carry another job id (a PATCH) are deleted. A timeout, 429 or 5xx only reschedules the check,
the wait doubling (after `Retry-After` when longer); a refusal of a status check too (logged).
"""

from __future__ import annotations

import json
from typing import Any

from ..core.chunks import Budget, TaskOutcome
from ..core.config import Config
from ..core.db import Database, Statement
from ..core.logs import emit
from ..providers import checks
from ..providers.clients import PROVIDERS, VideoProvider
from ..providers.results import Outcome, ProviderJob, Refused
from .machine import LIVE
from .provider_sync import PROVIDER_UNAVAILABLE, answer_statements, reschedule, submit_failed_statements
from .submit import SUBMISSIONS, SUBMIT_AGAIN_MS, outcome_statements, provider_model, submit
from .sync_sql import COUNT_SUBMITS_SQL, DELETE_CHECKS_SQL, DUE_CHECKS_SQL

OVERHEAD_STATEMENTS = 3  # the due rows, the stale ones deleted, the submissions counted
STATEMENTS_PER_VIDEO = 5  # the transition, its event, two count rows, the sync row


def stale(check: dict[str, Any]) -> bool:
    """The row's video is gone, finished or carries another job: nothing to ask."""
    if (
        check["video_status"] not in LIVE
        or check["deleted_at"] is not None
        or check["provider"] not in PROVIDERS
    ):
        return True
    return check["video_job_id"] is not None and check["video_job_id"] != check["provider_job_id"]


async def sync_videos(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """One bounded pass (see the module docstring)."""
    outbound = budget.outbound
    if outbound is None:
        return TaskOutcome()
    most = min(
        checks.requests_allowed(config, outbound),
        (budget.remaining - OVERHEAD_STATEMENTS) // STATEMENTS_PER_VIDEO,
    )
    if not budget.spend():
        return TaskOutcome(more=True)
    # The due rows; with no room for a video this run, the query is the probe of whether
    # anything is due (work left) or not (a quiet run).
    due = await db.all(DUE_CHECKS_SQL, now, max(most, 0) + 1)
    if most <= 0:
        return TaskOutcome(more=bool(due))
    more = len(due) > most
    due = due[:most]
    gone = [c["id"] for c in due if stale(c)]
    if gone and budget.spend():
        await db.execute(DELETE_CHECKS_SQL, json.dumps(gone))
    live = [c for c in due if c["id"] not in gone]
    spent = [c for c in live if c["provider_job_id"] is None and c["submits"] >= SUBMISSIONS]
    resubmit = [c for c in live if c["provider_job_id"] is None and c["submits"] < SUBMISSIONS]
    asked = [c for c in live if c["provider_job_id"] is not None]
    failed = 0
    for check in spent:
        if not budget.spend(STATEMENTS_PER_VIDEO):
            return TaskOutcome(failed, True)
        error = {"code": PROVIDER_UNAVAILABLE, "message": "The video could not be submitted to its provider."}
        await db.batch(submit_failed_statements(check["id"], now, error))
        failed += 1
    if resubmit and budget.spend():
        # Counted before the calls: a run that dies mid-submit never leads to a third attempt.
        await db.execute(COUNT_SUBMITS_SQL, json.dumps([c["id"] for c in resubmit]), now + SUBMIT_AGAIN_MS)

    async def ask(check: dict[str, Any]) -> Outcome:
        provider = VideoProvider(check["provider"], outbound, config)
        if check["provider_job_id"] is None:
            return await submit(provider, config, check)
        return await provider.status(provider_model(config, check), check["provider_job_id"])

    async def record(check: dict[str, Any], answer: Outcome) -> None:
        await db.batch(answer_batch(check, now, answer))

    recorded, unfinished = await checks.ask_and_record(
        outbound, budget, [*resubmit, *asked], ask, record, STATEMENTS_PER_VIDEO
    )
    return TaskOutcome(failed + recorded, more or unfinished)


def answer_batch(check: dict[str, Any], now: int, answer: Outcome) -> list[Statement]:
    """What one answer writes: a submission's outcome (the cron's is the last one), or a status
    answer's change with the sync row, or (no answer) the sync row rescheduled."""
    if check["provider_job_id"] is None:
        return outcome_statements(check, check["provider"], now, answer, last=True)
    if isinstance(answer, ProviderJob):
        return answer_statements(check["id"], now, answer, check)[0]
    level = "warning" if isinstance(answer, Refused) else "info"
    emit(level, "video check without an answer", video_id=check["id"], outcome=repr(answer))
    return [reschedule(check["id"], now, check, answer)]
