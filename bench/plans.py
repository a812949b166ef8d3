"""The query-plan rule (tests/support/plan_rule.py) over every collected statement, on D1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import seeding
from bench.measure import running
from tests.support import sql_catalog
from tests.support.plan_rule import plan_problems


def plan_check_on_d1(template: Path, work: Path) -> dict[str, Any]:
    """The query-plan rule (tests/support/plan_rule.py) over every collected statement, on D1."""
    data = seeding.copy_persist(template, work / "plans")
    with running(data) as bench:
        statements = sql_catalog.all_statements()
        problems = []
        for statement in statements:
            sql, params = statement.bound()
            answer, _ = bench.sql({"sql": "EXPLAIN QUERY PLAN " + sql, "params": params})
            plan = [row["detail"] for row in answer["results"]]
            found = plan_problems(statement.sql, plan)
            if found and statement.origin not in sql_catalog.EXEMPT:
                problems.append({"origin": statement.origin, "problems": found, "plan": plan})
        return {"statements": len(statements), "exempt": sorted(sql_catalog.EXEMPT), "problems": problems}
