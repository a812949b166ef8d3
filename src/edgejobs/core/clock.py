"""The one clock seam: every timestamp the service stores comes from `now_ms()`."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    """Current time as integer epoch milliseconds (how times are stored)."""
    return time.time_ns() // 1_000_000


_LAST_4_DIGIT_YEAR_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


_DATES: dict[int, str] = {}  # day number since 1970 → "YYYY-MM-DD": times on a page share days


def iso_ms(epoch_ms: int | None) -> str | None:
    """Epoch milliseconds → ISO 8601 UTC with milliseconds and `Z`."""
    if epoch_ms is None:
        return None
    if 0 <= epoch_ms <= _LAST_4_DIGIT_YEAR_MS:
        # A list page formats ~300 times: the date comes from a cache and the time of day from
        # arithmetic (a third of time.strftime + gmtime per call in Pyodide; `make bench`).
        seconds, millis = divmod(epoch_ms, 1000)
        day, second_of_day = divmod(seconds, 86_400)
        date = _DATES.get(day)
        if date is None:
            if len(_DATES) >= 4096:
                _DATES.clear()
            date = _DATES[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86_400))
        hours, rest = divmod(second_of_day, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{date}T{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}Z"
    moment = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC)  # raises past year 9999, as always
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def iso_ms_sql(column: str) -> str:
    """SQL for `iso_ms(column)`, evaluated by SQLite, for the times the service stores (epoch
    milliseconds from its own clock: never negative, years below 10000). NULL stays NULL.
    Integer arithmetic only, so every millisecond is exact (tests/unit/core/test_render.py)."""
    return f"strftime('%Y-%m-%dT%H:%M:%S', {column} / 1000, 'unixepoch') || printf('.%03dZ', {column} % 1000)"
