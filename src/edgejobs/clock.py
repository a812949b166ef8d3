"""The one clock seam: every timestamp the service stores comes from `now_ms()`."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    """Current time as integer epoch milliseconds (how times are stored)."""
    return time.time_ns() // 1_000_000


def iso_ms(epoch_ms: int | None) -> str | None:
    """Epoch milliseconds → ISO 8601 UTC with milliseconds and `Z`."""
    if epoch_ms is None:
        return None
    moment = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"
