"""Calendar dates (`YYYY-MM-DD`) and ISO 8601 instants as clients send them."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta

from .errors import ValidationError

DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_RULE = "a calendar date written YYYY-MM-DD"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def check_date(value: object, name: str) -> str:
    """`value` if it is a real calendar date in `YYYY-MM-DD` form, else a 400 naming `name`."""
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        raise ValidationError(f"{name!r} must be {DATE_RULE}.", field=name)
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{name!r} must be {DATE_RULE}; {value} is no such day.", field=name) from None
    return value


def utc_date(epoch_ms: int) -> str:
    """The UTC calendar date of an instant."""
    return time.strftime("%Y-%m-%d", time.gmtime(epoch_ms // 1000))


def days_before(day: str, days: int) -> str:
    """The date `days` before `day`."""
    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


def parse_instant(value: object, name: str) -> int:
    """An ISO 8601 instant with a time zone (`2026-11-30T19:00:00.000Z`) as epoch ms; 400 otherwise."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValidationError(
            f"Field {name!r} must be an ISO 8601 time such as 2026-11-30T19:00:00Z.", field=name
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError(
            f"Field {name!r} must be an ISO 8601 time with a time zone, such as 2026-11-30T19:00:00Z.",
            field=name,
        )
    epoch_ms = (moment - EPOCH) // timedelta(milliseconds=1)
    if not 0 <= epoch_ms <= 253_402_300_799_999:
        raise ValidationError(f"Field {name!r} is out of range.", field=name)
    return epoch_ms
