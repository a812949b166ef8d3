"""Running the outbox and the sender for one invocation: after a write (in `waitUntil`), in
each cron run, and for a retry asked for by hand.

Whether anyone is subscribed is kept per isolate, so a write on a service without live
subscriptions costs nothing after the isolate's first look: the isolate knows after it looked
(at most every WEBHOOK_RECHECK_SECONDS; 0: only on its first write), after its own subscription
routes ran, and after each cron run. A subscription made in another isolate is served by that
isolate's writes and by the cron meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

from ..core.clock import now_ms
from ..core.config import Config
from ..core.context import RequestContext
from ..core.db import Database
from ..core.logs import emit
from ..core.outbound import Outbound
from ..core.services import Services, current
from .outbox import live_subscriptions, make_deliveries
from .sender import JITTER, send_due
from .sql import ANY_LIVE_SUBSCRIPTION_SQL

# Outbox passes after a write: the first, and two more when the events remain (another write's
# sender moved a cursor between this one's read and its batch, or the chunk was full).
AFTER_WRITE_PASSES = 3


class Presence:
    """This isolate's knowledge of whether a live subscription exists (None: not known)."""

    live: bool | None = None
    checked_at = 0.0

    @classmethod
    def note(cls, live: bool | None) -> None:
        cls.live, cls.checked_at = live, time.monotonic()

    @classmethod
    def stale(cls, recheck_seconds: int) -> bool:
        if cls.live is None:
            return True
        return recheck_seconds > 0 and time.monotonic() - cls.checked_at > recheck_seconds


async def catch_up(db: Database, now: int, chunk: int, passes: int) -> tuple[int, bool]:
    """Up to `passes` outbox passes; (deliveries made, whether events remain)."""
    made, more = 0, False
    for _ in range(passes):
        subscriptions = await live_subscriptions(db)
        Presence.note(bool(subscriptions))
        count, more = await make_deliveries(db, now, chunk, subscriptions)
        made += count
        if not more:
            break
    return made, more


async def after_write(ctx: RequestContext) -> Coroutine[Any, Any, None] | None:
    """After a request that wrote rows: the background work that makes its events'
    deliveries and sends them, or None when this isolate knows nobody is subscribed."""
    config = ctx.config
    if not config.webhook_send_after_write:
        return None  # the cron makes and sends every delivery
    if Presence.stale(config.webhook_recheck_seconds):
        row = await Database(ctx.db.binding).first(ANY_LIVE_SUBSCRIPTION_SQL)  # not the request's stats
        Presence.note(row is not None)
    if not Presence.live:
        return None
    return send_after_write(Database(ctx.db.binding), config, current(), ctx.now)


async def send_after_write(db: Database, config: Config, services: Services, now: int) -> None:
    """The events of the write (and any before it not yet made into deliveries) become
    deliveries; the due ones are sent now. When the schedule's first step is short (5 s, at
    most WEBHOOK_QUICK_RETRY_SECONDS), the attempts that failed are retried here once it has
    passed: the cron runs only every few minutes. Failures are logged: the cron takes over."""
    try:
        await catch_up(db, now, config.webhook_outbox_chunk, passes=AFTER_WRITE_PASSES)
        if services.transport is None:
            return
        limit = config.webhook_max_after_write
        outbound = Outbound(services.transport, max_requests=2 * limit)
        counts = await send_due(db, config, services, outbound, now, limit)
        first_step = config.webhook_retry_schedule[0]
        if counts["failed_attempts"] and first_step <= config.webhook_quick_retry_seconds:
            await asyncio.sleep(first_step * (1 + JITTER) + 0.05)
            await send_due(db, config, services, outbound, now_ms(), limit)
    except Exception as exc:  # noqa: BLE001 - background work: nobody to answer
        emit("warning", "webhook sending after a write failed", error=str(exc))
