"""The providers' cleanup task: forget webhook ids past their expiry, in chunks."""

from __future__ import annotations

from ..core.chunks import Budget, TaskOutcome, delete_in_chunks
from ..core.config import Config
from ..core.db import Database
from .sql import DELETE_EXPIRED_WEBHOOK_IDS_SQL


async def delete_expired_webhook_ids(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    return await delete_in_chunks(db, budget, DELETE_EXPIRED_WEBHOOK_IDS_SQL, now)
