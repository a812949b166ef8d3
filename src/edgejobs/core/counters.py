"""Counters for `GET /api/stats`, written in the same batch as each change they count.

Follows the state machine's convention (see events.py): a changed row carries the batch's
`transition_id` and the status it left in `previous_status`, so a statement placed after the
change finds exactly the rows it changed, and none when it lost a race. The stats then read
a few dozen counter rows at any table size instead of counting a table.

  stat_counters  `<kind>.<status>` → how many rows are in that status now
  stat_hourly    (`<kind>.<status>`, hour) → how many rows entered that status in that hour
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .db import Statement, named

HOUR_MS = 3_600_000

# `{kind}`, `{table}`, `{where}` and `{statuses}` are SQL fragments from code, never from requests.
# `{limit}`: ` LIMIT 1` when the change touched at most one row found by a range (a claim's
# runner index): the search stops at it instead of reading on to the range's end (D1 bills
# that row too), two rows fewer per claim.
_MOVES_SQL = """
INSERT INTO stat_counters (name, value)
SELECT name, sum(delta) FROM (
  SELECT * FROM (SELECT '{kind}.' || status AS name, 1 AS delta
    FROM {table} WHERE {where} AND transition_id = :transition_id{limit})
  UNION ALL
  SELECT * FROM (SELECT '{kind}.' || previous_status, -1
    FROM {table} WHERE {where} AND transition_id = :transition_id AND previous_status IS NOT NULL{limit})
) WHERE true GROUP BY name
ON CONFLICT (name) DO UPDATE SET value = value + excluded.value
"""
_HOURLY_SQL = """
INSERT INTO stat_hourly (name, hour, value)
SELECT '{kind}.' || status, {column} / 3600000 * 3600000, count(*)
FROM {table}
WHERE {where} AND transition_id = :transition_id AND status IN ({statuses}) AND {column} IS NOT NULL
GROUP BY 1, 2
ON CONFLICT (name, hour) DO UPDATE SET value = value + excluded.value
"""
_BEFORE_DELETE_SQL = """
INSERT INTO stat_counters (name, value)
SELECT '{kind}.' || status, -count(*) FROM {table} WHERE {where} GROUP BY 1
ON CONFLICT (name) DO UPDATE SET value = value + excluded.value
"""


def moves_after_change(
    kind: str, table: str, where: str, values: Mapping[str, object], *, one_row: bool = False
) -> Statement:
    """After a change (an INSERT or a state transition) of the rows of `table` matching `where`
    that carry `values["transition_id"]`: each counts one more in its status, one less in its
    `previous_status` (NULL for a new row). `one_row`: the change touched at most one row."""
    limit = " LIMIT 1" if one_row else ""
    return named(_MOVES_SQL.format(kind=kind, table=table, where=where, limit=limit), values)


def hourly_after_change(
    kind: str, table: str, where: str, values: Mapping[str, object], statuses: Sequence[str], column: str
) -> Statement:
    """After a change: each changed row now in one of `statuses` counts once in the hour of its
    `column` (an epoch-ms time such as completed_at)."""
    quoted = ", ".join(f"'{status}'" for status in statuses)  # constants, not input
    sql = _HOURLY_SQL.format(kind=kind, table=table, where=where, statuses=quoted, column=column)
    return named(sql, values)


def before_delete(kind: str, table: str, where: str, values: Mapping[str, object]) -> Statement:
    """Before (in the same batch as) a DELETE of the rows matching `where`: they leave their status."""
    return named(_BEFORE_DELETE_SQL.format(kind=kind, table=table, where=where), values)


_ADD_IF_ABSENT_SQL = """
INSERT INTO stat_counters (name, value)
SELECT ?1, 1 WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {key} = ?2)
ON CONFLICT (name) DO UPDATE SET value = value + 1
"""
# changes(): the rows the batch's previous statement deleted itself (not those it cascaded to).
_SUBTRACT_CHANGES_SQL = "UPDATE stat_counters SET value = value - changes() WHERE name = ?1"


def add_if_absent(name: str, table: str, key_column: str, key: object) -> Statement:
    """Before (in the same batch as) a write that creates the row `key` unless it exists:
    counts it once when it is new."""
    return Statement(_ADD_IF_ABSENT_SQL.format(table=table, key=key_column), (name, key))


def subtract_deleted(name: str) -> Statement:
    """Right after (in the same batch as) a DELETE: its rows no longer count under `name`."""
    return Statement(_SUBTRACT_CHANGES_SQL, (name,))


def reset(name: str) -> Statement:
    return Statement("UPDATE stat_counters SET value = 0 WHERE name = ?1", (name,))


def hour_start(epoch_ms: int) -> int:
    return epoch_ms // HOUR_MS * HOUR_MS
