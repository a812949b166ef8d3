"""How a stored row becomes an item of the API: one field list per resource, and its two
renderers. Python renders a row a handler already holds (`render`); SQLite renders list pages
(`item_sql`, a `json_object(...)` column), so that a page arrives as JSON texts to join.

Rendering a page of 50 items in Python cost ~1.4 ms in Pyodide: every row decoded into a dict,
its times formatted, the page encoded again (`make bench`, "Handler overhead"). Both renderers
read the same field list; tests/unit/core/test_render.py holds them to the same output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .clock import iso_ms, iso_ms_sql

PLAIN = "plain"  # the value as stored
JSON = "json"  # JSON text, sent as the value it holds (NULL → null)
TIME = "time"  # epoch milliseconds, sent as ISO 8601 (`clock.iso_ms`)
BOOL = "bool"  # 0/1, sent as false/true


class Column(NamedTuple):
    name: str
    kind: str = PLAIN


def render(fields: Sequence[Column], row: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name, kind in fields:
        value = row[name]
        if kind == TIME:
            value = iso_ms(value)
        elif kind == JSON:
            value = None if value is None else json.loads(value)
        elif kind == BOOL:
            value = bool(value)
        item[name] = value
    return item


def item_sql(fields: Sequence[Column]) -> str:
    """A SQL expression whose value is the row's item as JSON text (the row's columns in scope)."""
    parts = []
    for name, kind in fields:
        if kind == TIME:
            value = iso_ms_sql(name)
        elif kind == JSON:
            value = f"json({name})"
        elif kind == BOOL:
            value = f"json(CASE WHEN {name} THEN 'true' ELSE 'false' END)"
        else:
            value = name
        parts.append(f"'{name}', {value}")
    return f"json_object({', '.join(parts)})"
