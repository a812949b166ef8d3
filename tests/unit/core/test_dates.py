"""Calendar dates and ISO 8601 instants as clients send them."""

from __future__ import annotations

import pytest

from edgejobs.core.dates import check_date, days_before, parse_instant, utc_date
from edgejobs.core.errors import ValidationError

NOW = 1_764_532_800_000  # 2025-11-30T20:00:00.000Z


def test_instants_need_a_time_zone_and_keep_milliseconds() -> None:
    assert parse_instant("2025-11-30T20:00:00.123Z", "t") == NOW + 123
    assert parse_instant("2025-11-30T21:00:00.123+01:00", "t") == NOW + 123
    for bad in ("2025-11-30T20:00:00", "2025-11-30", "yesterday", 5, None, "x" * 41):
        with pytest.raises(ValidationError):
            parse_instant(bad, "t")


def test_dates_are_real_calendar_days() -> None:
    assert check_date("2024-02-29", "d") == "2024-02-29"
    for bad in ("2025-02-29", "2025-13-01", "2025-1-01", "20251130", "latest", 20251130):
        with pytest.raises(ValidationError):
            check_date(bad, "d")
    assert utc_date(NOW) == "2025-11-30" and days_before("2025-03-01", 1) == "2025-02-28"
