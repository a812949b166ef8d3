"""The cron's cost: maintenance runs until nothing is due, and what an idle run reads."""

from __future__ import annotations

from typing import Any

from bench.measure import Bench
from bench.settings import CONFIG
from edgejobs.core.clock import now_ms
from edgejobs.veo import sql as veo_sql

# Not the app's SQL on purpose: one unbounded DELETE on our own schema, the yardstick the
# chunked cron (veo.sql.EXPIRE_SQL, run by the maintenance tasks) is compared with.
UNBOUNDED_EXPIRE = "DELETE FROM veo_jobs WHERE expires_at <= ?"


def drain_cron(bench: Bench, max_runs: int = 40) -> dict[str, Any]:
    """Maintenance runs until nothing is due; then one more run with nothing due."""
    runs = []
    for _ in range(max_runs):
        response, sample = bench.call("POST", "/api/maintenance/runs")
        body = response.json()
        runs.append(
            {
                "ms": round(sample.ms, 1),
                **sample.stats,
                "counts": body.get("counts", {}),
                "more": body.get("more"),
            }
        )
        if not body.get("more"):
            break
    idle_response, idle = bench.call("POST", "/api/maintenance/runs")
    deleted = sum(r["counts"].get("veo_jobs_expired", 0) for r in runs)
    changed = sum(sum(r["counts"].values()) for r in runs)
    seconds = sum(r["ms"] for r in runs) / 1000
    return {
        "runs_needed": len(runs),
        "veo_jobs_deleted": deleted,
        "rows_changed": changed,
        "seconds": round(seconds, 2),
        "rows_per_second": round(changed / seconds) if seconds else None,
        "rows_read": sum(r.get("rows_read", 0) for r in runs),
        "rows_written": sum(r.get("rows_written", 0) for r in runs),
        "rows_read_per_row_changed": round(sum(r.get("rows_read", 0) for r in runs) / changed, 3)
        if changed
        else None,
        "idle_run": {
            "queries": idle.stats.get("queries"),
            "rows_read": idle.stats.get("rows_read"),
            "ms": round(idle.ms, 1),
            # Rows that fell due while the drain ran (leases the seed set to expire about now).
            "rows_changed": sum(idle_response.json().get("counts", {}).values()),
        },
        "runs": runs,
    }


def expire_statement_idle(bench: Bench) -> dict[str, Any]:
    """What VEO expiry costs when nothing is due: the task's index probe, and (for reference)
    the chunked DELETE it no longer runs then."""
    probe = bench.statement(veo_sql.ANY_EXPIRED_SQL, now_ms())
    delete = bench.statement(veo_sql.EXPIRE_SQL, now_ms(), CONFIG.maintenance_chunk_rows)
    return {"rows_read": probe["rows_read"], "delete_statement_rows_read": delete["rows_read"]}
