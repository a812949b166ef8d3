"""The webhooks cron tasks: make the deliveries of events past the cursors, send due ones
(retries on the schedule), forget finished deliveries past their retention."""

from __future__ import annotations

from ..core.chunks import Budget, CronTask, TaskOutcome, delete_due_in_chunks
from ..core.config import Config
from ..core.db import Database
from ..core.outbound import Outbound
from ..core.services import current
from .dispatch import catch_up
from .sender import send_due
from .sql import DELETE_FINISHED_SQL, OLDEST_FINISHED_DUE_SQL

STATEMENTS_PER_PASS = 4  # subscriptions, events, resources, the batch


async def make_webhook_deliveries(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """Outbox passes while events remain and the budget allows."""
    outcome = TaskOutcome()
    while budget.spend(STATEMENTS_PER_PASS):
        made, more = await catch_up(db, now, config.webhook_outbox_chunk, passes=1)
        outcome.count += made
        if not more:
            return outcome
    outcome.more = True
    return outcome


async def send_webhook_deliveries(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """Up to WEBHOOK_MAX_PER_RUN due deliveries (first attempts a sender after a write missed,
    and retries)."""
    services = current()
    if services.transport is None or not budget.spend(3):
        return TaskOutcome(more=services.transport is not None)
    outbound = Outbound(services.transport, max_requests=config.webhook_max_per_run)
    counts = await send_due(db, config, services, outbound, now, config.webhook_max_per_run)
    return TaskOutcome(counts["sent"], more=counts["sent"] >= config.webhook_max_per_run)


async def delete_old_webhook_deliveries(
    db: Database, config: Config, now: int, budget: Budget
) -> TaskOutcome:
    cutoff = now - config.webhook_retention_seconds * 1000
    return await delete_due_in_chunks(db, budget, OLDEST_FINISHED_DUE_SQL, DELETE_FINISHED_SQL, cutoff)


TASKS = (
    CronTask("webhook_deliveries_made", make_webhook_deliveries),
    CronTask("webhook_deliveries_sent", send_webhook_deliveries),
    CronTask("webhook_deliveries_deleted", delete_old_webhook_deliveries),
)
