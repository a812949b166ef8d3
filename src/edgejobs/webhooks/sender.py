"""Sending due deliveries: take them under a short lease, send them (at most 6 at once, each
signed, with a timeout), and record every outcome in one batch.

2xx: delivered. 410: failed, and the subscription is disabled. Anything else (3xx, 4xx, 5xx, a
timeout, no connection): the attempt failed, and the delivery is due again after the next step
of the retry schedule (±10%); after the last step it is `failed`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..core.config import Config
from ..core.db import Database, Statement, named
from ..core.outbound import Outbound, OutboundBudgetExhausted, OutboundError
from ..core.services import Services
from ..core.validation import clip
from .model import DELIVERED, FAILED, PENDING
from .signing import signed_headers
from .sql import CLAIM_DELIVERIES_SQL, DISABLE_SUBSCRIPTION_SQL, DUE_DELIVERIES_SQL, RECORD_ATTEMPT_SQL

LEASE_GRACE_MS = 15_000  # a send's lease: its timeout and this much more
JITTER = 0.10
MAX_ERROR = 500


class Attempt(NamedTuple):
    status_code: int | None
    error: str | None


def retry_delay_ms(schedule: Sequence[int], attempts: int, rand: float) -> int | None:
    """How long after failed attempt number `attempts` (1 = the first) the next one is due
    (the schedule's step ±10%, `rand` in [0, 1)); None when the schedule is spent."""
    if attempts > len(schedule):
        return None
    return round(schedule[attempts - 1] * 1000 * (1 - JITTER + 2 * JITTER * rand))


def outcome_statements(
    delivery: Mapping[str, Any],
    attempt: Attempt,
    now: int,
    lease_until: int,
    schedule: Sequence[int],
    rand: float,
) -> list[Statement]:
    """What one attempt changes: the delivery (and, on 410, its subscription)."""
    attempts = delivery["attempts"] + 1
    code = attempt.status_code
    values: dict[str, Any] = {
        "id": delivery["id"],
        "subscription_id": delivery["subscription_id"],
        "now": now,
        "lease_until": lease_until,
        "status_code": code,
        "error": attempt.error,
        "next_attempt_at": None,
    }
    statements = []
    if code is not None and 200 <= code < 300:
        values["status"] = DELIVERED
    elif code == 410:
        values["status"] = FAILED
        values["reason"] = "the receiver answered 410 Gone"
        statements.append(named(DISABLE_SUBSCRIPTION_SQL, values))
    else:
        delay = retry_delay_ms(schedule, attempts, rand)
        values["status"] = PENDING if delay is not None else FAILED
        values["next_attempt_at"] = None if delay is None else now + delay
    return [named(RECORD_ATTEMPT_SQL, values), *statements]


async def attempt(
    outbound: Outbound, services: Services, delivery: Mapping[str, Any], timeout: float, now: int
) -> Attempt:
    """One signed POST of the delivery's body to its subscription's URL."""
    body = delivery["body"].encode()
    headers = await signed_headers(
        services.hmac_sha256, delivery["secret"], delivery["id"], now // 1000, body
    )
    try:
        answer = await outbound.request(
            "POST", delivery["url"], headers=headers, body=body, timeout=timeout, secret_path=True
        )
    except OutboundError as exc:
        return Attempt(None, clip(str(exc) or type(exc).__name__, MAX_ERROR))
    if 200 <= answer.status < 300:
        return Attempt(answer.status, None)
    detail = answer.body[:200].decode("utf-8", "replace").strip()
    return Attempt(
        answer.status, clip(f"HTTP {answer.status}" + (f": {detail}" if detail else ""), MAX_ERROR)
    )


async def send_due(
    db: Database, config: Config, services: Services, outbound: Outbound, now: int, limit: int
) -> dict[str, int]:
    """Send up to `limit` due deliveries (at most WEBHOOK_MAX_PER_SUBSCRIPTION of each
    subscription); counts of what happened."""
    counts = {"sent": 0, "delivered": 0, "failed_attempts": 0}
    limit = min(limit, outbound.remaining)
    if limit <= 0 or services.transport is None:
        return counts
    due = await db.run(
        named(
            DUE_DELIVERIES_SQL,
            {"now": now, "per_subscription": config.webhook_max_per_subscription, "limit": limit},
        )
    )
    return await send(db, config, services, outbound, now, due.rows, counts)


async def send(
    db: Database,
    config: Config,
    services: Services,
    outbound: Outbound,
    now: int,
    due: list[dict[str, Any]],
    counts: dict[str, int] | None = None,
) -> dict[str, int]:
    """Claim `due` (rows of DUE_DELIVERIES_SQL's shape), send those claimed, record outcomes."""
    counts = counts if counts is not None else {"sent": 0, "delivered": 0, "failed_attempts": 0}
    if not due:
        return counts
    timeout = config.webhook_timeout_seconds
    lease_until = now + timeout * 1000 + LEASE_GRACE_MS
    values = {"ids": json.dumps([d["id"] for d in due]), "now": now, "lease_until": lease_until}
    claimed = await db.run(named(CLAIM_DELIVERIES_SQL, values))
    mine = {row["id"] for row in claimed.rows}
    taken = [d for d in due if d["id"] in mine]
    results = await outbound.gather_bounded(
        [lambda d=d: attempt(outbound, services, d, timeout, now) for d in taken]  # type: ignore[misc]
    )
    statements: list[Statement] = []
    for delivery, result in zip(taken, results, strict=True):
        if isinstance(result, OutboundBudgetExhausted):
            continue  # not sent: due again when the lease ends
        if isinstance(result, Exception):
            result = Attempt(None, clip(str(result), MAX_ERROR))
        counts["sent"] += 1
        counts[
            "delivered" if result.status_code and 200 <= result.status_code < 300 else "failed_attempts"
        ] += 1
        statements += outcome_statements(
            delivery, result, now, lease_until, config.webhook_retry_schedule, random.random()
        )
    if statements:
        await db.batch(statements)
    return counts
