"""The job event log shared by every job kind (`job_events`): one row per state change,
written in the same batch as the change, and listed oldest first.

A job table that records events follows one convention: it has `id`, `status` and
`updated_at`, plus `previous_status` and `transition_id`, which every state-changing
statement writes (the status it left and a fresh random token). The event INSERT that
follows in the same batch selects the job's row *by that token*, so it inserts exactly
one row per row the change touched — and none when the change lost a race (D1 runs a
batch's next statement even when an UPDATE matched nothing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .clock import iso_ms
from .db import Database, Statement, named
from .pagination import page_request, page_response, page_rows

# `{table}`, `{where}` and `{data}` are SQL fragments from code, never from requests.
EVENT_AFTER_CHANGE_SQL = """
INSERT INTO job_events (job_kind, job_id, event, from_status, to_status, data, at)
SELECT :job_kind, id, :event, previous_status, status, {data}, updated_at
FROM {table}
WHERE {where} AND transition_id = :transition_id
"""

LIST_EVENTS_SQL = """
SELECT id, event, from_status, to_status, data, at
FROM job_events
WHERE job_kind = ?1 AND job_id = ?2 AND id > ?3
ORDER BY id
LIMIT ?4
"""

# Deleting the events of the jobs a condition selects, before (in the same batch as) the jobs.
DELETE_EVENTS_OF_SQL = """
DELETE FROM job_events
WHERE job_kind = :job_kind AND job_id IN (SELECT id FROM {table} WHERE {where})
"""


def event_after_change(
    table: str, where: str, values: Mapping[str, object], data: str = "NULL", *, one_row: bool = False
) -> Statement:
    """The INSERT recording the change just made (by the statement before it in the batch)
    to the rows of `table` matching `where` that carry `values["transition_id"]`. `values`
    also names `job_kind` and `event`; `data` is a SQL expression over the changed row
    (a JSON object or NULL). `one_row`: the change touched at most one row, so the search
    stops at it (D1 bills a range search one more row, to see where the range ends)."""
    sql = EVENT_AFTER_CHANGE_SQL.format(table=table, where=where, data=data)
    return named(sql + "LIMIT 1\n" if one_row else sql, values)


def delete_events_of(table: str, where: str, values: Mapping[str, object]) -> Statement:
    """The DELETE of the events of `values["job_kind"]` jobs in `table` matching `where`."""
    return named(DELETE_EVENTS_OF_SQL.format(table=table, where=where), values)


def render_event(row: Mapping[str, Any]) -> dict[str, Any]:
    """An event for clients. In `data`, integer values of keys ending in `_at` are epoch
    milliseconds and are sent as ISO 8601 like every other time."""
    data = json.loads(row["data"]) if row["data"] else None
    if isinstance(data, dict):
        data = {
            key: iso_ms(value) if key.endswith("_at") and isinstance(value, int) else value
            for key, value in data.items()
        }
    return {
        "id": row["id"],
        "event": row["event"],
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "data": data,
        "at": iso_ms(row["at"]),
    }


async def events_page(
    db: Database, query: Mapping[str, str], cursor_key: str, job_kind: str, job_id: str
) -> dict[str, Any]:
    """One page of a job's history, oldest first (keyset on the event id)."""
    scope = f"events:{job_kind}:{job_id}"  # a cursor is valid for this job's history only
    page = page_request(query, scope, cursor_key, (int,))
    after = page.after[0] if page.after else 0
    rows = await db.all(LIST_EVENTS_SQL, job_kind, job_id, after, page.limit + 1)
    return page_response(*page_rows(rows, page, scope, cursor_key, lambda r: [r["id"]]), render_event)


EVENT_SCHEMA = {
    "type": "object",
    "required": ["id", "event", "from_status", "to_status", "data", "at"],
    "properties": {
        "id": {"type": "integer", "description": "Increases with every event."},
        "event": {"type": "string", "examples": ["created", "claimed", "failed"]},
        "from_status": {"type": ["string", "null"], "description": "null for `created`."},
        "to_status": {"type": "string"},
        "data": {"type": ["object", "null"], "description": "Details of the event; times as ISO 8601."},
        "at": {"type": "string", "format": "date-time"},
    },
}
