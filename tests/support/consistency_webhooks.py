"""The consistency check of webhooks (the outbox is `job_events` read past each subscription's
cursor; webhooks/outbox.py):

  - every event at or before a subscription's cursor that its patterns match, and that happened
    after the subscription started (its first delivery-making pass), has exactly one delivery;
    an event without one is a lost event; two are a duplicate;
  - no delivery names an event the subscription's patterns do not match, or one past its cursor;
  - with `settled` (a sender ran after the last write), no live subscription's cursor is behind
    the newest event (events waiting to become deliveries);
  - per status: `pending` has a next attempt; `delivered` and `failed` have none and at least
    one attempt; `delivered` has a 2xx status code.

Event types and pattern matching are written out here, not imported, so that the check does
not trust the code it checks.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

Sql = Callable[..., list[dict[str, Any]]]
RESOURCE_NAMES = {"export": "export_job"}


def _type(job_kind: str, event: str) -> str:
    return f"{RESOURCE_NAMES.get(job_kind, job_kind)}.{event}"


def _matches(patterns: list[str], type_: str) -> bool:
    resource = type_.split(".")[0]
    return "*" in patterns or type_ in patterns or f"{resource}.*" in patterns


def check_webhooks(sql: Sql, *, since: dict[str, int] | None = None, settled: bool = False) -> list[str]:
    """Findings; `since[subscription_id]`: the newest event id when it was made (events up to
    it are not its business); without it, events from its first delivery on."""
    findings: list[str] = []
    newest = sql("SELECT coalesce(max(id), 0) AS id FROM job_events")[0]["id"]
    for sub in sql("SELECT id, events, event_cursor, disabled FROM webhook_subscriptions"):
        patterns = json.loads(sub["events"])
        deliveries = sql(
            "SELECT id, event_id, event_type, status, attempts, next_attempt_at, last_status_code"
            " FROM webhook_deliveries WHERE subscription_id = ?",
            sub["id"],
        )
        start = (since or {}).get(sub["id"])
        if start is None:
            start = min((d["event_id"] for d in deliveries), default=sub["event_cursor"] + 1) - 1
        counts = Counter(d["event_id"] for d in deliveries)
        events = sql(
            "SELECT id, job_kind, event FROM job_events WHERE id > ? AND id <= ? ORDER BY id",
            start,
            sub["event_cursor"],
        )
        for event in events:
            type_ = _type(event["job_kind"], event["event"])
            wanted = _matches(patterns, type_)
            if wanted and counts[event["id"]] == 0:
                findings.append(f"webhook {sub['id']}: event {event['id']} ({type_}) has no delivery")
            elif counts[event["id"]] > 1:
                findings.append(
                    f"webhook {sub['id']}: event {event['id']} has {counts[event['id']]} deliveries"
                )
        for d in deliveries:
            if d["event_id"] > sub["event_cursor"]:
                findings.append(f"delivery {d['id']}: event {d['event_id']} is past its webhook's cursor")
            if not _matches(patterns, d["event_type"]) and not sub["disabled"]:
                findings.append(f"delivery {d['id']}: {d['event_type']} does not match {patterns}")
            findings += _status_problems(d)
        if settled and not sub["disabled"] and sub["event_cursor"] < newest:
            findings.append(f"webhook {sub['id']}: cursor {sub['event_cursor']} is behind event {newest}")
    return findings


def _status_problems(d: dict[str, Any]) -> list[str]:
    status, problems = d["status"], []
    if status == "pending" and d["next_attempt_at"] is None:
        problems.append(f"delivery {d['id']}: pending without a next attempt")
    if status in ("delivered", "failed") and (d["next_attempt_at"] is not None or d["attempts"] < 1):
        problems.append(f"delivery {d['id']}: {status} with a next attempt or no attempt")
    if status == "delivered" and not (200 <= (d["last_status_code"] or 0) < 300):
        problems.append(f"delivery {d['id']}: delivered with status code {d['last_status_code']}")
    return problems
