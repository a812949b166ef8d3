"""The only module that touches the D1 binding.

It runs statements and batches, turns rows into plain Python values (BLOB → bytes,
NULL → None), translates D1's errors into the API's, and counts queries and the rows
D1 reports reading and writing, for the `x-d1-stats` header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .errors import Conflict, DatabaseUnavailable
from .logs import emit

SqlValue = None | int | float | str | bytes
MAX_SAFE_INTEGER = 2**53 - 1  # the largest integer that survives the trip through JS


class Statement(NamedTuple):
    sql: str
    params: Sequence[object] = ()  # normalised by `to_sql_value` when bound


_NAMED_PARAMETER = re.compile(r":([a-z_][a-z0-9_]*)")


def named(sql: str, values: Mapping[str, object]) -> Statement:
    """A statement written with `:name` placeholders, for D1, which binds only `?` and `?NNN`.

    Each distinct name becomes one numbered parameter (`?1`, `?2`, … in order of first use),
    so a value used several times is bound once; names in `values` that the SQL does not use
    are ignored, and a name the SQL uses but `values` lacks is a KeyError (a bug). Text inside
    '…' string literals is left alone."""
    numbers: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for SQL parameter :{name}")
        return f"?{numbers.setdefault(name, len(numbers) + 1)}"

    parts = sql.split("'")  # even parts are outside string literals ('' escapes split evenly)
    for i in range(0, len(parts), 2):
        parts[i] = _NAMED_PARAMETER.sub(number, parts[i])
    params = [values[name] for name in numbers]  # insertion order = ?N order; normalised when bound
    return Statement("'".join(parts), params)


class Result(NamedTuple):
    """One statement's rows and what D1 reports about it."""

    rows: list[dict[str, Any]]
    changes: int = 0
    rows_read: int = 0
    rows_written: int = 0
    last_row_id: int | None = None

    def first(self) -> dict[str, Any] | None:
        return self.rows[0] if self.rows else None


class D1Stats:
    """What one request cost in D1: statements run, rows read and written."""

    __slots__ = ("queries", "rows_read", "rows_written")

    def __init__(self) -> None:
        self.queries = 0
        self.rows_read = 0
        self.rows_written = 0

    def add(self, result: Result) -> None:
        self.queries += 1
        self.rows_read += result.rows_read
        self.rows_written += result.rows_written

    def header(self) -> str:
        return f"queries={self.queries}; rows_read={self.rows_read}; rows_written={self.rows_written}"


class DatabaseError(Exception):
    """A D1 failure that is not the client's fault nor transient: a bug (e.g. bad SQL)."""


class UniqueViolation(Conflict):
    """A record with the same key already exists."""


# D1/SQLite error texts that mean "try again shortly" rather than "your SQL is wrong".
_TRANSIENT_MARKERS = (
    "overloaded",
    "too many requests",
    "timed out",
    "timeout",
    "network connection lost",
    "connection reset",
    "internal error",
    "unavailable",
    "database is locked",
    "sqlite_busy",
    "storage operation exceeded",
    "reset because its code was updated",
    "cannot resolve",
)


def translate_error(exc: BaseException) -> Exception:
    """Map a D1 exception onto the API's errors (one place, by message text)."""
    text = str(exc)
    lowered = text.lower()
    if "unique constraint failed" in lowered:
        return UniqueViolation()
    if "constraint failed" in lowered:
        return Conflict("The change violates a database constraint.")
    if any(marker in lowered for marker in _TRANSIENT_MARKERS):
        return DatabaseUnavailable()
    return DatabaseError(text)


def to_sql_value(value: object) -> SqlValue:
    """Normalise a Python value for binding (D1 takes null, number, text, blob)."""
    if value is None or isinstance(value, str | float | bytes):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} cannot be bound to D1 (beyond ±2^53)")
        if abs(value) == MAX_SAFE_INTEGER:
            # Pyodide makes a JS Number only strictly inside ±MAX_SAFE_INTEGER; ±(2^53 - 1)
            # would cross as a BigInt, which D1 refuses. As a float it is exact and a Number.
            return float(value)
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"cannot bind {type(value).__name__} to D1")


def _to_python(value: Any) -> Any:
    # A SQLite value is NULL, INTEGER, REAL, TEXT or BLOB; only a BLOB arrives as a list.
    if isinstance(value, list):
        return bytes(value)
    if hasattr(value, "to_bytes") and not isinstance(value, int | float | str | bytes):
        return bytes(value.to_bytes())  # a JS typed array that slipped through unconverted
    return value


def _meta_int(meta: Any, name: str) -> int:
    value = meta.get(name) if isinstance(meta, dict) else getattr(meta, name, None)
    return int(value) if isinstance(value, int | float) else 0


# What a row's values already are when no BLOB is among them (the SDK gives a dict per row).
_PLAIN_TYPES = frozenset({int, float, str, bytes, type(None)})


def _row(row: dict[str, Any]) -> dict[str, Any]:
    # The type check runs in C; rebuilding every row in Python cost ~1.8 ms per 50-row page
    # in Pyodide (`make bench`), and only rows holding a BLOB need it.
    if _PLAIN_TYPES.issuperset(map(type, row.values())):
        return row
    return {k: _to_python(v) for k, v in row.items()}


def _result(raw: Any) -> Result:
    rows = [_row(row) for row in (raw.get("results") or [])]
    meta = raw.get("meta") or {}
    return Result(
        rows=rows,
        changes=_meta_int(meta, "changes"),
        rows_read=_meta_int(meta, "rows_read"),
        rows_written=_meta_int(meta, "rows_written"),
        last_row_id=meta.get("last_row_id") if isinstance(meta, dict) else None,
    )


class Database:
    """D1 behind four calls. `binding` is a `platform.d1.JsD1` in the Worker (a stand-in in unit
    tests): `prepare(sql).bind(*params)`, `await statement.all(blobs)`, `await batch(statements)`."""

    __slots__ = ("binding", "stats")

    def __init__(self, binding: Any, stats: D1Stats | None = None) -> None:
        self.binding = binding
        self.stats = D1Stats() if stats is None else stats

    def _prepare(self, statement: Statement) -> Any:
        params = [to_sql_value(p) for p in statement.params]
        prepared = self.binding.prepare(statement.sql)
        return prepared.bind(*params) if params else prepared

    async def execute(self, sql: str, *params: object, blobs: tuple[str, ...] = ()) -> Result:
        """Run one statement; its rows (if any) and what it changed. `blobs` names the columns
        that hold BLOBs, for the binding to hand over as bytes without converting them value by
        value (any column may still hold a BLOB: it becomes bytes either way)."""
        statement = Statement(sql, params)
        try:
            prepared = self._prepare(statement)
            raw = await prepared.all(blobs)
        except Exception as exc:
            raise self._failure(exc, statement.sql) from exc
        result = _result(raw)
        self.stats.add(result)
        return result

    async def run(self, statement: Statement) -> Result:
        """Run one prepared `Statement` (e.g. from `named`)."""
        return await self.execute(statement.sql, *statement.params)

    async def all(self, sql: str, *params: object, blobs: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        return (await self.execute(sql, *params, blobs=blobs)).rows

    async def first(self, sql: str, *params: object, blobs: tuple[str, ...] = ()) -> dict[str, Any] | None:
        return (await self.execute(sql, *params, blobs=blobs)).first()

    async def batch(self, statements: Sequence[Statement]) -> list[Result]:
        """Run statements as one transaction: all of them land, or none does."""
        if not statements:
            return []
        try:
            prepared = [self._prepare(s) for s in statements]
            raws = await self.binding.batch(prepared)
        except Exception as exc:
            raise self._failure(exc, "; ".join(s.sql for s in statements)) from exc
        results = [_result(raw) for raw in raws]
        for result in results:
            self.stats.add(result)
        return results

    @staticmethod
    def _failure(exc: Exception, sql: str) -> Exception:
        translated = translate_error(exc)
        if isinstance(translated, DatabaseError):
            emit("error", "D1 statement failed", error=str(exc), sql=" ".join(sql.split())[:500])
        elif isinstance(translated, DatabaseUnavailable):
            emit("warning", "D1 unavailable", error=str(exc))
        return translated
