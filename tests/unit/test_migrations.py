"""Migrations that rebuild a table keep every row: applied to a database holding jobs in every
state (as `wrangler d1 migrations apply` does, one file after the other), nothing is lost or
changed, the constraints still hold and the app's queries still find the rows they found."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench import rows as bench_rows
from edgejobs.core import ids, states
from edgejobs.core.db import Database
from edgejobs.exports import machine
from edgejobs.exports import sql as export_sql
from tests.support.fake_d1 import D1_MIGRATIONS_TABLE, MIGRATIONS, FakeD1

REBUILD = "0007_export_jobs_rebuilt.sql"
LEASES = "0015_export_jobs_lease_id.sql"
NOW = 1_800_000_000_000


def apply(conn: sqlite3.Connection, migrations: list[Path]) -> None:
    for migration in migrations:
        conn.executescript(migration.read_text())


@pytest.fixture
def upgraded() -> tuple[sqlite3.Connection, list[tuple[object, ...]]]:
    """A database at migration 0006 holding 600 jobs, then migrated to the latest; with the
    rows as they were before."""
    names = [m.name for m in MIGRATIONS]
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(D1_MIGRATIONS_TABLE)
    apply(conn, MIGRATIONS[: names.index(REBUILD)])
    for job in bench_rows.export_rows(600, NOW):
        columns = ", ".join(job.values)
        conn.execute(
            f"INSERT INTO export_jobs ({columns}) VALUES ({', '.join('?' * len(job.values))})",
            list(job.values.values()),
        )
    before = conn.execute(f"SELECT {COLUMNS_AT_0006} FROM export_jobs ORDER BY id").fetchall()
    apply(conn, MIGRATIONS[names.index(REBUILD) :])
    return conn, before


# The columns export_jobs had at 0006 (later migrations add columns and reorder them).
COLUMNS_AT_0006 = (
    "id, project_id, type, status, progress, input_video_key, output_video_key, params, error, "
    "retry_count, max_retries, runner_id, runpod_job_id, lease_seconds, lease_expires_at, "
    "available_at, created_at, started_at, completed_at, updated_at, previous_status, transition_id"
)


def test_the_rebuild_keeps_every_job_as_it_was(
    upgraded: tuple[sqlite3.Connection, list[tuple[object, ...]]],
) -> None:
    conn, before = upgraded
    assert len(before) == 600
    assert conn.execute(f"SELECT {COLUMNS_AT_0006} FROM export_jobs ORDER BY id").fetchall() == before
    new_columns = "priority, result, cancel_reason, retry_base_seconds, retry_cap_seconds, lease_id"
    assert set(conn.execute(f"SELECT {new_columns} FROM export_jobs")) == {(0, None, None, None, None, None)}
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize(
    ("column", "value"),
    [("status", "done"), ("type", ""), ("type", "t" * 33), ("status", None), ("priority", 10**7)],
)
def test_the_rebuilt_constraints_still_refuse_bad_rows(
    upgraded: tuple[sqlite3.Connection, list[tuple[object, ...]]], column: str, value: object
) -> None:
    conn, _ = upgraded
    row = {
        "id": ids.uuid7(NOW), "project_id": 1, "type": "overlay", "status": "pending",
        "input_video_key": "k", "available_at": NOW, "created_at": NOW, "updated_at": NOW,
        "transition_id": "t", column: value,
    }  # fmt: skip
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            f"INSERT INTO export_jobs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )


def test_the_cron_finds_the_same_jobs_through_the_partial_indexes(
    upgraded: tuple[sqlite3.Connection, list[tuple[object, ...]]],
) -> None:
    """export_jobs_by_lease and _by_completion hold only jobs with a lease / a completion time;
    the cron's queries return what a full scan with the same condition returns."""
    conn, _ = upgraded
    later = NOW + 3_600_000  # every lease has run out
    expired = conn.execute(export_sql.EXPIRED_LEASES_SQL, (later, 10_000)).fetchall()
    assert expired
    assert sorted(expired) == sorted(
        conn.execute(
            "SELECT id FROM export_jobs NOT INDEXED WHERE status = 'processing' AND lease_expires_at <= ?",
            (later,),
        ).fetchall()
    )
    cutoff = NOW - 30 * 86_400_000
    finished_sql = export_sql.FINISHED_DUE_SQL.replace(":cutoff", "?1").replace(":limit", "?2")
    due = conn.execute(finished_sql, (cutoff, 10_000)).fetchall()
    assert due
    assert sorted(due) == sorted(
        conn.execute(
            "SELECT id FROM export_jobs NOT INDEXED "
            "WHERE status IN ('complete', 'error', 'cancelled') AND completed_at <= ?",
            (cutoff,),
        ).fetchall()
    )


def test_the_queue_rebuild_keeps_every_index_and_its_order(
    upgraded: tuple[sqlite3.Connection, list[tuple[object, ...]]],
) -> None:
    """Rebuilding export_jobs dropped its indexes and the counters' triggers with it: each is
    recreated, and the counts still hold."""
    conn, _ = upgraded
    listed = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'export_jobs' AND sql IS NOT NULL"
    )
    indexes = {row[0] for row in conn.execute(listed)}
    assert indexes == {
        "export_jobs_by_project", "export_jobs_by_status", "export_jobs_by_type",
        "export_jobs_by_project_type_status", "export_jobs_claimable", "export_jobs_claimable_by_type",
        "export_jobs_by_runner", "export_jobs_by_lease", "export_jobs_by_completion",
        "export_jobs_by_runpod_job",  # a later migration's (the RunPod resync)
    }  # fmt: skip
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'export_jobs'"
    assert {row[0] for row in conn.execute(triggers)} == {
        "export_jobs_counted_insert", "export_jobs_counted_status", "export_jobs_counted_type",
        "export_jobs_counted_delete", "export_jobs_completed_hourly",
    }  # fmt: skip
    # The counters still match the table, and still follow it.
    counted = "SELECT job_type, pending, processing, complete, error, cancelled FROM export_job_counts"
    actual = (
        "SELECT type, sum(status = 'pending'), sum(status = 'processing'), sum(status = 'complete'),"
        " sum(status = 'error'), sum(status = 'cancelled') FROM export_jobs GROUP BY type"
    )
    assert sorted(conn.execute(counted)) == sorted(conn.execute(actual))
    conn.execute("UPDATE export_jobs SET status = 'cancelled' WHERE status = 'pending'")
    conn.execute("DELETE FROM export_jobs WHERE status = 'complete'")
    assert sorted(conn.execute(counted)) == sorted(conn.execute(actual))


async def test_a_job_claimed_before_leases_existed_finishes_without_one() -> None:
    """Upgrade path of 0015: a job processing under a runner when leases arrive has lease NULL;
    its runner's calls without a lease_id still apply, and a new claim brings a lease."""
    names = [m.name for m in MIGRATIONS]
    fake = FakeD1()
    conn = fake.conn
    conn.execute(D1_MIGRATIONS_TABLE)
    apply(conn, MIGRATIONS[: names.index(LEASES)])
    job = next(j for j in bench_rows.export_rows(200, NOW) if j.values["status"] == "processing")
    conn.execute(
        f"INSERT INTO export_jobs ({', '.join(job.values)}) VALUES ({', '.join('?' * len(job.values))})",
        list(job.values.values()),
    )
    apply(conn, MIGRATIONS[names.index(LEASES) :])
    db = Database(fake)
    runner = {"runner_id": job.values["runner_id"], "now": NOW, "id": job.values["id"]}
    beat = {**runner, "lease_id": None, "progress": 60, "runpod_job_id": None}
    assert await states.apply(db, machine.EXPORT_JOBS, machine.HEARTBEAT, states.BY_ID, beat)
    done = {**runner, "lease_id": None, "output_video_key": "o", "result": None}
    [row] = await states.apply(db, machine.EXPORT_JOBS, machine.COMPLETE_ACTION, states.BY_ID, done)
    assert (row["status"], row["lease_id"]) == ("complete", None)
