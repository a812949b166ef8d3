"""Monthly usage and quotas: the month of an instant, the charge's bound values, the 429 when a
charge is refused, and a usage row as `GET /api/quotas/...` shows it.

A user's limits are `QUOTA_VIDEOS_PER_MONTH` and `QUOTA_CENTS_PER_MONTH` (0: no spend limit),
or the overrides `PUT /api/quotas/{user_id}` stored on the user's row. Months are UTC calendar
months; the row carries the month it counts, so a new month starts at zero without any job.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from ..core.config import Config
from ..core.db import Database
from ..core.errors import QuotaExceeded
from .model import iso
from .sql import GET_USAGE_SQL, NO_OWNER


def period_of(epoch_ms: int) -> str:
    """The UTC month of an instant: '2026-11'."""
    return time.strftime("%Y-%m", time.gmtime(epoch_ms // 1000))


def _utc_start(year: int, month: int) -> int:
    # Not calendar.timegm: importing `calendar` costs ~0.1 s of the Worker's start in Pyodide.
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp()) * 1000


def next_month_start(epoch_ms: int) -> int:
    """The first millisecond of the UTC month after the instant's."""
    return period_end(period_of(epoch_ms))


class Charge(NamedTuple):
    """What a create charges its owner's usage row."""

    owner: str | None  # a user id; None: the service's own videos (counted, never limited)
    units: int
    cents: int

    def values(self, config: Config, now: int, charge_id: str) -> dict[str, object]:
        """The bound values of CHARGE_SQL, COUNT_ALL_SQL and the INSERTs that depend on them."""
        return {
            "owner": NO_OWNER if self.owner is None else self.owner,
            "user_id": self.owner,
            "period": period_of(now),
            "units": self.units,
            "cents": self.cents,
            "limited": 0 if self.owner is None else 1,
            "videos_limit": config.quota_videos_per_month,
            "cents_limit": config.quota_cents_per_month,
            "charge_id": charge_id,
            "now": now,
        }


class Quota(NamedTuple):
    user_id: str
    period: str
    videos_used: int
    videos_limit: int
    cents_used: int
    cents_limit: int  # 0: none
    resets_at: int

    @property
    def remaining(self) -> int:
        return max(self.videos_limit - self.videos_used, 0)

    def render(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "period": self.period,
            "videos_used": self.videos_used,
            "videos_limit": self.videos_limit,
            "remaining": self.remaining,
            "cents_used": self.cents_used,
            "cents_limit": self.cents_limit,
            "resets_at": iso(self.resets_at),
        }


def period_end(period: str) -> int:
    """The first millisecond after a month ('2026-11' → 2026-12-01T00:00:00Z)."""
    year, month = map(int, period.split("-"))
    return _utc_start(year + 1, 1) if month == 12 else _utc_start(year, month + 1)


def quota_of(user_id: str, row: Mapping[str, Any] | None, config: Config, now: int) -> Quota:
    """The user's quota this month, from their usage row (None: never charged). A row already
    in a later month (a request that read the clock just before the turn) is shown as it is."""
    period = period_of(now)
    current = row is not None and row["period"] >= period
    videos_limit = config.quota_videos_per_month
    cents_limit = config.quota_cents_per_month
    if row is not None:
        videos_limit = row["videos_limit"] if row["videos_limit"] is not None else videos_limit
        cents_limit = row["cents_limit"] if row["cents_limit"] is not None else cents_limit
        period = max(period, row["period"])
    return Quota(
        user_id,
        period,
        row["videos_used"] if current and row else 0,
        videos_limit,
        row["cents_used"] if current and row else 0,
        cents_limit,
        period_end(period),
    )


async def read_quota(db: Database, user_id: str, config: Config, now: int) -> Quota:
    return quota_of(user_id, await db.first(GET_USAGE_SQL, user_id), config, now)


async def quota_exceeded(db: Database, charge: Charge, config: Config, now: int) -> QuotaExceeded:
    """The 429 for a refused charge, from the usage row as it is now."""
    assert charge.owner is not None  # the service's own videos are never refused
    quota = await read_quota(db, charge.owner, config, now)
    over_cents = quota.cents_limit and quota.cents_used + charge.cents > quota.cents_limit
    what = (
        f"{charge.cents} cents would pass the monthly spend limit of {quota.cents_limit} "
        f"({quota.cents_used} used)"
        if over_cents and quota.videos_used + charge.units <= quota.videos_limit
        else f"{charge.units} video{'s' if charge.units > 1 else ''} would pass the monthly limit "
        f"of {quota.videos_limit} ({quota.videos_used} used)"
    )
    retry_after = max(1, math.ceil((quota.resets_at - now) / 1000))
    return QuotaExceeded(
        f"Quota exceeded: {what}. It resets at {iso(quota.resets_at)}.",
        details={
            "used": quota.videos_used,
            "limit": quota.videos_limit,
            "remaining": quota.remaining,
            "resets_at": iso(quota.resets_at),
            "cents_used": quota.cents_used,
            "cents_limit": quota.cents_limit,
        },
        headers={"retry-after": str(retry_after)},
    )
