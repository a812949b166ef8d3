"""Cron: report snapshots older than REPORT_RETENTION_DAYS (0 = keep all) go, in chunks."""

from __future__ import annotations

from ..core.chunks import Budget, TaskOutcome, delete_due_in_chunks
from ..core.config import Config
from ..core.dates import days_before, utc_date
from ..core.db import Database
from .sql import ANY_EXPIRED_SQL, EXPIRE_SQL


async def expire_reports(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """Deletes reports whose scheduled_date is more than the retention's days before today (UTC)."""
    if config.report_retention_days <= 0:
        return TaskOutcome()
    cutoff = days_before(utc_date(now), config.report_retention_days)
    return await delete_due_in_chunks(db, budget, ANY_EXPIRED_SQL, EXPIRE_SQL, cutoff)
