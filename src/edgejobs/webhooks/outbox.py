"""The outbox: deliveries made from `job_events`, past each subscription's cursor.

Every change of a job writes its event in the batch of the change, so an event exists exactly
when its change committed. The sender (after a write, and every cron run) reads the events past
the live subscriptions' cursors and, in one batch, inserts each subscription's deliveries and
moves its cursor past the events read. A Worker that dies after answering leaves the events in
place for the next sender; two senders that read the same events make the deliveries once (both
statements are conditional on the cursor they read). docs/webhooks.md says why this design.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..core import ids
from ..core.clock import iso_ms
from ..core.db import Database, Statement, named
from ..core.events import render_event
from .events import event_type, matches
from .sql import (
    ADVANCE_CURSOR_SQL,
    EVENTS_AFTER_SQL,
    INSERT_DELIVERIES_SQL,
    LIVE_SUBSCRIPTIONS_SQL,
    RESOURCE_ITEMS_SQL,
)

MAX_LIVE_SUBSCRIPTIONS = 100  # subscriptions served per pass (the laggards first)


class Subscription(NamedTuple):
    id: str
    patterns: list[str]
    cursor: int


def _body(event: Mapping[str, Any], items: Mapping[tuple[str, str], str]) -> tuple[str, str]:
    """(type, body text) of an event: `{"type", "timestamp", "data"}`, where `data` is the
    resource as its GET answers it now, or (job gone, or a kind without one) the event."""
    type_ = event_type(event["job_kind"], event["event"])
    item = items.get((event["job_kind"], event["job_id"]))
    if item is None:
        item = json.dumps({"job_kind": event["job_kind"], "job_id": event["job_id"], **render_event(event)})
    head = json.dumps({"type": type_, "timestamp": iso_ms(event["at"])})
    return type_, f'{head[:-1]}, "data": {item}}}'


async def _items(db: Database, events: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """The current resource of each event's job (kinds with a GET), one query per kind."""
    by_kind: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event["job_kind"] in RESOURCE_ITEMS_SQL:
            by_kind[event["job_kind"]].add(event["job_id"])
    items: dict[tuple[str, str], str] = {}
    for kind, job_ids in by_kind.items():
        for row in await db.all(RESOURCE_ITEMS_SQL[kind], json.dumps(sorted(job_ids))):
            items[(kind, row["id"])] = row["item"]
    return items


def delivery_statements(
    subscription: Subscription,
    events: Sequence[Mapping[str, Any]],
    items: Mapping[tuple[str, str], str],
    now: int,
) -> tuple[list[Statement], int]:
    """The two statements moving `subscription` past `events` (those past its cursor, oldest
    first), and how many deliveries they make."""
    made = []
    for event in events:
        if event["id"] <= subscription.cursor:
            continue
        type_, body = _body(event, items)
        if matches(subscription.patterns, type_):
            made.append([event["id"], type_, body])
    # Ids in event order: a subscription's deliveries list newest first by id.
    rows = [[delivery_id, *row] for delivery_id, row in zip(ids.uuid7s(now, len(made)), made, strict=True)]
    values = {
        "subscription_id": subscription.id,
        "from_cursor": subscription.cursor,
        "to_cursor": events[-1]["id"],
        "rows": json.dumps(rows),
        "now": now,
    }
    statements = [named(ADVANCE_CURSOR_SQL, values)]
    if rows:
        statements.insert(0, named(INSERT_DELIVERIES_SQL, values))
    return statements, len(rows)


async def live_subscriptions(db: Database) -> list[Subscription]:
    rows = await db.all(LIVE_SUBSCRIPTIONS_SQL, MAX_LIVE_SUBSCRIPTIONS)
    return [Subscription(r["id"], json.loads(r["events"]), r["event_cursor"]) for r in rows]


async def make_deliveries(
    db: Database, now: int, chunk: int, subscriptions: list[Subscription]
) -> tuple[int, bool]:
    """One pass: the events past the lowest cursor (at most `chunk`) become the deliveries of
    every live subscription, in one batch. Returns (deliveries made, whether events may remain:
    the chunk was full, or another sender moved a cursor since it was read, so this pass made
    nothing for that subscription and the next pass reads it again)."""
    if not subscriptions:
        return 0, False
    lowest = min(s.cursor for s in subscriptions)
    events = await db.all(EVENTS_AFTER_SQL, lowest, chunk)
    if not events:
        return 0, False
    items = await _items(db, events)
    statements: list[Statement] = []
    advances: list[tuple[int, int]] = []  # (index of a cursor UPDATE in the batch, its deliveries)
    for subscription in subscriptions:
        if subscription.cursor >= events[-1]["id"]:
            continue
        moved, count = delivery_statements(subscription, events, items, now)
        statements += moved
        advances.append((len(statements) - 1, count))
    results = await db.batch(statements)
    made = sum(count for index, count in advances if results[index].rows)
    lost = any(not results[index].rows for index, _ in advances)  # another sender moved a cursor
    return made, lost or len(events) == chunk
