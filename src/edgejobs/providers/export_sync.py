"""What a RunPod answer about an export job's `runpod_job_id` does to the job, through the
export jobs' own state machine, acting as the system rather than a runner.

    RunPod says                               the export job
    COMPLETED, output.output_video_key        complete                       (event completed)
    COMPLETED without output_video_key        fail by the retry rule, runner_failed (failed)
    FAILED, TIMED_OUT, CANCELLED              fail by the retry rule, runner_failed (failed)
    404 (no longer kept)                      fail by the retry rule, runner_lost   (failed)
    IN_QUEUE, IN_PROGRESS                     lease extended                 (event lease_extended)

Each event's data has `source: "runpod"` and RunPod's status. Every action is the exports'
compare-and-set with one more condition: the job is still `processing` *with this
`runpod_job_id`*. A runner's own complete, a cancel or a re-claim that came first makes the
answer apply to nothing (the job carries another attempt now), so the two never both win.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import states
from ..core.config import Config
from ..exports import machine
from ..exports.machine import EXPORT_JOBS
from ..exports.model import MAX_KEY_CHARS
from .results import COMPLETED, IN_PROGRESS, QUEUED, ProviderJob

RUNNER_FAILED = "runner_failed"  # RunPod ended the job without a result
RUNNER_LOST = "runner_lost"  # RunPod no longer knows the job

_SAME_ATTEMPT = "AND runpod_job_id = :runpod_job_id"
_SOURCE = """'source', 'runpod', 'runpod_job_id', :runpod_job_id, 'runpod_status', :runpod_status,
    'lease_id', lease_id"""

COMPLETE = machine.COMPLETE_ACTION._replace(
    name="runpod_complete",
    runner_scoped=False,
    guard=_SAME_ATTEMPT,
    event_data=f"json_object('runner_id', runner_id, 'output_video_key', output_video_key, {_SOURCE})",
)
FAIL = machine.FAIL._replace(
    name="runpod_fail",
    runner_scoped=False,
    guard=_SAME_ATTEMPT,
    event_data=f"""json_object({machine.RETRY_DATA_FIELDS}, 'runner_id', :runner_id,
        'retryable', json('true'), 'runpod_error', :runpod_error, {_SOURCE})""",
)
EXTEND_LEASE = machine.HEARTBEAT._replace(
    name="runpod_extend_lease",
    runner_scoped=False,
    event="lease_extended",
    guard=_SAME_ATTEMPT,
    event_data=f"json_object('lease_expires_at', lease_expires_at, {_SOURCE})",
)
# The machine these actions belong to, and the actions by name (so the SQL catalogue's plan
# checks drive their statements like the exports' own).
MACHINE = EXPORT_JOBS
ACTIONS = {a.name: a for a in (COMPLETE, FAIL, EXTEND_LEASE)}


def decide(answer: ProviderJob) -> tuple[states.Action, dict[str, Any], str]:
    """The action an answer calls for, its bound values, and its name in counts."""
    if answer.status in (QUEUED, IN_PROGRESS):
        return EXTEND_LEASE, {"progress": None}, "extended"
    key = answer.output.get("output_video_key") if isinstance(answer.output, dict) else None
    if answer.status == COMPLETED and isinstance(key, str) and 0 < len(key) <= MAX_KEY_CHARS:
        return COMPLETE, {"output_video_key": key}, "completed"
    if answer.status == COMPLETED:
        detail = "RunPod completed the job without output.output_video_key"
    else:
        detail = (answer.error or {}).get("message") or f"RunPod says {answer.raw_status}"
    error = RUNNER_LOST if answer.expired else RUNNER_FAILED
    values = {"error": error, "retryable": 1, "runpod_error": detail}
    return FAIL, values, "lost" if answer.expired else "failed"


def bound_values(
    config: Config, now: int, job: Mapping[str, Any], answer: ProviderJob, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Every value the actions bind, for the export job `job` and RunPod's `answer`."""
    return {
        "id": job["id"],
        "runner_id": job.get("runner_id"),
        "now": now,
        "runpod_job_id": answer.job_id,
        "runpod_status": answer.raw_status,
        "result": None,  # a completion RunPod reports carries its output key, not a runner's result
        **machine.retry_settings(config),
        **values,
    }
