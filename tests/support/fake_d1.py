"""A D1 binding stand-in over sqlite3 for CPython unit tests of the D1 module.

It mimics what the SDK-wrapped binding returns (`{"results": [...], "meta": {...}}`,
BLOBs as lists of ints) and D1's error texts. The HTTP tests use the real D1.

`FakeD1.migrated()` starts from the schema of every migration: the migrations run once per
test session into a template database, and each fake gets a copy of it (SQLite's backup API).
"""

from __future__ import annotations

import functools
import sqlite3
from typing import Any

from tests.support.runtime import MIGRATIONS_DIR

MIGRATIONS = sorted(MIGRATIONS_DIR.glob("*.sql"))

# wrangler's own bookkeeping table (read by GET /health).
D1_MIGRATIONS_TABLE = """
CREATE TABLE d1_migrations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)"""


def add_unhex(conn: sqlite3.Connection) -> None:
    """D1 (SQLite 3.47) has `unhex()`; a local SQLite older than 3.41 gets a stand-in."""
    if sqlite3.sqlite_version_info < (3, 41):
        conn.create_function("unhex", 1, bytes.fromhex, deterministic=True)


@functools.cache
def _template() -> sqlite3.Connection:
    """Every migration applied in order, as `wrangler d1 migrations apply` does (once)."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute(D1_MIGRATIONS_TABLE)
    for migration in MIGRATIONS:
        conn.executescript(migration.read_text())
        conn.execute("INSERT INTO d1_migrations (name) VALUES (?)", (migration.name,))
    conn.commit()
    return conn


def migrated_connection() -> sqlite3.Connection:
    """A fresh in-memory copy of the migrated template."""
    conn = sqlite3.connect(":memory:")
    add_unhex(conn)
    _template().backup(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class FakeStatement:
    def __init__(self, db: FakeD1, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.db, self.sql, self.params = db, sql, params

    def bind(self, *params: Any) -> FakeStatement:
        return FakeStatement(self.db, self.sql, params)

    async def all(self, blobs: tuple[str, ...] = ()) -> dict[str, Any]:
        return self.db.run_one(self)  # BLOBs come back as lists of ints either way


class FakeD1:
    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", isolation_level=None)
        add_unhex(self.conn)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.fail_next: str | None = None  # an error text the next call raises

    @classmethod
    def migrated(cls) -> FakeD1:
        """A fake holding the schema of every migration (a copy of the session's template)."""
        fake = cls()
        _template().backup(fake.conn)
        return fake

    def prepare(self, sql: str) -> FakeStatement:
        return FakeStatement(self, sql)

    def _execute(self, stmt: FakeStatement) -> dict[str, Any]:
        before = self.conn.total_changes
        try:
            cursor = self.conn.execute(stmt.sql, stmt.params)
            rows = cursor.fetchall()
        except sqlite3.IntegrityError as exc:
            raise RuntimeError(f"D1_ERROR: {exc}: SQLITE_CONSTRAINT") from None
        except sqlite3.Error as exc:
            raise RuntimeError(f"D1_ERROR: {exc}: SQLITE_ERROR") from None
        changes = self.conn.total_changes - before
        results = [{k: list(r[k]) if isinstance(r[k], bytes) else r[k] for k in r.keys()} for r in rows]  # noqa: SIM118 - Row iterates values
        return {
            "success": True,
            "results": results,
            "meta": {"rows_read": len(rows), "rows_written": changes, "changes": changes, "last_row_id": 0},
        }

    def _maybe_fail(self) -> None:
        if self.fail_next:
            message, self.fail_next = self.fail_next, None
            raise RuntimeError(message)

    def run_one(self, stmt: FakeStatement) -> dict[str, Any]:
        self._maybe_fail()
        return self._execute(stmt)

    async def batch(self, statements: list[FakeStatement]) -> list[dict[str, Any]]:
        self._maybe_fail()
        self.conn.execute("BEGIN")
        try:
            results = [self._execute(s) for s in statements]
        except Exception:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return results
