"""The webhooks cron task: make the deliveries of events past the cursors, send the due ones
(first attempts a sender after a write missed, and retries on the schedule), and forget
finished deliveries past their retention. One task, so that a service without webhooks pays
one statement per run (a probe) out of the shared maintenance budget."""

from __future__ import annotations

from ..core.chunks import Budget, CronTask, TaskOutcome, delete_in_chunks
from ..core.config import Config
from ..core.db import Database
from ..core.logs import emit
from ..core.outbound import Outbound
from ..core.services import current
from .dispatch import Presence, catch_up
from .sender import send_due
from .sql import ANYTHING_TO_DO_SQL, DELETE_FINISHED_SQL

STATEMENTS_PER_PASS = 3  # events, resources, the batch (the subscriptions read is counted apart)
STATEMENTS_PER_SEND = 3  # due, claim, outcomes


async def run_webhooks(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:
    """Count: deliveries sent. More: events, due deliveries or old ones remain."""
    # The probe and one send are taken together (a first step always fits its share); outbox
    # passes come out of what is left, and a run that could not make one reports more work.
    if not budget.spend(1 + STATEMENTS_PER_SEND):
        return TaskOutcome(more=True)
    cutoff = now - config.webhook_retention_seconds * 1000
    probe = await db.first(ANYTHING_TO_DO_SQL, cutoff)
    live, old = bool(probe and probe["live"]), bool(probe and probe["old"])
    Presence.note(live)
    outcome = TaskOutcome()
    made = sent = 0
    more_events = False
    if live:
        more_events = True
        while budget.spend(STATEMENTS_PER_PASS + 1):
            count, more_events = await catch_up(db, now, config.webhook_outbox_chunk, passes=1)
            made += count
            if not more_events:
                break
        services = current()
        if services.transport is not None:
            outbound = Outbound(services.transport, max_requests=config.webhook_max_per_run)
            counts = await send_due(db, config, services, outbound, now, config.webhook_max_per_run)
            sent = counts["sent"]
            outcome.more = sent >= config.webhook_max_per_run
    deleted = 0
    if old:
        purge = await delete_in_chunks(db, budget, DELETE_FINISHED_SQL, cutoff)
        deleted, outcome.more = purge.count, outcome.more or purge.more
    outcome.more = outcome.more or more_events
    outcome.count = sent
    if made or sent or deleted:
        emit("info", "webhooks", deliveries_made=made, deliveries_sent=sent, deliveries_deleted=deleted)
    return outcome


TASKS = (CronTask("webhook_deliveries_sent", run_webhooks),)
