"""Cron: hourly counters older than two days go (the stats read the last 24 hours)."""

from __future__ import annotations

from ..core.chunks import Budget, CronTask, TaskOutcome, delete_due_in_chunks
from ..core.config import Config
from ..core.counters import HOUR_MS
from ..core.db import Database

KEEP_HOURS = 48
ANY_OLD_HOURLY_SQL = "SELECT 1 AS due FROM stat_hourly WHERE hour < ?1 LIMIT 1"
# Oldest hours first through stat_hourly_by_hour, a chunk per statement.
PRUNE_HOURLY_SQL = """
DELETE FROM stat_hourly
WHERE (name, hour) IN (SELECT name, hour FROM stat_hourly WHERE hour < ?1 ORDER BY hour LIMIT ?2)
RETURNING hour
"""


async def prune_hourly_counters(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    cutoff = now - KEEP_HOURS * HOUR_MS
    return await delete_due_in_chunks(db, budget, ANY_OLD_HOURLY_SQL, PRUNE_HOURLY_SQL, cutoff)


TASKS = (CronTask("stat_hours_pruned", prune_hourly_counters),)
