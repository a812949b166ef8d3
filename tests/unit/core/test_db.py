import json
from types import SimpleNamespace

import pytest

from edgejobs.core.db import (
    Database,
    DatabaseError,
    Statement,
    UniqueViolation,
    _result,
    named,
    to_sql_value,
    translate_error,
)
from edgejobs.core.errors import Conflict, DatabaseUnavailable
from edgejobs.platform.d1 import JsD1
from tests.support.fake_d1 import FakeD1


@pytest.fixture
def db() -> Database:
    database = Database(FakeD1())
    database.binding.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE, b BLOB, n INTEGER)")
    return database


async def test_values_round_trip_as_plain_python(db: Database) -> None:
    await db.execute("INSERT INTO t (id, v, b, n) VALUES (?, ?, ?, ?)", 1, None, b"\x00\xff", 2**40)
    row = await db.first("SELECT v, b, n FROM t WHERE id = ?", 1)
    assert row == {"v": None, "b": b"\x00\xff", "n": 2**40}


async def test_stats_sum_queries_and_rows(db: Database) -> None:
    await db.execute("INSERT INTO t (id, v) VALUES (1, 'a')")
    await db.batch([Statement("INSERT INTO t (id, v) VALUES (2, 'b')"), Statement("SELECT * FROM t")])
    assert db.stats.queries == 3
    assert db.stats.rows_written == 2
    assert db.stats.rows_read == 2
    assert db.stats.header() == "queries=3; rows_read=2; rows_written=2"


async def test_batch_is_all_or_nothing(db: Database) -> None:
    await db.execute("INSERT INTO t (id, v) VALUES (1, 'a')")
    with pytest.raises(UniqueViolation):
        await db.batch(
            [Statement("INSERT INTO t (id, v) VALUES (2, 'b')"), Statement("INSERT INTO t (v) VALUES ('a')")]
        )
    assert await db.all("SELECT id FROM t ORDER BY id") == [{"id": 1}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D1_ERROR: UNIQUE constraint failed: t.v: SQLITE_CONSTRAINT", UniqueViolation),
        ("D1_ERROR: CHECK constraint failed: status IN (...)", Conflict),
        ("D1_ERROR: FOREIGN KEY constraint failed", Conflict),
        ("D1_ERROR: D1 DB is overloaded. Requests queued for too long.", DatabaseUnavailable),
        ("Network connection lost.", DatabaseUnavailable),
        ('D1_ERROR: near "SELEC": syntax error', DatabaseError),
    ],
)
def test_errors_are_translated_by_kind(text: str, expected: type) -> None:
    assert type(translate_error(RuntimeError(text))) is expected


async def test_unavailable_database_becomes_503_with_retry_after(db: Database) -> None:
    db.binding.fail_next = "D1_ERROR: D1 DB is overloaded. Requests queued for too long."
    with pytest.raises(DatabaseUnavailable) as caught:
        await db.execute("SELECT 1")
    assert caught.value.status == 503
    assert "retry-after" in caught.value.headers


def test_bind_values_are_normalised_and_checked() -> None:
    assert to_sql_value(True) == 1
    assert to_sql_value(bytearray(b"x")) == b"x"
    # ±(2^53 - 1) would reach JS as a BigInt (D1_TYPE_ERROR); as a float it is an exact Number.
    for edge in (2**53 - 1, -(2**53 - 1)):
        assert type(to_sql_value(edge)) is float and to_sql_value(edge) == edge
    assert type(to_sql_value(2**53 - 2)) is int
    with pytest.raises(ValueError):
        to_sql_value(2**60)
    with pytest.raises(TypeError):
        to_sql_value({"a": 1})


def test_named_parameters_become_numbered_ones_bound_once() -> None:
    statement = named(
        "SELECT :a, :b, ':not_a_param', 'it''s :x', :a WHERE :b", {"a": 1, "b": True, "unused": 3}
    )
    assert statement.sql == "SELECT ?1, ?2, ':not_a_param', 'it''s :x', ?1 WHERE ?2"
    assert list(statement.params) == [1, 1]
    with pytest.raises(KeyError, match="missing"):
        named("SELECT :missing", {})


async def test_named_statements_run(db: Database) -> None:
    await db.run(named("INSERT INTO t (id, v, n) VALUES (:id, :v, :id * 2)", {"id": 7, "v": "x"}))
    assert await db.first("SELECT id, v, n FROM t") == {"id": 7, "v": "x", "n": 14}


async def test_blob_columns_named_by_the_caller_are_bytes_too(db: Database) -> None:
    await db.execute("INSERT INTO t (id, v, b) VALUES (1, 'a', ?), (2, 'b', NULL)", b"\x01\x02")
    rows = await db.all("SELECT id, b, v FROM t ORDER BY id", blobs=("b",))
    assert rows == [{"id": 1, "b": b"\x01\x02", "v": "a"}, {"id": 2, "b": None, "v": "b"}]
    assert db.stats.queries == 2 and db.stats.rows_read == 2


# --- JsD1's BLOB path, with stand-ins for the JS objects Pyodide hands over -------------------------
class _JsNull:
    """Stands for `pyodide.ffi.jsnull` (JS null), which JSON.stringify writes as null."""


JSNULL = _JsNull()


class _JsRow:
    """A row object: columns as attributes, as on a JsProxy."""

    def __init__(self, values: dict[str, object]) -> None:
        self.__dict__.update(values)


class _JsArray(list[object]):
    @property
    def length(self) -> int:
        return len(self)


class _Uint8Array:
    def __init__(self, values: list[int]) -> None:
        self.values = values

    def to_bytes(self) -> bytes:
        return bytes(self.values)


def _stringify(value: object) -> str:
    return json.dumps(value, default=lambda o: None if o is JSNULL else o.__dict__)


def _js_result(rows: list[dict[str, object]]) -> _JsRow:
    meta = {"rows_read": len(rows), "rows_written": 0, "changes": 0, "last_row_id": 0}
    return _JsRow({"results": _JsArray(_JsRow(row) for row in rows), "meta": _JsRow(meta)})


def _js_d1() -> JsD1:
    return JsD1(None, SimpleNamespace(jsnull=JSNULL, stringify=_stringify, new_uint8_array=_Uint8Array))


def test_js_blob_path_gives_what_the_json_path_gives() -> None:
    rows = [
        {"etag": '"a"', "data": [31, 139, 0, 255], "n": 1},
        {"etag": '"b"', "data": None, "n": 2},
        {"etag": '"c"', "data": [], "n": 3},
    ]
    d1 = _js_d1()
    via_json = _result(d1.decode(_js_result(rows)))
    via_blobs = _result(d1.decode_with_blobs(_js_result(rows), ("data",)))
    assert (
        via_blobs.rows
        == via_json.rows
        == [
            {"etag": '"a"', "data": b"\x1f\x8b\x00\xff", "n": 1},
            {"etag": '"b"', "data": None, "n": 2},
            {"etag": '"c"', "data": b"", "n": 3},
        ]
    )
    assert [list(row) for row in via_blobs.rows] == [["etag", "data", "n"]] * 3  # column order kept
    assert via_blobs.rows_read == via_json.rows_read == 3


def test_js_blob_path_without_rows_or_blob_columns() -> None:
    d1 = _js_d1()
    assert d1.decode_with_blobs(_js_result([]), ("data",))["results"] == []
    assert d1.decode_with_blobs(_js_result([{"x": 1}]), ("data",))["results"] == [{"x": 1}]
    no_results = _JsRow({"meta": _JsRow({"changes": 0})})
    assert d1.decode_with_blobs(no_results, ("data",)) == {"meta": {"changes": 0}}
