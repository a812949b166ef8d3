"""The VEO job cache's cron task: expired jobs deleted in chunks."""

from __future__ import annotations

from ..core.chunks import Budget, CronTask, TaskOutcome, delete_due_in_chunks
from ..core.config import Config
from ..core.db import Database
from .sql import ANY_EXPIRED_SQL, EXPIRE_SQL


async def expire_veo_jobs(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """Cron: delete expired jobs (their payload rows cascade), oldest first, in chunks. A run
    with nothing due reads the probe's 1 row instead of the DELETE's 4."""
    return await delete_due_in_chunks(db, budget, ANY_EXPIRED_SQL, EXPIRE_SQL, now)


TASKS = (CronTask("veo_jobs_expired", expire_veo_jobs),)
