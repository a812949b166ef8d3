"""The seeds' own SQL (000_*: the VEO cache, 001_*: the export queue) on the same rows as
the routes that replace it: rows read, ours / theirs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.measure import Bench
from bench.probes import State
from bench.settings import DAY_MS, PAGE
from edgejobs.core.clock import now_ms
from tests.support.stats import percentile

# --- the seeds' own SQL, verbatim but for the table prefix ----------------------------------------
# 000_* (VEO cache): `listJobs()` lists every non-expired job with its metadata; every write
# upserts metadata and data, then runs `cleanupExpired()`.
SEED000_METADATA = (
    "job_id, video_id, video_url, scene_count, characters_found, mode, voice, status, has_script, "
    "created_at, updated_at, expires_at, error_json"
)
SEED000_LIST_ALL = (
    f"SELECT {SEED000_METADATA} FROM seed000_veo_jobs WHERE expires_at > ? ORDER BY updated_at DESC"
)
SEED000_KEYSET_PAGE = f"{SEED000_LIST_ALL} LIMIT {PAGE}"
SEED000_UPSERT = f"""INSERT INTO seed000_veo_jobs ({SEED000_METADATA}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(job_id) DO UPDATE SET video_id = excluded.video_id, video_url = excluded.video_url,
  scene_count = excluded.scene_count, characters_found = excluded.characters_found, mode = excluded.mode,
  voice = excluded.voice, status = excluded.status, has_script = excluded.has_script,
  updated_at = excluded.updated_at, expires_at = excluded.expires_at, error_json = excluded.error_json"""
SEED000_UPSERT_DATA = """INSERT INTO seed000_veo_job_data (job_id, data_compressed) VALUES (?, ?)
ON CONFLICT(job_id) DO UPDATE SET data_compressed = excluded.data_compressed"""
SEED000_CLEANUP = "DELETE FROM seed000_veo_jobs WHERE expires_at < ?"
# 001_* (export queue): a runner reads the oldest pending job (index status, created_at), then
# updates its status in a second statement ("Update Job Status"). Also the whole queue, and
# "Get Active Jobs for Project", which the seed runs without a LIMIT.
SEED001_QUEUE_HEAD = "SELECT * FROM seed001_export_jobs WHERE status = 'pending' ORDER BY created_at LIMIT 1"
SEED001_QUEUE_ALL = "SELECT * FROM seed001_export_jobs WHERE status = 'pending' ORDER BY created_at"
SEED001_SET_STATUS = (
    "UPDATE seed001_export_jobs SET status = ?, progress = ?, started_at = datetime('now') WHERE id = ?"
)
SEED001_PROJECT_ACTIVE = """SELECT * FROM seed001_export_jobs
WHERE project_id = ? AND status IN ('pending', 'processing') ORDER BY created_at DESC"""


# What an unbounded list would have answered: rows, and bytes as JSON arrays (D1 refuses a
# result over 50 MB; a Worker has 128 MB of memory for it and everything else).
SEED000_LIST_ALL_SIZE = (
    f"SELECT COUNT(*) AS n, SUM(LENGTH(json_array({SEED000_METADATA}))) AS bytes "
    "FROM seed000_veo_jobs WHERE expires_at > ?"
)
SEED001_COLUMNS = (
    "id, project_id, type, status, progress, input_video_key, output_video_key, params, error, "
    "retry_count, runpod_job_id, created_at, started_at, completed_at"
)
SEED001_QUEUE_ALL_SIZE = (
    f"SELECT COUNT(*) AS n, SUM(LENGTH(json_array({SEED001_COLUMNS}))) AS bytes "
    "FROM seed001_export_jobs WHERE status = 'pending'"
)


def _attempt(
    bench: Bench, run: Callable[[], dict[str, Any]], size: tuple[str, list[Any]] | None = None
) -> dict[str, Any]:
    """`run()`'s figures, or what stopped it: at a million rows some of the seeds' queries
    cannot complete (an answer of hundreds of MB), and the run goes on without them. `size`:
    a statement counting what the failed one would have answered (rows, bytes)."""
    started = time.perf_counter()
    try:
        return run()
    except RuntimeError as exc:
        failed: dict[str, Any] = {
            "failed": str(exc)[:300],
            "seconds": round(time.perf_counter() - started, 1),
        }
    if size is not None:
        try:
            answer, _ = bench.sql({"sql": size[0], "params": size[1]})
            failed["would_return"] = answer["results"][0]
        except RuntimeError as exc:
            failed["would_return"] = {"failed": str(exc)[:200]}
    return failed


def peer_comparison(bench: Bench, state: State, routes: dict[str, dict[str, Any]], n: int) -> dict[str, Any]:
    """The seeds' SQL on the seeds' tables (same rows), next to the routes that replace it."""
    now = now_ms()
    # Warm the page cache as the routes' repetitions did (only if the statement can complete).
    list_size = (SEED000_LIST_ALL_SIZE, [now])
    list_all = _attempt(bench, lambda: bench.statement(SEED000_LIST_ALL, now), list_size)
    if "failed" not in list_all:
        list_all = _attempt(bench, lambda: bench.statement(SEED000_LIST_ALL, now), list_size)
    keyset = _attempt(bench, lambda: bench.statement(SEED000_KEYSET_PAGE, now))
    # A user's write in the 000 design: upsert metadata, upsert data, then clean up.
    target = state.seeded.live_veo_ids[-1]
    data = "H4sIAAAAAAAA/6tWKkktLlGyUlAqS8wpTtVRSs7PS8nMS1eyUlAqLUpRqgUA"

    def seed_write() -> dict[str, Any]:
        t = now_ms()
        row = [
            target,
            "vid",
            None,
            1,
            0,
            "ai",
            None,
            "completed",
            1,
            "2026-01-01 00:00:00",
            t,
            t + 7 * DAY_MS,
            None,
        ]
        steps = [
            bench.statement(SEED000_UPSERT, *row),
            bench.statement(SEED000_UPSERT_DATA, target, data),
            bench.statement(SEED000_CLEANUP, t),
        ]
        return {
            "statements": 3,
            "rows_read": sum(x["rows_read"] for x in steps),
            "rows_written": sum(x["rows_written"] for x in steps),
            "result": f"{steps[2]['changes']:,} rows deleted (cascade included) by the cleanup",
            "cleanup": {k: steps[2][k] for k in ("rows_read", "rows_written", "changes", "ms")},
            "ms": round(sum(x["ms"] for x in steps), 2),
        }

    first_write, steady_write = _attempt(bench, seed_write), _attempt(bench, seed_write)

    # A runner's claim in the 001 design: read the queue head, then update its status.
    def seed_claims() -> dict[str, Any]:
        claim_reads, claim_ms = [], []
        for _ in range(n):
            head = bench.statement(SEED001_QUEUE_HEAD)
            update = (
                bench.statement(SEED001_SET_STATUS, "processing", 0, head["rows"][0]["id"])
                if head["rows"]
                else None
            )
            claim_reads.append(head["rows_read"] + (update["rows_read"] if update else 0))
            claim_ms.append(head["ms"] + (update["ms"] if update else 0))
        return {
            "statements": 2,
            "rows_read": int(statistics.median(claim_reads)),
            "result": "1 job (not race-free)",
            "ms": round(percentile(claim_ms, 50), 2),
        }

    claim = _attempt(bench, seed_claims)
    queue_all = _attempt(bench, lambda: bench.statement(SEED001_QUEUE_ALL), (SEED001_QUEUE_ALL_SIZE, []))
    project = state.seeded.biggest_project
    project_active = _attempt(bench, lambda: bench.statement(SEED001_PROJECT_ACTIVE, project))
    for x in (list_all, keyset, queue_all, project_active):
        if "failed" not in x:
            x["result"] = f"{x.pop('rows_returned'):,} rows returned"
            x.pop("rows", None)

    def ours(route: str) -> dict[str, Any]:
        r = routes[route]
        return {
            "route": route,
            "rows_read": r["rows_read"]["median"],
            "rows_written": r["rows_written"]["median"],
            "p50_ms": r["p50_ms"],
        }

    rows = [
        ("000: list all non-expired jobs", list_all, ours("GET /api/veo/jobs (page 1)")),
        ("000 schema: a keyset page of 50", keyset, ours("GET /api/veo/jobs (page 1)")),
        (
            "000: a write + cleanup-on-every-write (first write: the backlog)",
            first_write,
            ours("PUT /api/veo/jobs/{id} update"),
        ),
        (
            "000: a write + cleanup-on-every-write (the next write)",
            steady_write,
            ours("PUT /api/veo/jobs/{id} update"),
        ),
        ("001: queue head read + separate status update", claim, ours("POST /api/export-jobs/claim")),
        ("001: the whole pending queue read", queue_all, ours("POST /api/export-jobs/claim")),
        (
            "001: active jobs of the largest project (no LIMIT)",
            project_active,
            ours("GET /api/export-jobs?project_id=…&status=active&type=overlay"),
        ),
    ]
    return {
        "comparisons": [
            {
                "operation": name,
                "theirs": theirs,
                "ours": our,
                "ratio_rows_read": round(our["rows_read"] / theirs["rows_read"], 8)
                if theirs.get("rows_read")
                else None,
            }
            for name, theirs, our in rows
        ]
    }
