"""The query-plan rule of tests/unit/test_query_plans.py, on D1's own SQLite.

The unit test plans with CPython's SQLite; D1 (here Miniflare's workerd, SQLite 3.47) has a
newer planner, and planners differ between versions (3.47 sees that a subquery is already
ordered where 3.40 sorts it again). This runs `EXPLAIN QUERY PLAN` for every collected
statement on the local runtime's migrated D1, so a plan that only D1 gets wrong fails too.
"""

from __future__ import annotations

import pytest

from edgejobs.exports import model as export_model
from edgejobs.exports import sql as export_sql
from tests.support import sql_catalog
from tests.support.list_plans import LIST_PLANS
from tests.support.plan_rule import plan_problems
from tests.support.runtime import LocalRuntime
from tests.support.sql_catalog import SqlStatement


def test_every_statement_is_index_driven_on_d1(local: LocalRuntime) -> None:
    failures = []
    for statement in sql_catalog.all_statements():
        if statement.origin in sql_catalog.EXEMPT:
            continue
        sql, params = statement.bound()
        plan = [row["detail"] for row in local.sql("EXPLAIN QUERY PLAN " + sql, *params)]
        problems = plan_problems(statement.sql, plan)
        if problems:
            failures.append(f"{statement.origin}: {problems}\n  plan: {plan}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("filters", "index", "arms"), LIST_PLANS)
def test_export_lists_walk_the_intended_index_on_d1(
    local: LocalRuntime, filters: export_model.ListFilter, index: str, arms: int
) -> None:
    sql, params = SqlStatement("export list", export_sql.list_sql(filters, None)).bound()
    plan = [row["detail"] for row in local.sql("EXPLAIN QUERY PLAN " + sql, *params)]
    assert sum(index in step for step in plan) == arms, plan


@pytest.mark.parametrize(
    "sql", ["SELECT * FROM veo_jobs WHERE mode = ?", "SELECT * FROM export_jobs ORDER BY updated_at LIMIT 5"]
)
def test_d1_plans_of_bad_queries_fail_the_rule(local: LocalRuntime, sql: str) -> None:
    plan = [row["detail"] for row in local.sql("EXPLAIN QUERY PLAN " + sql, *([1] * sql.count("?")))]
    assert plan_problems(sql, plan)
