"""What a provider's answer about its job does to the video carrying it, through the videos'
own state machine (the same compare-and-set, events, usage counts and refund as a PATCH),
acting as the system:

    the provider says (neutral status)       the video                     event
    queued                                   job id and progress kept      —
    in_progress                              start (progress)              status_changed (once)
    completed with a file URL                complete (file_url, 100)      status_changed
    completed without one                    fail, provider_no_output      status_changed
    failed (or 404: provider_expired)        fail with its error           status_changed
    cancelled                                cancel                        cancelled

Every action has one more condition than PATCH's: the video carries this job id (or none yet:
a submission's answer sets it). So an answer about an older job, a video cancelled or deleted
meanwhile, or a second copy of the same news (poll, webhook and refresh racing) changes
nothing: exactly one event per change, and a refund happens once. Each event's `data` says
`source: "provider"`, the provider and its own status word.

The batch also carries the video's sync row (`video_provider_checks`): deleted with a final
answer, else moved on (when to ask next).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..core.config import Config
from ..core.db import Database, Statement, named
from ..providers import checks
from ..providers.clients import PROVIDERS
from ..providers.results import CANCELLED, COMPLETED, FAILED, IN_PROGRESS, Outcome, ProviderJob
from ..providers.targets import Target
from . import machine
from .machine import VIDEOS
from .sync_sql import DELETE_CHECK_SQL, NOTE_CHECK_SQL, RESCHEDULE_CHECK_SQL, VIDEO_BY_PROVIDER_JOB_SQL
from .transitions import NOTHING_REPORTED as _NOTHING
from .transitions import change_statements

PROVIDER_NO_OUTPUT = "provider_no_output"  # completed, but no file URL in its output
PROVIDER_REFUSED = "provider_refused"  # the submission was refused (4xx)
PROVIDER_UNAVAILABLE = "provider_unavailable"  # no submission got through

_SAME_JOB = "AND coalesce(provider_job_id, :provider_job_id) = :provider_job_id"
_SOURCE = "'source', 'provider', 'provider', provider, 'provider_status', :provider_status"
_FAILED_DATA = (
    "json_set(error, '$.source', 'provider', '$.provider', provider, '$.provider_status', :provider_status)"
)

UPDATE = machine.UPDATE._replace(name="provider_update", guard=f"{machine.UPDATE.guard} {_SAME_JOB}")
START = machine.START._replace(
    name="provider_start", guard=f"{machine.START.guard} {_SAME_JOB}", event_data=f"json_object({_SOURCE})"
)
COMPLETE = machine.COMPLETE._replace(
    name="provider_complete",
    guard=f"{machine.COMPLETE.guard} {_SAME_JOB}",
    event_data=f"json_object('file_url', file_url, {_SOURCE})",
)
FAIL = machine.FAIL._replace(
    name="provider_fail", guard=f"{machine.FAIL.guard} {_SAME_JOB}", event_data=_FAILED_DATA
)
CANCEL = machine.CANCEL._replace(
    name="provider_cancel", guard=f"{machine.CANCEL.guard} {_SAME_JOB}", event_data=f"json_object({_SOURCE})"
)
# A video no job id was ever given for: its submission was refused, or never got through.
SUBMIT_FAIL = machine.FAIL._replace(
    name="provider_submit_fail",
    guard=f"{machine.FAIL.guard} AND provider_job_id IS NULL",
    event_data=_FAILED_DATA,
)
MACHINE = VIDEOS
ACTIONS = {a.name: a for a in (UPDATE, START, COMPLETE, FAIL, CANCEL, SUBMIT_FAIL)}
_BY_STATUS = {IN_PROGRESS: START, COMPLETED: COMPLETE, FAILED: FAIL, CANCELLED: CANCEL}


def decide(answer: ProviderJob) -> tuple[Any, dict[str, Any], str]:
    """The action an answer calls for, what it reports, and its name in counts and webhook
    acknowledgements."""
    action = _BY_STATUS.get(answer.status, UPDATE)
    values: dict[str, Any] = {"progress": answer.progress}
    if action is COMPLETE and not answer.file_url:
        action = FAIL
        error = {"code": PROVIDER_NO_OUTPUT, "message": "The provider finished the job without a file URL."}
        return action, {**values, "progress": None, "error": json.dumps(error)}, "failed"
    if action is COMPLETE:
        values["file_url"] = answer.file_url
    elif action is FAIL:
        values["error"] = json.dumps(answer.error) if answer.error else None
    outcome = {UPDATE: "queued", START: "started", COMPLETE: "completed", FAIL: "failed", CANCEL: "cancelled"}
    return action, values, outcome[action]


def answer_statements(
    video_id: str, now: int, answer: ProviderJob, check: Mapping[str, Any] | None
) -> tuple[list[Statement], str, bool]:
    """The batch an answer makes: the video's transition (with its event, usage counts and
    refund), then its sync row: deleted when the answer is final; else rescheduled after the
    next wait (`check`: the row as read, with the video's `progress`) or, without one (a
    webhook), noted. The transition is left out when the answer says nothing new (the same
    provider status as last time, no higher progress). (statements, outcome, transition first)."""
    action, reported, outcome = decide(answer)
    row = {"id": video_id, "now": now, "provider_job_id": answer.job_id, "last_status": answer.raw_status}
    if check is not None and says_nothing_new(answer, check):
        return [reschedule(video_id, now, check, answer)], "unchanged", False
    values = {
        **_NOTHING,
        **reported,
        "id": video_id,
        "now": now,
        "scope": None,
        "provider_job_id": answer.job_id,
        "provider_status": answer.raw_status,
    }
    statements = change_statements(action, values)
    if answer.finished:
        statements.append(named(DELETE_CHECK_SQL, row))
    elif check is None:
        statements.append(named(NOTE_CHECK_SQL, row))
    else:
        statements.append(reschedule(video_id, now, check, answer))
    return statements, outcome, True


def says_nothing_new(answer: ProviderJob, check: Mapping[str, Any]) -> bool:
    """The same provider status as last time, not final, and no higher progress."""
    if answer.finished or answer.raw_status != check["last_status"]:
        return False
    return answer.progress is None or answer.progress <= (check.get("progress") or 0)


def reschedule(video_id: str, now: int, check: Mapping[str, Any], answer: Outcome) -> Statement:
    """The sync row moved on after `answer` (an answer about the job, or none)."""
    wait = checks.next_wait(check["wait_ms"], check["last_status"], answer)
    job = answer if isinstance(answer, ProviderJob) else None
    return named(
        RESCHEDULE_CHECK_SQL,
        {
            "id": video_id,
            "provider_job_id": job.job_id if job else None,
            "next_check_at": checks.next_check_at(now, wait, answer),
            "wait_ms": wait,
            "last_status": job.raw_status if job else None,
            "now": now,
        },
    )


def submit_failed_statements(video_id: str, now: int, error: dict[str, str]) -> list[Statement]:
    """A video whose submission failed for good: failed with `error` and refunded (if it still
    has no job id), and its sync row deleted."""
    values = {**_NOTHING, "id": video_id, "now": now, "scope": None, "error": json.dumps(error)}
    values["provider_status"] = None
    return [*change_statements(SUBMIT_FAIL, values), named(DELETE_CHECK_SQL, {"id": video_id})]


async def apply_to_video(
    db: Database, config: Config, now: int, answer: ProviderJob, also: Sequence[Statement]
) -> str | None:
    """A webhook's target: the video carrying this provider job, if any, takes the answer (and
    the caller's `also` statements, in the same batch)."""
    video = await db.first(VIDEO_BY_PROVIDER_JOB_SQL, answer.job_id, answer.provider)
    if video is None:
        return None
    statements, outcome, transition = answer_statements(video["id"], now, answer, None)
    results = await db.batch([*statements, *also])
    return outcome if not transition or results[0].rows else "unchanged"


TARGET = Target("video", PROVIDERS, apply_to_video)
