"""The SQL of report snapshots."""

from __future__ import annotations

from functools import cache

from ..core.dated import newest_first_sql
from ..core.render import item_sql
from .model import ETAG_EXPRESSION, REPORT_FIELDS

COLUMNS = ", ".join(field.name for field in REPORT_FIELDS)

_SET = """metadata = :metadata, trigger_source = :trigger_source, size_bytes = :size_bytes,
  stored_bytes = :stored_bytes, content = :content, updated_at = :now"""
_INSERT = """
INSERT INTO reports (report_type, scheduled_date, metadata, trigger_source, revision, size_bytes,
  stored_bytes, created_at, updated_at, content)
VALUES (:report_type, :scheduled_date, :metadata, :trigger_source, 1, :size_bytes, :stored_bytes,
  :now, :now, :content)"""
_RETURNING = f"\nRETURNING {COLUMNS}"

# A plain PUT: create (revision 1) or replace (revision + 1, created_at kept). Concurrent PUTs
# of one key serialise on the unique index: one row, one revision per PUT.
UPSERT_SQL = (
    _INSERT
    + "\nON CONFLICT (report_type, scheduled_date) DO UPDATE SET "
    + _SET
    + ", revision = reports.revision + 1"
    + _RETURNING
)
# `If-None-Match: *`: create only (no row back when one exists).
CREATE_ONLY_SQL = _INSERT + "\nON CONFLICT (report_type, scheduled_date) DO NOTHING" + _RETURNING
# `If-Match`: replace the version the client names (:tag1-:tag4; :tag1 = '*' for any).
_TAGS = f"(:tag1 = '*' OR {ETAG_EXPRESSION} IN (:tag1, :tag2, :tag3, :tag4))"
UPDATE_IF_MATCH_SQL = (
    f"UPDATE reports SET {_SET}, revision = revision + 1"
    "\nWHERE report_type = :report_type AND scheduled_date = :scheduled_date AND " + _TAGS + _RETURNING
)
DELETE_SQL = (
    "DELETE FROM reports WHERE report_type = :report_type AND scheduled_date = :scheduled_date"
    f" AND (:tag1 IS NULL OR {_TAGS}) RETURNING id"
)
EXISTS_SQL = "SELECT 1 AS found FROM reports WHERE report_type = ?1 AND scheduled_date = ?2"

GET_SQL = f"SELECT {COLUMNS}, content FROM reports WHERE report_type = ?1 AND scheduled_date = ?2"
LATEST_SQL = (
    f"SELECT {COLUMNS}, content FROM reports WHERE report_type = ?1 ORDER BY scheduled_date DESC LIMIT 1"
)
# A conditional GET needs only the version: the content stays unread and undecompressed.
VERSION_SQL = "SELECT id, revision FROM reports WHERE report_type = ?1 AND scheduled_date = ?2"


@cache
def list_sql(by_type: bool, since: bool, until: bool, after: bool) -> str:
    """Newest date first: with a type, its range of the unique index; without, reports_by_date.
    The sort key is (scheduled_date, report_type). Named parameters: type, since, until,
    after_date, after_key (the type), limit."""
    conditions = ["report_type = :type"] if by_type else []
    return newest_first_sql(
        "reports", item_sql(REPORT_FIELDS), "scheduled_date", "report_type", conditions,
        since=since, until=until, after=after,
    )  # fmt: skip


# Retention: oldest dates first through reports_by_date, a chunk per statement.
ANY_EXPIRED_SQL = "SELECT 1 AS due FROM reports WHERE scheduled_date < ?1 LIMIT 1"
EXPIRE_SQL = """
DELETE FROM reports
WHERE id IN (SELECT id FROM reports WHERE scheduled_date < ?1 ORDER BY scheduled_date LIMIT ?2)
RETURNING id
"""
