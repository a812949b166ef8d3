"""Where a provider's news about one of its jobs goes: the records that carry its job id.

A webhook names only the provider's own job id. Each `Target` looks up a record of its kind
by that id and, when it has one, applies the mapped answer to it through its own state
machine; the first target that knows the id takes the answer. Export jobs take RunPod's;
videos add their target to `TARGETS` (one line) when they are wired in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple

from ..core.config import Config
from ..core.db import Database
from . import export_sync
from .results import ProviderJob
from .runpod import NAME as RUNPOD
from .sql import EXPORT_JOB_BY_RUNPOD_JOB_SQL

# apply(db, config, now, answer) → what it did ("completed", "extended", "unchanged", …), or
# None when no record of this kind carries `answer.job_id`.
Apply = Callable[[Database, Config, int, ProviderJob], Awaitable[str | None]]


class Target(NamedTuple):
    name: str  # the kind of record ("export_job", "video")
    providers: tuple[str, ...]  # whose job ids it may carry
    apply: Apply


async def apply_to_export_job(db: Database, config: Config, now: int, answer: ProviderJob) -> str | None:
    """The processing export job carrying this RunPod job, if any, takes the answer."""
    job = await db.first(EXPORT_JOB_BY_RUNPOD_JOB_SQL, answer.job_id)
    if job is None:
        return None
    outcome, changed = await export_sync.apply_answer(db, config, now, job, answer)
    return outcome if changed is not None else "unchanged"


TARGETS: list[Target] = [Target("export_job", (RUNPOD,), apply_to_export_job)]


async def deliver(db: Database, config: Config, now: int, answer: ProviderJob) -> tuple[str, str] | None:
    """Hand the answer to the first target that knows its job id: (target, what it did), or
    None when no record carries that id."""
    for target in TARGETS:
        if answer.provider in target.providers:
            done = await target.apply(db, config, now, answer)
            if done is not None:
                return target.name, done
    return None
