"""The SQL of job runs. Lists walk one index in (scheduled_date, id) order, newest first."""

from __future__ import annotations

from functools import cache

from ..core.dated import newest_first_sql
from ..core.render import item_sql
from .model import RUN_FIELDS

COLUMNS = ", ".join(field.name for field in RUN_FIELDS)

INSERT_SQL = f"""
INSERT INTO job_runs (id, job_type, scheduled_date, status, trigger_source, started_at, finished_at,
  duration_ms, items_processed, error, metadata, created_at, updated_at)
VALUES (:id, :job_type, :scheduled_date, :status, :trigger_source, :started_at, :finished_at,
  :duration_ms, :items_processed, :error, :metadata, :now, :now)
RETURNING {COLUMNS}
"""

# Finishing is a compare-and-set on `running`: of two racing PATCHes exactly one wins.
FINISH_SQL = f"""
UPDATE job_runs
SET updated_at = :now,
    status = :status, finished_at = :finished_at, duration_ms = max(0, :finished_at - started_at),
    items_processed = coalesce(:items_processed, items_processed), error = :error,
    metadata = coalesce(:metadata, metadata)
WHERE id = :id AND +status = 'running'
RETURNING {COLUMNS}
"""

GET_SQL = f"SELECT {COLUMNS} FROM job_runs WHERE id = ?1"

LATEST_SQL = f"""
SELECT {COLUMNS} FROM job_runs WHERE job_type = ?1 ORDER BY scheduled_date DESC, id DESC LIMIT 1
"""


@cache
def list_sql(by_type: bool, by_status: bool, since: bool, until: bool, after: bool) -> str:
    """Newest first through job_runs_by_type, _by_status or _by_date; with both filters the
    status is checked on the type's range (`+status`: a type has few runs per status).
    Named parameters: type, status, since, until, after_date, after_key (the id), limit."""
    conditions = []
    if by_type:
        conditions.append("job_type = :type")
    if by_status:
        conditions.append("+status = :status" if by_type else "status = :status")
    return newest_first_sql(
        "job_runs",
        item_sql(RUN_FIELDS),
        "scheduled_date",
        "id",
        conditions,
        since=since,
        until=until,
        after=after,
    )
