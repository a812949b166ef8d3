"""The outbox over the fake D1 (the migrations' schema in SQLite): deliveries made once from
`job_events` past each cursor, racing senders, reused event ids, the quick retry after a write."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

from edgejobs.core.clock import now_ms
from edgejobs.core.config import Config
from edgejobs.core.db import Database
from edgejobs.core.services import Services
from edgejobs.main import REGISTRY  # noqa: F401 - declares every capability's settings
from edgejobs.webhooks.dispatch import send_after_write
from edgejobs.webhooks.outbox import live_subscriptions, make_deliveries
from tests.support.fake_d1 import FakeD1
from tests.support.webhooks import verify

NOW = 1_800_000_000_000
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _db() -> tuple[FakeD1, Database]:
    fake = FakeD1.migrated()
    return fake, Database(fake)


def _subscribe(fake: FakeD1, sub_id: str, events: list[str], url: str = "https://h.example.com/x") -> None:
    fake.conn.execute(
        "INSERT INTO webhook_subscriptions (id, url, events, secret, event_cursor, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, (SELECT coalesce(max(id), 0) FROM job_events), 0, 0)",
        (sub_id, url, json.dumps(events), SECRET),
    )


def _event(fake: FakeD1, event: str, kind: str = "probe") -> int:
    cursor = fake.conn.execute(
        "INSERT INTO job_events (job_kind, job_id, event, from_status, to_status, data, at)"
        " VALUES (?, 'j1', ?, 'a', 'b', NULL, ?)",
        (kind, event, NOW),
    )
    return int(cursor.lastrowid or 0)


def _deliveries(fake: FakeD1, sub_id: str) -> list[tuple[int, str]]:
    rows = fake.conn.execute(
        "SELECT event_id, event_type FROM webhook_deliveries WHERE subscription_id = ? ORDER BY event_id",
        (sub_id,),
    )
    return [(r[0], r[1]) for r in rows]


async def _pass(db: Database) -> tuple[int, bool]:
    return await make_deliveries(db, NOW, 100, await live_subscriptions(db))


def test_events_past_each_cursor_become_deliveries_once() -> None:
    fake, db = _db()
    _event(fake, "before")  # before any subscription: not theirs
    _subscribe(fake, "all", ["*"])
    first = _event(fake, "one")
    _subscribe(fake, "late", ["*"])
    second = _event(fake, "two")
    assert asyncio.run(_pass(db)) == (3, False)
    assert asyncio.run(_pass(db)) == (0, False)
    assert _deliveries(fake, "all") == [(first, "probe.one"), (second, "probe.two")]
    assert _deliveries(fake, "late") == [(second, "probe.two")]
    body = json.loads(fake.conn.execute("SELECT body FROM webhook_deliveries LIMIT 1").fetchone()[0])
    assert body["type"] == "probe.one" and body["data"]["job_id"] == "j1" and body["data"]["event"] == "one"


def test_two_senders_reading_the_same_events_make_the_deliveries_once() -> None:
    fake, db = _db()
    _subscribe(fake, "s", ["*"])
    for n in range(5):
        _event(fake, f"e{n}")

    async def race() -> None:
        seen_by_both = await live_subscriptions(db)  # both read the cursor before either writes
        await make_deliveries(db, NOW, 100, seen_by_both)
        await make_deliveries(db, NOW, 100, seen_by_both)

    asyncio.run(race())
    assert len(_deliveries(fake, "s")) == 5


def test_a_sender_that_lost_the_race_makes_nothing_and_says_events_remain() -> None:
    """Two writes in a row: the first write's sender moves the cursor past the first event
    while the second's had read the cursor before it. The second makes nothing (the cursor
    moved) and must say so, or the second event waits for the cron."""
    fake, db = _db()
    _subscribe(fake, "s", ["*"])
    _event(fake, "one")
    seen_before = asyncio.run(live_subscriptions(db))
    asyncio.run(_pass(db))  # the first write's sender: "one" delivered, the cursor moved
    second = _event(fake, "two")
    assert asyncio.run(make_deliveries(db, NOW, 100, seen_before)) == (0, True)
    assert asyncio.run(_pass(db)) == (1, False)
    assert _deliveries(fake, "s")[-1] == (second, "probe.two")


def test_after_a_write_the_sender_retries_a_pass_it_lost() -> None:
    fake, db = _db()
    _subscribe(fake, "s", ["*"])
    _event(fake, "one")
    real = live_subscriptions
    calls = 0

    async def stale_once(db: Database) -> list:  # type: ignore[type-arg]
        nonlocal calls
        calls += 1
        subscriptions = await real(db)
        if calls == 1:  # another sender wins between this read and the batch
            await make_deliveries(db, NOW, 100, subscriptions)
            _event(fake, "two")
        return subscriptions

    import edgejobs.webhooks.dispatch as dispatch

    dispatch.live_subscriptions = stale_once  # type: ignore[assignment]
    try:
        asyncio.run(dispatch.catch_up(db, NOW, 100, passes=3))
    finally:
        dispatch.live_subscriptions = real
    assert [t for _, t in _deliveries(fake, "s")] == ["probe.one", "probe.two"]


def test_chunks_and_patterns() -> None:
    fake, db = _db()
    _subscribe(fake, "s", ["probe.keep"])
    for n in range(7):
        _event(fake, "keep" if n % 2 else "drop")
    subscriptions = asyncio.run(live_subscriptions(db))
    assert asyncio.run(make_deliveries(db, NOW, 4, subscriptions)) == (2, True)
    assert asyncio.run(_pass(db)) == (1, False)
    assert [t for _, t in _deliveries(fake, "s")] == ["probe.keep"] * 3


def test_deleting_the_newest_events_moves_the_cursor_back_so_a_reused_id_is_sent() -> None:
    """The newest events deleted (a purge on an idle service): SQLite hands their ids out again;
    the delete moved the cursor back to the newest remaining event, so the new one is not skipped."""
    fake, db = _db()
    _subscribe(fake, "s", ["*"])
    kept = _event(fake, "kept")
    old = _event(fake, "old")
    asyncio.run(_pass(db))
    fake.conn.execute("DELETE FROM job_events WHERE id = ?", (old,))
    assert fake.conn.execute("SELECT event_cursor FROM webhook_subscriptions").fetchone()[0] == kept
    reused = _event(fake, "new")
    assert reused == old  # the id came back
    assert asyncio.run(_pass(db)) == (1, False)
    assert sorted(_deliveries(fake, "s")) == [(kept, "probe.kept"), (old, "probe.new"), (old, "probe.old")]


def test_deleting_old_events_leaves_the_cursors() -> None:
    fake, db = _db()
    _subscribe(fake, "s", ["*"])
    first = _event(fake, "first")
    newest = _event(fake, "newest")
    asyncio.run(_pass(db))
    fake.conn.execute("DELETE FROM job_events WHERE id = ?", (first,))
    assert fake.conn.execute("SELECT event_cursor FROM webhook_subscriptions").fetchone()[0] == newest


def test_after_a_write_a_failed_first_attempt_is_retried_once_its_short_step_passed() -> None:
    fake, db = _db()
    _subscribe(fake, "s", ["*"])
    _event(fake, "one")
    answers = [500, 204]
    seen: list[dict[str, str]] = []

    async def transport(
        method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, dict[str, str], bytes]:
        verify(SECRET, dict(headers), body or b"")
        seen.append(dict(headers))
        return answers.pop(0), {}, b""

    config = Config(webhook_retry_schedule=(0.2, 300), webhook_quick_retry_seconds=10)
    asyncio.run(send_after_write(db, config, Services(transport=transport), now_ms()))
    row = fake.conn.execute("SELECT status, attempts, last_status_code FROM webhook_deliveries").fetchone()
    assert tuple(row) == ("delivered", 2, 204)
    assert seen[0]["webhook-id"] == seen[1]["webhook-id"]


def test_deliveries_made_together_are_listed_in_event_order() -> None:
    fake, db = _db()
    _subscribe(fake, "s", ["*"])
    made = [_event(fake, f"e{n}") for n in range(20)]
    asyncio.run(_pass(db))
    by_id = fake.conn.execute("SELECT event_id FROM webhook_deliveries ORDER BY id").fetchall()
    assert [row[0] for row in by_id] == made
