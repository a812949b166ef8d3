"""Which index each export list shape walks, and in how many ranges: checked on CPython's
SQLite (tests/unit/test_query_plans.py) and on D1's own (tests/integration/test_query_plans_d1.py)."""

from __future__ import annotations

from edgejobs.exports import model as export_model

BY_TYPE = "export_jobs_by_type (type=? AND status=?"
BY_PROJECT = "export_jobs_by_project (project_id=? AND status=?"
BY_PROJECT_TYPE = "export_jobs_by_project_type_status (project_id=? AND type=? AND status=?"


# Which index each list shape walks, and in how many ranges (also checked on D1: its newer planner
# chose export_jobs_by_type for a project and a type until the type was written `+type`).
LIST_PLANS = [
    (export_model.ListFilter(None, ("pending",), None), "export_jobs_by_status (status=?", 1),
    (export_model.ListFilter(None, export_model.ACTIVE, None), "export_jobs_by_status (status=?", 2),
    # A type has its own ranges (migration 0007): filtering the status ranges by type read
    # ~50 ÷ (the type's share) rows a page.
    (export_model.ListFilter(None, export_model.ACTIVE, "overlay"), BY_TYPE, 2),
    (export_model.ListFilter(None, (), "overlay"), BY_TYPE, 5),
    (export_model.ListFilter(7, (), None), BY_PROJECT, 5),
    # A project and a type have their own ranges, one per status (migration 0040): the project's
    # status ranges filtered by type read ~50 ÷ (the type's share of the project) rows a page
    # (63 in `make bench-1m`, ~150 where a type is a third of the project's active jobs).
    (export_model.ListFilter(7, (), "overlay"), BY_PROJECT_TYPE, 5),
    (export_model.ListFilter(7, export_model.ACTIVE, "overlay"), BY_PROJECT_TYPE, 2),
    (export_model.ListFilter(7, ("error",), "overlay"), BY_PROJECT_TYPE, 1),
]
