"""Every SQL statement the app issues is index-driven: `EXPLAIN QUERY PLAN` on each, against
the migrated schema, finds no full scan of the tables that grow, no unbounded index walk and
no sort in a temp B-tree. The statements are collected from the code, never listed here
(tests/support/sql_catalog.py says how; tests/support/plan_rule.py what the rule is exactly).

This runs CPython's SQLite (3.40 here); D1 runs a newer one (3.47 in this Miniflare) whose
planner can differ, so tests/integration/test_query_plans_d1.py repeats the check on D1's
own engine through the local runtime.
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edgejobs.core import events, states
from edgejobs.core.clock import now_ms
from edgejobs.core.config import Config
from edgejobs.core.db import Database
from edgejobs.exports import machine
from edgejobs.exports import model as export_model
from edgejobs.exports import sql as export_sql
from edgejobs.maintenance import runs as maintenance_runs
from edgejobs.maintenance.runs import Budget
from edgejobs.veo import sql as veo_sql
from edgejobs.veo import tasks as veo_tasks
from tests.support import sql_catalog
from tests.support.fake_d1 import FakeD1
from tests.support.list_plans import LIST_PLANS
from tests.support.plan_rule import explain, migrated_schema, plan_problems
from tests.support.sql_catalog import EXEMPT, SqlStatement

STATEMENTS = sql_catalog.all_statements()
# Exempt statements (deliberately whole-table, e.g. delete-all) are checked separately below:
# each must still exist and still need its exemption.
CHECKED = [s for s in STATEMENTS if s.origin not in EXEMPT]


@pytest.fixture(scope="module")
def schema() -> Iterator[sqlite3.Connection]:
    conn = migrated_schema()
    yield conn
    conn.close()


def plan_of(conn: sqlite3.Connection, sql: str, *params: object) -> list[str]:
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


# --- every statement the app issues ----------------------------------------------------------
@pytest.mark.parametrize("statement", CHECKED, ids=lambda s: s.origin)
def test_every_statement_is_index_driven(schema: sqlite3.Connection, statement: SqlStatement) -> None:
    plan = explain(schema, statement)
    problems = plan_problems(statement.sql, plan)
    assert not problems, f"{statement.origin}: {problems}\nplan: {plan}\nsql: {statement.sql}"


# D1 builds SQLite with SQLITE_MAX_COMPOUND_SELECT = 5: a sixth arm is "too many terms in compound
# SELECT" (measured on Miniflare's D1), which CPython's SQLite (limit 500) would never show.
D1_MAX_COMPOUND_TERMS = 5


@pytest.mark.parametrize("statement", STATEMENTS, ids=lambda s: s.origin)
def test_no_statement_exceeds_d1_compound_select_limit(statement: SqlStatement) -> None:
    terms = 1 + len(re.findall(r"\b(?:UNION|INTERSECT|EXCEPT)\b", statement.sql, re.IGNORECASE))
    assert terms <= D1_MAX_COMPOUND_TERMS, f"{statement.origin}: {terms} compound terms"


def test_exemptions_are_current_and_needed(schema: sqlite3.Connection) -> None:
    by_origin = {s.origin: s for s in STATEMENTS}
    for origin in EXEMPT:
        assert origin in by_origin, f"stale exemption {origin}: no such statement any more"
        statement = by_origin[origin]
        assert plan_problems(statement.sql, explain(schema, statement)), f"{origin} no longer needs exempting"


def test_the_collection_is_large_and_covers_every_module_with_sql() -> None:
    modules = {".".join(s.origin.split(".")[:2]) for s in STATEMENTS}
    assert {
        "veo.sql",
        "exports.sql",
        "exports.machine",
        "core.states",
        "core.events",
        "maintenance.runs",
    } <= modules
    assert any(s.origin.startswith("service.") for s in STATEMENTS)
    # 8 VEO list variants, 64 export list variants, every action × row selector, …
    assert len(STATEMENTS) >= 100, len(STATEMENTS)


def test_no_sql_in_the_code_escapes_the_check() -> None:
    assert sql_catalog.uncovered_sql(STATEMENTS) == []


def test_the_catalogue_walks_every_module_of_every_subpackage() -> None:
    """Code moved into a subpackage stays in the catalogue (the walk also fails by itself when
    it finds fewer modules than there are files)."""
    names = {module.__name__ for module in sql_catalog.app_modules()}
    files = [p for p in sql_catalog.SRC.rglob("*.py") if p.name != "__init__.py"]
    expected = {"edgejobs." + ".".join(p.relative_to(sql_catalog.SRC).with_suffix("").parts) for p in files}
    assert len(expected) > 30 and expected <= names
    assert {"edgejobs.core.states", "edgejobs.exports.sql", "edgejobs.veo.sql"} <= names


# A plain-text cross-check, independent of the module walking: every string literal in
# src/edgejobs that starts with a statement keyword starts a statement that was checked.
_LITERAL_START = re.compile(
    r"""[rbfRBF]{0,2}(?:\"\"\"|'''|"|')\s*((?:SELECT|INSERT INTO|UPDATE \w+|DELETE FROM|WITH)\b[^{"'\n]*)"""
)


def test_every_sql_literal_in_the_source_is_in_a_checked_statement() -> None:
    checked = [" ".join(s.sql.split()) for s in STATEMENTS]
    found = 0
    for path in sorted(sql_catalog.SRC.rglob("*.py")):
        for match in _LITERAL_START.finditer(path.read_text()):
            head = " ".join(match.group(1).split())
            if head in ("DELETE FROM", "UPDATE"):  # too short to place; the AST check covers them
                continue
            found += 1
            assert any(head in sql for sql in checked), f"{path.name}: {head!r} is in no checked statement"
    assert found >= 20, found


# --- the checker itself fails where it must --------------------------------------------------
@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT * FROM veo_jobs WHERE mode = ?", "full scan of veo_jobs"),
        ("SELECT * FROM job_events WHERE data = ?", "full scan of job_events"),
        ("DELETE FROM veo_job_data WHERE length(data) > ?", "full scan of veo_job_data"),
        ("UPDATE export_jobs SET progress = 0 WHERE output_video_key = ?", "full scan of export_jobs"),
        ("SELECT * FROM export_jobs WHERE project_id = ? ORDER BY updated_at DESC LIMIT 50", "temp B-tree"),
        ("SELECT job_id FROM veo_jobs ORDER BY updated_at DESC", "whole index of veo_jobs without a LIMIT"),
        ("SELECT * FROM maintenance_runs WHERE trigger = ?", "maintenance_runs without a LIMIT"),
        (
            "SELECT j.id FROM export_jobs AS j JOIN job_events AS e ON e.data = j.params",
            "full scan of export_jobs",
        ),
        (
            "SELECT * FROM job_events AS e JOIN export_jobs AS j ON j.input_video_key = e.event",
            "automatic index",
        ),
    ],
)
def test_the_rule_rejects_bad_plans(schema: sqlite3.Connection, sql: str, why: str) -> None:
    problems = plan_problems(sql, explain(schema, SqlStatement("bad", sql)))
    assert any(why in p for p in problems), problems


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT job_id FROM veo_jobs ORDER BY updated_at DESC, job_id DESC LIMIT ?",  # bounded ordered walk
        "SELECT * FROM export_jobs WHERE id = ?",
        "SELECT * FROM job_events WHERE job_kind = ? AND job_id = ? ORDER BY id LIMIT ?",
        "SELECT id FROM maintenance_runs ORDER BY id DESC LIMIT 1",
    ],
)
def test_the_rule_accepts_index_driven_plans(schema: sqlite3.Connection, sql: str) -> None:
    assert plan_problems(sql, explain(schema, SqlStatement("good", sql))) == []


def _load(tmp_path: Path, name: str, source: str) -> object:
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def test_sql_added_to_a_module_is_collected_and_checked(tmp_path: Path, schema: sqlite3.Connection) -> None:
    module = _load(
        tmp_path,
        "new_resource",
        'FIND_BY_MODE_SQL = "SELECT * FROM veo_jobs WHERE mode = ?"\n'
        'BY_VOICE = {"a": "SELECT job_id FROM veo_jobs WHERE voice = ?"}\n'
        'LIST_TEMPLATE_SQL = "SELECT * FROM job_events WHERE {where} ORDER BY at DESC"\n',
    )
    collected = sql_catalog.constant_statements([module])
    assert {s.origin for s in collected} == {"new_resource.FIND_BY_MODE_SQL", "new_resource.BY_VOICE['a']"}
    for statement in collected:
        assert plan_problems(statement.sql, explain(schema, statement))
    # A template no builder renders is reported, as are the statements nothing checks.
    uncovered = sql_catalog.uncovered_sql(STATEMENTS, modules=[module])
    assert any("LIST_TEMPLATE_SQL" in p for p in uncovered), uncovered


def test_sql_built_inside_a_function_must_have_a_driver(tmp_path: Path) -> None:
    source = tmp_path / "handlers.py"
    source.write_text(
        "async def purge(db, kind):\n"
        "    '''Docstrings may say DELETE FROM freely.'''\n"
        "    await db.execute(f'DELETE FROM job_events WHERE job_kind = ?', kind)\n"
    )
    assert list(sql_catalog.sql_functions([source])) == ["handlers.purge"]
    assert "handlers.purge" not in sql_catalog.DRIVERS


# --- the plans the design depends on (which index, not only "an index") ---------------------------
@pytest.mark.parametrize("key", sorted(veo_sql.LIST_SQL))
def test_veo_list_variants_walk_their_index_in_order(
    schema: sqlite3.Connection, key: tuple[bool, bool, bool]
) -> None:
    plan = explain(schema, SqlStatement("veo list", veo_sql.LIST_SQL[key]))
    by_status, by_video, _after = key
    expected = (
        "veo_jobs_by_video" if by_video else "veo_jobs_by_status" if by_status else "veo_jobs_by_updated"
    )
    assert any(expected in step for step in plan), plan


@pytest.mark.parametrize("key", sorted(veo_sql.OWNER_LIST_SQL))
def test_a_users_veo_list_is_one_index_range(
    schema: sqlite3.Connection, key: tuple[bool, bool, bool]
) -> None:
    """A user token's list (or the service's `?user_id=`): by_user or by_user_status, entered at
    the owner (a SEARCH, not a walk of everyone's jobs); with a video filter the video index."""
    plan = explain(schema, SqlStatement("veo owner list", veo_sql.OWNER_LIST_SQL[key]))
    by_status, by_video, _after = key
    expected = (
        "veo_jobs_by_video (video_id=?"
        if by_video
        else "veo_jobs_by_user_status (user_id=? AND status=?"
        if by_status
        else "veo_jobs_by_user (user_id=?"
    )
    assert any(step.startswith("SEARCH") and expected in step for step in plan), plan


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("types", [None, ("overlay",), ("annotate", "framing", "overlay")])
def test_claims_take_the_first_entries_of_the_pending_only_indexes(
    schema: sqlite3.Connection, types: tuple[str, ...] | None, batch: bool
) -> None:
    """Any type: the first entries of export_jobs_claimable, in its order (priority, available_at,
    id). Some types: one range per type of export_jobs_claimable_by_type, merged in that order
    (a single range filtered by type walked past every due job of the other types, migration
    0005). Nothing is sorted; the pause checks are key lookups (or one constant check)."""
    rows = machine.next_claimable(types, batch=batch)
    plan = explain(
        schema, SqlStatement("claim", states.transition_sql(machine.EXPORT_JOBS, machine.CLAIM, rows))
    )
    assert not any("TEMP B-TREE" in step for step in plan), plan
    if types is None:
        # priority ≤ a key that is NULL (an empty range) while any type is paused
        assert "SEARCH export_jobs USING INDEX export_jobs_claimable (priority<?)" in plan, plan
    else:
        # type = a key that is NULL (an empty range) while that type is paused
        step = "SEARCH export_jobs USING INDEX export_jobs_claimable_by_type (type=?)"
        assert plan.count(step) == len(types), plan
        assert plan.count("SEARCH export_queue_pauses USING PRIMARY KEY (type=?)") == len(types), plan


@pytest.mark.parametrize(("filters", "index", "arms"), LIST_PLANS)
def test_export_lists_merge_ordered_index_ranges(
    schema: sqlite3.Connection, filters: export_model.ListFilter, index: str, arms: int
) -> None:
    """One index range per status, merged in id order: nothing is sorted, so a page reads
    about `limit` rows however many statuses it spans."""
    plan = explain(schema, SqlStatement("export list", export_sql.list_sql(filters, None)))
    assert sum(index in step for step in plan) == arms, plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_maintenance_run_pages_are_rowid_ranges(schema: sqlite3.Connection) -> None:
    """Page n of /api/maintenance/runs starts at its cursor (`(?1 IS NULL OR id < ?1)` scanned
    every newer run first)."""
    plan = explain(schema, SqlStatement("runs", maintenance_runs.LIST_RUNS_SQL))
    assert plan == ["SEARCH maintenance_runs USING INTEGER PRIMARY KEY (rowid<?)"], plan


def test_the_claims_event_finds_its_row_in_one_index_entry(schema: sqlite3.Connection) -> None:
    """The claim's event INSERT seeks (runner_id, status, started_at): before migration 0004 it
    walked every job the runner held."""
    rows = machine.NEXT_CLAIMABLE
    sql = events.EVENT_AFTER_CHANGE_SQL.format(
        table=machine.EXPORT_JOBS.table, where=rows.event_where, data="NULL"
    )
    plan = explain(schema, SqlStatement("claim event", sql))
    assert plan == [
        "SEARCH export_jobs USING INDEX export_jobs_by_runner (runner_id=? AND status=? AND started_at=?)"
    ], plan


# --- constraints D1 bills ----------------------------------------------------------------------
# `x IN (a, b, c)`: SQLite tests a list of three or more values by probing an ephemeral b-tree,
# and D1 bills every probe as a row read. In a CHECK (or a partial index's WHERE) that is one
# more row read on every insert and on every update of the column: `status IN (five values)`
# made each export-job state change read 4 rows instead of 3 (measured on Miniflare's D1;
# migration 0007 rewrote the constraints as OR chains).
_IN_LIST = re.compile(r"\bIN\s*\((?![^()]*\bSELECT\b)[^()]*,[^()]*,[^()]*\)", re.IGNORECASE)


def in_lists_in_constraints(conn: sqlite3.Connection) -> list[str]:
    found = []
    for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"):
        if sql.upper().startswith("CREATE TABLE"):
            checks = re.findall(r"CHECK\s*\((.*)", sql, re.IGNORECASE)
            found += [f"{name}: CHECK ({c}" for c in checks if _IN_LIST.search(c)]
        elif " WHERE " in sql.upper() and _IN_LIST.search(sql.upper().split(" WHERE ", 1)[1]):
            found.append(f"{name}: {sql}")
    return found


def test_no_constraint_tests_a_list_of_three_or_more_values(schema: sqlite3.Connection) -> None:
    assert in_lists_in_constraints(schema) == []


def test_the_constraint_check_finds_in_lists() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (s TEXT CHECK (s IN ('a', 'b', 'c')), k INTEGER CHECK (k IN (0, 1)))")
    conn.execute("CREATE INDEX t_partial ON t (k) WHERE s IN ('a', 'b', 'c')")
    conn.execute("CREATE INDEX t_sub ON t (k) WHERE k > 0")
    assert [f.split(":")[0] for f in in_lists_in_constraints(conn)] == ["t", "t_partial"]


# --- what cleanup costs when nothing is due ----------------------------------------------------
async def test_veo_expiry_with_nothing_due_is_one_index_probe() -> None:
    """The chunked DELETE costs D1 4 rows read even when it deletes nothing; the probe 1."""
    db = Database(FakeD1.migrated())
    budget = Budget(chunk_rows=500, max_statements=8, deadline=time.monotonic() + 60)
    outcome = await veo_tasks.expire_veo_jobs(db, Config(), now_ms(), budget)
    assert (outcome.count, outcome.more, db.stats.queries, budget.statements) == (0, False, 1, 1)


async def test_veo_expiry_without_room_for_a_probe_deletes_straight_away() -> None:
    """A share of one statement (what is left at the end of a run) goes to a chunk, not a probe."""
    db = Database(FakeD1.migrated())
    budget = Budget(chunk_rows=500, max_statements=1, deadline=time.monotonic() + 60)
    await veo_tasks.expire_veo_jobs(db, Config(), now_ms(), budget)
    assert (db.stats.queries, budget.statements) == (1, 1)
