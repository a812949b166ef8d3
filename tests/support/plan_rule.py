"""The rule every statement's query plan must follow (`plan_problems`), and EXPLAIN QUERY
PLAN on the migrated schema. The statements come from tests/support/sql_catalog.py.

The plan rule (`plan_problems`), for the tables that grow with use (`PROTECTED_TABLES`):

1. `SCAN <table>` with no index (a full table scan, or a rowid walk, which EXPLAIN cannot
   tell apart) fails.
2. `SCAN <table> USING [COVERING] INDEX …` (an index walked in order) passes only if the
   statement has a `LIMIT` and no temp B-tree sorts it: an ordered walk that stops after
   LIMIT rows. (How many rows a filter not in the index makes it skip is data-dependent;
   that is what `make bench` measures as rows_read.)
3. `… USING AUTOMATIC [COVERING] INDEX` on any table fails (building it reads the table).
4. `USE TEMP B-TREE FOR [… OF] ORDER BY` fails anywhere (every row is read before the first
   is returned).
5. Other tables (maintenance_runs, idempotency_keys, d1_migrations): a SCAN passes only with
   a LIMIT.
`SEARCH` steps (a key or index range) always pass. A statement meant to touch every row
(`DELETE …?confirm=all`) is listed in `EXEMPT` with its reason; a stale entry fails.
"""

from __future__ import annotations

import re
import sqlite3

from tests.support.fake_d1 import migrated_connection
from tests.support.sql_catalog import LIMIT, SqlStatement

# The tables that grow with use.
PROTECTED_TABLES = frozenset(
    {"veo_jobs", "veo_job_data", "export_jobs", "job_events", "job_runs", "reports", "stat_hourly"}
)


def migrated_schema() -> sqlite3.Connection:
    """An in-memory SQLite with migrations/*.sql applied in order (as wrangler does)."""
    return migrated_connection()


def explain(conn: sqlite3.Connection, statement: SqlStatement) -> list[str]:
    sql, params = statement.bound()
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?(?: (.*))?$")
_AUTOMATIC = re.compile(r"^(?:SEARCH|SCAN) (\w+)(?: AS \w+)? USING AUTOMATIC")
_TABLE_REF = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", re.IGNORECASE)
_NOT_ALIASES = set(
    [
        "WHERE",
        "SET",
        "JOIN",
        "LEFT",
        "INNER",
        "CROSS",
        "ON",
        "USING",
        "ORDER",
        "GROUP",
        "LIMIT",
        "VALUES",
        "SELECT",
        "UNION",
        "AS",
        "DEFAULT",
        "WITH",
        "RETURNING",
        "NATURAL",
        "HAVING",
    ]
)


def table_aliases(sql: str) -> dict[str, str]:
    """alias → table for `FROM veo_jobs AS j`-style references (EXPLAIN names the alias)."""
    return {
        alias: table
        for table, alias in _TABLE_REF.findall(sql)
        if alias and alias.upper() not in _NOT_ALIASES
    }


def plan_problems(sql: str, plan: list[str]) -> list[str]:
    """Why this plan breaks the rule (module docstring); empty when it is index-driven."""
    problems = []
    aliases = table_aliases(sql)
    bounded = bool(LIMIT.search(sql))
    sorted_in_temp = any("TEMP B-TREE" in step and "ORDER BY" in step for step in plan)
    if sorted_in_temp:
        problems.append("sorts in a temp B-tree for ORDER BY (reads every matching row first)")
    for step in plan:
        step = step.strip()
        automatic = _AUTOMATIC.match(step)
        if automatic:
            step = step.replace(automatic.group(1), aliases.get(automatic.group(1), automatic.group(1)), 1)
            problems.append(f"builds an automatic index (reads the whole table): {step}")
            continue
        scan = _SCAN.match(step)
        if not scan:
            continue
        table, how = aliases.get(scan.group(1), scan.group(1)), scan.group(2) or ""
        if table in PROTECTED_TABLES:
            if "INDEX" not in how:
                problems.append(f"full scan of {table}: {step}")
            elif not bounded or sorted_in_temp:
                problems.append(f"walks a whole index of {table} without a LIMIT: {step}")
        elif not bounded and table != "CONSTANT" and "VIRTUAL TABLE" not in how:
            problems.append(f"scan of {table} without a LIMIT: {step}")
    return problems
