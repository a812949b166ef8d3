"""Counters kept by SQLite triggers (migrations/0013_stat_counters.sql), read by the stats.

The triggers change a counter in the very statement that changes the row it counts, so no
Python write path builds counter statements. Each counted table has a wide counts table: one
row per group (an export job type), one column per status. A one-row change costs one more
row read: its group's counter row, by primary key. See docs/architecture.md ("Counters").

  export_job_counts  job_type → pending, processing, complete, error, cancelled
  veo_job_counts     'all' → stored
  stat_hourly        (name, hour) → how many rows entered a status in that hour
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

HOUR_MS = 3_600_000
# Right after a DELETE in its batch: the rows that DELETE removed itself. D1's `changes` also
# counts the rows its triggers wrote (these counters) and its cascades; SQLite's changes()
# counts neither, and unlike `RETURNING` it reads no row.
DELETED_SQL = "SELECT changes() AS deleted"


def hour_start(epoch_ms: int) -> int:
    return epoch_ms // HOUR_MS * HOUR_MS


def deleted_count(row: Mapping[str, object] | None) -> int:
    """The count DELETED_SQL answered."""
    value = None if row is None else row.get("deleted")
    return value if isinstance(value, int) else 0


def summed(rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> dict[str, int]:
    """The counts of every group added up, per status column (0 for a column no row has)."""
    totals = dict.fromkeys(columns, 0)
    for row in rows:
        for column in columns:
            value = row.get(column)
            totals[column] += value if isinstance(value, int) else 0
    return totals
