"""Where a provider's news about one of its jobs goes: the records that carry its job id.

A webhook names only the provider's own job id. Each `Target` looks up a record of its kind
by that id and, when it has one, applies the mapped answer to it through its own state
machine; the first target that knows the id takes the answer. Export jobs take RunPod's;
videos (Replicate's and RunPod's) add their target to `TARGETS` when their package is imported
(videos/__init__.py), after the export jobs'.

A target writes the caller's `also` statements (the webhook id that marks a delivery as
received) in the same batch as its change, or alone when nothing changes: a delivery is
recorded exactly when its news is, so a failed write can be retried by the provider whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import NamedTuple

from ..core import states
from ..core.config import Config
from ..core.db import Database, Statement
from ..exports.machine import EXPORT_JOBS
from . import export_sync
from .results import ProviderJob
from .runpod import NAME as RUNPOD
from .sql import EXPORT_JOB_BY_RUNPOD_JOB_SQL

# apply(db, config, now, answer, also) → what it did ("completed", "extended", "unchanged", …),
# or None when no record of this kind carries `answer.job_id` (then it wrote nothing).
Apply = Callable[[Database, Config, int, ProviderJob, Sequence[Statement]], Awaitable[str | None]]


class Target(NamedTuple):
    name: str  # the kind of record ("export_job", "video")
    providers: tuple[str, ...]  # whose job ids it may carry
    apply: Apply


async def apply_to_export_job(
    db: Database, config: Config, now: int, answer: ProviderJob, also: Sequence[Statement]
) -> str | None:
    """The export job carrying this RunPod job, if any, takes the answer (it changes only a
    job still `processing` with it)."""
    job = await db.first(EXPORT_JOB_BY_RUNPOD_JOB_SQL, answer.job_id)
    if job is None:
        return None
    action, values, outcome = export_sync.decide(answer)
    bound = export_sync.bound_values(config, now, job, answer, values)
    results = await db.batch([*states.transition_statements(EXPORT_JOBS, action, states.BY_ID, bound), *also])
    return outcome if results[0].rows else "unchanged"


TARGETS: list[Target] = [Target("export_job", (RUNPOD,), apply_to_export_job)]


async def deliver(
    db: Database, config: Config, now: int, answer: ProviderJob, also: Sequence[Statement] = ()
) -> tuple[str, str] | None:
    """Hand the answer to the first target that knows its job id: (target, what it did), or
    None when no record carries that id (then `also` is written alone)."""
    for target in TARGETS:
        if answer.provider in target.providers:
            done = await target.apply(db, config, now, answer, also)
            if done is not None:
                return target.name, done
    if also:
        await db.batch(list(also))
    return None
