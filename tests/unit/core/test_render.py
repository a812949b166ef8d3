"""The two renderers of an API item agree: `render` (Python, a row a handler holds) and
`item_sql` (SQLite's json_object, list pages), for every field list the app uses, over the
values a stored row can hold. Run on CPython's SQLite here; the HTTP tests compare list pages
with single items on D1 itself."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgejobs.core.clock import _LAST_4_DIGIT_YEAR_MS, iso_ms, iso_ms_sql
from edgejobs.core.render import BOOL, JSON, TIME, item_sql, render
from edgejobs.core.render import Column as Field
from edgejobs.exports.model import JOB_FIELDS
from edgejobs.veo.model import METADATA_FIELDS

FIELD_LISTS = {"export job": JOB_FIELDS, "VEO job metadata": METADATA_FIELDS}
SAFE = 2**53 - 1

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-SAFE, SAFE) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
times = st.integers(0, _LAST_4_DIGIT_YEAR_MS)


def value_for(kind: str) -> st.SearchStrategy[Any]:
    if kind == TIME:
        return st.none() | times
    if kind == JSON:
        return st.none() | json_values.map(lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":")))
    if kind == BOOL:
        return st.sampled_from([0, 1])
    return st.none() | st.integers(-SAFE, SAFE) | texts


def rows_for(fields: Sequence[Field]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({f.name: value_for(f.kind) for f in fields})


def rendered_by_sqlite(fields: Sequence[Field], row: dict[str, Any]) -> Any:
    with sqlite3.connect(":memory:") as db:
        db.execute(f"CREATE TABLE t ({', '.join(f.name for f in fields)})")
        db.execute(f"INSERT INTO t VALUES ({', '.join('?' for _ in fields)})", [row[f.name] for f in fields])
        (text,) = db.execute(f"SELECT {item_sql(fields)} FROM t").fetchone()
    return json.loads(text)


@pytest.mark.parametrize("name", FIELD_LISTS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_sqlite_renders_every_row_as_python_does(name: str, data: st.DataObject) -> None:
    fields = FIELD_LISTS[name]
    row = data.draw(rows_for(fields))
    expected = render(fields, row)
    got = rendered_by_sqlite(fields, row)
    assert got == expected
    assert list(got) == [f.name for f in fields]  # and in the same order


@settings(max_examples=300, deadline=None)
@given(ms=times)
def test_iso_time_in_sql_is_exact_to_the_millisecond(ms: int) -> None:
    with sqlite3.connect(":memory:") as db:
        (text,) = db.execute(f"SELECT {iso_ms_sql('?1')}", [ms]).fetchone()
    assert text == iso_ms(ms)


@pytest.mark.parametrize(
    "ms", [0, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 1_763_800_000_123, _LAST_4_DIGIT_YEAR_MS]
)
def test_iso_time_in_sql_at_the_edges(ms: int) -> None:
    with sqlite3.connect(":memory:") as db:
        (text,) = db.execute(f"SELECT {iso_ms_sql('?1')}", [ms]).fetchone()
        (null,) = db.execute(f"SELECT {iso_ms_sql('NULL')}").fetchone()
    assert text == iso_ms(ms)
    assert null is None
